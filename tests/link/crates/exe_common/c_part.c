/*
 * c_part.c - C code linked into the row 1 and row 2 Rust executables of
 * the link matrix.  It allocates through the C library, as any C
 * dependency of a Rust program does; getline and fmemopen allocate inside
 * libc itself, which only an exported malloc (row 2) can catch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *c_part_malloc(size_t n) {
    return malloc(n);
}

char *c_part_strdup(const char *s) {
    return strdup(s);
}

/* The first line of a memory stream, in a buffer getline allocated. */
char *c_part_getline(void) {
    static char text[] = "first line\nsecond line\n";
    FILE *f = fmemopen(text, sizeof text - 1, "r");
    if (f == NULL)
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    if (getline(&line, &cap, f) < 0) {
        free(line);
        line = NULL;
    }
    fclose(f);
    return line;
}

void c_part_free(void *p) {
    free(p);
}
