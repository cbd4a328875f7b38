/*
 * test_family.c - every rule of the malloc family's contract, checked on
 * the program's own malloc (whichever route made it oxalloc: static link
 * of oxalloc_override.o or LD_PRELOAD of liboxalloc.so).
 *
 * Sizes that cannot be served go through a volatile so that the compiler
 * neither warns about them nor folds the calls away; the suite compiles
 * with -fno-builtin so that every call really reaches the allocator.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"

/* The tests use a block after a realloc that failed on purpose. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif

/* Sizes and alignments the compiler must not see (clang 14 crashes on
 * some constant alignments of aligned_alloc/memalign). */
static volatile size_t vzero = 0;
#define HUGE(x) ((size_t)(x) + vzero)
#define ALIGN(x) HUGE(x)

static bool aligned_to(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static bool all_bytes(const void *p, int value, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != (unsigned char)value)
            return false;
    return true;
}

/* NULL with errno == expected */
static bool fails_with(void *p, int expected)
{
    int e = errno;
    if (p)
        free(p);
    return p == NULL && e == expected;
}

static void test_alignment(void)
{
    bool ok = true;
    void *keep[300];
    for (size_t i = 0; i < 300; i++) {
        size_t n = i < 256 ? i : (size_t)1 << (8 + (i - 256) / 3); /* up to 4 MiB */
        keep[i] = malloc(n);
        ok = ok && keep[i] && aligned_to(keep[i], _Alignof(max_align_t));
    }
    CHECK(ok);
    for (size_t i = 0; i < 300; i++) {
        void *q = realloc(keep[i], i * 3 + 1);
        ok = ok && q && aligned_to(q, 16);
        free(q);
    }
    CHECK(ok);
    for (size_t n = 0; n < 100; n++) {
        void *p = calloc(1, n);
        ok = ok && p && aligned_to(p, 16);
        free(p);
    }
    CHECK(ok);
}

static void test_unservable_sizes(void)
{
    for (size_t i = 0; i < 64; i++) {
        errno = 0;
        CHECK(fails_with(malloc(HUGE(SIZE_MAX - i)), ENOMEM));
    }
    size_t big[] = {HUGE(PTRDIFF_MAX) + 1, HUGE(SIZE_MAX), HUGE(SIZE_MAX - 4095), HUGE(SIZE_MAX / 2)};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        size_t n = big[i];
        errno = 0, CHECK(fails_with(malloc(n), ENOMEM));
        errno = 0, CHECK(fails_with(calloc(1, n), ENOMEM));
        errno = 0, CHECK(fails_with(realloc(NULL, n), ENOMEM));
        errno = 0, CHECK(fails_with(reallocarray(NULL, 1, n), ENOMEM));
        errno = 0, CHECK(fails_with(aligned_alloc(ALIGN(64), n), ENOMEM));
        errno = 0, CHECK(fails_with(memalign(ALIGN(64), n), ENOMEM));
        errno = 0, CHECK(fails_with(valloc(n), ENOMEM));
        errno = 0, CHECK(fails_with(pvalloc(n), ENOMEM));
    }
    /* sizes that overflow only once rounded to a page or an alignment */
    errno = 0, CHECK(fails_with(pvalloc(HUGE(-4096)), ENOMEM));
    errno = 0, CHECK(fails_with(pvalloc(HUGE(-1)), ENOMEM));
    errno = 0, CHECK(fails_with(valloc(HUGE(-4096)), ENOMEM));
    errno = 0, CHECK(fails_with(memalign(ALIGN(4096), HUGE(-4096)), ENOMEM));
    errno = 0, CHECK(fails_with(aligned_alloc(ALIGN(1024), HUGE(-1024)), ENOMEM));
    errno = 0, CHECK(fails_with(aligned_alloc(ALIGN((size_t)1 << 40), HUGE(PTRDIFF_MAX)), ENOMEM));
}

static void test_calloc(void)
{
    errno = 0, CHECK(fails_with(calloc(HUGE(SIZE_MAX / 2), 3), ENOMEM));
    errno = 0, CHECK(fails_with(calloc(3, HUGE(SIZE_MAX / 2)), ENOMEM));
    errno = 0, CHECK(fails_with(calloc(HUGE(1) << 32, HUGE(1) << 32), ENOMEM));
    errno = 0, CHECK(fails_with(calloc(HUGE(65537), HUGE(SIZE_MAX / 65536)), ENOMEM));
    void *a = calloc(0, 17), *b = calloc(17, 0);
    CHECK(a != NULL && b != NULL && a != b);
    free(a);
    free(b);
}

/* calloc must zero a block even when it reuses one that held data. */
static void test_calloc_reuse(void)
{
    static const size_t sizes[] = {8, 24, 100, 1000, 5000, 40000, 300000, 3 << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        bool ok = true;
        for (int round = 0; round < 20; round++) {
            void *dirty[8];
            for (int i = 0; i < 8; i++) {
                dirty[i] = malloc(n);
                memset(dirty[i], 0xA5, malloc_usable_size(dirty[i]));
            }
            for (int i = 0; i < 8; i++)
                free(dirty[i]);
            for (int i = 0; i < 8; i++) {
                dirty[i] = calloc(1, n);
                ok = ok && dirty[i] && all_bytes(dirty[i], 0, n);
            }
            for (int i = 0; i < 8; i++)
                free(dirty[i]);
        }
        CHECK(ok);
    }
}

static void test_realloc(void)
{
    char *p = realloc(NULL, 40);
    CHECK(p != NULL && ox_served(p));
    memset(p, 'x', 40);
    /* growth and shrinkage through every size range keep the bytes */
    size_t steps[] = {100, 2000, 70000, 5 << 20, 33, 300000, 8};
    size_t kept = 40;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        char *q = realloc(p, steps[i]);
        size_t common = kept < steps[i] ? kept : steps[i];
        CHECK(q != NULL && all_bytes(q, 'x', common));
        memset(q, 'x', steps[i]);
        p = q, kept = steps[i];
    }
    /* a failed realloc leaves the block alone */
    errno = 0;
    CHECK(realloc(p, HUGE(SIZE_MAX - 8)) == NULL && errno == ENOMEM);
    CHECK(all_bytes(p, 'x', kept));
    /* a size that fits the usable size never moves the block */
    size_t usable = malloc_usable_size(p);
    char *same = realloc(p, usable);
    CHECK(same == p);
    p = same ? same : p;
    /* realloc(p, 0) frees p and returns NULL, as glibc does */
    errno = 0;
    CHECK(realloc(p, 0) == NULL);
    char *big = malloc(1 << 20), *big2 = realloc(big, malloc_usable_size(big));
    CHECK(big && big2 == big);
    free(big2);
}

static void test_reallocarray(void)
{
    char *p = reallocarray(NULL, 10, 10);
    CHECK(p != NULL);
    memset(p, 'r', 100);
    errno = 0;
    CHECK(reallocarray(p, HUGE(SIZE_MAX / 2), 3) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(reallocarray(p, 3, HUGE(SIZE_MAX / 2)) == NULL && errno == ENOMEM);
    CHECK(all_bytes(p, 'r', 100));
    p = reallocarray(p, 1000, 10);
    CHECK(p && all_bytes(p, 'r', 100));
    free(p);
}

static void test_free_errno(void)
{
    free(NULL);
    static const size_t sizes[] = {0, 16, 4000, 100000, 8 << 20, 64 << 20};
    bool ok = true;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        void *p = malloc(sizes[i]);
        errno = 4321;
        free(p);
        ok = ok && errno == 4321;
    }
    errno = 77;
    free(NULL);
    CHECK(ok && errno == 77);
}

static void test_posix_memalign(void)
{
    void *sentinel = (void *)0x5e17, *p = sentinel;
    size_t bad[] = {0, 1, 2, 4, 3, 12, 24, 48, 96, 4097, HUGE(SIZE_MAX)};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(posix_memalign(&p, bad[i], 64) == EINVAL);
        CHECK(p == sentinel);
    }
    CHECK(posix_memalign(&p, 64, HUGE(SIZE_MAX - 100)) == ENOMEM && p == sentinel);
    CHECK(posix_memalign(&p, 4096, HUGE(-4096)) == ENOMEM && p == sentinel);
    CHECK(posix_memalign(&p, 8, 0) == 0 && p != sentinel && p != NULL);
    free(p);
    bool ok = true;
    for (size_t a = sizeof(void *); a <= ((size_t)1 << 26); a <<= 1) {
        void *q = NULL;
        ok = ok && posix_memalign(&q, a, a / 2 + 3) == 0 && aligned_to(q, a) && ox_served(q);
        if (q)
            memset(q, 1, a / 2 + 3);
        free(q);
    }
    CHECK(ok);
}

static void test_aligned_alloc_memalign(void)
{
    size_t bad[] = {0, 3, 24, 48, 1000, HUGE(SIZE_MAX)};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        errno = 0;
        CHECK(fails_with(aligned_alloc(bad[i], 64), EINVAL));
    }
    errno = 0;
    CHECK(fails_with(memalign(HUGE(-1), 64), EINVAL));
    errno = 0;
    CHECK(fails_with(memalign(HUGE(SIZE_MAX / 2 + 2), 64), EINVAL));
    bool ok = true;
    for (size_t a = 1; a <= ((size_t)1 << 24); a <<= 1) {
        void *p = aligned_alloc(a, 3 * a + 1); /* size not a multiple of a */
        void *q = memalign(a, 100);
        ok = ok && p && q && aligned_to(p, a) && aligned_to(q, a);
        ok = ok && aligned_to(p, 16) && aligned_to(q, 16);
        free(p);
        free(q);
    }
    CHECK(ok);
    /* glibc's memalign rounds a non-power-of-two alignment up */
    void *p = memalign(ALIGN(48), 10), *q = memalign(ALIGN(3000), 10), *r = memalign(ALIGN(0), 10);
    CHECK(p && q && r && aligned_to(p, 64) && aligned_to(q, 4096));
    free(p), free(q), free(r);
}

static void test_valloc_pvalloc(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *v = valloc(100), *w = pvalloc(page + 1), *z = pvalloc(0);
    CHECK(v && w && z && aligned_to(v, page) && aligned_to(w, page) && aligned_to(z, page));
    CHECK(w && malloc_usable_size(w) >= 2 * page);
    CHECK(z && malloc_usable_size(z) >= page);
    /* written only when big enough, so that a failure cannot corrupt */
    if (w && malloc_usable_size(w) >= 2 * page)
        memset(w, 1, 2 * page);
    if (z && malloc_usable_size(z) >= page)
        memset(z, 2, page); /* pvalloc(0) is one writable page */
    free(v), free(w), free(z);
}

static void test_usable_size(void)
{
    CHECK(malloc_usable_size(NULL) == 0);
    bool ok = true;
    for (size_t n = 0; n < 70000; n = n * 5 / 4 + 1) {
        unsigned char *a = malloc(n), *b = malloc(n), *c = malloc(n);
        size_t ua = malloc_usable_size(a), ub = malloc_usable_size(b), uc = malloc_usable_size(c);
        ok = ok && ua >= n && ub >= n && uc >= n;
        memset(a, 0x11, ua), memset(c, 0x33, uc), memset(b, 0x22, ub);
        ok = ok && all_bytes(a, 0x11, ua) && all_bytes(c, 0x33, uc);
        free(a), free(b), free(c);
    }
    CHECK(ok);
    void *z1 = malloc(0), *z2 = malloc(0);
    CHECK(z1 && z2 && z1 != z2);
    free(z1), free(z2);
}

/* free_sized and free_aligned_sized are C23 (glibc 2.36 does not declare
 * them): reach them through the dynamic symbol table. */
static void test_c23_frees(void)
{
    void (*fs)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
    void (*fas)(void *, size_t, size_t) =
        (void (*)(void *, size_t, size_t))dlsym(RTLD_DEFAULT, "free_aligned_sized");
    CHECK(fs != NULL && fas != NULL);
    if (!fs || !fas)
        return;
    for (size_t n = 1; n < 1 << 22; n *= 3) {
        fs(malloc(n), n);
        fas(aligned_alloc(ALIGN(256), n), 256, n);
    }
    fs(NULL, 10);
    fas(NULL, 64, 10);
    void (*cf)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "cfree");
    CHECK(cf != NULL);
    if (cf)
        cf(malloc(10));
}

/* Every entry point resolves into the object that holds ox_owns: a missing
 * one would send its callers to glibc's heap. */
static void test_family_exported(void)
{
    static const char *names[] = {
        "malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
        "aligned_alloc", "memalign", "valloc", "pvalloc", "malloc_usable_size",
        "free_sized", "free_aligned_sized", "cfree", "__libc_malloc", "__libc_free",
        "__libc_calloc", "__libc_realloc", "__libc_memalign", "__libc_valloc",
        "__libc_pvalloc"};
    check_resolve_to_oxalloc(names, sizeof names / sizeof *names);
}

/* The __libc_ names are oxalloc too: blocks cross freely between them. */
static void test_libc_names(void)
{
    void *(*lm)(size_t) = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "__libc_malloc");
    void (*lf)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "__libc_free");
    CHECK(lm && lf);
    if (!lm || !lf)
        return;
    void *p = lm(100);
    CHECK(ox_served(p));
    free(p);
    lf(malloc(100));
}

/* Real exhaustion, not just unservable sizes: with the address space
 * capped (RLIMIT_AS, in a child), a request beyond the cap fails the
 * C-library way from every entry point and leaves everything usable. */
static void oom_child(void)
{
    char *keep = malloc(1000);
    CHILD_ASSERT(keep != NULL);
    memset(keep, 'k', 1000);
    struct rlimit cap = {512u << 20, 512u << 20};
    CHILD_ASSERT(setrlimit(RLIMIT_AS, &cap) == 0);
    size_t n = HUGE(1) << 30; /* 1 GiB: more than the cap allows */
    errno = 0;
    CHILD_ASSERT(fails_with(malloc(n), ENOMEM));
    errno = 0;
    CHILD_ASSERT(fails_with(calloc(n / 8, 8), ENOMEM));
    errno = 0;
    CHILD_ASSERT(fails_with(aligned_alloc(ALIGN(4096), n), ENOMEM));
    errno = 0;
    CHILD_ASSERT(fails_with(memalign(ALIGN(64), n), ENOMEM));
    errno = 0;
    CHILD_ASSERT(fails_with(valloc(n), ENOMEM));
    errno = 0;
    CHILD_ASSERT(fails_with(pvalloc(n), ENOMEM));
    errno = 0;
    CHILD_ASSERT(fails_with(reallocarray(NULL, n / 4, 4), ENOMEM));
    void *sentinel = (void *)0x5e17, *p = sentinel;
    CHILD_ASSERT(posix_memalign(&p, 64, n) == ENOMEM && p == sentinel);
    errno = 0;
    CHILD_ASSERT(realloc(keep, n) == NULL && errno == ENOMEM);
    CHILD_ASSERT(all_bytes(keep, 'k', 1000));
    for (int i = 0; i < 1000; i++) /* still usable afterwards */
        free(malloc((size_t)i * 64));
    free(keep);
}

static void test_real_oom(void) { CHECK_ISOLATED(oom_child); }

int main(void)
{
    test_family_exported();
    test_alignment();
    test_unservable_sizes();
    test_calloc();
    test_calloc_reuse();
    test_realloc();
    test_reallocarray();
    test_free_errno();
    test_posix_memalign();
    test_aligned_alloc_memalign();
    test_valloc_pvalloc();
    test_usable_size();
    test_c23_frees();
    test_libc_names();
    test_real_oom();
    return report("family");
}
