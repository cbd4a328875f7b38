/*
 * host.c - the C program of link-matrix rows 3, 4 and 6: it calls a Rust
 * library (embed_common/lib.rs) and checks which allocator served the
 * blocks on each side, and that blocks cross the boundary only where one
 * allocator serves both sides.
 *
 * Build modes:
 *   (default)           linked with the Rust staticlib libembed.a
 *   -DHOST_DLOPEN       loads the cdylib named by argv[3] with dlopen
 *   -DHOST_LINKS_OXALLOC  linked with liboxalloc.a: calls ox_owns directly
 *                       (otherwise ox_owns is looked up with dlsym, and is
 *                       there only under LD_PRELOAD=liboxalloc.so)
 * Usage: host rust=oxalloc|system malloc=oxalloc|system [library.so]
 * Prints one line per check, exits 1 if any failed.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HOST_LINKS_OXALLOC
#include "oxalloc.h"
#endif

typedef bool (*visit_fn)(const void *);

static struct {
    unsigned char *(*make_buffer)(size_t, unsigned char);
    void (*free_buffer)(void *, size_t);
    char *(*make_string)(void);
    void (*free_string)(char *);
    size_t (*visit_blocks)(visit_fn, size_t *);
} rs;

static bool (*owns_fn)(const void *);
static int failed;

static void check(const char *what, bool ok) {
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    failed += !ok;
}

static bool owns(const void *p) {
    return owns_fn != NULL && owns_fn(p);
}

static bool visit_owned(const void *p) {
    return owns(p);
}

#ifdef HOST_DLOPEN
static void *need(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (f == NULL) {
        fprintf(stderr, "host: %s: %s\n", name, dlerror());
        exit(2);
    }
    return f;
}

static void load_rust(const char *path) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "host: dlopen: %s\n", dlerror());
        exit(2);
    }
    *(void **)&rs.make_buffer = need(lib, "rs_make_buffer");
    *(void **)&rs.free_buffer = need(lib, "rs_free_buffer");
    *(void **)&rs.make_string = need(lib, "rs_make_string");
    *(void **)&rs.free_string = need(lib, "rs_free_string");
    *(void **)&rs.visit_blocks = need(lib, "rs_visit_blocks");
}
#else
unsigned char *rs_make_buffer(size_t, unsigned char);
void rs_free_buffer(void *, size_t);
char *rs_make_string(void);
void rs_free_string(char *);
size_t rs_visit_blocks(visit_fn, size_t *);

static void load_rust(const char *path) {
    (void)path;
    rs.make_buffer = rs_make_buffer;
    rs.free_buffer = rs_free_buffer;
    rs.make_string = rs_make_string;
    rs.free_string = rs_free_string;
    rs.visit_blocks = rs_visit_blocks;
}
#endif

static void find_owns(void) {
#ifdef HOST_LINKS_OXALLOC
    owns_fn = ox_owns;
#else
    *(void **)&owns_fn = dlsym(RTLD_DEFAULT, "ox_owns");
#endif
}

/* Bytes in use in glibc's heap (arena and mmapped chunks). */
static size_t glibc_in_use(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void check_rust_side(bool rust_is_ox) {
    size_t total = 0;
    size_t owned = rs.visit_blocks(visit_owned, &total);
    char what[128];
    snprintf(what, sizeof what, "%zu Rust collection blocks: %zu oxalloc's (want %s)",
             total, owned, rust_is_ox ? "all" : "none");
    check(what, total > 50 && owned == (rust_is_ox ? total : 0));
    unsigned char *b = rs.make_buffer(5000, 0x5A);
    check(rust_is_ox ? "Rust buffer is oxalloc's" : "Rust buffer is not oxalloc's",
          owns(b) == rust_is_ox && b[0] == 0x5A && b[4999] == 0x5A);
    rs.free_buffer(b, 5000);
}

static void check_c_side(bool malloc_is_ox) {
    char *p = malloc(300), *d = strdup("C string");
    check(malloc_is_ox ? "C malloc/strdup are oxalloc's" : "C malloc/strdup are not oxalloc's",
          owns(p) == malloc_is_ox && owns(d) == malloc_is_ox);
    free(p);
    free(d);
}

/* glibc's counters move when Rust allocates and when C frees Rust's
 * blocks: glibc serves the Rust side. */
static void check_glibc_serves_rust(void) {
    const size_t n = 100000; /* below the mmap threshold: in uordblks */
    size_t before = glibc_in_use();
    unsigned char *b = rs.make_buffer(n, 1);
    size_t during = glibc_in_use();
    free(b);
    size_t after = glibc_in_use();
    check("glibc's heap grows by a Rust buffer, shrinks by C free of it",
          during >= before + n && after + n <= during);
}

/* One allocator on both sides: blocks cross in both directions. */
static void check_crossing(void) {
    unsigned char *b = rs.make_buffer(777, 3);
    free(b);
    char *s = rs.make_string();
    bool text_ok = strncmp(s, "made in Rust", 12) == 0;
    free(s);
    unsigned char *c = malloc(4096);
    memset(c, 9, 4096);
    rs.free_buffer(c, 4096);
    char *t = rs.make_string();
    rs.free_string(t);
    check("Rust blocks freed by C free, C blocks freed by Rust", text_ok);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: host rust=oxalloc|system malloc=oxalloc|system [lib.so]\n");
        return 2;
    }
    bool rust_is_ox = strcmp(argv[1], "rust=oxalloc") == 0;
    bool malloc_is_ox = strcmp(argv[2], "malloc=oxalloc") == 0;
    load_rust(argc > 3 ? argv[3] : NULL);
    find_owns();
    check_rust_side(rust_is_ox);
    check_c_side(malloc_is_ox);
    if (!malloc_is_ox && !rust_is_ox)
        check_glibc_serves_rust();
    if (rust_is_ox == malloc_is_ox)
        check_crossing();
    return failed != 0;
}
