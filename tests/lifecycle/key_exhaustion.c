/*
 * key_exhaustion - a program that uses up every pthread key before its
 * first allocation: oxalloc's key creation fails, which must neither
 * write into the program's keys (old code: pthread_setspecific(0, heap)
 * overwrote key 0, whose destructor then got oxalloc's heap) nor keep
 * the heaps of exited threads (they are still given back).
 */
#include <limits.h>

#include "lc.h"

#define THREADS 40
static pthread_key_t keys[PTHREAD_KEYS_MAX + 8];
static int nkeys;
static _Atomic int wrong_values;
static char marker[THREADS];

static void dtor(void *v)
{
    if (v < (void *)marker || v >= (void *)(marker + THREADS))
        atomic_fetch_add(&wrong_values, 1);
}

static void *thread(void *arg)
{
    /* Every key of the program holds this thread's marker. */
    for (int k = 0; k < nkeys; k++)
        pthread_setspecific(keys[k], arg);
    void *p = ox_malloc(100);
    ox_free(p);
    return NULL;
}

int main(void)
{
    watchdog(60);
    while (nkeys < PTHREAD_KEYS_MAX + 8 && pthread_key_create(&keys[nkeys], dtor) == 0)
        nkeys++;
    size_t before = lc_committed();
    for (int i = 0; i < THREADS; i++) {
        pthread_t t;
        pthread_create(&t, NULL, thread, &marker[i]);
        pthread_join(t, NULL);
    }
    ox_stats_t s;
    ox_stats_get(&s);
    printf("%d keys taken; %d destructor calls got a value that was not the "
           "program's; %zu segments in use after %d threads\n",
           nkeys, atomic_load(&wrong_values), s.segments_in_use, THREADS);
    CHECKF(atomic_load(&wrong_values) == 0, "the program's keys were overwritten");
    CHECKF(s.segments_in_use <= 4, "%zu segments held for exited threads", s.segments_in_use);
    (void)before;
    return lc_finish("key_exhaustion");
}
