/*
 * fork_child_reuses - after fork the child owns the heaps of the parent's
 * other threads: a child that frees 200 MiB allocated by a parent thread
 * (alive in the parent, absent in the child) and allocates 200 MiB again
 * must not grow to 400 MiB (old code: 408 MiB committed - its frees sat
 * on the remote list of a heap whose owner does not exist).
 */
#include "lc.h"

#define BLOCK (16 * KiB)
#define COUNT (200 * MiB / BLOCK)
static void *blocks[COUNT];
static pthread_barrier_t filled, done;

static void *owner(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < COUNT; i++) {
        blocks[i] = ox_malloc(BLOCK);
        memset(blocks[i], 1, BLOCK);
    }
    pthread_barrier_wait(&filled);
    pthread_barrier_wait(&done); /* alive until the child has run */
    for (size_t i = 0; i < COUNT; i++)
        ox_free(blocks[i]);
    return NULL;
}

int main(void)
{
    watchdog(60);
    pthread_barrier_init(&filled, NULL, 2);
    pthread_barrier_init(&done, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, owner, NULL);
    pthread_barrier_wait(&filled);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(30);
        size_t before = lc_committed();
        for (size_t i = 0; i < COUNT; i++)
            ox_free(blocks[i]);
        for (size_t i = 0; i < COUNT; i++) {
            blocks[i] = ox_malloc(BLOCK);
            memset(blocks[i], 2, BLOCK);
        }
        size_t after = lc_committed();
        printf("child: committed %zu MiB before, %zu MiB after freeing and "
               "allocating 200 MiB again\n", before >> 20, after >> 20);
        fflush(stdout);
        _exit(after < before + 64 * MiB ? 0 : 1);
    }
    int rc = lc_wait(pid);
    CHECKF(rc == 0, "child status %d (1: it grew by the whole 200 MiB)", rc);
    pthread_barrier_wait(&done);
    pthread_join(t, NULL);
    return lc_finish("fork_child_reuses");
}
