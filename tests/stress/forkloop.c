/*
 * forkloop.c - fork while other threads allocate and free.
 *
 *   forkloop [FORKS] [WORKERS] [WATCHDOG_SECONDS]
 *
 * WORKERS threads allocate, verify and free blocks of every range without
 * pause; one of them also forks now and then (up to 50 times).  The main thread forks FORKS
 * times.  Each child (with its own watchdog, since alarms are not
 * inherited) verifies and frees blocks its parent's worker had allocated
 * (their owner thread does not exist in the child), allocates and frees
 * in every range from its only thread and from a new thread, and exits 0.
 * A child that hangs, crashes or finds corrupted memory fails the test.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "check.h"
#include "oxalloc.h"
#include "rust_alloc.h"
#include "testutil.h"

CHECK_DEFINE_COUNTERS;

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define INHERITED 64
#define WORKER_FORKS_EVERY 2000
#define WORKER_FORKS_MAX 50

static _Atomic bool stop;
static _Atomic long forks_ok, forks_failed;

/* Blocks allocated by worker 0 before the forks start; every child frees
 * its copies. */
static void *inherited[INHERITED];
static size_t inherited_size[INHERITED];
static pthread_barrier_t ready;

/* Worker sizes stay below 256 KiB (huge blocks are left to the children
 * and the inherited set): after each fork every page a worker writes is
 * copied once, and a large working set would make the loop slow. */
static size_t pick_size(rng_t *r, size_t top)
{
    uint64_t x = rng_below(r, 16);
    return 1 + rng_below(r, x < 12 ? 256 : x < 15 ? 8 * KiB : top);
}

/* ---- the child ---------------------------------------------------------- */

static void *child_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        size_t s = 1 + (size_t)i * 97;
        void *p = ox_malloc(s);
        if (!p || (blk_fill(p, s), !blk_ok(p, s)))
            _exit(3);
        ox_free(p);
    }
    return NULL;
}

/* Runs in the child; never returns. */
static void child_main(void)
{
    alarm(30); /* the parent's alarm is not inherited: a hang exits 124 */
    for (int i = 0; i < INHERITED; i++) {
        if (!blk_ok(inherited[i], inherited_size[i]))
            _exit(4);
        rust_dealloc(inherited[i], inherited_size[i], 32);
    }
    static const size_t sz[] = { 0, 24, 1000, 40000, 700 * KiB, 9 * MiB };
    void *p[sizeof sz / sizeof sz[0]];
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        p[i] = rust_alloc(sz[i], 64);
        if (!p[i])
            _exit(5);
        blk_fill(p[i], sz[i]);
    }
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        if (!blk_ok(p[i], sz[i]))
            _exit(6);
        rust_dealloc(p[i], sz[i], 64);
    }
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, NULL) != 0)
        _exit(7);
    pthread_join(t, NULL);
    _exit(0);
}

/* Forks once, waits for the child; counts the outcome. */
static void fork_once(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        CHECKF(false, "fork failed");
        return;
    }
    if (pid == 0)
        child_main();
    int st;
    while (waitpid(pid, &st, 0) < 0) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        forks_ok++;
        return;
    }
    forks_failed++;
    CHECKF(false, "child %s %d", WIFEXITED(st) ? "exited with" : "killed by",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* ---- the workers --------------------------------------------------------- */

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    rng_t r = rng_make(77 + (uint64_t)me);
    void *p[128] = { 0 };
    size_t s[128] = { 0 };
    if (me == 0)
        for (int i = 0; i < INHERITED; i++) {
            inherited_size[i] = pick_size(&r, i < 4 ? 4 * MiB : 256 * KiB);
            inherited[i] = rust_alloc(inherited_size[i], 32);
            CHECK(inherited[i] != NULL);
            blk_fill(inherited[i], inherited_size[i]);
        }
    pthread_barrier_wait(&ready);
    for (long n = 1; !stop; n++) {
        int i = (int)rng_below(&r, 128);
        if (p[i]) {
            CHECKF(blk_ok(p[i], s[i]), "worker block of %zu changed", s[i]);
            ox_free(p[i]);
            p[i] = NULL;
        } else {
            s[i] = pick_size(&r, 256 * KiB);
            p[i] = ox_malloc(s[i]);
            CHECK(p[i] != NULL);
            if (p[i])
                blk_fill(p[i], s[i]);
        }
        if (me == 1 && n % WORKER_FORKS_EVERY == 0 &&
            n / WORKER_FORKS_EVERY <= WORKER_FORKS_MAX)
            fork_once(); /* forking from a thread other than main */
    }
    for (int i = 0; i < 128; i++)
        ox_free(p[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 200;
    int workers = argc > 2 ? atoi(argv[2]) : 4;
    watchdog(argc > 3 ? (unsigned)atoi(argv[3]) : 120);
    if (workers < 2 || workers > 64)
        return 2;
    pthread_t t[64];
    pthread_barrier_init(&ready, NULL, (unsigned)workers + 1);
    for (int i = 0; i < workers; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) == 0);
    pthread_barrier_wait(&ready);
    for (int i = 0; i < forks; i++)
        fork_once();
    stop = true;
    for (int i = 0; i < workers; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < INHERITED; i++)
        if (inherited[i]) {
            CHECK(blk_ok(inherited[i], inherited_size[i]));
            rust_dealloc(inherited[i], inherited_size[i], 32);
        }
    printf("forkloop: %ld forks survived, %ld failed, %d worker threads: %s\n",
           (long)forks_ok, (long)forks_failed, workers,
           check_failures ? "FAILED" : "ok");
    return check_failures ? 1 : 0;
}
