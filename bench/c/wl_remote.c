/*
 * wl_remote.c - cross-thread free patterns (larson, xmalloc-test and
 * rptest in the allocator literature), each at N threads
 * (the number after the name):
 *   xmalloc-like-N    N/2 threads only allocate, N/2 only free (xmalloc-test)
 *   rptest-like-N     random sizes and lifetimes, random hand-offs (rptest)
 *   thread-replace-N  larson's thread replacement: a worker exits and its
 *                     successor inherits its live blocks
 * Every block carries [id, size, ..., mix(id)] so that whichever thread
 * frees it checks it; the checksum does not depend on interleaving.
 */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* A block of `size` bytes (a multiple of 8, >= 24) stamped with id. */
static uint64_t *block_new(uint64_t id, size_t size)
{
    uint64_t *p = xmalloc(size);
    stamp(p, size, id);
    p[1] = size;
    return p;
}

static void block_free(result_t *r, uint64_t *p)
{
    check(r, p, (size_t)p[1], p[0]);
    free(p);
}

/* Sizes 24..512 B (multiples of 8), small ones more likely (log-uniform). */
static size_t small_size(uint64_t *rng)
{
    unsigned shift = 5 + (unsigned)(rng_next(rng) % 5); /* 32 .. 512 */
    size_t size = (size_t)rng_range(rng, (1u << shift) / 2, 1u << shift);
    size &= ~(size_t)7;
    return size < 24 ? 24 : size;
}

/* ---- a bounded hand-off stack of batches, shared by all threads ---------- */

#define BATCH 64

typedef struct batch {
    struct batch *next;
    int count;
    uint64_t *ptr[BATCH];
} batch_t;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    batch_t *full;   /* batches waiting to be freed */
    batch_t *empty;  /* spare batch records (not from the allocator) */
    int nfull, limit, producers_left;
} handoff_t;

static void handoff_init(handoff_t *h, batch_t *records, int nrecords, int limit, int producers)
{
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->changed, NULL);
    h->full = h->empty = NULL;
    h->nfull = 0;
    h->limit = limit;
    h->producers_left = producers;
    for (int i = 0; i < nrecords; i++) {
        records[i].next = h->empty;
        h->empty = &records[i];
    }
}

/* ---- xmalloc-like-N ----------------------------------------------------- */

typedef struct {
    handoff_t h;
    uint64_t batches_per_producer;
} xm_t;

static void xm_produce(worker_t *w, xm_t *x)
{
    uint64_t rng = 4242 + (uint64_t)w->index, id = ((uint64_t)w->index + 1) << 40;
    for (uint64_t n = 0; n < x->batches_per_producer; n++) {
        pthread_mutex_lock(&x->h.lock);
        while (x->h.empty == NULL || x->h.nfull >= x->h.limit)
            pthread_cond_wait(&x->h.changed, &x->h.lock);
        batch_t *b = x->h.empty;
        x->h.empty = b->next;
        pthread_mutex_unlock(&x->h.lock);
        for (int i = 0; i < BATCH; i++)
            b->ptr[i] = block_new(id++, small_size(&rng));
        b->count = BATCH;
        pthread_mutex_lock(&x->h.lock);
        b->next = x->h.full;
        x->h.full = b;
        x->h.nfull++;
        pthread_cond_broadcast(&x->h.changed);
        pthread_mutex_unlock(&x->h.lock);
        w->res.ops += BATCH;
    }
    pthread_mutex_lock(&x->h.lock);
    x->h.producers_left--;
    pthread_cond_broadcast(&x->h.changed);
    pthread_mutex_unlock(&x->h.lock);
}

static void xm_consume(worker_t *w, xm_t *x)
{
    for (;;) {
        pthread_mutex_lock(&x->h.lock);
        while (x->h.full == NULL && x->h.producers_left > 0)
            pthread_cond_wait(&x->h.changed, &x->h.lock);
        batch_t *b = x->h.full;
        if (b == NULL) {
            pthread_mutex_unlock(&x->h.lock);
            return;
        }
        x->h.full = b->next;
        x->h.nfull--;
        pthread_mutex_unlock(&x->h.lock);
        for (int i = 0; i < b->count; i++)
            block_free(&w->res, b->ptr[i]);
        pthread_mutex_lock(&x->h.lock);
        b->next = x->h.empty;
        x->h.empty = b;
        pthread_cond_broadcast(&x->h.changed);
        pthread_mutex_unlock(&x->h.lock);
    }
}

/* Even-numbered threads allocate, odd-numbered ones free. */
static void *xm_worker(void *arg)
{
    worker_t *w = arg;
    pthread_barrier_wait(w->start);
    if (w->index % 2 == 0)
        xm_produce(w, w->shared);
    else
        xm_consume(w, w->shared);
    return NULL;
}

/* Allocating threads fill batches of 64 blocks (24-512 B) and push them on
 * a shared stack (at most 64 batches waiting); freeing threads pop, check
 * and free them: every free is remote and freeing threads never allocate. */
void wl_xmalloc(long nthreads, result_t *r)
{
    enum { RECORDS = 128 };
    int producers = (int)(nthreads + 1) / 2;
    xm_t *x = xmalloc(sizeof *x);
    batch_t *records = xmalloc(sizeof *records * RECORDS);
    handoff_init(&x->h, records, RECORDS, 64, producers);
    x->batches_per_producer = scaled(64000) / (uint64_t)producers;
    run_threads((int)nthreads < 2 ? 2 : (int)nthreads, xm_worker, 0, x, r);
    free(records);
    free(x);
    result_metric(r, "threads", (double)nthreads);
}

/* ---- rptest-like-N ------------------------------------------------------ */

#define RP_SLOTS 2048
#define RP_HANDOFF_EVERY 128
#define RP_MAX_THREADS 16

typedef struct {
    pthread_mutex_t lock;
    batch_t *inbox; /* batches handed to this thread */
} rp_inbox_t;

typedef struct {
    int nthreads;
    uint64_t ops_per_thread;
    pthread_barrier_t sent_all;
    rp_inbox_t box[RP_MAX_THREADS];
} rp_t;

/* Sizes 16 B .. 16 KiB, log-uniform: mostly small, some page-sized. */
static size_t rp_size(uint64_t *rng)
{
    unsigned shift = 4 + (unsigned)(rng_next(rng) % 11); /* 16 .. 16 KiB */
    size_t size = (size_t)rng_range(rng, (1u << shift) / 2 + 1, 1u << shift) & ~(size_t)7;
    return size < 24 ? 24 : size;
}

/* Put a received block into a random slot: it lives on for a random time
 * in its new thread. */
static void rp_adopt(worker_t *w, uint64_t **slot, uint64_t *rng, uint64_t *p)
{
    size_t i = (size_t)(rng_next(rng) % RP_SLOTS);
    if (slot[i])
        block_free(&w->res, slot[i]);
    slot[i] = p;
}

static void rp_receive(worker_t *w, rp_t *rp, uint64_t **slot, uint64_t *rng, int adopt)
{
    rp_inbox_t *box = &rp->box[w->index];
    pthread_mutex_lock(&box->lock);
    batch_t *b = box->inbox;
    box->inbox = NULL;
    pthread_mutex_unlock(&box->lock);
    while (b) {
        batch_t *next = b->next;
        for (int i = 0; i < b->count; i++) {
            if (adopt)
                rp_adopt(w, slot, rng, b->ptr[i]);
            else
                block_free(&w->res, b->ptr[i]);
        }
        free(b);
        b = next;
    }
}

static void *rp_worker(void *arg)
{
    worker_t *w = arg;
    rp_t *rp = w->shared;
    uint64_t **slot = calloc(RP_SLOTS, sizeof *slot);
    uint64_t rng = 99 + (uint64_t)w->index, id = ((uint64_t)w->index + 1) << 40;
    if (slot == NULL)
        abort();
    pthread_barrier_wait(w->start);
    for (uint64_t n = 0; n < rp->ops_per_thread; n++) {
        size_t i = (size_t)(rng_next(&rng) % RP_SLOTS);
        if (slot[i])
            block_free(&w->res, slot[i]);
        slot[i] = block_new(id++, rp_size(&rng));
        if (n % RP_HANDOFF_EVERY == RP_HANDOFF_EVERY - 1) {
            /* Hand up to BATCH random live blocks to a random other thread,
             * then take in what others handed to this one. */
            int to = (w->index + 1 + (int)(rng_next(&rng) % (uint64_t)(rp->nthreads - 1))) % rp->nthreads;
            batch_t *b = xmalloc(sizeof *b);
            b->count = 0;
            int want = (int)rng_range(&rng, 1, BATCH);
            for (int k = 0; k < want; k++) {
                size_t j = (size_t)(rng_next(&rng) % RP_SLOTS);
                if (slot[j]) {
                    b->ptr[b->count++] = slot[j];
                    slot[j] = NULL;
                }
            }
            pthread_mutex_lock(&rp->box[to].lock);
            b->next = rp->box[to].inbox;
            rp->box[to].inbox = b;
            pthread_mutex_unlock(&rp->box[to].lock);
            rp_receive(w, rp, slot, &rng, 1);
        }
    }
    w->res.ops = id - (((uint64_t)w->index + 1) << 40);
    pthread_barrier_wait(&rp->sent_all); /* nothing is sent after this */
    rp_receive(w, rp, slot, &rng, 0);
    for (size_t i = 0; i < RP_SLOTS; i++)
        if (slot[i])
            block_free(&w->res, slot[i]);
    free(slot);
    return NULL;
}

/* Each thread replaces random slots of its own 2048-slot table with blocks
 * of 16 B-16 KiB (log-uniform), and every 128 operations hands 1-64 random
 * live blocks to a random other thread, which puts them in random slots of
 * its table (so they are freed there, after a random further lifetime). */
void wl_rptest(long nthreads, result_t *r)
{
    int n = nthreads < 2 ? 2 : nthreads > RP_MAX_THREADS ? RP_MAX_THREADS : (int)nthreads;
    rp_t *rp = xmalloc(sizeof *rp);
    rp->nthreads = n;
    rp->ops_per_thread = scaled(1600000) / (uint64_t)n;
    pthread_barrier_init(&rp->sent_all, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        pthread_mutex_init(&rp->box[i].lock, NULL);
        rp->box[i].inbox = NULL;
    }
    run_threads(n, rp_worker, 0, rp, r);
    pthread_barrier_destroy(&rp->sent_all);
    free(rp);
    result_metric(r, "threads", (double)n);
}

/* ---- thread-replace-N --------------------------------------------------- */

#define TR_SLOTS 2000
#define TR_GENERATIONS 40

typedef struct {
    uint64_t *slot[TR_SLOTS]; /* the chain's live blocks, passed down */
    uint64_t rng, id, ops_per_generation;
    int generation;
    pthread_t predecessor, last;
    pthread_mutex_t lock;
    pthread_cond_t finished;
    int done;
    result_t res;
} tr_chain_t;

/* One generation: join the previous one (whose blocks this thread now
 * owns), replace random slots, then start the successor and exit; the last
 * generation tells the main thread, which joins it. */
static void *tr_generation(void *arg)
{
    tr_chain_t *c = arg;
    if (c->generation > 0)
        pthread_join(c->predecessor, NULL);
    for (uint64_t n = 0; n < c->ops_per_generation; n++) {
        size_t i = (size_t)(rng_next(&c->rng) % TR_SLOTS);
        block_free(&c->res, c->slot[i]);
        c->slot[i] = block_new(c->id++, small_size(&c->rng));
        c->res.ops++;
    }
    if (++c->generation < TR_GENERATIONS) {
        pthread_t next;
        c->predecessor = pthread_self();
        if (pthread_create(&next, NULL, tr_generation, c) != 0)
            abort();
        return NULL;
    }
    pthread_mutex_lock(&c->lock);
    c->last = pthread_self();
    c->done = 1;
    pthread_cond_signal(&c->finished);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* N chains run at once; each is 40 threads in a row, each doing 1/40 of
 * the chain's operations on its 2000 slots (replace a random block by one
 * of 24-512 B), then starting its successor and exiting, leaving it every
 * live block: the successor frees blocks of a thread that has exited. */
void wl_thread_replace(long nthreads, result_t *r)
{
    int n = nthreads < 1 ? 1 : nthreads > 64 ? 64 : (int)nthreads;
    tr_chain_t *chains = xmalloc(sizeof *chains * (size_t)n);
    for (int k = 0; k < n; k++) {
        tr_chain_t *c = &chains[k];
        memset(c, 0, sizeof *c);
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->finished, NULL);
        c->rng = 31 + (uint64_t)k;
        c->id = ((uint64_t)k + 1) << 40;
        c->ops_per_generation = scaled(7200000) / (uint64_t)n / TR_GENERATIONS;
        for (size_t i = 0; i < TR_SLOTS; i++)
            c->slot[i] = block_new(c->id++, small_size(&c->rng));
    }
    for (int k = 0; k < n; k++) {
        pthread_t first;
        if (pthread_create(&first, NULL, tr_generation, &chains[k]) != 0)
            abort();
    }
    for (int k = 0; k < n; k++) {
        tr_chain_t *c = &chains[k];
        pthread_mutex_lock(&c->lock);
        while (!c->done)
            pthread_cond_wait(&c->finished, &c->lock);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->last, NULL);
        for (size_t i = 0; i < TR_SLOTS; i++)
            block_free(&c->res, c->slot[i]);
        r->checksum += c->res.checksum;
        r->errors += c->res.errors;
        r->ops += c->res.ops + TR_SLOTS;
    }
    free(chains);
    result_metric(r, "threads", (double)n);
}
