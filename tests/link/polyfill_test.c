/*
 * polyfill_test.c - the contract of include/rust_alloc.h, checked against
 * liboxalloc_system.a (c_src/system_shim.c), the polyfill over malloc.
 * Also checks the point of the polyfill: blocks with align <= 16 are the C
 * library's own, so C free/realloc/malloc_usable_size accept them.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rust_alloc.h"

static int passed, failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,         \
                    __LINE__, #cond);                                      \
        }                                                                  \
    } while (0)

static int aligned(const void *p, size_t a) {
    return ((uintptr_t)p & (a - 1)) == 0;
}

static void fill(unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 1);
}

static int filled(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 7 + 1))
            return 0;
    return 1;
}

static void test_bad_input(void) {
    size_t bad[] = {0, 3, 24, 4097, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(rust_alloc(8, bad[i]) == NULL);
        CHECK(rust_alloc_zeroed(8, bad[i]) == NULL);
    }
    size_t huge[] = {SIZE_MAX, SIZE_MAX - 15, (size_t)PTRDIFF_MAX + 1};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        errno = 0;
        CHECK(rust_alloc(huge[i], 8) == NULL && errno == ENOMEM);
        errno = 0;
        CHECK(rust_alloc(huge[i], 4096) == NULL && errno == ENOMEM);
    }
    errno = 0;
    CHECK(rust_alloc(8, (size_t)1 << 62) == NULL && errno == ENOMEM);
    /* A failed realloc leaves the block as it was. */
    unsigned char *p = rust_alloc(100, 64);
    fill(p, 100);
    CHECK(rust_realloc(p, 100, 64, SIZE_MAX - 8) == NULL);
    CHECK(rust_realloc(p, 100, 3, 200) == NULL);
    CHECK(filled(p, 100));
    rust_dealloc(p, 100, 64);
}

static void test_size_zero(void) {
    size_t aligns[] = {1, 16, 64, 8192};
    for (size_t i = 0; i < 4; i++) {
        void *a = rust_alloc(0, aligns[i]), *b = rust_alloc(0, aligns[i]);
        CHECK(a != NULL && b != NULL && a != b);
        CHECK(aligned(a, aligns[i]) && aligned(b, aligns[i]));
        rust_dealloc(a, 0, aligns[i]);
        rust_dealloc(b, 0, aligns[i]);
    }
    /* Shrinking to 0 keeps a live block (C realloc(p, 0) would free it). */
    void *p = rust_alloc(32, 8);
    p = rust_realloc(p, 32, 8, 0);
    CHECK(p != NULL);
    rust_dealloc(p, 0, 8);
}

static void test_alignments(void) {
    for (size_t a = 1; a <= ((size_t)1 << 26); a <<= 1) {
        unsigned char *p = rust_alloc(a == 1 ? 1 : a / 2, a);
        CHECK(p != NULL && aligned(p, a));
        if (p) {
            p[0] = 1;
            rust_dealloc(p, a == 1 ? 1 : a / 2, a);
        }
    }
}

static void test_zeroed(void) {
    size_t aligns[] = {8, 16, 256, 4096};
    for (size_t i = 0; i < 4; i++) {
        /* Dirty a block first so that reuse is exercised. */
        unsigned char *d = rust_alloc(3000, aligns[i]);
        memset(d, 0xAB, 3000);
        rust_dealloc(d, 3000, aligns[i]);
        unsigned char *z = rust_alloc_zeroed(3000, aligns[i]);
        int zero = z != NULL && aligned(z, aligns[i]);
        for (size_t k = 0; zero && k < 3000; k++)
            zero = z[k] == 0;
        CHECK(zero);
        rust_dealloc(z, 3000, aligns[i]);
    }
}

static void test_realloc(void) {
    size_t aligns[] = {1, 16, 32, 4096, (size_t)1 << 21};
    for (size_t i = 0; i < 5; i++) {
        size_t a = aligns[i], size = 10;
        unsigned char *p = rust_alloc(size, a);
        fill(p, size);
        size_t steps[] = {100, 5000, 300000, 70, 3, 1 << 20, 1};
        for (size_t s = 0; s < 7; s++) {
            size_t keep = size < steps[s] ? size : steps[s];
            p = rust_realloc(p, size, a, steps[s]);
            CHECK(p != NULL && aligned(p, a) && filled(p, keep));
            fill(p, steps[s]);
            size = steps[s];
        }
        rust_dealloc(p, size, a);
    }
}

/* align <= 16 blocks are malloc's: they cross to C and back. */
static void test_mixes_with_c(void) {
    char *p = rust_alloc(40, 16);
    strcpy(p, "from rust_alloc");
    CHECK(malloc_usable_size(p) >= 40);
    p = realloc(p, 4000);
    CHECK(p != NULL && strcmp(p, "from rust_alloc") == 0);
    free(p);
    char *q = strdup("from malloc");
    q = rust_realloc(q, 12, 1, 100000);
    CHECK(q != NULL && strcmp(q, "from malloc") == 0);
    rust_dealloc(q, 100000, 1);
    /* Over-aligned polyfill blocks still free with free(). */
    void *r = rust_alloc(100, 4096);
    free(r);
    CHECK(1);
}

int main(void) {
    test_bad_input();
    test_size_zero();
    test_alignments();
    test_zeroed();
    test_realloc();
    test_mixes_with_c();
    printf("polyfill: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
