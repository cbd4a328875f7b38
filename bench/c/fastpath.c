/*
 * fastpath.c - N alloc+free pairs of one size through one allocator API,
 * for `make bench-callgrind`: callgrind counts the instructions of a run
 * with N and with 2N pairs; (I(2N) - I(N)) / N is the cost of one pair,
 * start-up and exit cancelling out.
 *
 *   fastpath-API N SIZE
 *
 * API (chosen at compile time, -DFP_API=...): the calls a Rust user's
 * GlobalAlloc makes for a Box of SIZE bytes with alignment 8.
 *   FP_OXALLOC   rust_alloc / rust_dealloc               (liboxalloc.a)
 *   FP_JEMALLOC  malloc / sdallocx, as tikv-jemallocator (flags are 0)
 *   FP_MIMALLOC  mi_malloc_aligned / mi_free_size_aligned
 *   FP_TCMALLOC  tc_malloc / tc_free
 *   FP_MALLOC    malloc / free (glibc, or whatever LD_PRELOAD supplies)
 */
#include <stdio.h>
#include <stdlib.h>

#define FP_OXALLOC 1
#define FP_JEMALLOC 2
#define FP_MIMALLOC 3
#define FP_TCMALLOC 4
#define FP_MALLOC 5

#define ALIGN 8

#if FP_API == FP_OXALLOC
#include "rust_alloc.h"
#define ALLOC(n) rust_alloc((n), ALIGN)
#define FREE(p, n) rust_dealloc((p), (n), ALIGN)
#elif FP_API == FP_JEMALLOC
void sdallocx(void *ptr, size_t size, int flags);
#define ALLOC(n) malloc(n)
#define FREE(p, n) sdallocx((p), (n), 0)
#elif FP_API == FP_MIMALLOC
void *mi_malloc_aligned(size_t size, size_t align);
void mi_free_size_aligned(void *p, size_t size, size_t align);
#define ALLOC(n) mi_malloc_aligned((n), ALIGN)
#define FREE(p, n) mi_free_size_aligned((p), (n), ALIGN)
#elif FP_API == FP_TCMALLOC
void *tc_malloc(size_t size);
void tc_free(void *p);
#define ALLOC(n) tc_malloc(n)
#define FREE(p, n) ((void)(n), tc_free(p))
#elif FP_API == FP_MALLOC
#define ALLOC(n) malloc(n)
#define FREE(p, n) ((void)(n), free(p))
#else
#error "define FP_API"
#endif

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s N SIZE\n", argv[0]);
        return 64;
    }
    long n = atol(argv[1]);
    size_t size = (size_t)atol(argv[2]);
    unsigned long sum = 0;
    for (long i = 0; i < n; i++) {
        unsigned char *p = ALLOC(size);
        if (p == NULL)
            return 2;
        p[0] = (unsigned char)i;
        /* The pointer escapes: the pair cannot be optimised away. */
        __asm__ volatile("" : : "r"(p) : "memory");
        sum += p[0];
        FREE(p, size);
    }
    printf("%lu\n", sum);
    return 0;
}
