/*
 * exited_threads_return - heaps of exited threads keep nothing resident:
 * 16 threads allocate 512 MiB in all, hand every block to the main
 * thread and exit; the main thread frees everything and then only reads
 * /proc: RSS must fall to <= 5 % of its peak within the purge delay plus
 * one second, with no later allocation (old code: a third of the peak
 * stayed, in kept pages, unpurged free pages and remote lists of heaps
 * whose owners had exited).
 */
#include "lc.h"

#define THREADS 16
#ifndef PER_THREAD /* -DPER_THREAD=64*MiB: the 1 GiB scenario */
#define PER_THREAD (32 * MiB)
#endif
static const size_t sizes[] = { 48, 256, 1000, 4000, 24 * KiB, 200 * KiB };
#define NSIZES (sizeof sizes / sizeof sizes[0])
static void **blocks[THREADS];
static size_t counts[THREADS];

static void *worker(void *arg)
{
    size_t id = (size_t)arg, n = 0, cap = 1 << 16, bytes = 0;
    void **list = mmap(NULL, cap * sizeof(void *), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    while (bytes < PER_THREAD && n < cap) {
        size_t s = sizes[(n + id) % NSIZES];
        list[n] = ox_malloc(s);
        memset(list[n], (int)n, s);
        bytes += s;
        n++;
    }
    blocks[id] = list;
    counts[id] = n;
    return NULL;
}

int main(void)
{
    watchdog(60);
    /* The main thread has a heap of its own (its frees into the exited
     * threads' heaps then go through the path that keeps statistics for
     * the freeing thread, which must not touch a page the free released). */
    void *mine = ox_malloc(64);
    pthread_t t[THREADS];
    for (size_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (size_t i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    size_t peak = rss_bytes();
    for (size_t i = 0; i < THREADS; i++)
        for (size_t j = 0; j < counts[i]; j++)
            ox_free(blocks[i][j]);
    long delay = ox_option_get("purge_delay");
    size_t rss = rss_bytes();
    size_t after_free = rss;
    uint64_t waited = 0;
    uint64_t wait_ms = getenv("LC_WAIT_MS") ? strtoull(getenv("LC_WAIT_MS"), NULL, 10) : 0;
    while ((rss > peak / 20 && waited < (uint64_t)delay + 1000) || waited < wait_ms) {
        usleep(50 * 1000);
        waited += 50;
        rss = rss_bytes();
    }
    ox_stats_t s;
    ox_stats_get(&s);
    printf("peak %zu MiB, right after the frees %zu MiB, after %llu ms %zu MiB "
           "(limit %zu MiB); segments in use %zu, live blocks %zu\n",
           peak >> 20, after_free >> 20, (unsigned long long)waited, rss >> 20,
           peak / 20 >> 20, s.segments_in_use, s.allocated_blocks);
    ox_free(mine);
    CHECKF(rss <= peak / 20, "RSS %zu MiB > 5%% of the peak %zu MiB", rss >> 20, peak >> 20);
    return lc_finish("exited_threads_return");
}
