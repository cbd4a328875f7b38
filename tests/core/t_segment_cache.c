/*
 * t_segment_cache.c - the cache of empty segments.  A program that builds
 * and drops a structure bigger than the cache, over and over, gets its
 * segments back from the cache after the first cycles (no fresh mapping:
 * no OS call at all); a single large free, with no such cycle before it,
 * still leaves only the base number of segments resident; and growth that
 * stays unused for the purge delay is given back.  The runner sets the
 * purge delay (10 s, or 100 ms for the decay test).
 */
#include <time.h>

#include "core.h"

#define CYCLE_BLOCK  (48 * KiB) /* medium pages: 32 pages of 128 KiB per segment */
#define CYCLE_BLOCKS 2048       /* 96 MiB: about 24 segments, 3 times the base cache */
#define BASE_CACHE   (8 * 4 * MiB)

static void *blocks[CYCLE_BLOCKS];

static size_t os_calls(void)
{
    ox_stats_t s;
    ox_stats_get(&s);
    return s.os_calls;
}

/* Allocate the cycle's blocks (writing one byte of each) and free them;
 * returns the OS calls made while allocating. */
static size_t one_cycle(void)
{
    size_t before = os_calls();
    for (int i = 0; i < CYCLE_BLOCKS; i++) {
        blocks[i] = ox_malloc(CYCLE_BLOCK);
        CHECK(blocks[i] != NULL);
        if (blocks[i])
            *(volatile char *)blocks[i] = 1;
    }
    size_t calls = os_calls() - before;
    for (int i = 0; i < CYCLE_BLOCKS; i++)
        ox_free(blocks[i]);
    return calls;
}

void test_segment_cache_cycles(void)
{
    size_t first = one_cycle(), second = one_cycle();
    size_t third = one_cycle(), fourth = one_cycle();
    printf("OS calls while allocating 96 MiB, cycles 1-4: %zu %zu %zu %zu\n",
           first, second, third, fourth);
    CHECKF(first > 0, "the first cycle mapped nothing (%zu calls)", first);
    CHECKF(third == 0 && fourth == 0,
           "segments were mapped again in cycles 3-4 (%zu, %zu OS calls)",
           third, fourth);
}

/* Allocate 256 MiB in 48 KiB blocks at once, free them: RSS after the free
 * is within the base cache (and a class's kept page) of RSS before. */
static void one_big_free(const char *what)
{
    size_t n = 256 * MiB / CYCLE_BLOCK;
    void **p = ox_malloc(n * sizeof *p);
    CHECK(p != NULL);
    if (!p)
        return;
    memset(p, 0, n * sizeof *p);
    size_t base = rss_bytes();
    for (size_t i = 0; i < n; i++) {
        p[i] = ox_malloc(CYCLE_BLOCK);
        CHECK(p[i] != NULL);
        if (p[i])
            memset(p[i], 1, CYCLE_BLOCK);
    }
    size_t peak = rss_bytes();
    for (size_t i = 0; i < n; i++)
        ox_free(p[i]);
    size_t after = rss_bytes();
    ox_free(p);
    printf("%s: rss before %zu MiB, peak %zu MiB, after free %zu MiB\n",
           what, base >> 20, peak >> 20, after >> 20);
    CHECKF(after <= base + BASE_CACHE + 8 * MiB,
           "%s: RSS %zu MiB after the free (%zu before, %zu peak)", what,
           after >> 20, base >> 20, peak >> 20);
}

void test_segment_cache_one_big_free(void)
{
    one_big_free("one big free");
}

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Enough allocation slow paths for the allocator to look at the clock and
 * expire what waited for the purge delay. */
static void slow_paths(void)
{
    void *p[64];
    for (int i = 0; i < 64; i++)
        p[i] = ox_malloc(8 * KiB);
    for (int i = 0; i < 64; i++)
        ox_free(p[i]);
}

void test_segment_cache_growth_decays(void)
{
    for (int i = 0; i < 4; i++)
        one_cycle(); /* the cache grows (if each cycle takes < 100 ms) */
    for (int i = 0; i < 20; i++) {
        nap_ms(50);
        slow_paths();
    }
    one_big_free("after the growth expired");
}
