/*
 * early_lib.c - a library that test_life dlopen()s from a constructor.
 *
 * Its own constructor allocates (so allocation happens while the dynamic
 * loader holds its locks, before main) and its destructor allocates and
 * frees again while dlclose() unloads it.
 */
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static void *blocks[4];

__attribute__((constructor)) static void early_lib_init(void)
{
    blocks[0] = malloc(24);
    blocks[1] = calloc(100, 8);
    blocks[2] = strdup("allocated by early_lib's constructor");
    blocks[3] = realloc(NULL, 70000);
}

EXPORT void *early_lib_block(int i) { return i >= 0 && i < 4 ? blocks[i] : NULL; }

/* Where the destructor reports (1 = its allocations succeeded): the
 * library is gone by the time the caller looks. */
static int *fini_result;
EXPORT void early_lib_report_to(int *out) { fini_result = out; }

__attribute__((destructor)) static void early_lib_fini(void)
{
    char *p = malloc(1000);
    char *q = realloc(p, 100000);
    if (fini_result)
        *fini_result = q != NULL;
    free(q);
    for (int i = 0; i < 4; i++)
        free(blocks[i]);
}
