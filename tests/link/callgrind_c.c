/*
 * callgrind_c.c - `callgrind_c N`: N times rust_alloc(8, 8) + rust_dealloc
 * from C, the baseline for crates/callgrind_box (tests/link/callgrind.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rust_alloc.h"

static __attribute__((noinline)) void pairs(size_t n) {
    for (size_t i = 0; i < n; i++) {
        /* What Box::new(0u64) does: allocate, check, store the value. */
        uint64_t *p = rust_alloc(8, 8);
        if (p == NULL)
            abort();
        *p = 0;
        __asm__ volatile("" : : "r"(p) : "memory"); /* keep the pair */
        rust_dealloc(p, 8, 8);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: callgrind_c N\n");
        return 2;
    }
    pairs(strtoul(argv[1], NULL, 10));
    return 0;
}
