/*
 * remote_reuse - a thread that frees another thread's blocks and keeps
 * allocating reuses their memory, whatever their size class, while the
 * owner allocates nothing (rptest-like's end: the thread that finished
 * first waits while the other frees its blocks and allocates new ones).
 * Thread A allocates COUNT blocks of 1-16 KiB and hands them to B, then
 * waits; B replaces each by a block of the same size (allocate, then free
 * A's).  B's allocations must come from the memory of A's blocks: resident
 * memory may grow by at most a tenth of the bytes B freed.  Old code (only
 * blocks up to 1 KiB kept for the freeing thread, the rest stranded on A's
 * pages until A's next slow path): grew by the bytes freed.
 */
#include "lc.h"

#define COUNT 2048

static char *blocks[COUNT];
static size_t sizes[COUNT];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stage; /* 1: A's blocks ready; 2: B done */

static void set_stage(int s)
{
    pthread_mutex_lock(&lock);
    stage = s;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

static void wait_stage(int s)
{
    pthread_mutex_lock(&lock);
    while (stage < s) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
}

static void *owner(void *arg)
{
    (void)arg;
    for (int i = 0; i < COUNT; i++) {
        /* Every size from 1 KiB to 16 KiB in turn, 16-byte steps apart. */
        sizes[i] = KiB + (size_t)(i * 7919 % 961) * 16;
        blocks[i] = ox_malloc(sizes[i]);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], 0xa5, sizes[i]);
    }
    set_stage(1);
    wait_stage(2); /* alive and idle: its heap takes no slow path */
    return NULL;
}

int main(void)
{
    watchdog(30);
    pthread_t a;
    CHECK(pthread_create(&a, NULL, owner, NULL) == 0);
    wait_stage(1);
    size_t freed = 0, before = rss_bytes();
    for (int i = 0; i < COUNT; i++) {
        char *mine = ox_malloc(sizes[i]);
        CHECK(mine != NULL);
        memset(mine, 0x5a, sizes[i]);
        freed += sizes[i];
        ox_free(blocks[i]);
        blocks[i] = mine;
    }
    size_t grown = rss_bytes() - before;
    set_stage(2);
    pthread_join(a, NULL);
    printf("freed %zu KiB of the other thread's blocks while allocating as much: resident +%zu "
           "KiB\n",
           freed >> 10, grown >> 10);
    CHECKF(grown <= freed / 10,
           "resident grew by %zu KiB > a tenth of the %zu KiB freed: the freed blocks waited "
           "for their owner",
           grown >> 10, freed >> 10);
    for (int i = 0; i < COUNT; i++) ox_free(blocks[i]);
    return lc_finish("remote_reuse");
}
