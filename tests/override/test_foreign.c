/*
 * test_foreign.c - free()/realloc() of pointers oxalloc never handed out.
 *
 * Release build (no argument): a pointer into a private mmap, an interior
 * pointer of a live block, a stack and a static address are passed to
 * free and realloc.  Each case runs in a child; it passes when nothing
 * crashes, realloc returns NULL, the foreign memory and the live block
 * keep their bytes, and the heap stays usable (no block is handed out
 * twice).
 *
 * Checked build (argument "checked", run under build/checked/): the same
 * calls must abort, with a message on stderr that names the address in
 * hex.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"

#define PAGE 4096

static unsigned char static_area[256] __attribute__((aligned(64)));

static bool all_bytes(const unsigned char *p, int v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)v)
            return false;
    return true;
}

/* Allocate and fill many blocks of `size`; none may overlap `live`. */
static bool heap_still_sound(const unsigned char *live, size_t live_size, size_t size)
{
    enum { N = 400 };
    unsigned char *v[N];
    bool ok = true;
    for (int i = 0; i < N; i++) {
        v[i] = malloc(size);
        if (!v[i])
            return false;
        ok = ok && (v[i] + size <= live || v[i] >= live + live_size);
        memset(v[i], i & 0xff, size);
    }
    for (int i = 0; i < N; i++) {
        ok = ok && all_bytes(v[i], i & 0xff, size);
        free(v[i]);
    }
    return ok;
}

static unsigned char *private_mapping(void)
{
    unsigned char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHILD_ASSERT(m != MAP_FAILED);
    memset(m, 0x6d, 4 * PAGE);
    return m;
}

/* ---------------------------------------------------- release: ignored */

static void free_mmap_pointer(void)
{
    unsigned char *m = private_mapping();
    free(m);
    free(m + PAGE + 16);
    CHILD_ASSERT(all_bytes(m, 0x6d, 4 * PAGE));
    CHILD_ASSERT(heap_still_sound(m, 4 * PAGE, 48));
}

static void realloc_mmap_pointer(void)
{
    unsigned char *m = private_mapping();
    CHILD_ASSERT(realloc(m, 100) == NULL);
    CHILD_ASSERT(realloc(m + 32, 1 << 20) == NULL);
    CHILD_ASSERT(all_bytes(m, 0x6d, 4 * PAGE));
    CHILD_ASSERT(heap_still_sound(m, 4 * PAGE, 100));
}

static void check_interior(size_t size, size_t offset, bool use_realloc)
{
    unsigned char *p = malloc(size);
    CHILD_ASSERT(p != NULL);
    memset(p, 0x1e, size);
    if (use_realloc)
        CHILD_ASSERT(realloc(p + offset, size * 2) == NULL);
    else
        free(p + offset);
    /* if the block had been freed, these allocations would reuse it */
    CHILD_ASSERT(heap_still_sound(p, size, size));
    CHILD_ASSERT(all_bytes(p, 0x1e, size));
    free(p);
}

static void free_interior_small(void) { check_interior(64, 16, false); }
static void free_interior_medium(void) { check_interior(20000, 4096, false); }
static void free_interior_large(void) { check_interior(4 << 20, 1 << 20, false); }
static void realloc_interior_small(void) { check_interior(64, 16, true); }
static void realloc_interior_large(void) { check_interior(4 << 20, 8192, true); }

static void free_stack_and_static(void)
{
    unsigned char local[128];
    memset(local, 0x5a, sizeof local);
    memset(static_area, 0x3c, sizeof static_area);
    free(local + 16);
    free(static_area);
    CHILD_ASSERT(all_bytes(local, 0x5a, sizeof local));
    CHILD_ASSERT(all_bytes(static_area, 0x3c, sizeof static_area));
    CHILD_ASSERT(heap_still_sound(static_area, sizeof static_area, 32));
}

static int run_release(void)
{
    CHECK_ISOLATED(free_mmap_pointer);
    CHECK_ISOLATED(realloc_mmap_pointer);
    CHECK_ISOLATED(free_interior_small);
    CHECK_ISOLATED(free_interior_medium);
    CHECK_ISOLATED(free_interior_large);
    CHECK_ISOLATED(realloc_interior_small);
    CHECK_ISOLATED(realloc_interior_large);
    CHECK_ISOLATED(free_stack_and_static);
    return report("foreign");
}

/* ----------------------------------------------------- checked: aborts */

/* Run bad(ptr) in a child with stderr captured; true when the child died
 * of SIGABRT and its stderr names ptr in hex. */
static bool aborts_naming(void (*bad)(void *), void *ptr)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        alarm(10);
        bad(ptr);
        _exit(0);
    }
    close(fds[1]);
    char out[4096] = {0};
    size_t len = 0;
    ssize_t n;
    while (len < sizeof out - 1 && (n = read(fds[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)n;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    char lower[32], upper[32];
    snprintf(lower, sizeof lower, "%lx", (unsigned long)(uintptr_t)ptr);
    snprintf(upper, sizeof upper, "%lX", (unsigned long)(uintptr_t)ptr);
    bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    bool named = strstr(out, lower) != NULL || strstr(out, upper) != NULL;
    if (!aborted || !named)
        fprintf(stderr, "  %p: %s, stderr was: %.200s\n", ptr, aborted ? "aborted" : "did not abort", out);
    return aborted && named;
}

static void do_free(void *p) { free(p); }
static void do_realloc(void *p)
{
    void *q = realloc(p, 100);
    fprintf(stderr, "realloc returned %p\n", q);
}

static int run_checked(void)
{
    unsigned char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *small = malloc(64), *large = malloc(4 << 20);
    CHECK(m != MAP_FAILED && small && large);
    CHECK(aborts_naming(do_free, m));
    CHECK(aborts_naming(do_realloc, m + 64));
    CHECK(aborts_naming(do_free, small + 16));
    CHECK(aborts_naming(do_free, large + 8192));
    CHECK(aborts_naming(do_realloc, small + 32));
    CHECK(aborts_naming(do_free, static_area));
    return report("foreign-checked");
}

int main(int argc, char **argv)
{
    if (find_ox_owns() == NULL) {
        fprintf(stderr, "test_foreign: not running on oxalloc\n");
        return report("foreign") | 1;
    }
    return argc > 1 && strcmp(argv[1], "checked") == 0 ? run_checked() : run_release();
}
