/*
 * t_zero.c - zeroed allocation: rust_alloc_zeroed and ox_calloc return
 * memory that reads as zero in every range, also when the blocks they
 * return are reused ones that were dirtied before being freed.
 */
#include "core.h"

static const size_t zero_sizes[] = { 1, 8, 24, 100, 1000, 4000, 20000,
                                     100000, 600000, 3 * MiB, 9 * MiB,
                                     33 * MiB };
#define NZS (sizeof zero_sizes / sizeof zero_sizes[0])

/* How many blocks of size s per round: many small ones, a few big ones. */
static size_t count_for(size_t s)
{
    size_t n = 8 * MiB / s;
    return n < 3 ? 3 : n > 256 ? 256 : n;
}

/* Allocates n blocks of size s, dirties their whole usable range, frees
 * them: the next allocations of this size are likely these blocks. */
static void dirty_round(size_t s, size_t a, size_t n)
{
    void *p[256];
    for (size_t i = 0; i < n; i++) {
        p[i] = rust_alloc(s, a);
        CHECK(p[i] != NULL);
        if (p[i])
            memset(p[i], 0xA5, ox_usable_size(p[i]));
    }
    for (size_t i = 0; i < n; i++)
        if (p[i])
            rust_dealloc(p[i], s, a);
}

static void zeroed_round(size_t s, size_t a, size_t n, bool use_calloc)
{
    void *p[256];
    for (size_t i = 0; i < n; i++) {
        p[i] = use_calloc ? ox_calloc(s / 4 ? 4 : 1, s / 4 ? s / 4 : s)
                          : rust_alloc_zeroed(s, a);
        CHECK(p[i] != NULL);
        if (!p[i])
            continue;
        size_t len = use_calloc ? (s / 4 ? s / 4 * 4 : s) : s;
        CHECKF(all_zero(p[i], len), "%s(%zu, align %zu) #%zu not zero",
               use_calloc ? "ox_calloc" : "rust_alloc_zeroed", s, a, i);
        memset(p[i], 0x5A, len); /* dirty again for the next round */
    }
    for (size_t i = 0; i < n; i++) {
        if (!p[i])
            continue;
        if (use_calloc)
            ox_free(p[i]);
        else
            rust_dealloc(p[i], s, a);
    }
}

static void zero_all(bool use_calloc)
{
    static const size_t aligns[] = { 1, 16, 64, 4096, (size_t)1 << 21 };
    for (size_t i = 0; i < NZS; i++) {
        size_t s = zero_sizes[i], n = count_for(s);
        for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++) {
            size_t a = use_calloc ? 16 : aligns[k];
            for (int round = 0; round < 3; round++) {
                dirty_round(s, a, n);
                zeroed_round(s, a, n, use_calloc);
            }
            if (use_calloc)
                break;
        }
    }
}

void test_zeroed_rust(void) { zero_all(false); }
void test_zeroed_calloc(void) { zero_all(true); }

/* Run with OXALLOC_PURGE_DELAY=0: freed pages are returned at once, so the
 * zeroed calls meet purged pages as well as dirty ones. */
void test_zeroed_purge_now(void)
{
    zero_all(false);
    zero_all(true);
}
