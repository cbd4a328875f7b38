/*
 * t_realloc.c - realloc chains through rust_realloc and ox_realloc,
 * growing from one byte to 80 MiB and shrinking back, so that every range
 * (tiny, small, medium, large, huge) is entered and left both ways; the
 * first min(old, new) bytes and the alignment survive every step.  Also
 * one-byte steps, jumps between any two ranges, and ox_realloc's C
 * semantics (NULL, 0, "fits the usable size never moves").
 */
#include "core.h"

#define CHAIN_TOP (80 * MiB)

/* One step of a chain: resize p from *s to ns, verify what must survive,
 * refill the block with its new pattern.  Returns the new pointer. */
static void *rust_step(void *p, size_t *s, size_t a, size_t ns)
{
    uint64_t seed = pat_seed(p, *s);
    void *q = rust_realloc(p, *s, a, ns);
    CHECKF(q != NULL, "rust_realloc(%zu -> %zu, align %zu) = NULL", *s, ns, a);
    if (!q)
        return p;
    CHECKF(is_aligned(q, a), "rust_realloc(%zu -> %zu) = %p not %zu-aligned",
           *s, ns, q, a);
    size_t keep = *s < ns ? *s : ns;
    CHECKF(pat_ok(q, keep, seed), "rust_realloc(%zu -> %zu, align %zu) lost "
           "content at %zu", *s, ns, a, pat_find_bad(q, keep, seed));
    CHECKF(ox_usable_size(q) >= ns, "usable %zu < %zu", ox_usable_size(q), ns);
    blk_fill(q, ns);
    *s = ns;
    return q;
}

static void *ox_step(void *p, size_t *s, size_t ns)
{
    uint64_t seed = pat_seed(p, *s);
    void *q = ox_realloc(p, ns);
    CHECKF(q != NULL, "ox_realloc(%zu -> %zu) = NULL", *s, ns);
    if (!q)
        return p;
    CHECKF(is_aligned(q, 16), "ox_realloc(%zu -> %zu) = %p", *s, ns, q);
    size_t keep = *s < ns ? *s : ns;
    CHECKF(pat_ok(q, keep, seed), "ox_realloc(%zu -> %zu) lost content at %zu",
           *s, ns, pat_find_bad(q, keep, seed));
    CHECKF(ox_usable_size(q) >= ns, "usable %zu < %zu", ox_usable_size(q), ns);
    blk_fill(q, ns);
    *s = ns;
    return q;
}

static size_t grow(size_t s, rng_t *r) { return s + s / 3 + 1 + rng_below(r, 64); }
static size_t shrink(size_t s, rng_t *r)
{
    size_t d = s / 4 + 1 + rng_below(r, 16);
    return d < s ? s - d : 1;
}

static void rust_chain(size_t a, uint64_t seed)
{
    rng_t r = rng_make(seed);
    size_t s = 1;
    void *p = rust_alloc(s, a);
    CHECK(p != NULL);
    if (!p)
        return;
    blk_fill(p, s);
    while (s < CHAIN_TOP)
        p = rust_step(p, &s, a, grow(s, &r));
    while (s > 1)
        p = rust_step(p, &s, a, shrink(s, &r));
    rust_dealloc(p, s, a);
}

void test_realloc_rust_chains(void)
{
    static const size_t aligns[] = { 1, 8, 16, 32, 64, 4096, 65536,
                                     (size_t)1 << 21 };
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++)
        rust_chain(aligns[i], i + 1);
}

void test_realloc_ox_chains(void)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        rng_t r = rng_make(seed);
        size_t s = 1;
        void *p = ox_malloc(s);
        CHECK(p != NULL);
        if (!p)
            return;
        blk_fill(p, s);
        while (s < CHAIN_TOP)
            p = ox_step(p, &s, grow(s, &r));
        while (s > 1)
            p = ox_step(p, &s, shrink(s, &r));
        ox_free(p);
    }
}

/* One byte at a time through the tiny and small classes, up and down. */
void test_realloc_small_steps(void)
{
    size_t s = 1;
    void *p = rust_alloc(s, 8), *q = ox_malloc(1);
    size_t t = 1;
    CHECK(p && q);
    if (!p || !q)
        return;
    blk_fill(p, s);
    blk_fill(q, t);
    while (s < 5000) {
        p = rust_step(p, &s, 8, s + 1);
        q = ox_step(q, &t, t + 1);
    }
    while (s > 1) {
        p = rust_step(p, &s, 8, s - 1);
        q = ox_step(q, &t, t - 1);
    }
    rust_dealloc(p, s, 8);
    ox_free(q);
}

/* From each range straight to each other range. */
void test_realloc_jumps(void)
{
    static const size_t sz[] = { 1, 100, 3000, 40000, 500000, 5 * MiB,
                                 70 * MiB };
    static const size_t aligns[] = { 16, 4096 };
    enum { N = sizeof sz / sizeof sz[0] };
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < N; j++) {
                size_t s = sz[i], a = aligns[k];
                void *p = rust_alloc(s, a);
                CHECK(p != NULL);
                if (!p)
                    continue;
                blk_fill(p, s);
                p = rust_step(p, &s, a, sz[j]);
                rust_dealloc(p, s, a);

                size_t t = sz[i];
                void *q = ox_malloc(t);
                CHECK(q != NULL);
                if (!q)
                    continue;
                blk_fill(q, t);
                q = ox_step(q, &t, sz[j]);
                ox_free(q);
            }
}

void test_realloc_ox_semantics(void)
{
    static const size_t sz[] = { 1, 24, 100, 3000, 40000, 500000, 5 * MiB };
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        void *p = ox_realloc(NULL, sz[i]);
        CHECKF(p != NULL, "ox_realloc(NULL, %zu) = NULL", sz[i]);
        if (!p)
            continue;
        size_t u = ox_usable_size(p);
        CHECK(u >= sz[i]);
        blk_fill(p, sz[i]);
        uint64_t seed = pat_seed(p, sz[i]);
        void *q = ox_realloc(p, u);
        CHECKF(q == p, "ox_realloc(p, usable %zu) moved the block", u);
        q = q ? q : p;
        CHECK(pat_ok(q, sz[i], seed));
        blk_fill(q, u);
        CHECK(blk_ok(q, u));
        errno = 0;
        void *z = ox_realloc(q, 0); /* frees, returns NULL (glibc) */
        CHECKF(z == NULL, "ox_realloc(p, 0) = %p, want NULL", z);
        if (z)
            ox_free(z);
    }
}

/* A block that realloc grew past 64 KiB may have moved to a mapping of its
 * own (a huge block below 512 KiB): growing it again within its usable
 * size, or shrinking it by less than three quarters, must still keep it in
 * place, through ox_realloc and rust_realloc alike. */
void test_realloc_grown_fits_stays(void)
{
    static const size_t grown[] = { 65537, 85340, 131073, 300000, 500000 };
    for (size_t i = 0; i < sizeof grown / sizeof grown[0]; i++) {
        for (int rust = 0; rust < 2; rust++) {
            size_t size = grown[i];
            void *p = rust ? rust_alloc(40000, 16) : ox_realloc(NULL, 40000);
            CHECK(p != NULL);
            if (!p)
                continue;
            void *g = rust ? rust_realloc(p, 40000, 16, size) : ox_realloc(p, size);
            CHECKF(g != NULL, "growing 40000 -> %zu failed", size);
            if (!g)
                continue;
            size_t u = ox_usable_size(g);
            const size_t to[] = { u, size + (u - size) / 2, u / 2 + 1 };
            for (size_t k = 0; k < 3; k++) {
                blk_fill(g, size);
                uint64_t seed = pat_seed(g, size);
                void *q = rust ? rust_realloc(g, size, 16, to[k]) : ox_realloc(g, to[k]);
                CHECKF(q == g, "%s(block grown 40000 -> %zu, usable %zu, to %zu) moved it",
                       rust ? "rust_realloc" : "ox_realloc", grown[i], u, to[k]);
                if (!q)
                    break;
                CHECK(pat_ok(q, size < to[k] ? size : to[k], seed));
                g = q;
                size = to[k];
            }
            if (rust)
                rust_dealloc(g, size, 16);
            else
                ox_free(g);
        }
    }
}
