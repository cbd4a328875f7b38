/*
 * main.c - entry point of the C benchmark program `oxbench`.
 *
 *   oxbench [-s SCALE] WORKLOAD      e.g. oxbench fifo-lifo-64, oxbench churn
 *
 * The same binary serves every allocator: the driver reaches jemalloc,
 * mimalloc, tcmalloc and oxalloc with LD_PRELOAD and glibc with nothing.
 * Prints one JSON line with the checksum and the workload's metrics; exits
 * 1 when a stamp was corrupted, 2 when an allocation failed.
 */
#include "common.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double g_scale = 1.0;

typedef struct {
    const char *prefix;   /* workload id, or its prefix when it takes a number */
    int takes_param;
    void (*run)(long param, result_t *r);
} workload_t;

static const workload_t workloads[] = {
    {"fifo-lifo-", 1, wl_fifo_lifo},
    {"threads-", 1, wl_threads},
    {"large-blocks", 0, wl_large_blocks},
    {"churn", 0, wl_churn},
    {"producer-consumer", 0, wl_producer_consumer},
    {"larson-like", 0, wl_larson},
    {"false-sharing", 0, wl_false_sharing},
    {"realloc-grow", 0, wl_realloc_grow},
    {"aligned", 0, wl_aligned},
    {"rss-return", 0, wl_rss_return},
    {"xmalloc-like-", 1, wl_xmalloc},
    {"rptest-like-", 1, wl_rptest},
    {"thread-replace-", 1, wl_thread_replace},
    {"idle-memory", 0, wl_idle_memory},
};

uint64_t scaled(uint64_t base)
{
    double v = (double)base * g_scale;
    return v < 1.0 ? 1 : (uint64_t)v;
}

void result_metric(result_t *r, const char *name, double value)
{
    if (r->nmetrics < MAX_METRICS)
        r->metrics[r->nmetrics++] = (metric_t){name, value};
}

void *xmalloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL) {
        fprintf(stderr, "oxbench: malloc(%zu) returned NULL\n", size);
        exit(2);
    }
    return p;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

long rss_kib(void)
{
    long pages_total = 0, pages_rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages_total, &pages_rss) != 2)
        pages_rss = -1;
    fclose(f);
    return pages_rss < 0 ? -1 : pages_rss * 4;
}

/* Which allocator serves malloc: each preloaded library exports a symbol
 * the others do not.  The driver checks it against the one it preloaded. */
static const char *detect_allocator(void)
{
    if (dlsym(RTLD_DEFAULT, "ox_version"))
        return "oxalloc";
    if (dlsym(RTLD_DEFAULT, "mallocx"))
        return "jemalloc";
    if (dlsym(RTLD_DEFAULT, "mi_version"))
        return "mimalloc";
    if (dlsym(RTLD_DEFAULT, "tc_version"))
        return "tcmalloc";
    return "glibc";
}

/* Find the workload named `name`; store its numeric suffix in *param. */
static const workload_t *lookup(const char *name, long *param)
{
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        const workload_t *w = &workloads[i];
        size_t n = strlen(w->prefix);
        if (!w->takes_param && strcmp(name, w->prefix) == 0) {
            *param = 0;
            return w;
        }
        if (w->takes_param && strncmp(name, w->prefix, n) == 0) {
            char *end;
            *param = strtol(name + n, &end, 10);
            if (*end == '\0' && *param > 0)
                return w;
        }
    }
    return NULL;
}

static void print_result(const char *name, const result_t *r, double secs)
{
    printf("{\"workload\":\"%s\",\"allocator\":\"%s\",\"ok\":%s,\"errors\":%llu,\"checksum\":\"%016llx\","
           "\"ops\":%llu,\"inner_s\":%.6f,\"scale\":%g,\"metrics\":{",
           name, detect_allocator(), r->errors == 0 ? "true" : "false", (unsigned long long)r->errors,
           (unsigned long long)r->checksum, (unsigned long long)r->ops, secs, g_scale);
    for (int i = 0; i < r->nmetrics; i++)
        printf("%s\"%s\":%.10g", i ? "," : "", r->metrics[i].name, r->metrics[i].value);
    printf("}}\n");
}

int main(int argc, char **argv)
{
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "-s") == 0) {
        g_scale = atof(argv[2]);
        i = 3;
    }
    long param = 0;
    const workload_t *w = i < argc ? lookup(argv[i], &param) : NULL;
    if (w == NULL || g_scale <= 0) {
        fprintf(stderr, "usage: %s [-s SCALE] WORKLOAD\n", argv[0]);
        return 64;
    }
    result_t r = {0};
    double t0 = now_seconds();
    w->run(param, &r);
    print_result(argv[i], &r, now_seconds() - t0);
    fflush(stdout);
    return r.errors == 0 ? 0 : 1;
}
