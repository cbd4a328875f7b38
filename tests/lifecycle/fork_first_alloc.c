/*
 * fork_first_alloc - fork while another thread makes the process's very
 * first allocation (one-time initialisation, exit-key creation).  The
 * child must be able to allocate (old code: it waited for ever for an
 * initialisation that no thread of it would finish).  The environment
 * carries many unknown OXALLOC_ variables, each warned about during the
 * initialisation, to make the window wide.
 */
#include "lc.h"

#define ROUNDS 150
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

/* One fresh process (oxalloc never used in it): a thread initialises
 * while the main thread forks; the grandchild allocates. */
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

int main(int argc, char **argv)
{
    if (argc > 1) /* the re-executed copy, with the big environment */
        return one_round();
    watchdog(100);
    /* Unknown variables: one warning line each (sent to /dev/null). */
    static char vars[VARS][32];
    for (int i = 0; i < VARS; i++) {
        snprintf(vars[i], sizeof vars[i], "OXALLOC_NO_SUCH_%d=1", i);
        putenv(vars[i]);
    }
    int bad = 0;
    for (int i = 0; i < ROUNDS; i++) {
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
    CHECKF(bad == 0, "%d of %d forked children did not finish", bad, ROUNDS);
    return lc_finish("fork_first_alloc");
}
