/*
 * fork_huge_lock - a forked child frees a huge block of a first-class
 * heap while, in the parent, another thread allocates and frees huge
 * blocks of that heap without pause (its spin lock is often held at the
 * fork).  Every child must finish (old code: the child spun for ever in
 * arena_lock, within ~33 forks).
 */
#include "lc.h"

#define FORKS 1000
#define CHURNERS 2
static ox_heap_t *heap;
static _Atomic bool stop;

static void *churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        void *p = ox_heap_malloc(heap, 5 * MiB);
        ox_heap_free(p);
    }
    return NULL;
}

int main(void)
{
    watchdog(100);
    heap = ox_heap_new();
    void *mine = ox_heap_malloc(heap, 6 * MiB);
    CHECK(heap && mine);
    pthread_t t[CHURNERS];
    for (int i = 0; i < CHURNERS; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    int hung = 0;
    for (int i = 0; i < FORKS; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(2);
            ox_heap_free(mine);           /* takes the heap's huge lock */
            void *q = ox_heap_malloc(heap, 5 * MiB);
            ox_heap_free(q);
            ox_heap_destroy(heap);
            _exit(0);
        }
        int rc = lc_wait(pid);
        if (rc != 0) {
            fprintf(stderr, "child %d of %d: status %d (hung: 124 = alarm)\n", i, FORKS, rc);
            hung++;
            break; /* one is enough */
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < CHURNERS; i++)
        pthread_join(t[i], NULL);
    CHECKF(hung == 0, "%d of %d children did not finish", hung, FORKS);
    return lc_finish("fork_huge_lock");
}
