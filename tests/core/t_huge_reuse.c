/*
 * t_huge_reuse.c - freed huge blocks are reused without faulting their
 * pages in again: a request bigger than every cached mapping is built
 * from several of them (pages moved with mremap), a much smaller one
 * splits a cached mapping and leaves the rest cached.  Page faults are
 * counted with getrusage; blocks built from pieces must behave like any
 * other (realloc keeps the content, first-class heaps release them), and
 * a long churn must not leave the process with ever more mappings.
 */
#include <sys/resource.h>

#include "core.h"

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Writes one word per page, as a program filling the block would. */
static void touch(void *p, size_t n)
{
    for (size_t off = 0; off < n; off += 4096)
        ((volatile char *)p)[off] = 1;
}

/* Faults taken while allocating and touching `n` bytes, in *out. */
static long faults_for(size_t n, void **out)
{
    long before = minor_faults();
    *out = ox_malloc(n);
    CHECK(*out != NULL);
    if (*out)
        touch(*out, n);
    return minor_faults() - before;
}

static void free_all(void **p, int n)
{
    for (int i = 0; i < n; i++)
        ox_free(p[i]);
}

/* Freed huge blocks are cached only once huge blocks are seen cycling
 * (huge.c): a block mapped soon after another was freed uncached. */
static void start_cycling(void)
{
    for (int i = 0; i < 2; i++)
        ox_free(ox_malloc(2 * MiB));
}

void test_huge_reuse_assembled(void)
{
    void *p[4];
    start_cycling();
    for (int i = 0; i < 4; i++) {
        p[i] = ox_malloc(6 * MiB);
        CHECK(p[i] != NULL);
        if (p[i])
            touch(p[i], 6 * MiB);
    }
    free_all(p, 4);
    void *big;
    long faults = faults_for(20 * MiB, &big);
    long pages = (long)(20 * MiB / 4096);
    printf("20 MiB from four cached 6 MiB mappings: %ld faults (%ld pages)\n",
           faults, pages);
    CHECKF(faults < pages / 4, "%ld faults for %ld pages", faults, pages);
    ox_free(big);
}

void test_huge_reuse_split(void)
{
    start_cycling();
    void *p = ox_malloc(40 * MiB);
    CHECK(p != NULL);
    if (p)
        touch(p, 40 * MiB);
    ox_free(p);
    void *small, *big;
    faults_for(2 * MiB, &small);
    long faults = faults_for(30 * MiB, &big);
    long pages = (long)(30 * MiB / 4096);
    printf("30 MiB after 2 MiB from a cached 40 MiB mapping: %ld faults "
           "(%ld pages)\n", faults, pages);
    CHECKF(faults < pages / 4, "%ld faults for %ld pages", faults, pages);
    ox_free(small);
    ox_free(big);
}

/* A block made of pieces grows (in place or by a copy), shrinks and grows
 * again with its content intact. */
void test_huge_reuse_realloc(void)
{
    void *p[5];
    for (int i = 0; i < 5; i++) {
        p[i] = ox_malloc((size_t)(3 + i) * MiB);
        CHECK(p[i] != NULL);
        if (p[i])
            touch(p[i], (size_t)(3 + i) * MiB);
    }
    free_all(p, 5);
    static const size_t steps[] = { 24 * MiB, 60 * MiB, 9 * MiB, 1 * MiB,
                                    33 * MiB, 2 * MiB };
    size_t size = 22 * MiB;
    char *b = ox_malloc(size);
    CHECK(b != NULL);
    if (!b)
        return;
    pat_fill(b, size, 42);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char *q = ox_realloc(b, steps[i]);
        CHECKF(q != NULL, "realloc to %zu", steps[i]);
        if (!q)
            break;
        size_t keep = steps[i] < size ? steps[i] : size;
        CHECKF(pat_ok(q, keep, 42), "realloc %zu -> %zu lost content", size,
               steps[i]);
        CHECK(ox_usable_size(q) >= steps[i]);
        b = q;
        size = steps[i];
        pat_fill(b, size, 42);
    }
    ox_free(b);
}

/* First-class heaps: huge blocks built from the cache are theirs, and
 * ox_heap_destroy releases them. */
void test_huge_reuse_heap(void)
{
    ox_heap_t *h = ox_heap_new();
    CHECK(h != NULL);
    if (!h)
        return;
    void *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = ox_heap_malloc(h, (size_t)(4 + i) * MiB);
        CHECK(p[i] != NULL);
        if (p[i])
            touch(p[i], (size_t)(4 + i) * MiB);
    }
    for (int i = 0; i < 4; i++)
        ox_heap_free(p[i]);
    void *big = ox_heap_malloc(h, 20 * MiB);
    CHECK(big != NULL);
    if (big) {
        blk_fill(big, 20 * MiB);
        CHECK(blk_ok(big, 20 * MiB));
        CHECK(ox_owns(big));
    }
    ox_heap_destroy(h);
    if (big)
        CHECK(!ox_owns(big));
}

/* Pieces are bounded: a long churn of huge blocks of random sizes keeps
 * the number of mappings of the process bounded. */
void test_huge_reuse_bounded_maps(void)
{
    enum { LIVE = 12, STEPS = 1500 };
    void *p[LIVE] = { 0 };
    size_t sz[LIVE] = { 0 };
    rng_t r = rng_make(5);
    long base = maps_count(), most = 0;
    for (int step = 0; step < STEPS; step++) {
        int i = (int)rng_below(&r, LIVE);
        if (p[i]) {
            CHECKF(blk_ok(p[i], 4096), "block %d changed", i);
            ox_free(p[i]);
        }
        sz[i] = (size_t)(1 + rng_below(&r, 24)) * MiB + rng_below(&r, MiB);
        p[i] = ox_malloc(sz[i]);
        CHECK(p[i] != NULL);
        if (!p[i])
            break;
        touch(p[i], sz[i]);
        blk_fill(p[i], 4096);
        long now = maps_count() - base;
        if (now > most)
            most = now;
    }
    printf("at most %ld mappings more than at the start\n", most);
    /* Each block and cached mapping may be a few dozen pieces. */
    CHECKF(most < 40 * (LIVE + 16), "%ld mappings", most);
    free_all(p, LIVE);
}

/* More freed huge blocks than the cache has slots, within its byte limit:
 * the ones that find no slot are unmapped, the others reused. */
void test_huge_reuse_full_cache(void)
{
    enum { N = 80 };
    void *p[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            size_t s = MiB + (size_t)i * 4096;
            p[i] = ox_malloc(s);
            CHECK(p[i] != NULL);
            if (p[i])
                blk_fill(p[i], s);
        }
        for (int i = 0; i < N; i++) {
            if (!p[i])
                continue;
            CHECKF(blk_ok(p[i], MiB + (size_t)i * 4096), "block %d changed", i);
            ox_free(p[i]);
        }
    }
}

/* The cache may grow with the live huge bytes, and shrinks with them: once
 * every block is freed it holds about OXALLOC_HUGE_CACHE_MB (64 MiB by
 * default), not the whole working set, even before the purge delay. */
void test_huge_reuse_cache_follows_live(void)
{
    enum { N = 48 };
    void *p[N];
    size_t base = rss_bytes();
    for (int i = 0; i < N; i++) {
        p[i] = ox_malloc(8 * MiB);
        CHECK(p[i] != NULL);
        if (p[i])
            touch(p[i], 8 * MiB);
    }
    size_t peak = rss_bytes();
    free_all(p, N);
    size_t after = rss_bytes();
    printf("rss before %zu MiB, with 384 MiB live %zu MiB, right after free "
           "%zu MiB\n", base >> 20, peak >> 20, after >> 20);
    CHECKF(after <= base + 80 * MiB, "%zu MiB still resident", after >> 20);
}
