/*
 * tls_dtor_alloc - a TLS key destructor that allocates in every one of
 * glibc's destructor rounds, the last included, must not leak the
 * thread's heap: 200 such threads, one after another, must end with a few
 * segments, not one per thread (old code: the heap was adopted again
 * after the last round and stayed attached to the dead thread: 200
 * segments, 805 MiB committed).
 */
#include <limits.h>

#include "lc.h"

#define THREADS 200
static pthread_key_t key;

static void dtor(void *v)
{
    intptr_t round = (intptr_t)v;
    void *p = ox_malloc(64 + (size_t)round * 16);
    memset(p, 0, 64);
    ox_free(p);
    if (round < PTHREAD_DESTRUCTOR_ITERATIONS)
        pthread_setspecific(key, (void *)(round + 1));
}

static void *thread(void *arg)
{
    (void)arg;
    void *p = ox_malloc(100);
    ox_free(p);
    pthread_setspecific(key, (void *)1);
    return NULL;
}

int main(void)
{
    watchdog(60);
    /* An allocation first: oxalloc's own key then comes before this one,
     * so in each round its destructor runs before the program's. */
    ox_free(ox_malloc(10));
    pthread_key_create(&key, dtor);
    size_t before = lc_committed();
    for (int i = 0; i < THREADS; i++) {
        pthread_t t;
        pthread_create(&t, NULL, thread, NULL);
        pthread_join(t, NULL);
    }
    ox_stats_t s;
    ox_stats_get(&s);
    size_t grown = s.committed_bytes > before ? s.committed_bytes - before : 0;
    printf("after %d threads: %zu segments in use, committed grew by %zu MiB\n",
           THREADS, s.segments_in_use, grown >> 20);
    CHECKF(s.segments_in_use <= 4, "%zu segments held for exited threads", s.segments_in_use);
    CHECKF(grown <= 64 * MiB, "committed grew by %zu MiB", grown >> 20);
    return lc_finish("tls_dtor_alloc");
}
