/*
 * t_sizes.c - size 0 and usable sizes: zero-size requests give unique,
 * aligned, freeable non-NULL pointers through every call; ox_usable_size
 * is at least the request and every usable byte can be written.
 */
#include <stdlib.h>

#include "core.h"

#define NZERO 200

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a,
              y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

static void check_unique(void **p, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        CHECKF(p[i] != NULL, "%s #%zu = NULL", what, i);
    qsort(p, n, sizeof p[0], cmp_ptr);
    for (size_t i = 1; i < n; i++)
        CHECKF(p[i] != p[i - 1], "%s returned %p twice", what, p[i]);
}

void test_size_zero(void)
{
    static void *p[NZERO];
    static const size_t aligns[] = { 1, 8, 16, 64, 4096, (size_t)1 << 21 };
    for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++) {
        size_t a = aligns[k];
        for (int i = 0; i < NZERO; i++) {
            p[i] = i & 1 ? rust_alloc_zeroed(0, a) : rust_alloc(0, a);
            CHECKF(p[i] && is_aligned(p[i], a), "rust_alloc(0, %zu) = %p", a,
                   p[i]);
        }
        check_unique(p, NZERO, "rust_alloc(0, a)");
        for (int i = 0; i < NZERO; i++)
            if (p[i])
                rust_dealloc(p[i], 0, a);
        for (int i = 0; i < NZERO; i++)
            p[i] = ox_aligned_alloc(a, 0);
        check_unique(p, NZERO, "ox_aligned_alloc(a, 0)");
        for (int i = 0; i < NZERO; i++)
            ox_free(p[i]);
    }
    for (int i = 0; i < NZERO; i++) {
        p[i] = i % 3 == 0 ? ox_malloc(0) : i % 3 == 1 ? ox_calloc(0, 7)
                                                      : ox_calloc(7, 0);
        CHECKF(is_aligned(p[i], 16), "zero-size ox block %p", p[i]);
    }
    check_unique(p, NZERO, "ox_malloc(0)/ox_calloc(0, n)");
    for (int i = 0; i < NZERO; i++)
        ox_free(p[i]);
    /* From and to size 0 through rust_realloc. */
    void *z = rust_alloc(0, 16);
    CHECK(z != NULL);
    if (!z)
        return;
    void *q = rust_realloc(z, 0, 16, 100);
    CHECK(q != NULL && is_aligned(q, 16));
    if (!q) {
        rust_dealloc(z, 0, 16);
        return;
    }
    blk_fill(q, 100);
    void *r = rust_realloc(q, 100, 16, 0);
    CHECKF(r != NULL, "rust_realloc(p, 100, 16, 0) = NULL");
    if (r)
        rust_dealloc(r, 0, 16);
    else
        rust_dealloc(q, 100, 16);
}

void test_usable_size(void)
{
    rng_t r = rng_make(7);
    for (int i = 0; i < 3000; i++) {
        /* log-uniform sizes from 1 byte to 16 MiB */
        size_t s = (size_t)1 << rng_below(&r, 24);
        s += rng_below(&r, s);
        size_t a = (size_t)1 << rng_below(&r, 13);
        void *p = i & 1 ? rust_alloc(s, a) : ox_malloc(s);
        CHECKF(p != NULL, "alloc %zu", s);
        if (!p)
            continue;
        size_t u = ox_usable_size(p);
        CHECKF(u >= s, "ox_usable_size = %zu for %zu bytes", u, s);
        if (u >= s) {
            blk_fill(p, u);
            CHECKF(blk_ok(p, u), "usable range of a %zu-byte block", s);
        }
        if (i & 1)
            rust_dealloc(p, s, a);
        else
            ox_free(p);
    }
}
