/*
 * wl_idle.c - idle-memory: how much memory an allocator keeps while the
 * program sits idle after freeing everything.
 *
 * 4 threads each build a live set of 1.2 M strings (16-64 B; 4.8 M strings,
 * ~300 MiB resident in all), check and free all of it, and then stay alive
 * and idle (blocked, no allocation) for 2 s.  The main thread samples the
 * process's RSS every 100 ms from the start; metrics: the peak sample, the
 * RSS right after the frees, and 0.5 s, 1 s and 2 s into the idle time.
 * Threads stay alive on purpose: an allocator that gives memory back only
 * at thread exit or on a later allocation keeps it here.
 */
#include "common.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define IDLE_THREADS 4
#define IDLE_SAMPLE_MS 100
#define IDLE_MS 2000

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int freed;   /* threads that have freed their live set */
    int release; /* set by the main thread when the idle time is over */
    uint64_t strings_per_thread;
    result_t *out; /* the sampler's metrics go here */
} idle_t;

static void *idle_worker(void *arg)
{
    worker_t *w = arg;
    idle_t *s = w->shared;
    uint64_t n = s->strings_per_thread, rng = 500 + (uint64_t)w->index;
    uint64_t id = ((uint64_t)w->index + 1) << 40;
    char **str = xmalloc(sizeof *str * n);
    size_t *len = xmalloc(sizeof *len * n);
    pthread_barrier_wait(w->start);
    for (uint64_t i = 0; i < n; i++) {
        len[i] = (size_t)rng_range(&rng, 16, 64);
        str[i] = xmalloc(len[i]);
        stamp(str[i], len[i], id + i);
    }
    for (uint64_t i = 0; i < n; i++) {
        check(&w->res, str[i], len[i], id + i);
        free(str[i]);
    }
    free(str);
    free(len);
    w->res.ops = n;
    pthread_mutex_lock(&s->lock);
    s->freed++;
    pthread_cond_broadcast(&s->changed);
    while (!s->release)
        pthread_cond_wait(&s->changed, &s->lock);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* The main thread's part: sample until every worker has freed, then
 * through the idle time; release the workers. */
static void *idle_sampler(void *arg)
{
    worker_t *w = arg;
    idle_t *s = w->shared;
    long peak = 0, freed_rss = -1, at[3] = {-1, -1, -1};
    const int marks[3] = {500, 1000, IDLE_MS};
    double t_freed = 0;
    struct timespec tick = {0, IDLE_SAMPLE_MS * 1000000L};
    pthread_barrier_wait(w->start);
    for (;;) {
        long rss = rss_kib();
        if (rss > peak)
            peak = rss;
        pthread_mutex_lock(&s->lock);
        int all_freed = s->freed == IDLE_THREADS;
        pthread_mutex_unlock(&s->lock);
        if (all_freed && freed_rss < 0) {
            freed_rss = rss_kib();
            t_freed = now_seconds();
        }
        if (freed_rss >= 0) {
            int idle_ms = (int)((now_seconds() - t_freed) * 1000.0 + 0.5);
            for (int k = 0; k < 3; k++)
                if (at[k] < 0 && idle_ms >= marks[k])
                    at[k] = rss;
            if (at[2] >= 0)
                break;
        }
        nanosleep(&tick, NULL);
    }
    pthread_mutex_lock(&s->lock);
    s->release = 1;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    w->res.ops = 0;
    result_metric(s->out, "rss_peak_sampled_kib", (double)peak);
    result_metric(s->out, "rss_freed_kib", (double)freed_rss);
    result_metric(s->out, "rss_idle_0.5s_kib", (double)at[0]);
    result_metric(s->out, "rss_idle_1s_kib", (double)at[1]);
    result_metric(s->out, "rss_idle_2s_kib", (double)at[2]);
    return NULL;
}

static void *idle_thread(void *arg)
{
    worker_t *w = arg;
    return w->index == IDLE_THREADS ? idle_sampler(arg) : idle_worker(arg);
}

void wl_idle_memory(long unused, result_t *r)
{
    (void)unused;
    idle_t s = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER,
                .strings_per_thread = scaled(1200000), .out = r};
    /* IDLE_THREADS workers and one sampler, started together. */
    run_threads(IDLE_THREADS + 1, idle_thread, 0, &s, r);
}
