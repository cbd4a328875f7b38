/*
 * test_contract.c - the parts of the C contract a program reads back from
 * glibc's interface: posix_memalign's errno, mallinfo
 * and mallinfo2 figures that follow this allocator, malloc_stats on
 * stderr, malloc_info's XML, and operator new reached from a C program
 * that runs without libstdc++.  Built and run in both routes (static link
 * of oxalloc_override.o, LD_PRELOAD of liboxalloc.so) by run.sh.
 */
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "check.h"

static volatile size_t vzero = 0;
#define HUGE(x) ((size_t)(x) + vzero)

/* Each name resolves into the object that holds ox_owns. */
static void test_exported(void)
{
    static const char *names[] = {"mallinfo",       "mallinfo2", "__libc_mallinfo",
                                  "malloc_stats",   "malloc_info", "posix_memalign",
                                  "_Znwm",          "_ZnwmRKSt9nothrow_t"};
    check_resolve_to_oxalloc(names, sizeof names / sizeof *names);
}

/* ENOMEM is returned and left in errno, as glibc does; EINVAL is only
 * returned; *memptr is written only on success. */
static void test_posix_memalign_errno(void)
{
    void *sentinel = (void *)0x5e17, *p = sentinel;
    errno = 0;
    CHECK(posix_memalign(&p, 64, HUGE(SIZE_MAX - 100)) == ENOMEM);
    CHECK(errno == ENOMEM && p == sentinel);
    errno = 0;
    CHECK(posix_memalign(&p, 4096, HUGE(-4096)) == ENOMEM);
    CHECK(errno == ENOMEM && p == sentinel);
    errno = 0;
    CHECK(posix_memalign(&p, 24, 64) == EINVAL);
    CHECK(errno == 0 && p == sentinel);
    errno = EBADF; /* success leaves errno alone */
    CHECK(posix_memalign(&p, 256, 100) == 0 && p != sentinel && ox_served(p));
    CHECK(errno == EBADF);
    free(p);
}

static volatile void *sink;

/* The figures follow this process's allocations: live class blocks in
 * uordblks, huge blocks in hblks/hblkhd, arena = uordblks + fordblks. */
static void test_mallinfo2_moves(void)
{
    struct mallinfo2 before = mallinfo2();
    void *blocks[19];
    size_t total = 0;
    for (int i = 1; i < 20; i++) {
        blocks[i - 1] = malloc(160 * i);
        total += 160 * i;
    }
    struct mallinfo2 after = mallinfo2();
    CHECK(after.uordblks >= before.uordblks + total);
    CHECK(after.uordblks < before.uordblks + 2 * total + 65536);
    CHECK(after.arena >= after.uordblks);
    CHECK(after.arena == after.uordblks + after.fordblks);
    for (int i = 0; i < 19; i++)
        free(blocks[i]);
    struct mallinfo2 freed = mallinfo2();
    CHECK(freed.uordblks + total <= after.uordblks);

    size_t big = (size_t)64 << 20;
    char *huge = malloc(big);
    CHECK(huge != NULL);
    struct mallinfo2 with_huge = mallinfo2();
    CHECK(with_huge.hblks >= freed.hblks + 1);
    CHECK(with_huge.hblkhd >= freed.hblkhd + big);
    free(huge);
    struct mallinfo2 without = mallinfo2();
    CHECK(without.hblkhd + big <= with_huge.hblkhd);
}

/* keepcost is the memory malloc_trim can give back: it grows when blocks
 * are freed and falls once malloc_trim has returned it. */
static void test_mallinfo2_keepcost(void)
{
    enum { N = 2000 };
    static void *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(16384);
        memset(blocks[i], 1, 16384); /* resident */
    }
    for (int i = 0; i < N; i++)
        free(blocks[i]);
    struct mallinfo2 freed = mallinfo2();
    CHECK(freed.keepcost >= (size_t)N * 16384 / 2);
    CHECK(freed.keepcost <= freed.arena);
    malloc_trim(0);
    struct mallinfo2 trimmed = mallinfo2();
    CHECK(trimmed.keepcost < freed.keepcost / 4);
}

/* The int version: the same figures (saturated). */
static void test_mallinfo_moves(void)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    struct mallinfo before = mallinfo();
    void *p = malloc(100000);
    sink = p;
    struct mallinfo after = mallinfo();
#pragma GCC diagnostic pop
    CHECK(after.uordblks > 0);
    CHECK(after.uordblks >= before.uordblks + 100000);
    CHECK(after.arena >= after.uordblks);
    free(p);
}

/* Run fn with fd 2 sent to a temporary file; its output in buf. */
static void capture_stderr(void (*fn)(void), char *buf, size_t cap)
{
    FILE *tmp = tmpfile();
    int saved = dup(2);
    fflush(stderr);
    dup2(fileno(tmp), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n = 0;
    if (fseek(tmp, 0, SEEK_SET) == 0)
        n = fread(buf, 1, cap - 1, tmp);
    buf[n] = 0;
    fclose(tmp);
}

static void call_malloc_stats(void) { malloc_stats(); }

/* glibc's summary lines, then oxalloc's own report, on stderr. */
static void test_malloc_stats(void)
{
    static char out[1 << 16];
    void *p = malloc(1000);
    capture_stderr(call_malloc_stats, out, sizeof out);
    free(p);
    CHECK(strstr(out, "system bytes") != NULL);
    CHECK(strstr(out, "in use bytes") != NULL);
    CHECK(strstr(out, "max mmap bytes") != NULL);
    CHECK(strstr(out, "oxalloc") != NULL && strstr(out, "allocated bytes") != NULL);
}

/* An XML document about oxalloc; options other than 0 are EINVAL. */
static void test_malloc_info(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    if (!f)
        return;
    void *p = malloc(3000);
    CHECK(malloc_info(0, f) == 0);
    fclose(f);
    free(p);
    CHECK(text && strncmp(text, "<malloc version=\"1\">", 20) == 0);
    CHECK(text && strstr(text, "<oxalloc version=") != NULL);
    CHECK(text && strstr(text, "<stat name=\"allocated_bytes\"") != NULL);
    CHECK(text && len > 10 && strcmp(text + len - 10, "</malloc>\n") == 0);
    free(text);
    errno = 0;
    CHECK(malloc_info(1, stdout) == -1 && errno == EINVAL);
}

/* A C program: no libstdc++ in the process, yet operator new exists (the
 * override exports it) and works; nothrow new fails with NULL; the
 * throwing one, with no C++ runtime to throw, aborts with a message. */
static int find_libstdcxx(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    if (strstr(info->dlpi_name, "libstdc++"))
        *(bool *)arg = true;
    return 0;
}

typedef void *(*new_fn)(size_t);
typedef void *(*new_nothrow_fn)(size_t, const void *);

static void throwing_new_child(void)
{
    new_fn nw = (new_fn)dlsym(RTLD_DEFAULT, "_Znwm");
    CHILD_ASSERT(nw != NULL);
    sink = nw(HUGE(SIZE_MAX / 2));
    _exit(0); /* returned: wrong */
}

static void test_new_without_libstdcxx(void)
{
    bool cxx = false;
    dl_iterate_phdr(find_libstdcxx, &cxx);
    CHECK(!cxx);
    new_fn nw = (new_fn)dlsym(RTLD_DEFAULT, "_Znwm");
    new_nothrow_fn nt = (new_nothrow_fn)dlsym(RTLD_DEFAULT, "_ZnwmRKSt9nothrow_t");
    CHECK(nw && nt);
    if (!nw || !nt)
        return;
    char tag = 0;
    void *p = nw(100);
    CHECK(ox_served(p));
    free(p);
    CHECK(nt(HUGE(SIZE_MAX / 2), &tag) == NULL);

    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        throwing_new_child();
    }
    close(fds[1]);
    char msg[256] = {0};
    ssize_t n = read(fds[0], msg, sizeof msg - 1);
    (void)n;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CHECK(strstr(msg, "out of memory") != NULL);
}

int main(void)
{
    test_exported();
    test_posix_memalign_errno();
    test_mallinfo2_moves();
    test_mallinfo2_keepcost();
    test_mallinfo_moves();
    test_malloc_stats();
    test_malloc_info();
    test_new_without_libstdcxx();
    return report("contract");
}
