/*
 * faulty.c - OS failures injected into the allocator (the faulty build,
 * compiled with -DOX_FAULT_INJECTION=1, which exports
 * ox_test_fail_os_after).
 *
 *   faulty [MAX_N] [WATCHDOG_SECONDS]
 *
 * For n = 1, 2, ...: a fresh child (the parent never calls the allocator)
 * arms ox_test_fail_os_after(n) so that the n-th OS map/commit call fails,
 * runs a fixed workload touching every range and API (tiny to huge,
 * zeroed, aligned up to 2^26, realloc chains through mremap, a second
 * thread), and checks that every failure is a NULL with errno ENOMEM,
 * that a failed realloc leaves its block intact, and that all live blocks
 * keep their patterns.  Then it disarms the switch, frees everything and
 * runs the workload again, where nothing may fail.  The loop stops at
 * MAX_N, or after 25 consecutive n whose failure was never seen as a NULL
 * (n is then past the workload's OS calls).
 */
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "oxalloc.h"
#include "rust_alloc.h"
#include "testutil.h"

CHECK_DEFINE_COUNTERS;

void ox_test_fail_os_after(long n); /* faulty build only */

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define MAXLIVE 4096
#define SMALL_RUN 2000
#define QUIET_STOP 25 /* consecutive runs without a visible failure */

struct blk {
    void *p;
    size_t s, a; /* a == 0: ox_ block, released with ox_free */
};

static struct blk live[MAXLIVE];
static size_t nlive;
static long nulls; /* failures seen by this run */

/* Records the result of one allocation: a block, or a clean failure. */
static void got(void *p, size_t s, size_t a, bool zeroed, const char *what)
{
    if (!p) {
        CHECKF(errno == ENOMEM, "%s(%zu, %zu) = NULL with errno %d", what, s,
               a, errno);
        nulls++;
        return;
    }
    CHECKF(is_aligned(p, a ? a : 16), "%s(%zu, %zu) = %p", what, s, a, p);
    if (zeroed)
        CHECKF(all_zero(p, s), "%s(%zu) not zero", what, s);
    blk_fill(p, s);
    if (nlive < MAXLIVE)
        live[nlive++] = (struct blk){ p, s, a };
}

#define TRY(call, s, a, zeroed, what)                                        \
    do {                                                                     \
        errno = 0;                                                           \
        got((call), (s), (a), (zeroed), (what));                             \
    } while (0)

/* Resizes live block i to ns bytes; a failure must leave it intact. */
static void resize(size_t i, size_t ns)
{
    struct blk *b = &live[i];
    uint64_t seed = pat_seed(b->p, b->s);
    errno = 0;
    void *q = b->a ? rust_realloc(b->p, b->s, b->a, ns) : ox_realloc(b->p, ns);
    if (!q) {
        CHECKF(errno == ENOMEM, "realloc(%zu -> %zu): errno %d", b->s, ns,
               errno);
        CHECKF(blk_ok(b->p, b->s), "failed realloc changed the block");
        nulls++;
        return;
    }
    size_t keep = ns < b->s ? ns : b->s;
    CHECKF(pat_ok(q, keep, seed), "realloc(%zu -> %zu) lost content", b->s, ns);
    b->p = q;
    b->s = ns;
    blk_fill(q, ns);
}

static void *thread_part(void *arg)
{
    (void)arg;
    static const size_t sz[] = { 16, 700, 50000, 4 * MiB };
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
        TRY(rust_alloc(sz[i], 16), sz[i], 16, false, "thread rust_alloc");
    return NULL; /* its blocks stay live, the main thread frees them */
}

static void workload(void)
{
    static const size_t sz[] = { 8, 100, 1000, 5000, 40000, 200000, MiB,
                                 3 * MiB, 9 * MiB };
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        TRY(rust_alloc(sz[i], 16), sz[i], 16, false, "rust_alloc");
        TRY(ox_malloc(sz[i]), sz[i], 0, false, "ox_malloc");
        TRY(rust_alloc_zeroed(sz[i], 8), sz[i], 8, true, "rust_alloc_zeroed");
        TRY(ox_calloc(sz[i], 1), sz[i], 0, true, "ox_calloc");
    }
    static const size_t al[][2] = { { 4096, 100 }, { 65536, 5000 },
                                     { 2 * MiB, 10000 }, { (size_t)1 << 26, 100 },
                                     { 2 * MiB, 3 * MiB } };
    for (size_t i = 0; i < sizeof al / sizeof al[0]; i++) {
        TRY(rust_alloc(al[i][1], al[i][0]), al[i][1], al[i][0], false,
            "rust_alloc aligned");
        TRY(ox_aligned_alloc(al[i][0], al[i][1]), al[i][1], 0, false,
            "ox_aligned_alloc");
    }
    for (int i = 0; i < SMALL_RUN; i++) /* fills several fresh pages */
        TRY(rust_alloc(48 + (size_t)(i % 5) * 16, 16), 48 + (size_t)(i % 5) * 16,
            16, false, "rust_alloc small run");
    /* Realloc chains from tiny to huge (and mremap growth) and back. */
    size_t first = nlive;
    TRY(rust_alloc(100, 32), 100, 32, false, "rust_alloc chain");
    TRY(ox_malloc(100), 100, 0, false, "ox_malloc chain");
    static const size_t steps[] = { 3000, 90000, 900000, 5 * MiB, 11 * MiB,
                                    300, 6 * MiB };
    for (size_t k = first; k < nlive; k++)
        for (size_t j = 0; j < sizeof steps / sizeof steps[0]; j++)
            resize(k, steps[j]);
    /* Huge blocks freed into the cache, then a request bigger than each
     * (built from several, pages moved by mremap) and one much smaller
     * than a cached mapping (which is split). */
    for (size_t round = 0; round < 2; round++) {
        void *c[3];
        size_t cs[3] = { 2 * MiB, 3 * MiB + 5000, round ? 24 * MiB : 4 * MiB };
        for (int i = 0; i < 3; i++) {
            c[i] = rust_alloc(cs[i], 16);
            if (c[i])
                memset(c[i], 1, cs[i]);
        }
        for (int i = 0; i < 3; i++)
            if (c[i])
                rust_dealloc(c[i], cs[i], 16);
        size_t want = round ? 2 * MiB : 8 * MiB;
        TRY(rust_alloc(want, 16), want, 16, false, "rust_alloc from the cache");
    }
    pthread_t t;
    CHECK(pthread_create(&t, NULL, thread_part, NULL) == 0);
    pthread_join(t, NULL);
}

static void verify_and_free_all(void)
{
    for (size_t i = 0; i < nlive; i++) {
        CHECKF(blk_ok(live[i].p, live[i].s), "block %zu (%zu bytes) changed",
               i, live[i].s);
        if (live[i].a)
            rust_dealloc(live[i].p, live[i].s, live[i].a);
        else
            ox_free(live[i].p);
    }
    nlive = 0;
}

/* The child for one n.  Exit 0: clean, failure not visible; 10: clean,
 * the failure surfaced as a NULL; 1: a check failed. */
static void child(long n)
{
    alarm(30);
    check_failures = 0; /* the parent's count is inherited */
    ox_test_fail_os_after(n);
    workload();
    long seen = nulls;
    ox_test_fail_os_after(0);
    verify_and_free_all();
    nulls = 0;
    workload();
    CHECKF(nulls == 0, "%ld failures after disarming (n = %ld)", nulls, n);
    verify_and_free_all();
    if (check_failures)
        fprintf(stderr, "faulty: failing n = %ld (repro: faulty %ld 60 %ld)\n",
                n, n, n);
    _exit(check_failures ? 1 : seen ? 10 : 0);
}

int main(int argc, char **argv)
{
    long max_n = argc > 1 ? atol(argv[1]) : 400;
    watchdog(argc > 2 ? (unsigned)atoi(argv[2]) : 150);
    long runs = 0, visible = 0, crashes = 0, bad = 0, quiet_streak = 0;
    long lo = 1;
    if (argc > 3) /* faulty MAX_N WATCHDOG N: run only that n */
        lo = max_n = atol(argv[3]);
    for (long n = lo; n <= max_n && quiet_streak < QUIET_STOP; n++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            child(n);
        int st;
        while (waitpid(pid, &st, 0) < 0) {
        }
        runs++;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 10) {
            visible++;
            quiet_streak = 0;
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            quiet_streak++;
        } else {
            CHECKF(false, "n = %ld: child %s %d  (repro: faulty %ld 60 %ld)", n,
                   WIFEXITED(st) ? "exited" : "killed by signal",
                   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), n, n);
            if (WIFSIGNALED(st))
                crashes++;
            else
                bad++;
        }
    }
    printf("faulty: %ld runs (n = %ld..%ld), %ld injected faults surfaced as "
           "NULL/ENOMEM, %ld runs without a visible failure (absorbed, or n "
           "past the workload), %ld crashes, %ld failed runs\n",
           runs, lo, lo + runs - 1, visible, runs - visible - crashes - bad,
           crashes, bad);
    CHECKF(visible > 0, "no injected fault was ever seen");
    return check_failures ? 1 : 0;
}
