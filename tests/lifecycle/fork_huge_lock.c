/*
 * fork_huge_lock - a forked child frees a huge block of a first-class
 * heap while, in the parent, other threads allocate and free huge blocks
 * of that heap without pause (its spin lock is often held at the fork).
 * Every child must finish (old code: the child spun for ever in
 * arena_lock, within ~33 forks).
 *
 * With OXTEST_FORK_EARLY=1 in the environment (run.sh's fork_before_ctor)
 * the same forks are made from a constructor of the program with priority
 * 101, before oxalloc's own constructor has run (a shared library's
 * constructor runs before it too, also under LD_PRELOAD): the child
 * handler must be in place once oxalloc has state to repair, whenever its
 * constructor runs (old code registered it from that constructor only).
 */
#include <stdlib.h>

#include "lc.h"

#define FORKS 1000
#define EARLY_FORKS 400
#define CHURNERS 2
static ox_heap_t *heap;
static _Atomic bool stop;
static int hung, forks_done;

static void *churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        void *p = ox_heap_malloc(heap, 5 * MiB);
        ox_heap_free(p);
    }
    return NULL;
}

static void fork_while_churning(int forks)
{
    watchdog(100);
    heap = ox_heap_new();
    void *mine = ox_heap_malloc(heap, 6 * MiB);
    CHECK(heap && mine);
    pthread_t t[CHURNERS];
    for (int i = 0; i < CHURNERS; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    for (int i = 0; i < forks && !hung; i++, forks_done++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(2);
            ox_heap_free(mine); /* takes the heap's huge lock */
            void *q = ox_heap_malloc(heap, 5 * MiB);
            ox_heap_free(q);
            ox_heap_destroy(heap);
            _exit(0);
        }
        int rc = lc_wait(pid);
        if (rc != 0) {
            fprintf(stderr, "child %d of %d: status %d (hung: 142 = its alarm)\n", i, forks, rc);
            hung++; /* one is enough */
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < CHURNERS; i++)
        pthread_join(t[i], NULL);
}

__attribute__((constructor(101))) static void early(void)
{
    if (getenv("OXTEST_FORK_EARLY"))
        fork_while_churning(EARLY_FORKS);
}

int main(void)
{
    bool was_early = getenv("OXTEST_FORK_EARLY") != NULL;
    if (!was_early)
        fork_while_churning(FORKS);
    else
        printf("%d forks from a constructor that runs before oxalloc's\n", forks_done);
    CHECKF(hung == 0, "%d of %d children did not finish", hung, forks_done);
    return lc_finish(was_early ? "fork_before_ctor" : "fork_huge_lock");
}
