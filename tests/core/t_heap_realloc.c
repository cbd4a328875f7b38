/*
 * t_heap_realloc.c - ox_heap_realloc and ox_heap_realloc_aligned: a block
 * of a first-class heap keeps its bytes and alignment through a chain of
 * resizes across every range, stays in place while its usable size holds
 * the new size, and, when it has to move, moves within its heap (so that
 * destroying the heap frees it); NULL, size 0, a refused size and a bad
 * alignment behave as include/oxalloc.h says.
 */
#include <errno.h>

#include "core.h"

static size_t live_blocks(void)
{
    ox_stats_t s;
    ox_stats_get(&s);
    return s.allocated_blocks;
}

/* A chain of resizes of one heap block through every range and back. */
static void *chain(ox_heap_t *heap, size_t align)
{
    static const size_t sizes[] = { 24, 300, 4000, 60000, 900000, 5 * MiB,
                                    9 * MiB, 200, 8 };
    size_t s = sizes[0];
    void *p = ox_heap_alloc_aligned(heap, s, align);
    CHECK(p != NULL);
    if (!p)
        return NULL;
    blk_fill(p, s);
    for (size_t i = 1; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t ns = sizes[i], keep = s < ns ? s : ns;
        uint64_t seed = pat_seed(p, s);
        void *q = ox_heap_realloc_aligned(heap, p, ns, align);
        CHECKF(q != NULL, "heap realloc %zu -> %zu (align %zu) = NULL", s, ns, align);
        if (!q)
            return p;
        CHECKF(is_aligned(q, align), "%p not %zu-aligned", q, align);
        CHECKF(pat_ok(q, keep, seed), "heap realloc %zu -> %zu lost content", s, ns);
        CHECK(ox_usable_size(q) >= ns);
        blk_fill(q, ns);
        p = q;
        s = ns;
    }
    return p;
}

void test_heap_realloc(void)
{
    size_t before = live_blocks();
    ox_heap_t *heap = ox_heap_new();
    CHECK(heap != NULL);
    if (!heap)
        return;
    for (int k = 0; k < 16; k++)
        chain(heap, (size_t)16 << (k % 4 * 3)); /* 16, 128, 1024, 8192 */
    CHECKF(live_blocks() == before + 16, "live blocks %zu, want %zu",
           live_blocks(), before + 16);

    /* Within the usable size: the same block, growing or shrinking. */
    void *p = ox_heap_malloc(heap, 1000);
    size_t usable = ox_usable_size(p);
    CHECK(ox_heap_realloc(heap, p, usable) == p);
    CHECK(ox_heap_realloc(heap, p, 900) == p);

    /* Refused: NULL/ENOMEM, the block intact; bad alignment: EINVAL. */
    blk_fill(p, 900);
    errno = 0;
    CHECK(ox_heap_realloc(heap, p, SIZE_MAX - 4096) == NULL && errno == ENOMEM);
    CHECK(blk_ok(p, 900));
    errno = 0;
    CHECK(ox_heap_realloc_aligned(heap, p, 2000, 48) == NULL && errno == EINVAL);
    CHECK(blk_ok(p, 900));

    /* NULL is an allocation from the heap; size 0 frees. */
    void *n = ox_heap_realloc(heap, NULL, 64);
    CHECK(n != NULL && ox_owns(n));
    CHECK(ox_heap_realloc(heap, n, 0) == NULL);

    /* Every block that moved is the heap's: destroying it frees them. */
    ox_heap_destroy(heap);
    CHECKF(live_blocks() == before, "live blocks %zu after ox_heap_destroy, want %zu",
           live_blocks(), before);
}
