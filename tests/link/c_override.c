/*
 * c_override.c - row 5 of the link matrix: a C program linked with
 * liboxalloc.a and the override object oxalloc_override.o.  Its malloc
 * family, and the C library's own allocations (strdup, getline, fopen,
 * asprintf), must all be oxalloc's, and rust_alloc blocks must mix with
 * them where the headers allow (ox_free of any block).
 * Prints one line per check, exits 1 if any failed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oxalloc.h"
#include "rust_alloc.h"

static int failed;

static void check(const char *what, bool ok) {
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    failed += !ok;
}

static void malloc_family(void) {
    void *m = malloc(100), *c = calloc(10, 10), *r = realloc(NULL, 50);
    void *a = aligned_alloc(4096, 8192), *pm = NULL;
    int rc = posix_memalign(&pm, 64, 200);
    check("malloc, calloc, realloc, aligned_alloc, posix_memalign are oxalloc's",
          ox_owns(m) && ox_owns(c) && ox_owns(r) && ox_owns(a) && rc == 0 && ox_owns(pm));
    r = realloc(r, 100000);
    check("realloc growth stays oxalloc's", ox_owns(r));
    free(m);
    free(c);
    free(r);
    free(a);
    free(pm);
}

/* Allocations made inside the C library go through the exported malloc. */
static void libc_internal(void) {
    char *d = strdup("duplicated"), *nd = strndup("abcdef", 3), *as = NULL;
    check("strdup, strndup are oxalloc's", ox_owns(d) && ox_owns(nd));
    check("asprintf is oxalloc's", asprintf(&as, "%d-%s", 42, d) > 0 && ox_owns(as));
    static char text[] = "one\ntwo\n";
    FILE *f = fmemopen(text, sizeof text - 1, "r");
    char *line = NULL;
    size_t cap = 0;
    bool got = f != NULL && getline(&line, &cap, f) == 4 && strcmp(line, "one\n") == 0;
    check("getline buffer is oxalloc's", got && ox_owns(line));
    check("fmemopen's FILE is oxalloc's", f != NULL && ox_owns(f));
    if (f)
        fclose(f);
    free(line);
    free(d);
    free(nd);
    free(as);
}

static void other_memory(void) {
    int local = 0;
    static int global;
    check("stack and static memory are not oxalloc's", !ox_owns(&local) && !ox_owns(&global));
}

/* ox_free releases a block from any ox_ or rust_ function (oxalloc.h). */
static void mixes_with_rust_abi(void) {
    void *p = rust_alloc(64, 16);
    check("rust_alloc block is oxalloc's", ox_owns(p));
    free(p);
    void *q = malloc(64);
    check("heap still usable after free of a rust_alloc block", q != NULL && ox_owns(q));
    free(q);
}

int main(void) {
    malloc_family();
    libc_internal();
    other_memory();
    mixes_with_rust_abi();
    return failed != 0;
}
