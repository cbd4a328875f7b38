/*
 * repro_interior_free.c - core bug reproducer: free() or
 * realloc() of an interior pointer (a pointer into a live block, not its
 * start) is not ignored by the release build: the block is released (and
 * handed out again while still in use) or reallocated.
 *
 *   cc -std=gnu11 -O2 -Iinclude tests/override/repro_interior_free.c \
 *      build/liboxalloc.a -pthread -o /tmp/repro && /tmp/repro
 *
 * Expected (include/oxalloc.h: "A pointer oxalloc does not manage is
 * ignored"): every line says "ignored".  Fixed by commit 64548e0 (all
 * five lines said otherwise before it); kept as a regression check.
 */
#include <stdio.h>
#include <string.h>

#include "oxalloc.h"

static void try_free(size_t size, size_t offset)
{
    unsigned char *p = ox_malloc(size);
    ox_free(p + offset);
    int reused = 0;
    for (int i = 0; i < 1000 && !reused; i++) {
        unsigned char *q = ox_malloc(size);
        reused = q <= p + offset && p < q + size;
    }
    printf("free(p + %zu) of a %zu-byte block: %s\n", offset, size,
           reused ? "BLOCK RELEASED (overlapping block handed out)" : "ignored");
}

static void try_realloc(size_t size, size_t offset)
{
    unsigned char *p = ox_malloc(size);
    void *q = ox_realloc(p + offset, size * 2);
    printf("realloc(p + %zu, %zu) of a %zu-byte block: %s\n", offset, size * 2, size,
           q ? "REALLOCATED" : "ignored (NULL)");
}

int main(void)
{
    try_free(64, 16);
    try_free(20000, 4096);
    try_free(4 << 20, 1 << 20);
    try_realloc(64, 16);
    try_realloc(4 << 20, 8192);
    return 0;
}
