/*
 * t_align.c - size classes and alignment: the class sizes found through
 * ox_usable_size, then every power-of-two alignment from 1 to 2^26 with
 * every class size and +-1 of it, through rust_alloc and ox_aligned_alloc:
 * the result is aligned, its usable size covers the request, and the whole
 * usable range is writable and keeps its content.
 */
#include <stdlib.h>

#include "core.h"

#define MAX_SIZES 2048
#define ALIGN_MAX_LOG 26
#define TEST_MAX_SIZE (64 * MiB + 1)

static size_t probe_one(size_t s)
{
    void *p = rust_alloc(s, 1);
    CHECKF(p != NULL, "rust_alloc(%zu, 1) failed", s);
    if (!p)
        return 0;
    size_t u = ox_usable_size(p);
    rust_dealloc(p, s, 1);
    return u;
}

size_t probe_class_sizes(size_t *out, size_t cap, size_t max)
{
    size_t n = 0, s = 1;
    while (s <= max && n < cap) {
        size_t u = probe_one(s);
        CHECKF(u >= s, "usable size %zu of a %zu-byte block", u, s);
        if (u < s) { /* keep going with a sample, do not loop forever */
            s += s / 8 + 1;
            continue;
        }
        out[n++] = u;
        /* Where classes are as fine as pages (huge blocks) sample instead
         * of walking every page. */
        if (u - s + 1 < s / 32)
            s += s / 8;
        else
            s = u + 1;
    }
    return n;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

size_t test_sizes(size_t *out, size_t cap, size_t max)
{
    static const size_t fixed[] = {
        0, 1, 15, 16, 17, 4095, 4096, 4097, 65535, 65536, 65537,
        524287, 524288, 524289, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 64 * MiB,
    };
    size_t classes[MAX_SIZES];
    size_t nc = probe_class_sizes(classes, MAX_SIZES, max);
    size_t n = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && n < cap; i++)
        if (fixed[i] <= max)
            out[n++] = fixed[i];
    for (size_t i = 0; i < nc && n + 3 <= cap; i++) {
        out[n++] = classes[i] - 1;
        out[n++] = classes[i];
        out[n++] = classes[i] + 1;
    }
    qsort(out, n, sizeof out[0], cmp_size);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || out[i] != out[u - 1])
            out[u++] = out[i];
    return u;
}

bool fill_and_verify(void *p, size_t n, size_t full_limit, size_t stride)
{
    if (n <= full_limit) {
        blk_fill(p, n);
        return blk_ok(p, n);
    }
    /* Sparse: first and last 4 KiB in full, one word per stride between. */
    unsigned char *c = p;
    uint64_t seed = pat_seed(p, n);
    pat_fill(c, 4096, seed);
    pat_fill(c + n - 4096, 4096, seed + 1);
    for (size_t off = 4096; off + 8 <= n - 4096; off += stride)
        pat_fill(c + off, 8, seed + off);
    bool ok = pat_ok(c, 4096, seed) && pat_ok(c + n - 4096, 4096, seed + 1);
    for (size_t off = 4096; ok && off + 8 <= n - 4096; off += stride)
        ok = pat_ok(c + off, 8, seed + off);
    return ok;
}

/* The classes are increasing, stable (a block of a class size has exactly
 * that usable size) and waste less than a quarter of the request. */
void test_class_probe(void)
{
    size_t cls[MAX_SIZES];
    size_t n = probe_class_sizes(cls, MAX_SIZES, TEST_MAX_SIZE);
    CHECKF(n > 16, "only %zu classes found", n);
    printf("probed %zu class sizes up to %zu:", n, n ? cls[n - 1] : 0);
    for (size_t i = 0; i < n && i < 48; i++)
        printf(" %zu", cls[i]);
    printf("%s\n", n > 48 ? " ..." : "");
    for (size_t i = 1; i < n; i++)
        CHECKF(cls[i] > cls[i - 1], "class %zu (%zu) after %zu", i, cls[i],
               cls[i - 1]);
    for (size_t i = 0; i < n; i++) {
        size_t u = probe_one(cls[i]);
        CHECKF(u == cls[i], "block of class size %zu has usable %zu", cls[i], u);
    }
    for (size_t i = 1; i < n; i++) {
        size_t s = cls[i - 1] + 1, u = probe_one(s);
        CHECKF(u <= s + s / 4 + 64, "size %zu gets %zu usable bytes", s, u);
    }
}

/* Full fill up to 1 MiB, then every page up to 64 MiB, with larger strides
 * for the middle alignments to keep the matrix within seconds. */
static size_t stride_for(int lg)
{
    return (lg == 0 || lg == 4 || lg == 12 || lg == 21 || lg == 26) ? 4096
                                                                     : 65536;
}

static void one_rust(size_t s, size_t a, int lg)
{
    void *p = rust_alloc(s, a);
    CHECKF(p != NULL, "rust_alloc(%zu, %zu) = NULL", s, a);
    if (!p)
        return;
    CHECKF(is_aligned(p, a), "rust_alloc(%zu, %zu) = %p", s, a, p);
    size_t u = ox_usable_size(p);
    CHECKF(u >= s, "rust_alloc(%zu, %zu): usable %zu", s, a, u);
    if (u >= s && u)
        CHECKF(fill_and_verify(p, u, MiB, stride_for(lg)),
               "rust_alloc(%zu, %zu) = %p: usable range %zu lost content", s,
               a, p, u);
    rust_dealloc(p, s, a);
}

static void one_ox(size_t s, size_t a, int lg)
{
    void *p = ox_aligned_alloc(a, s);
    CHECKF(p != NULL, "ox_aligned_alloc(%zu, %zu) = NULL", a, s);
    if (!p)
        return;
    CHECKF(is_aligned(p, a), "ox_aligned_alloc(%zu, %zu) = %p", a, s, p);
    size_t u = ox_usable_size(p);
    CHECKF(u >= s, "ox_aligned_alloc(%zu, %zu): usable %zu", a, s, u);
    if (u >= s && u)
        CHECKF(fill_and_verify(p, u, MiB, stride_for(lg)),
               "ox_aligned_alloc(%zu, %zu) = %p: usable range lost content",
               a, s, p);
    ox_free(p);
}

static void align_matrix(void (*one)(size_t, size_t, int))
{
    static size_t sizes[3 * MAX_SIZES];
    size_t n = test_sizes(sizes, 3 * MAX_SIZES, TEST_MAX_SIZE);
    for (int lg = 0; lg <= ALIGN_MAX_LOG; lg++)
        for (size_t i = 0; i < n; i++)
            one(sizes[i], (size_t)1 << lg, lg);
    printf("%d alignments x %zu sizes\n", ALIGN_MAX_LOG + 1, n);
}

void test_align_rust_all(void) { align_matrix(one_rust); }
void test_align_ox_all(void) { align_matrix(one_ox); }

/* The sizes the issue names, through every allocation call, several blocks
 * live at once so that neighbours would show an overlap. */
void test_fixed_sizes(void)
{
    static const size_t sz[] = {
        0, 1, 15, 16, 17, 4095, 4096, 4097, 65535, 65536, 65537,
        524287, 524288, 524289, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 64 * MiB,
    };
    enum { N = sizeof sz / sizeof sz[0] };
    void *p[4][N];
    for (size_t i = 0; i < N; i++) {
        p[0][i] = rust_alloc(sz[i], 16);
        p[1][i] = ox_malloc(sz[i]);
        p[2][i] = ox_calloc(1, sz[i]);
        p[3][i] = rust_alloc_zeroed(sz[i], 8);
        for (int k = 0; k < 4; k++) {
            CHECKF(p[k][i] && is_aligned(p[k][i], 8), "api %d size %zu: %p", k,
                   sz[i], p[k][i]);
            if (k >= 2 && p[k][i])
                CHECKF(all_zero(p[k][i], sz[i]), "api %d size %zu not zero", k,
                       sz[i]);
            if (p[k][i])
                blk_fill(p[k][i], sz[i]);
        }
    }
    for (size_t i = 0; i < N; i++)
        for (int k = 0; k < 4; k++)
            if (p[k][i])
                CHECKF(blk_ok(p[k][i], sz[i]), "api %d size %zu overwritten",
                       k, sz[i]);
    for (size_t i = 0; i < N; i++) {
        if (p[0][i]) rust_dealloc(p[0][i], sz[i], 16);
        ox_free(p[1][i]);
        ox_free(p[2][i]);
        if (p[3][i]) rust_dealloc(p[3][i], sz[i], 8);
    }
}

/* Rust allows any power of two; alignments up to 2^29 must work. */
void test_align_above_2_26(void)
{
    static const size_t sz[] = { 0, 1, 100, 4096, 70000, 3 * MiB };
    for (int lg = 27; lg <= 29; lg++)
        for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
            one_rust(sz[i], (size_t)1 << lg, 12);
            one_ox(sz[i], (size_t)1 << lg, 12);
        }
}
