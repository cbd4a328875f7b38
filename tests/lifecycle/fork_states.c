/*
 * fork_states - fork while other threads are in every state oxalloc
 * knows: starting up (first allocation, heap adoption), exiting (heap
 * abandonment), freeing into another thread's heap (remote frees in
 * flight, batches), allocating and freeing huge blocks of a first-class
 * heap, and purging.  Every child frees blocks of the parent's threads,
 * allocates in every size range from its thread and from a new thread,
 * and exits; none may hang (each has an alarm) or crash.
 */
#include "lc.h"

#define FORKS 120
#define RING 1024
#define INHERITED 256
static _Atomic bool stop;
static _Atomic(void *) ring[RING];
static void *inherited[INHERITED];
static ox_heap_t *arena;

static void *short_lived(void *arg)
{
    (void)arg;
    void *p = ox_malloc(300);
    ox_free(p);
    return NULL;
}

static void *spawner(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, NULL) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

static void *producer(void *arg)
{
    (void)arg;
    rng_t r = rng_make(7);
    for (size_t i = 0; !atomic_load(&stop); i++) {
        void *p = ox_malloc(16 + rng_below(&r, 3000));
        void *old = atomic_exchange(&ring[i % RING], p);
        if (old)
            ox_free(old);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (size_t i = 0; !atomic_load(&stop); i++) {
        void *p = atomic_exchange(&ring[(i * 7) % RING], NULL);
        if (p)
            ox_free(p); /* a remote free: batched for the producer's heap */
    }
    return NULL;
}

static void *huge_churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        void *p = ox_heap_malloc(arena, 2 * MiB);
        ox_heap_free(p);
        ox_collect(false);
    }
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    for (size_t s = 1; s < 4 * MiB; s = s * 3 + 1)
        ox_free(ox_malloc(s));
    return NULL;
}

static void child(void)
{
    alarm(10);
    for (int i = 0; i < INHERITED; i++)
        ox_free(inherited[i]);
    for (int i = 0; i < RING; i++)
        ox_free(atomic_exchange(&ring[i], NULL));
    for (size_t s = 1; s < 4 * MiB; s = s * 3 + 1) {
        void *p = ox_malloc(s);
        if (!p)
            _exit(3);
        memset(p, 1, s);
        ox_free(p);
    }
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, NULL) != 0)
        _exit(4);
    pthread_join(t, NULL);
    _exit(0);
}

static void *fill_inherited(void *arg)
{
    (void)arg;
    for (int i = 0; i < INHERITED; i++)
        inherited[i] = ox_malloc(64 + (size_t)i * 1000);
    return NULL;
}

int main(void)
{
    watchdog(100);
    arena = ox_heap_new();
    pthread_t f;
    pthread_create(&f, NULL, fill_inherited, NULL); /* an exited thread's blocks */
    pthread_join(f, NULL);
    pthread_t t[4];
    pthread_create(&t[0], NULL, spawner, NULL);
    pthread_create(&t[1], NULL, producer, NULL);
    pthread_create(&t[2], NULL, consumer, NULL);
    pthread_create(&t[3], NULL, huge_churn, NULL);
    int bad = 0;
    for (int i = 0; i < FORKS; i++) {
        usleep(2000);
        pid_t pid = fork();
        if (pid == 0)
            child();
        int rc = lc_wait(pid);
        if (rc != 0 && bad++ < 3)
            fprintf(stderr, "fork %d: child status %d\n", i, rc);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECKF(bad == 0, "%d of %d children failed", bad, FORKS);
    return lc_finish("fork_states");
}
