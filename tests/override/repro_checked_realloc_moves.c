/*
 * repro_checked_realloc_moves.c - core bug reproducer, checked
 * build only: realloc(p, ox_usable_size(p)) moves the block, although
 * include/oxalloc.h says "A size that still fits the block's usable size
 * never moves it" (the malloc contract: realloc(p, usable_size(p)) does not move).
 * The release build keeps every block in place.
 *
 *   make checked
 *   cc -std=gnu11 -O2 -Iinclude tests/override/repro_checked_realloc_moves.c \
 *      build/checked/liboxalloc.a -pthread -o /tmp/repro && /tmp/repro
 *
 * Expected: every line says "same".  (Size 0 is left out: the checked
 * build reports usable size 0 for malloc(0), and realloc(p, 0) frees.)
 * Fixed in the core shortly after it was reported; kept as a check.
 */
#include <stdio.h>

#include "oxalloc.h"

int main(void)
{
    static const size_t sizes[] = {1, 8, 24, 100, 1000, 5000, 70000, 300000, 5 << 20};
    int moved = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        void *p = ox_malloc(sizes[i]);
        size_t usable = ox_usable_size(p);
        void *q = ox_realloc(p, usable);
        printf("malloc(%zu), usable %zu, realloc to usable: %s\n", sizes[i], usable,
               q == p ? "same" : "MOVED");
        moved += q != p;
        ox_free(q);
    }
    return moved != 0;
}
