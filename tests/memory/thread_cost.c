/*
 * thread_cost - what oxalloc makes resident for a process's first
 * allocation and for each thread's first one (anonymous memory, from
 * /proc/self/status), 16 threads that already exist and then allocate
 * one 64 B block each.  A heap (12.6 KiB) must not touch its last OS page
 * without profiling, nor a fresh segment the OS pages of page entries it
 * does not use.  Old code: "a thread's first allocation made 28 KiB
 * resident" (heap 16, segment header 12), "the process's first allocation
 * made 52 KiB resident"; now 20 and 44 KiB.
 */
#include "lc.h"

#define THREADS 16

static pthread_barrier_t ready, go, done, leave;
static void *blocks[THREADS];

static void *thread_main(void *arg)
{
    size_t i = (size_t)arg;
    pthread_barrier_wait(&ready);
    pthread_barrier_wait(&go);
    blocks[i] = ox_malloc(64);
    memset(blocks[i], 1, 64);
    pthread_barrier_wait(&done);
    pthread_barrier_wait(&leave);
    ox_free(blocks[i]);
    return NULL;
}

static size_t anon(void) { return status_kb_field("RssAnon"); }

int main(void)
{
    watchdog(30);
    size_t before = anon();
    void *first = ox_malloc(64);
    memset(first, 1, 64);
    size_t process = anon() - before;

    pthread_t t[THREADS];
    pthread_barrier_init(&ready, NULL, THREADS + 1);
    pthread_barrier_init(&go, NULL, THREADS + 1);
    pthread_barrier_init(&done, NULL, THREADS + 1);
    pthread_barrier_init(&leave, NULL, THREADS + 1);
    for (size_t i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, thread_main, (void *)i) == 0);
    pthread_barrier_wait(&ready); /* every thread exists, none allocated */
    size_t idle = anon();
    pthread_barrier_wait(&go);
    pthread_barrier_wait(&done);
    size_t per_thread = (anon() - idle) / THREADS;
    pthread_barrier_wait(&leave);
    for (size_t i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    ox_free(first);

    printf("first allocation: %zu KiB; a thread's first allocation: %zu KiB\n", process >> 10,
           per_thread >> 10);
    CHECKF(per_thread <= 24 * KiB, "a thread's first allocation made %zu KiB resident",
           per_thread >> 10);
    CHECKF(process <= 48 * KiB, "the process's first allocation made %zu KiB resident",
           process >> 10);
    return lc_finish("thread_cost");
}
