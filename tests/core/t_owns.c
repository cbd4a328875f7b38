/*
 * t_owns.c - ox_owns and ox_usable_size on ours and foreign pointers:
 * true for every block oxalloc hands out (start, middle and last byte),
 * false for stack, static, string-literal, glibc-malloc'd and mmap'd
 * memory, NULL and wild addresses; ox_usable_size is 0 for foreign ones.
 * The core library does not override malloc, so malloc here is glibc's.
 */
#include <malloc.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core.h"

static int static_var;
static char static_buf[1 << 16];

void test_owns_ours(void)
{
    static const size_t sz[] = { 0, 1, 16, 100, 1000, 5000, 40000, 300000,
                                 2 * MiB, 9 * MiB, 40 * MiB };
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        size_t s = sz[i];
        void *a = ox_malloc(s), *b = rust_alloc(s, 4096),
             *c = ox_aligned_alloc((size_t)1 << 21, s);
        void *all[3] = { a, b, c };
        for (int k = 0; k < 3; k++) {
            unsigned char *p = all[k];
            CHECK(p != NULL);
            if (!p)
                continue;
            CHECKF(ox_owns(p), "ox_owns(block %d of %zu) false", k, s);
            if (s > 1) {
                CHECKF(ox_owns(p + s / 2), "ox_owns(middle %d of %zu)", k, s);
                CHECKF(ox_owns(p + s - 1), "ox_owns(last %d of %zu)", k, s);
            }
        }
        ox_free(a);
        rust_dealloc(b, s, 4096);
        ox_free(c);
    }
}

static void check_foreign(const void *p, const char *what)
{
    CHECKF(!ox_owns(p), "ox_owns(%s %p) true", what, p);
    CHECKF(ox_usable_size(p) == 0, "ox_usable_size(%s %p) = %zu", what, p,
           ox_usable_size(p));
}

void test_owns_foreign(void)
{
    int stack_var = 0;
    char stack_buf[256];
    void *ours = ox_malloc(100); /* make sure the allocator is set up */
    check_foreign(&stack_var, "stack");
    check_foreign(stack_buf + 100, "stack buffer");
    check_foreign(&static_var, "static");
    check_foreign(static_buf + 4096, "static buffer");
    check_foreign("a string literal", "literal");
    check_foreign((const void *)check_foreign, "code");
    static const size_t gsz[] = { 16, 1000, 100000, 4 * MiB };
    for (size_t i = 0; i < sizeof gsz / sizeof gsz[0]; i++) {
        char *g = malloc(gsz[i]);
        CHECK(g != NULL);
        check_foreign(g, "glibc malloc");
        check_foreign(g + gsz[i] - 1, "glibc malloc end");
        free(g);
    }
    void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    check_foreign(m, "mmap");
    munmap(m, 1 << 20);
    CHECK(!ox_owns(NULL));
    check_foreign((void *)16, "wild 16");
    check_foreign((void *)4096, "wild 4096");
    check_foreign((void *)0x7fff00000000, "wild 0x7fff00000000");
    check_foreign((void *)0x100000000000, "wild 0x100000000000");
    check_foreign((void *)(uintptr_t)-4096, "wild -4096");
    check_foreign((void *)0x800000000000, "non-canonical");
    check_foreign(m, "unmapped");
    ox_free(ours);
}
