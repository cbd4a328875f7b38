/*
 * misuse.c - deliberate misuse of oxalloc blocks, for the sanitize
 * suite's check that valgrind memcheck reports it (tests/sanitize).  Once
 * the core describes its blocks with valgrind client requests, memcheck
 * must report these as it does for glibc blocks.
 *   misuse leak  an ox_malloc block whose only pointer is dropped
 *   misuse rust-leak  the same with rust_alloc
 *   misuse uaf  a read of an ox_malloc block after ox_free
 *   misuse rust-uaf  a read of a rust_alloc block after rust_dealloc
 * Each mode must be reported by memcheck; the program itself exits 0.
 */
#include <stdio.h>
#include <string.h>

#include "oxalloc.h"
#include "rust_alloc.h"

/* Keeps the compiler from proving the pointer dead or the read pointless. */
static void *volatile sink;

__attribute__((noinline)) static int leak(int rust)
{
    char *p = rust ? rust_alloc(100, 32) : ox_malloc(100);
    if (!p)
        return 1;
    memset(p, 1, 100);
    sink = p;
    sink = NULL; /* the only reference is gone: "definitely lost" */
    return 0;
}

__attribute__((noinline)) static int use_after_free(int rust)
{
    char *p = rust ? rust_alloc(64, 64) : ox_malloc(64);
    if (!p)
        return 1;
    memset(p, 2, 64);
    if (rust)
        rust_dealloc(p, 64, 64);
    else
        ox_free(p);
    sink = p;
    volatile char *q = sink;
    char c = q[8]; /* memcheck: "Invalid read of size 1" */
    printf("misuse: read %d after free\n", c);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "leak"))
        return leak(0);
    if (!strcmp(mode, "rust-leak"))
        return leak(1);
    if (!strcmp(mode, "uaf"))
        return use_after_free(0);
    if (!strcmp(mode, "rust-uaf"))
        return use_after_free(1);
    fprintf(stderr, "usage: misuse leak|rust-leak|uaf|rust-uaf\n");
    return 2;
}
