/*
 * fork_init_early - fork while another thread makes the process's very
 * first allocation, from a constructor of the program's that runs before
 * oxalloc's own (priority 101), so that no fork handler of oxalloc's is
 * registered yet: the child must still be able to allocate (old code: it
 * waited for ever for an initialisation that no thread of it would
 * finish).  As in fork_first_alloc, many unknown OXALLOC_ variables make
 * the initialisation's window wide.
 */
#include <stdlib.h>

#include "lc.h"

#define ROUNDS 100
#define VARS   3000
static _Atomic bool started;

static void *first(void *arg)
{
    (void)arg;
    atomic_store(&started, true);
    void *p = ox_malloc(100);
    ox_free(p);
    return NULL;
}

/* In a fresh process (oxalloc never used in it), before oxalloc's
 * constructor: a thread initialises while this thread forks; the child
 * allocates. */
__attribute__((constructor(101))) static void early(void)
{
    if (!getenv("OXTEST_EARLY_ROUND"))
        return;
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
    _exit(rc);
}

int main(int argc, char **argv)
{
    (void)argc;
    watchdog(100);
    static char vars[VARS][32];
    for (int i = 0; i < VARS; i++) {
        snprintf(vars[i], sizeof vars[i], "OXALLOC_NO_SUCH_%d=1", i);
        putenv(vars[i]);
    }
    putenv("OXTEST_EARLY_ROUND=1");
    int bad = 0;
    for (int i = 0; i < ROUNDS; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(20);
            freopen("/dev/null", "w", stderr);
            execl("/proc/self/exe", argv[0], (char *)NULL);
            _exit(2);
        }
        int rc = lc_wait(pid);
        if (rc != 0) {
            fprintf(stderr, "round %d: status %d (hung child: 128+14 = alarm)\n", i, rc);
            bad++;
            break; /* one is enough */
        }
    }
    CHECKF(bad == 0, "%d of %d forked children did not finish", bad, ROUNDS);
    return lc_finish("fork_init_early");
}
