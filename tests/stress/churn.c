/*
 * churn.c - thread churn: thousands of short-lived threads.
 *
 *   churn [PHASES] [WAVES_PER_PHASE] [WATCHDOG_SECONDS]
 *
 * Each wave starts 8 threads that allocate ~40 blocks, free some of them
 * and hand the rest, still live, to two long-lived survivor threads
 * through a queue, then exit.  The survivors verify and free what they
 * receive, so nearly all of an exited thread's memory is freed remotely
 * after its owner is gone.  After every wave (once the queue is drained)
 * RSS and the number of mappings are sampled; phase 0 is a warm-up, and
 * the last phase's maxima must stay below twice the first measured
 * phase's (plus a little slack for tiny numbers).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "oxalloc.h"
#include "rust_alloc.h"
#include "testutil.h"

CHECK_DEFINE_COUNTERS;

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define WAVE 8
#define PER_THREAD 40
#define QCAP 4096
#define SURVIVORS 2

struct blk {
    void *p;
    size_t s, a; /* a == 0: ox_malloc'd */
};

/* ---- the hand-over queue ------------------------------------------------ */

static struct blk queue[QCAP];
static size_t q_head, q_len;
static bool q_closed;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_changed = PTHREAD_COND_INITIALIZER;
static size_t q_busy; /* blocks taken but not yet freed */

static void q_push(struct blk b)
{
    pthread_mutex_lock(&q_lock);
    while (q_len == QCAP)
        pthread_cond_wait(&q_changed, &q_lock);
    queue[(q_head + q_len++) % QCAP] = b;
    pthread_cond_signal(&q_nonempty);
    pthread_mutex_unlock(&q_lock);
}

/* Waits until every pushed block has been freed by a survivor. */
static void q_drain(void)
{
    pthread_mutex_lock(&q_lock);
    while (q_len || q_busy)
        pthread_cond_wait(&q_changed, &q_lock);
    pthread_mutex_unlock(&q_lock);
}

static void blk_release(struct blk *b)
{
    CHECKF(blk_ok(b->p, b->s), "handed-over block %p (%zu bytes) changed",
           b->p, b->s);
    if (b->a)
        rust_dealloc(b->p, b->s, b->a);
    else
        ox_free(b->p);
}

static void *survivor(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&q_lock);
    for (;;) {
        while (!q_len && !q_closed)
            pthread_cond_wait(&q_nonempty, &q_lock);
        if (!q_len)
            break;
        struct blk b = queue[q_head];
        q_head = (q_head + 1) % QCAP;
        q_len--;
        q_busy++;
        pthread_mutex_unlock(&q_lock);
        blk_release(&b);
        pthread_mutex_lock(&q_lock);
        q_busy--;
        pthread_cond_broadcast(&q_changed);
    }
    pthread_mutex_unlock(&q_lock);
    return NULL;
}

/* ---- the short-lived threads ------------------------------------------- */

static void *short_lived(void *arg)
{
    uint64_t id = (uint64_t)(uintptr_t)arg;
    rng_t r = rng_make(id);
    struct blk b[PER_THREAD];
    for (int i = 0; i < PER_THREAD; i++) {
        uint64_t x = rng_below(&r, 100);
        b[i].s = x < 80 ? 1 + rng_below(&r, 512)
               : x < 98 ? 512 + rng_below(&r, 32 * KiB)
                        : 64 * KiB + rng_below(&r, 512 * KiB);
        b[i].a = rng_below(&r, 2) ? 0 : (size_t)8 << rng_below(&r, 6);
        b[i].p = b[i].a ? rust_alloc(b[i].s, b[i].a) : ox_malloc(b[i].s);
        CHECK(b[i].p != NULL);
        if (b[i].p)
            blk_fill(b[i].p, b[i].s);
    }
    if (id % 64 == 0) { /* now and then a huge block */
        struct blk h = { rust_alloc(3 * MiB, 64), 3 * MiB, 64 };
        CHECK(h.p != NULL);
        if (h.p) {
            blk_fill(h.p, h.s);
            q_push(h);
        }
    }
    for (int i = 0; i < PER_THREAD; i++) {
        if (!b[i].p)
            continue;
        if (i % 4 == 0)
            blk_release(&b[i]); /* a quarter freed locally */
        else
            q_push(b[i]);       /* the rest outlive this thread */
    }
    return NULL;
}

struct sample {
    size_t rss;
    long maps;
};

static struct sample wave(uint64_t first_id)
{
    pthread_t t[WAVE];
    for (int i = 0; i < WAVE; i++)
        CHECK(pthread_create(&t[i], NULL, short_lived,
                             (void *)(uintptr_t)(first_id + (uint64_t)i)) == 0);
    for (int i = 0; i < WAVE; i++)
        pthread_join(t[i], NULL);
    q_drain();
    return (struct sample){ rss_bytes(), maps_count() };
}

int main(int argc, char **argv)
{
    int phases = argc > 1 ? atoi(argv[1]) : 5;
    int waves = argc > 2 ? atoi(argv[2]) : 100;
    watchdog(argc > 3 ? (unsigned)atoi(argv[3]) : 120);
    if (phases < 3 || waves < 1)
        return 2;

    pthread_t surv[SURVIVORS];
    for (int i = 0; i < SURVIVORS; i++)
        CHECK(pthread_create(&surv[i], NULL, survivor, NULL) == 0);

    struct sample first = { 0, 0 }, last = { 0, 0 };
    uint64_t id = 1;
    for (int ph = 0; ph < phases; ph++) {
        struct sample mx = { 0, 0 };
        for (int w = 0; w < waves; w++, id += WAVE) {
            struct sample s = wave(id);
            mx.rss = s.rss > mx.rss ? s.rss : mx.rss;
            mx.maps = s.maps > mx.maps ? s.maps : mx.maps;
        }
        printf("phase %d: max rss %zu KiB, max mappings %ld\n", ph,
               mx.rss >> 10, mx.maps);
        if (ph == 1)
            first = mx;
        last = mx;
    }
    pthread_mutex_lock(&q_lock);
    q_closed = true;
    pthread_cond_broadcast(&q_nonempty);
    pthread_mutex_unlock(&q_lock);
    for (int i = 0; i < SURVIVORS; i++)
        pthread_join(surv[i], NULL);

    CHECKF(last.rss < 2 * first.rss + 8 * MiB,
           "RSS grew: %zu KiB in the last phase, %zu KiB in the first",
           last.rss >> 10, first.rss >> 10);
    CHECKF(last.maps < 2 * first.maps + 16,
           "mappings grew: %ld in the last phase, %ld in the first",
           last.maps, first.maps);
    printf("churn: %llu short-lived threads, %d survivors: %s\n",
           (unsigned long long)(id - 1), SURVIVORS,
           check_failures ? "FAILED" : "ok");
    return check_failures ? 1 : 0;
}
