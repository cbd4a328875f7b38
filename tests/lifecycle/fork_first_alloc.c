/*
 * fork_first_alloc [early] - fork while another thread makes the process's
 * very first allocation (one-time initialisation, exit-key creation).  The
 * child must be able to allocate (old code: it waited for ever for an
 * initialisation that no thread of it would finish).  The environment
 * carries many unknown OXALLOC_ variables, each warned about during the
 * initialisation, to make the window wide.
 *
 * Each round is a fresh process (oxalloc never used in it): the program
 * re-executed.  Plain, the round runs from main; with `early` it runs from
 * a constructor of the program's that runs before oxalloc's own (priority
 * 101), so that no fork handler of oxalloc's is registered yet.
 */
#include <stdlib.h>
#include <string.h>

#include "lc.h"

#define ROUNDS 150
#define EARLY_ROUNDS 100
#define VARS 3000
static _Atomic bool started;

static void *first(void *arg)
{
    (void)arg;
    atomic_store(&started, true);
    void *p = ox_malloc(100);
    ox_free(p);
    return NULL;
}

/* A thread initialises while this thread forks; the child allocates. */
static int one_round(void)
{
    pthread_t t;
    pthread_create(&t, NULL, first, NULL);
    while (!atomic_load(&started)) {
    }
    pid_t pid = fork();
    if (pid == 0) {
        alarm(2);
        void *p = ox_malloc(200);
        void *q = ox_malloc(50000);
        ox_free(p);
        ox_free(q);
        _exit(p && q ? 0 : 3);
    }
    int rc = lc_wait(pid);
    pthread_join(t, NULL);
    return rc;
}

__attribute__((constructor(101))) static void early_round(void)
{
    if (getenv("OXTEST_EARLY_ROUND"))
        _exit(one_round());
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "round") == 0) /* a re-executed copy */
        return one_round();
    bool early = argc > 1 && strcmp(argv[1], "early") == 0;
    int rounds = early ? EARLY_ROUNDS : ROUNDS;
    watchdog(100);
    /* Unknown variables: one warning line each (sent to /dev/null). */
    static char vars[VARS][32];
    for (int i = 0; i < VARS; i++) {
        snprintf(vars[i], sizeof vars[i], "OXALLOC_NO_SUCH_%d=1", i);
        putenv(vars[i]);
    }
    if (early)
        putenv("OXTEST_EARLY_ROUND=1");
    int bad = 0;
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(20);
            freopen("/dev/null", "w", stderr);
            execl("/proc/self/exe", argv[0], "round", (char *)NULL);
            _exit(2);
        }
        int rc = lc_wait(pid);
        if (rc != 0) {
            fprintf(stderr, "round %d: status %d (hung child: 128+14 = alarm)\n", i, rc);
            bad++;
            break; /* one is enough */
        }
    }
    CHECKF(bad == 0, "%d of %d forked children did not finish", bad, rounds);
    return lc_finish(early ? "fork_init_early" : "fork_first_alloc");
}
