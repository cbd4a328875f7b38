/*
 * common.h - shared helpers of the C benchmark workloads (bench/c/).
 *
 * Every workload stamps what it allocates with a deterministic id, checks
 * the stamp before freeing, and folds mix(id) into a checksum.  The sum of
 * mix(id) over all blocks does not depend on thread interleaving, so every
 * allocator must report the same checksum for the same workload and scale;
 * the driver compares them.  This also keeps the compiler from eliding any
 * allocation.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_METRICS 6

typedef struct {
    const char *name;
    double value;
} metric_t;

/* What a workload reports; main() prints it as one JSON line. */
typedef struct {
    uint64_t checksum; /* sum of mix(id) over every checked block */
    uint64_t ops;      /* allocations performed */
    uint64_t errors;   /* corrupted stamps, misaligned blocks, ... */
    int nmetrics;
    metric_t metrics[MAX_METRICS];
} result_t;

/* Iteration multiplier from the command line (1.0 = full size). */
extern double g_scale;

/* base * g_scale, at least 1. */
uint64_t scaled(uint64_t base);
void result_metric(result_t *r, const char *name, double value);
/* malloc that exits with status 2 and a message when it returns NULL. */
void *xmalloc(size_t size);
double now_seconds(void);
/* Resident set size of this process in KiB, from /proc/self/statm. */
long rss_kib(void);

/* splitmix64: a fixed-seed generator, identical for every allocator. */
static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static inline uint64_t rng_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
    return lo + rng_next(state) % (hi - lo + 1);
}

static inline uint64_t mix(uint64_t x)
{
    uint64_t s = x;
    return rng_next(&s);
}

/* Write id into the first 8 bytes and mix(id) into the last 8 (size >= 8). */
static inline void stamp(void *p, size_t size, uint64_t id)
{
    memcpy(p, &id, 8);
    if (size >= 16) {
        uint64_t m = mix(id);
        memcpy((char *)p + size - 8, &m, 8);
    }
}

/* Verify a stamp; count a mismatch in r->errors, add mix(id) to the sum. */
static inline void check(result_t *r, const void *p, size_t size, uint64_t id)
{
    uint64_t got, m = mix(id);
    memcpy(&got, p, 8);
    if (got != id)
        r->errors++;
    if (size >= 16) {
        memcpy(&got, (const char *)p + size - 8, 8);
        if (got != m)
            r->errors++;
    }
    r->checksum += m;
}

/* One worker thread of run_threads (wl_threads.c). */
typedef struct {
    int index;
    long param;
    result_t res; /* per-thread result, summed by run_threads */
    pthread_barrier_t *start;
    void *shared;
} worker_t;

/* Start n threads running fn(&worker), all released together by the
 * `start` barrier; wait for all and fold their results into r. */
void run_threads(int n, void *(*fn)(void *), long param, void *shared, result_t *r);

/* Workloads: `param` is the number after the workload prefix (or 0). */
void wl_fifo_lifo(long param, result_t *r);
void wl_threads(long param, result_t *r);
void wl_large_blocks(long param, result_t *r);
void wl_churn(long param, result_t *r);
void wl_producer_consumer(long param, result_t *r);
void wl_larson(long param, result_t *r);
void wl_false_sharing(long param, result_t *r);
void wl_realloc_grow(long param, result_t *r);
void wl_aligned(long param, result_t *r);
void wl_rss_return(long param, result_t *r);
void wl_xmalloc(long param, result_t *r);
void wl_rptest(long param, result_t *r);
void wl_thread_replace(long param, result_t *r);
void wl_idle_memory(long param, result_t *r);

#endif /* BENCH_COMMON_H */
