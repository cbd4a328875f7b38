/*
 * free_after_exit - blocks of a thread that has exited are freed by
 * another thread while segments are unmapped at once (no segment cache,
 * no purge delay): the free must not read the block's page record after
 * the block went home, since that free may have unmapped the whole
 * segment (old code: SIGSEGV in _ox_free_remote, as in
 * `git gc --aggressive` whose delta threads exit before the main thread
 * frees their blocks).
 */
#include "lc.h"

#define N 64
static void *blocks[N];
static const size_t sizes[] = { 48, 3000, 40 * KiB, 256 * KiB };

static void *worker(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < N; i++) {
        blocks[i] = ox_malloc(sizes[i % 4]);
        memset(blocks[i], 1, sizes[i % 4]);
    }
    return NULL;
}

int main(void)
{
    watchdog(30);
    void *mine = ox_malloc(100); /* this thread has a heap of its own */
    for (int round = 0; round < 50; round++) {
        pthread_t t;
        pthread_create(&t, NULL, worker, NULL);
        pthread_join(t, NULL);
        for (size_t i = 0; i < N; i++)
            ox_free(blocks[i]);
    }
    ox_free(mine);
    ox_stats_t s;
    ox_stats_get(&s);
    CHECK(s.allocated_bytes < 64 * KiB);
    return lc_finish("free_after_exit");
}
