/*
 * tls_dtor_first_alloc - a thread whose *first* allocation happens in
 * glibc's last TLS-destructor round: oxalloc's exit hook, set by that
 * allocation, is never called (glibc runs no further round), so the
 * thread dies owning its heap.  That heap must not be lost:
 *
 *  (a) 200 such threads one after another end with a few segments, not
 *      one per thread (the next thread that needs a heap takes the dead
 *      thread's);
 *  (b) 16 such threads at once, then ox_collect(true) with no thread
 *      left: their heaps are collected, their segments given back.
 *
 * Old code: every such heap stayed ACTIVE, owned by a thread that no
 * longer exists, for the life of the process.
 */
#include <limits.h>

#include "lc.h"

#define SEQUENTIAL 200
#define PARALLEL   16
static pthread_key_t key;

/* Re-arms itself without allocating in every round but the last, where
 * the thread allocates for the first time (a block it keeps: the heap
 * then holds a page, as a real destructor's buffer would). */
static void dtor(void *v)
{
    intptr_t round = (intptr_t)v;
    if (round < PTHREAD_DESTRUCTOR_ITERATIONS) {
        pthread_setspecific(key, (void *)(round + 1));
        return;
    }
    char *p = ox_malloc(3000);
    memset(p, 1, 3000);
    ox_free(p);
    ox_free(ox_malloc(200000));
}

/* Allocates nothing itself: key < 32, so pthread_setspecific uses the
 * thread's static block, without calloc. */
static void *thread(void *arg)
{
    (void)arg;
    pthread_setspecific(key, (void *)1);
    return NULL;
}

static size_t segments(void)
{
    ox_stats_t s;
    ox_stats_get(&s);
    return s.segments_in_use;
}

int main(void)
{
    watchdog(60);
    /* An allocation first: oxalloc's key then comes before the program's,
     * so in the last round the program's destructor runs after oxalloc's
     * key was passed. */
    ox_free(ox_malloc(10));
    CHECK(pthread_key_create(&key, dtor) == 0);
    size_t seg0 = segments(), before = lc_committed();

    for (int i = 0; i < SEQUENTIAL; i++) {
        pthread_t t;
        pthread_create(&t, NULL, thread, NULL);
        pthread_join(t, NULL);
    }
    size_t seg_a = segments(), grown = lc_committed() > before ? lc_committed() - before : 0;
    printf("(a) after %d threads: %zu segments in use (%zu before), committed grew by %zu MiB\n",
           SEQUENTIAL, seg_a, seg0, grown >> 20);
    CHECKF(seg_a <= seg0 + 4, "(a) %zu segments held for exited threads", seg_a - seg0);
    CHECKF(grown <= 64 * MiB, "(a) committed grew by %zu MiB", grown >> 20);

    pthread_t ts[PARALLEL];
    for (int i = 0; i < PARALLEL; i++)
        pthread_create(&ts[i], NULL, thread, NULL);
    for (int i = 0; i < PARALLEL; i++)
        pthread_join(ts[i], NULL);
    size_t seg_b = segments();
    ox_collect(true);
    size_t seg_c = segments();
    printf("(b) %d threads at once: %zu segments in use after they exited, %zu after "
           "ox_collect(true)\n",
           PARALLEL, seg_b, seg_c);
    CHECKF(seg_c <= seg0 + 4, "(b) %zu segments held for exited threads after ox_collect",
           seg_c - seg0);
    return lc_finish("tls_dtor_first_alloc");
}
