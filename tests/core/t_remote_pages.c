/*
 * t_remote_pages.c - blocks freed by another thread reach their owner
 * without help from the freeing thread: at once (nothing waits in the
 * freeing thread while it idles), from full pages as well as pages still
 * in use, and pages that such frees empty go back to the OS; also when
 * the owning threads exit while the frees arrive.
 */
#include <pthread.h>
#include <sched.h>

#include "core.h"

/* Live blocks of the class that serves `size`: the class whose live count
 * one probe block moves (the checked build serves a size from a larger
 * class than its usable size says). */
static size_t live_of_size(size_t size)
{
    ox_stats_t with, without;
    void *p = ox_malloc(size);
    CHECK(ox_stats_get(&with) == 0);
    ox_free(p);
    CHECK(ox_stats_get(&without) == 0);
    for (size_t c = 0; c < without.class_count; c++)
        if (with.classes[c].live_blocks == without.classes[c].live_blocks + 1)
            return without.classes[c].live_blocks;
    return 0;
}

/* ---- a freeing thread that then idles ------------------------------------ */

#define IDLE_SMALL 100 /* 512-byte blocks */
#define IDLE_MED 4     /* 20000-byte blocks */

static void *idle_blocks[IDLE_SMALL + IDLE_MED];
static pthread_barrier_t idle_barrier;

static void *idle_freer(void *arg)
{
    (void)arg;
    void *mine = ox_malloc(64); /* a heap of its own */
    for (int i = 0; i < IDLE_SMALL + IDLE_MED; i++)
        ox_free(idle_blocks[i]);
    pthread_barrier_wait(&idle_barrier); /* frees done */
    pthread_barrier_wait(&idle_barrier); /* the owner has looked */
    ox_free(mine);
    return NULL;
}

/* Frees made by a thread that stays alive but idle are the owner's at
 * once: ox_collect finds every one of them (none waits in a batch of the
 * freeing thread). */
void test_remote_frees_arrive_at_once(void)
{
    for (int i = 0; i < IDLE_SMALL + IDLE_MED; i++) {
        idle_blocks[i] = ox_malloc(i < IDLE_SMALL ? 512 : 20000);
        CHECK(idle_blocks[i] != NULL);
    }
    size_t small0 = live_of_size(512), med0 = live_of_size(20000);
    pthread_t t;
    pthread_barrier_init(&idle_barrier, NULL, 2);
    CHECK(pthread_create(&t, NULL, idle_freer, NULL) == 0);
    pthread_barrier_wait(&idle_barrier);
    ox_collect(false);
    size_t small1 = live_of_size(512), med1 = live_of_size(20000);
    pthread_barrier_wait(&idle_barrier);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&idle_barrier);
    printf("live 512 B blocks %zu -> %zu, 20000 B blocks %zu -> %zu while the "
           "freeing thread idles\n", small0, small1, med0, med1);
    CHECKF(small1 == 0 && med1 == 0,
           "%zu + %zu remotely freed blocks still live after ox_collect",
           small1, med1);
}

/* ---- full pages come back ------------------------------------------------- */

#define FULL_N 20000 /* 256-byte blocks: ~80 full pages */

static void *full_blocks[FULL_N];
static int full_from, full_to;

static void *full_freer(void *arg)
{
    (void)arg;
    for (int i = full_from; i < full_to; i++)
        ox_free(full_blocks[i]);
    return NULL;
}

static void free_remotely(int from, int to)
{
    pthread_t t;
    full_from = from;
    full_to = to;
    CHECK(pthread_create(&t, NULL, full_freer, NULL) == 0);
    pthread_join(t, NULL);
}

/* Pages that filled up (on the owner's full list) get their remotely
 * freed blocks back: a second round of the same allocations takes no new
 * pages, and the blocks freed in between no longer count as live. */
void test_remote_full_pages_return(void)
{
    for (int i = 0; i < FULL_N; i++) {
        full_blocks[i] = ox_malloc(256);
        CHECK(full_blocks[i] != NULL);
        blk_fill(full_blocks[i], 256);
    }
    for (int i = 0; i < FULL_N; i++)
        CHECK(blk_ok(full_blocks[i], 256));
    ox_stats_t s0, s1;
    CHECK(ox_stats_get(&s0) == 0);
    free_remotely(0, FULL_N);
    for (int i = 0; i < FULL_N; i++) {
        full_blocks[i] = ox_malloc(256);
        CHECK(full_blocks[i] != NULL);
    }
    CHECK(ox_stats_get(&s1) == 0);
    size_t live = live_of_size(256);
    printf("second round: pages in use %zu -> %zu, live 256 B blocks %zu\n",
           s0.pages_in_use, s1.pages_in_use, live);
    CHECKF(s1.pages_in_use <= s0.pages_in_use + 2, "pages in use %zu -> %zu",
           s0.pages_in_use, s1.pages_in_use);
    CHECKF(live <= FULL_N + 64, "%zu live blocks for %d allocated", live,
           FULL_N);
    for (int i = 0; i < FULL_N; i++)
        ox_free(full_blocks[i]);
}

/* Pages emptied only by remote frees - full ones, and ones still in their
 * class's queue (a local free made room in each) - go back to the OS. */
void test_remote_emptied_pages_purged(void)
{
    enum { N = 64 * 1024 }; /* 64 MiB of 1 KiB blocks */
    static void *p[N];
    size_t base = rss_bytes();
    for (int i = 0; i < N; i++) {
        p[i] = ox_malloc(1024);
        CHECK(p[i] != NULL);
        memset(p[i], 1, 1024);
    }
    size_t peak = rss_bytes();
    /* Half the pages get one local free (back to their class queue). */
    for (int i = 0; i < N / 2; i += 64) {
        ox_free(p[i]);
        p[i] = NULL;
    }
    static void *rest[N];
    int n = 0;
    for (int i = 0; i < N; i++)
        if (p[i])
            rest[n++] = p[i];
    /* Freed by another thread, FULL_N at a time (free_remotely's array). */
    for (int from = 0; from < n; from += FULL_N) {
        int k = n - from < FULL_N ? n - from : FULL_N;
        memcpy(full_blocks, rest + from, sizeof(void *) * (size_t)k);
        free_remotely(0, k);
    }
    ox_collect(false);
    size_t after = rss_bytes();
    printf("RSS: base %zu KiB, peak %zu KiB, after remote frees and "
           "ox_collect %zu KiB\n", base >> 10, peak >> 10, after >> 10);
    CHECKF(after <= base + (peak - base) / 4,
           "RSS %zu KiB after the remote frees (peak %zu KiB)", after >> 10,
           peak >> 10);
}

/* ---- owners exiting while their blocks are freed -------------------------- */

#define EX_OWNERS 24
#define EX_BLOCKS 3000

static void *ex_blocks[EX_OWNERS][EX_BLOCKS];
static _Atomic int ex_ready[EX_OWNERS];

static void *ex_owner(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < EX_BLOCKS; i++) {
        ex_blocks[me][i] = ox_malloc(48 + (size_t)(i % 8) * 16);
        CHECK(ex_blocks[me][i] != NULL);
    }
    atomic_store(&ex_ready[me], 1);
    return NULL; /* exits while the freer frees its blocks */
}

static void *ex_freer(void *arg)
{
    (void)arg;
    for (int o = 0; o < EX_OWNERS; o++) {
        while (!atomic_load(&ex_ready[o]))
            sched_yield();
        for (int i = 0; i < EX_BLOCKS; i++)
            ox_free(ex_blocks[o][i]);
    }
    return NULL;
}

/* Remote frees racing with their owners' exit: every block reaches its
 * page (the heaps' live counts end at 0) and the pages go back. */
void test_remote_free_into_exiting(void)
{
    pthread_t f, o[EX_OWNERS];
    CHECK(pthread_create(&f, NULL, ex_freer, NULL) == 0);
    for (int i = 0; i < EX_OWNERS; i++)
        CHECK(pthread_create(&o[i], NULL, ex_owner, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < EX_OWNERS; i++)
        pthread_join(o[i], NULL);
    pthread_join(f, NULL);
    ox_collect(true);
    ox_stats_t s;
    CHECK(ox_stats_get(&s) == 0);
    size_t live = 0;
    for (size_t c = 0; c < s.class_count; c++)
        if (s.classes[c].block_size >= 48 && s.classes[c].block_size <= 160)
            live += s.classes[c].live_blocks;
    printf("after %d owners exited during remote frees: %zu live blocks, "
           "%zu pages, %zu segments in use\n", EX_OWNERS, live,
           s.pages_in_use, s.segments_in_use);
    CHECKF(live == 0, "%zu blocks still live", live);
    CHECKF(s.segments_in_use <= 2, "%zu segments still in use",
           s.segments_in_use);
}

/* ---- sampled blocks freed by another thread ------------------------------- */

#define SAMPLED_N 2000

static void *sampled[SAMPLED_N];

static void *sampled_freer(void *arg)
{
    (void)arg;
    for (int i = 1; i < SAMPLED_N; i += 4)
        ox_free(sampled[i]);
    return NULL;
}

/* With every allocation sampled, blocks come from the pages of sampled
 * blocks, which stay on the full list.  A quarter is freed by another
 * thread, a quarter here (their page's local list), half stays live; the
 * owner then takes the remote quarter back (ox_collect, and allocations)
 * without spinning or losing a block. */
void test_remote_free_sampled_blocks(void)
{
    CHECK(ox_prof_start(1) == 0);
    for (int i = 0; i < SAMPLED_N; i++) {
        sampled[i] = ox_malloc(64);
        CHECK(sampled[i] != NULL);
    }
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sampled_freer, NULL) == 0);
    pthread_join(t, NULL);
    for (int i = 2; i < SAMPLED_N; i += 4)
        ox_free(sampled[i]);
    ox_collect(false);
    for (int i = 1; i < SAMPLED_N; i += 4) {
        sampled[i] = ox_malloc(64);
        CHECK(sampled[i] != NULL);
    }
    size_t live = live_of_size(64);
    printf("sampled 64 B blocks live: %zu (%d expected)\n", live,
           SAMPLED_N / 4 * 3);
    CHECKF(live == SAMPLED_N / 4 * 3, "%zu live", live);
    for (int i = 0; i < SAMPLED_N; i++)
        if (i % 4 != 2)
            ox_free(sampled[i]);
    ox_prof_stop();
}
