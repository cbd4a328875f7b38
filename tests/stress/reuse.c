/*
 * reuse.c - blocks of one thread's heap freed by another thread, which
 * hands them out again to itself (c_src/reuse.c), then freed by a third
 * thread or by the thread whose heap they belong to.
 *
 *   reuse [ROUNDS] [WAVES] [WATCHDOG_SECONDS]
 *
 * (a) same_block_back: a thread that allocates a class and frees another
 *     thread's block of that class gets that very block from its next
 *     allocation of the same size (the freed block is still in its cache).
 * (b) ring: WAVES waves of RING threads run ROUNDS rounds each.  In a
 *     round every thread t allocates a set of blocks (own[t]); thread t
 *     then frees own[t+1] (remote frees, most of them kept by t) and
 *     allocates as many blocks again (reused[t], mostly t+1's blocks);
 *     finally every reused block is freed either by the thread it came
 *     from (its owner frees a block another thread allocated) or by a
 *     third thread.  Every block carries a pattern of its address and
 *     size, checked before each free: a block handed out twice, or
 *     written while kept, shows.  At each round's checkpoint the main
 *     thread checks that the statistics count at least the blocks the
 *     test holds (a kept block must not be lost; each worker brings its
 *     own counters up to date first, see ox_stats_get).
 *     Threads exit after every wave with blocks kept (their heaps are
 *     adopted by the next wave); RSS and segments must stay bounded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "oxalloc.h"
#include "rust_alloc.h"
#include "testutil.h"

CHECK_DEFINE_COUNTERS;

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* ---- (a) the freed block comes back ------------------------------------- */

#define SB_MAX 1000 /* kept classes hold blocks of up to 1 KiB (checked build: + trailer) */

static void *sb_theirs[SB_MAX + 1];
static int sb_same, sb_sizes;
static pthread_barrier_t sb_barrier;

/* Allocates, then stays alive (its blocks are not an exited thread's,
 * which would be freed at once) until the other thread is done. */
static void *sb_owner(void *arg)
{
    (void)arg;
    for (size_t s = 1; s <= SB_MAX; s += 37) {
        sb_theirs[s] = ox_malloc(s);
        CHECK(sb_theirs[s] != NULL);
        if (sb_theirs[s])
            blk_fill(sb_theirs[s], s);
    }
    pthread_barrier_wait(&sb_barrier);
    pthread_barrier_wait(&sb_barrier);
    return NULL;
}

static void *sb_freer(void *arg)
{
    (void)arg;
    /* This thread allocates every class too, and holds the blocks. */
    static void *mine[SB_MAX + 1];
    for (size_t s = 1; s <= SB_MAX; s += 37) {
        mine[s] = ox_malloc(s);
        CHECK(mine[s] != NULL);
    }
    pthread_barrier_wait(&sb_barrier);
    for (size_t s = 1; s <= SB_MAX; s += 37) {
        void *theirs = sb_theirs[s];
        CHECKF(blk_ok(theirs, s), "block %p (%zu bytes) changed", theirs, s);
        ox_free(theirs);
        void *again = ox_malloc(s);
        CHECK(again != NULL);
        sb_sizes++;
        sb_same += again == theirs;
        if (again) {
            blk_fill(again, s);
            CHECK(blk_ok(again, s));
        }
        ox_free(again);
    }
    for (size_t s = 1; s <= SB_MAX; s += 37)
        ox_free(mine[s]);
    pthread_barrier_wait(&sb_barrier);
    return NULL;
}

static void same_block_back(void)
{
    pthread_t owner, freer;
    pthread_barrier_init(&sb_barrier, NULL, 2);
    CHECK(pthread_create(&owner, NULL, sb_owner, NULL) == 0);
    CHECK(pthread_create(&freer, NULL, sb_freer, NULL) == 0);
    pthread_join(owner, NULL);
    pthread_join(freer, NULL);
    pthread_barrier_destroy(&sb_barrier);
    printf("same_block_back: %d of %d sizes got the freed block back\n", sb_same, sb_sizes);
    CHECKF(sb_same == sb_sizes, "%d of %d", sb_same, sb_sizes);
}

/* ---- (b) the ring ----------------------------------------------------------- */

#define RING 4
#define SET 600

enum kind { K_OX, K_RUST, K_SIZED };

struct blk {
    void *p;
    size_t s;
    enum kind kind;
};

static struct blk own[RING][SET], reused[RING][SET];
static pthread_barrier_t ring_barrier; /* RING workers + the main thread */
static int rounds;

static size_t ring_size(rng_t *r)
{
    uint64_t x = rng_below(r, 100);
    if (x < 90)
        return 1 + rng_below(r, 1024); /* the kept classes */
    return 1024 + rng_below(r, 16 * KiB);
}

static void blk_make(struct blk *b, rng_t *r)
{
    b->s = ring_size(r);
    b->kind = (enum kind)rng_below(r, 3);
    b->p = b->kind == K_RUST ? rust_alloc(b->s, 8) : ox_malloc(b->s);
    CHECKF(b->p != NULL, "alloc(%zu)", b->s);
    if (b->p)
        blk_fill(b->p, b->s);
}

static void blk_drop(struct blk *b)
{
    if (!b->p)
        return;
    CHECKF(blk_ok(b->p, b->s), "block %p (%zu bytes) changed before its free", b->p, b->s);
    switch (b->kind) {
    case K_RUST: rust_dealloc(b->p, b->s, 8); break;
    case K_SIZED: ox_free_sized(b->p, b->s); break;
    default: ox_free(b->p); break;
    }
    b->p = NULL;
}

static void *ring_worker(void *arg)
{
    int t = (int)(intptr_t)arg % RING;
    rng_t r = rng_make((uint64_t)(intptr_t)arg + 7);
    for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < SET; i++)
            blk_make(&own[t][i], &r);
        pthread_barrier_wait(&ring_barrier);
        /* Free the next thread's blocks, then allocate as many: mostly
         * the blocks just freed, kept by this thread. */
        for (int i = 0; i < SET; i++)
            blk_drop(&own[(t + 1) % RING][i]);
        for (int i = 0; i < SET; i++)
            blk_make(&reused[t][i], &r);
        /* A thread's statistics are exact for itself; for other threads
         * they are as of their last slow path: settle ours. */
        ox_stats_t mine;
        ox_stats_get(&mine);
        pthread_barrier_wait(&ring_barrier); /* checkpoint (main) */
        pthread_barrier_wait(&ring_barrier);
        /* reused[u] holds mostly blocks of u + 1's heap: the even ones go
         * back to u + 1 itself, the odd ones to a third thread, u + 2. */
        for (int i = 0; i < SET; i += 2)
            blk_drop(&reused[(t + RING - 1) % RING][i]);
        for (int i = 1; i < SET; i += 2)
            blk_drop(&reused[(t + RING - 2) % RING][i]);
        pthread_barrier_wait(&ring_barrier);
    }
    return NULL; /* exits keeping whatever it freed last */
}

static size_t held_blocks(void)
{
    size_t n = 0;
    for (int t = 0; t < RING; t++)
        for (int i = 0; i < SET; i++)
            n += (own[t][i].p != NULL) + (reused[t][i].p != NULL);
    return n;
}

static void ring(int waves)
{
    size_t rss0 = 0, rss_max = 0, seg0 = 0, seg_max = 0;
    ox_stats_t st;
    for (int w = 0; w < waves; w++) {
        pthread_t tid[RING];
        pthread_barrier_init(&ring_barrier, NULL, RING + 1);
        for (int t = 0; t < RING; t++)
            CHECK(pthread_create(&tid[t], NULL, ring_worker,
                                 (void *)(intptr_t)(w * RING + t)) == 0);
        for (int round = 0; round < rounds; round++) {
            pthread_barrier_wait(&ring_barrier);
            pthread_barrier_wait(&ring_barrier);
            /* Every worker settled its counters and waits. */
            size_t held = held_blocks();
            ox_stats_get(&st);
            CHECKF(st.allocated_blocks >= held,
                   "statistics count %zu live blocks, the test holds %zu",
                   st.allocated_blocks, held);
            pthread_barrier_wait(&ring_barrier);
            pthread_barrier_wait(&ring_barrier);
        }
        for (int t = 0; t < RING; t++)
            pthread_join(tid[t], NULL);
        pthread_barrier_destroy(&ring_barrier);
        ox_stats_get(&st);
        size_t rss = rss_bytes();
        if (w == 1) {
            rss0 = rss;
            seg0 = st.segments_in_use;
        }
        if (w > 1) {
            rss_max = rss > rss_max ? rss : rss_max;
            seg_max = st.segments_in_use > seg_max ? st.segments_in_use : seg_max;
        }
    }
    printf("ring: %d waves x %d threads x %d rounds; after wave 1: rss %zu KiB, %zu segments; "
           "later maxima: rss %zu KiB, %zu segments\n",
           waves, RING, rounds, rss0 >> 10, seg0, rss_max >> 10, seg_max);
    /* A wave holds ~5 MiB at most: memory that kept blocks pinned for
     * good would add up over the waves. */
    CHECKF(rss_max <= 2 * rss0 + 16 * MiB, "RSS grew from %zu to %zu KiB", rss0 >> 10,
           rss_max >> 10);
    CHECKF(seg_max <= 2 * seg0 + 4, "segments grew from %zu to %zu", seg0, seg_max);
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atoi(argv[1]) : 20;
    int waves = argc > 2 ? atoi(argv[2]) : 20;
    watchdog(argc > 3 ? (unsigned)atoi(argv[3]) : 120);
    same_block_back();
    ring(waves);
    long failures = atomic_load(&check_failures);
    printf("reuse: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
