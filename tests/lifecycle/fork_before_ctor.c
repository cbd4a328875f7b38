/*
 * fork_before_ctor - forks made before oxalloc's own constructor has run:
 * a constructor of the program with priority 101 (so it runs before
 * oxalloc's, which has the default priority; a shared library's
 * constructor runs before it too, also under LD_PRELOAD) makes a
 * first-class heap, starts threads that allocate and free its huge
 * blocks without pause (its spin lock is often held at a fork), and
 * forks; each child frees a huge block of that heap.  Every child must
 * finish: the child handler must be in place once oxalloc has state to
 * repair, whenever its constructor runs (old code: it was registered by
 * that constructor only, so these children spun for ever in arena_lock).
 */
#include "lc.h"

#define FORKS    400
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

__attribute__((constructor(101))) static void early(void)
{
    watchdog(100);
    heap = ox_heap_new();
    void *mine = ox_heap_malloc(heap, 6 * MiB);
    CHECK(heap && mine);
    pthread_t t[CHURNERS];
    for (int i = 0; i < CHURNERS; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    for (int i = 0; i < FORKS && !hung; i++, forks_done++) {
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
            fprintf(stderr, "child %d of %d: status %d (hung: 142 = its alarm)\n", i, FORKS, rc);
            hung++;
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < CHURNERS; i++)
        pthread_join(t[i], NULL);
}

int main(void)
{
    printf("%d forks from a constructor that runs before oxalloc's\n", forks_done);
    CHECKF(hung == 0, "%d of %d children did not finish", hung, forks_done);
    return lc_finish("fork_before_ctor");
}
