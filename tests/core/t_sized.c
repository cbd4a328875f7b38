/*
 * t_sized.c - sized deallocation: ox_free_sized, ox_free_aligned_sized and
 * rust_dealloc with the exact layout, over every class size.  The release
 * build trusts the size to find the block's class, so a mistake there puts
 * blocks on the wrong list; each test therefore reallocates after the
 * sized frees and checks, with patterns, that no two live blocks overlap.
 */
#include "core.h"

#define NLIVE 24
#define MAXS 2048

/* Allocates NLIVE blocks (2 when big) of each of sizes s-1, s, s+1 with `alloc`, fills
 * them, verifies them all together (an overlap shows), frees with
 * `release`.  Two rounds, so that the second one reuses sized-freed
 * blocks. */
typedef void *(*alloc_fn)(size_t s, size_t a);
typedef void (*release_fn)(void *p, size_t s, size_t a);

static void rounds(size_t s, size_t a, alloc_fn alloc, release_fn release)
{
    void *p[3][NLIVE];
    int live = s > 2 * MiB / NLIVE ? 2 : NLIVE; /* bound the bytes written */
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < live; i++) {
                size_t n = s + (size_t)k - 1;
                p[k][i] = alloc(n, a);
                CHECKF(p[k][i] && is_aligned(p[k][i], a),
                       "alloc(%zu, %zu) = %p", n, a, p[k][i]);
                if (p[k][i])
                    blk_fill(p[k][i], n);
            }
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < live; i++) {
                size_t n = s + (size_t)k - 1;
                if (!p[k][i])
                    continue;
                CHECKF(blk_ok(p[k][i], n),
                       "size %zu align %zu: block overwritten (overlap?)", n,
                       a);
                release(p[k][i], n, a);
            }
    }
}

static void *a_ox(size_t s, size_t a) { (void)a; return ox_malloc(s); }
static void r_ox(void *p, size_t s, size_t a) { (void)a; ox_free_sized(p, s); }
static void *a_al(size_t s, size_t a) { return ox_aligned_alloc(a, s); }
static void r_al(void *p, size_t s, size_t a) { ox_free_aligned_sized(p, a, s); }
static void *a_rust(size_t s, size_t a) { return rust_alloc(s, a); }
static void r_rust(void *p, size_t s, size_t a) { rust_dealloc(p, s, a); }

/* The class sizes below `max`, at least 1 so that s-1 >= 0. */
static size_t class_list(size_t *out, size_t max)
{
    size_t n = probe_class_sizes(out, MAXS, max);
    return n;
}

void test_sized_free_ox(void)
{
    static size_t cls[MAXS];
    size_t n = class_list(cls, 4 * MiB);
    for (size_t i = 0; i < n; i++)
        rounds(cls[i], 16, a_ox, r_ox);
}

void test_sized_free_aligned(void)
{
    static size_t cls[MAXS];
    size_t n = class_list(cls, 1 * MiB);
    static const size_t aligns[] = { 1, 8, 32, 64, 128, 512, 4096, 65536 };
    for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++)
        for (size_t i = 0; i < n; i++)
            rounds(cls[i], aligns[k], a_al, r_al);
    /* A few big alignments with small sizes: over-aligned small blocks are
     * where sized frees have crashed other allocators. */
    for (int lg = 17; lg <= 26; lg += 3)
        for (size_t s = 8; s <= 8192; s *= 8)
            rounds(s, (size_t)1 << lg, a_al, r_al);
}

void test_sized_dealloc_rust(void)
{
    static size_t cls[MAXS];
    size_t n = class_list(cls, 4 * MiB);
    static const size_t aligns[] = { 1, 16, 64, 4096 };
    for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++)
        for (size_t i = 0; i < n; i++)
            rounds(cls[i], aligns[k], a_rust, r_rust);
    for (int lg = 13; lg <= 26; lg += 3)
        for (size_t s = 8; s <= 8192; s *= 8)
            rounds(s, (size_t)1 << lg, a_rust, r_rust);
    /* After a realloc the block is released with the new layout. */
    for (size_t i = 0; i + 1 < n; i += 3) {
        void *p = rust_alloc(cls[i], 64);
        CHECK(p != NULL);
        if (!p)
            continue;
        void *q = rust_realloc(p, cls[i], 64, cls[i + 1] + 1);
        CHECK(q != NULL);
        rust_dealloc(q ? q : p, q ? cls[i + 1] + 1 : cls[i], 64);
    }
}

/* After ox_realloc, a block is a realloc result: it may be released with
 * ox_free_sized and its new size (C23 free_sized), also when it came from
 * ox_aligned_alloc and did not move. */
void test_sized_free_after_realloc(void)
{
    static const size_t sz[] = { 1, 153, 4000, 70000, 3 * MiB };
    static const size_t aligns[] = { 1, 8, 16, 64, 4096 };
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
        for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++) {
            for (int grow = 0; grow < 2; grow++) {
                size_t s = sz[i], ns = grow ? 2 * s + 1 : s;
                void *p = ox_aligned_alloc(aligns[k], s);
                CHECK(p != NULL);
                if (!p)
                    continue;
                blk_fill(p, s);
                uint64_t seed = pat_seed(p, s);
                void *q = ox_realloc(p, ns);
                CHECK(q != NULL);
                if (!q) {
                    ox_free(p);
                    continue;
                }
                CHECK(pat_ok(q, s, seed));
                ox_free_sized(q, ns);
            }
        }
}
