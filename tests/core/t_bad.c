/*
 * t_bad.c - bad input: alignments that are not powers of two, sizes near
 * SIZE_MAX or above PTRDIFF_MAX, size + alignment overflows, calloc
 * products that overflow.  Every one must give NULL (errno ENOMEM, or
 * EINVAL for ox_aligned_alloc's bad alignments) and leave the blocks that
 * exist untouched.  Also: a failed realloc keeps its block; ox_free(NULL)
 * and errno.
 */
#include <stdint.h>

#include "core.h"

/* A few live blocks of every range, filled before the bad calls and
 * verified after them. */
#define NWITNESS 8
static const size_t witness_size[NWITNESS] = { 8, 100, 1000, 9000, 70000,
                                               600000, 3 * MiB, 20 * MiB };
static void *witness[NWITNESS];

static void witnesses_make(void)
{
    for (int i = 0; i < NWITNESS; i++) {
        witness[i] = ox_malloc(witness_size[i]);
        CHECK(witness[i] != NULL);
        if (witness[i])
            blk_fill(witness[i], witness_size[i]);
    }
}

static void witnesses_check_and_free(void)
{
    for (int i = 0; i < NWITNESS; i++) {
        if (!witness[i])
            continue;
        CHECKF(blk_ok(witness[i], witness_size[i]),
               "block of %zu bytes changed by a failed call", witness_size[i]);
        ox_free(witness[i]);
    }
}

static const size_t bad_aligns[] = {
    0, 3, 5, 6, 7, 12, 24, 48, 96, 100, 1000, 4095, 4097, 65535,
    ((size_t)1 << 20) + 1, ((size_t)1 << 26) - 1, ((size_t)1 << 26) + 16,
    SIZE_MAX, SIZE_MAX - 1, (SIZE_MAX >> 1) + 2,
};
#define NBAD (sizeof bad_aligns / sizeof bad_aligns[0])

void test_bad_alignment(void)
{
    witnesses_make();
    static const size_t sizes[] = { 0, 1, 16, 1000, 100000, 5 * MiB };
    for (size_t i = 0; i < NBAD; i++)
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            size_t a = bad_aligns[i], s = sizes[j];
            void *p = rust_alloc(s, a);
            CHECKF(p == NULL, "rust_alloc(%zu, %zu) = %p", s, a, p);
            p = rust_alloc_zeroed(s, a);
            CHECKF(p == NULL, "rust_alloc_zeroed(%zu, %zu) = %p", s, a, p);
            errno = 0;
            p = ox_aligned_alloc(a, s);
            CHECKF(p == NULL && errno == EINVAL,
                   "ox_aligned_alloc(%zu, %zu) = %p errno %d", a, s, p, errno);
        }
    witnesses_check_and_free();
}

/* Sizes no allocator can serve: everything above PTRDIFF_MAX and the top
 * of the size range, where rounding overflows. */
static const size_t huge_sizes[] = {
    SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 7, SIZE_MAX - 15, SIZE_MAX - 16,
    SIZE_MAX - 4095, SIZE_MAX - 4096, SIZE_MAX - ((size_t)1 << 21),
    SIZE_MAX - ((size_t)1 << 26), (size_t)PTRDIFF_MAX + 1,
    (size_t)PTRDIFF_MAX, (size_t)PTRDIFF_MAX - 4095, SIZE_MAX / 2 + 4096,
    (size_t)1 << 62, (size_t)1 << 50,
};
#define NHUGE (sizeof huge_sizes / sizeof huge_sizes[0])

#define EXPECT_ENOMEM(call, what, s)                                        \
    do {                                                                     \
        errno = 0;                                                           \
        void *q_ = (call);                                                   \
        CHECKF(q_ == NULL && errno == ENOMEM, "%s(%zu) = %p errno %d", what,  \
               (size_t)(s), q_, errno);                                      \
    } while (0)

void test_huge_sizes_fail(void)
{
    witnesses_make();
    for (size_t i = 0; i < NHUGE; i++) {
        size_t s = huge_sizes[i];
        EXPECT_ENOMEM(rust_alloc(s, 1), "rust_alloc align 1", s);
        EXPECT_ENOMEM(rust_alloc(s, 16), "rust_alloc align 16", s);
        EXPECT_ENOMEM(rust_alloc(s, 4096), "rust_alloc align 4096", s);
        EXPECT_ENOMEM(rust_alloc_zeroed(s, 8), "rust_alloc_zeroed", s);
        EXPECT_ENOMEM(ox_malloc(s), "ox_malloc", s);
        EXPECT_ENOMEM(ox_calloc(1, s), "ox_calloc(1, s)", s);
        EXPECT_ENOMEM(ox_calloc(s, 1), "ox_calloc(s, 1)", s);
        EXPECT_ENOMEM(ox_aligned_alloc(64, s), "ox_aligned_alloc 64", s);
        EXPECT_ENOMEM(ox_aligned_alloc((size_t)1 << 21, s),
                      "ox_aligned_alloc 2MiB", s);
    }
    witnesses_check_and_free();
}

/* size + alignment overflows, and alignments that cannot be served. */
void test_align_overflow_fail(void)
{
    witnesses_make();
    for (int lg = 1; lg < 63; lg++) { /* lg 0 would wrap s1 to 0 */
        size_t a = (size_t)1 << lg;
        size_t s1 = SIZE_MAX - a + 2, s2 = SIZE_MAX - 2 * a + 1;
        EXPECT_ENOMEM(rust_alloc(s1, a), "rust_alloc -a+2", s1);
        EXPECT_ENOMEM(rust_alloc(s2, a), "rust_alloc -2a+1", s2);
        EXPECT_ENOMEM(rust_alloc_zeroed(s1, a), "rust_alloc_zeroed", s1);
        EXPECT_ENOMEM(ox_aligned_alloc(a, 0 - a), "ox_aligned_alloc(a, -a)",
                      a);
    }
    /* Valid powers of two no machine can honour. */
    for (int lg = 47; lg < 64; lg++) {
        size_t a = (size_t)1 << lg;
        EXPECT_ENOMEM(rust_alloc(1, a), "rust_alloc(1, 2^lg)", a);
        EXPECT_ENOMEM(rust_alloc_zeroed(64, a), "rust_alloc_zeroed(64, 2^lg)",
                      a);
        EXPECT_ENOMEM(ox_aligned_alloc(a, 1), "ox_aligned_alloc(2^lg, 1)", a);
    }
    witnesses_check_and_free();
}

void test_calloc_overflow_fail(void)
{
    static const size_t pairs[][2] = {
        { SIZE_MAX / 2 + 1, 2 }, { (size_t)1 << 32, (size_t)1 << 32 },
        { SIZE_MAX, SIZE_MAX }, { SIZE_MAX / 3 + 1, 3 },
        { (size_t)1 << 40, (size_t)1 << 24 }, { 65537, SIZE_MAX / 65536 },
        { (size_t)PTRDIFF_MAX / 8 + 1, 8 },
    };
    witnesses_make();
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        EXPECT_ENOMEM(ox_calloc(pairs[i][0], pairs[i][1]), "ox_calloc(a, b)",
                      pairs[i][0]);
        EXPECT_ENOMEM(ox_calloc(pairs[i][1], pairs[i][0]), "ox_calloc(b, a)",
                      pairs[i][0]);
    }
    void *p = ox_calloc(0, SIZE_MAX);
    CHECKF(p != NULL, "ox_calloc(0, SIZE_MAX) = NULL");
    ox_free(p);
    p = ox_calloc(SIZE_MAX, 0);
    CHECKF(p != NULL, "ox_calloc(SIZE_MAX, 0) = NULL");
    ox_free(p);
    witnesses_check_and_free();
}

/* A realloc to an impossible size fails and the block stays as it was. */
void test_realloc_fail_keeps_block(void)
{
    static const size_t sizes[] = { 8, 200, 3000, 50000, 700000, 6 * MiB };
    static const size_t aligns[] = { 1, 16, 256, 4096, (size_t)1 << 21 };
    witnesses_make();
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++) {
            size_t s = sizes[i], a = aligns[k];
            void *p = rust_alloc(s, a);
            CHECK(p != NULL);
            if (!p)
                continue;
            blk_fill(p, s);
            for (size_t h = 0; h < NHUGE; h++)
                EXPECT_ENOMEM(rust_realloc(p, s, a, huge_sizes[h]),
                              "rust_realloc", huge_sizes[h]);
            CHECKF(blk_ok(p, s), "rust_realloc failure changed %zu/%zu", s, a);
            rust_dealloc(p, s, a);
        }
        void *p = ox_malloc(sizes[i]);
        CHECK(p != NULL);
        if (!p)
            continue;
        blk_fill(p, sizes[i]);
        for (size_t h = 0; h < NHUGE; h++)
            EXPECT_ENOMEM(ox_realloc(p, huge_sizes[h]), "ox_realloc",
                          huge_sizes[h]);
        CHECKF(blk_ok(p, sizes[i]), "ox_realloc failure changed %zu", sizes[i]);
        ox_free(p);
    }
    witnesses_check_and_free();
}

void test_free_null_and_errno(void)
{
    errno = 1234;
    ox_free(NULL);
    CHECK(errno == 1234);
    static const size_t sizes[] = { 0, 10, 5000, 300000, 10 * MiB };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *p = ox_malloc(sizes[i]);
        errno = 4321;
        ox_free(p);
        CHECKF(errno == 4321, "ox_free changed errno (size %zu)", sizes[i]);
        p = rust_alloc(sizes[i], 64);
        errno = 77;
        if (p)
            rust_dealloc(p, sizes[i], 64);
        CHECKF(errno == 77, "rust_dealloc changed errno (size %zu)", sizes[i]);
    }
    CHECK(ox_usable_size(NULL) == 0);
    CHECK(ox_version() != NULL && ox_version()[0] != 0);
}
