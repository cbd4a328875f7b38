/*
 * wl_threads.c - multi-threaded workloads: threads-N, producer-consumer,
 * larson-like, false-sharing.  The machine has 2 cores: more threads than
 * that measure contention, not speed-up.
 */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Start n threads running fn, wait for all, fold their results into r. */
void run_threads(int n, void *(*fn)(void *), long param, void *shared,
                        result_t *r)
{
    pthread_t *tid = xmalloc(sizeof *tid * (size_t)n);
    worker_t *w = xmalloc(sizeof *w * (size_t)n);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        w[i] = (worker_t){.index = i, .param = param, .start = &start, .shared = shared};
        if (pthread_create(&tid[i], NULL, fn, &w[i]) != 0)
            abort();
    }
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        r->checksum += w[i].res.checksum;
        r->ops += w[i].res.ops;
        r->errors += w[i].res.errors;
    }
    pthread_barrier_destroy(&start);
    free(tid);
    free(w);
}

/* ---- threads-N: each thread allocates then frees 1600 chunks of 128 B --- */

#define T_CHUNKS 1600
#define T_SIZE 128

static void *threads_worker(void *arg)
{
    worker_t *w = arg;
    void *chunk[T_CHUNKS];
    uint64_t id = (uint64_t)w->index << 40;
    pthread_barrier_wait(w->start);
    for (long round = 0; round < w->param; round++) {
        uint64_t first = id;
        for (int i = 0; i < T_CHUNKS; i++) {
            chunk[i] = xmalloc(T_SIZE);
            stamp(chunk[i], T_SIZE, id++);
        }
        for (int i = 0; i < T_CHUNKS; i++) {
            check(&w->res, chunk[i], T_SIZE, first + (uint64_t)i);
            free(chunk[i]);
        }
    }
    w->res.ops = id - ((uint64_t)w->index << 40);
    return NULL;
}

/* Every thread does the same number of rounds, so the total work grows
 * with N (the seed benchmark's definition). */
void wl_threads(long nthreads, result_t *r)
{
    run_threads((int)nthreads, threads_worker, (long)scaled(3000), NULL, r);
    result_metric(r, "threads", (double)nthreads);
}

/* ---- producer-consumer: blocks cross threads through a queue ------------ */

#define PC_BATCH 256
#define PC_MAX_QUEUED 64
#define PC_PAIRS 2

typedef struct batch {
    struct batch *next;
    int count;
    void *ptr[PC_BATCH];
    size_t size[PC_BATCH];
    uint64_t id[PC_BATCH];
} batch_t;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    batch_t *head, *tail;
    int queued, producers_left;
    uint64_t batches_per_producer;
} queue_t;

static void queue_push(queue_t *q, batch_t *b)
{
    pthread_mutex_lock(&q->lock);
    while (q->queued >= PC_MAX_QUEUED)
        pthread_cond_wait(&q->not_full, &q->lock);
    b->next = NULL;
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    q->queued++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

/* NULL once every producer is done and the queue is empty. */
static batch_t *queue_pop(queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->head == NULL && q->producers_left > 0)
        pthread_cond_wait(&q->not_empty, &q->lock);
    batch_t *b = q->head;
    if (b) {
        q->head = b->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->queued--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

static void producer(worker_t *w, queue_t *q)
{
    uint64_t rng = 1000 + (uint64_t)w->index, id = (uint64_t)w->index << 40;
    for (uint64_t n = 0; n < q->batches_per_producer; n++) {
        batch_t *b = xmalloc(sizeof *b);
        b->count = PC_BATCH;
        for (int i = 0; i < PC_BATCH; i++) {
            b->size[i] = (size_t)rng_range(&rng, 16, 1024);
            b->id[i] = id++;
            b->ptr[i] = xmalloc(b->size[i]);
            stamp(b->ptr[i], b->size[i], b->id[i]);
        }
        queue_push(q, b);
        w->res.ops += PC_BATCH;
    }
    pthread_mutex_lock(&q->lock);
    q->producers_left--;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static void consumer(worker_t *w, queue_t *q)
{
    batch_t *b;
    while ((b = queue_pop(q)) != NULL) {
        for (int i = 0; i < b->count; i++) {
            check(&w->res, b->ptr[i], b->size[i], b->id[i]);
            free(b->ptr[i]);
        }
        free(b);
    }
}

/* Even-numbered threads produce, odd-numbered ones consume. */
static void *pc_worker(void *arg)
{
    worker_t *w = arg;
    pthread_barrier_wait(w->start);
    if (w->index % 2 == 0)
        producer(w, w->shared);
    else
        consumer(w, w->shared);
    return NULL;
}

void wl_producer_consumer(long unused, result_t *r)
{
    (void)unused;
    queue_t q = {.lock = PTHREAD_MUTEX_INITIALIZER,
                 .not_empty = PTHREAD_COND_INITIALIZER,
                 .not_full = PTHREAD_COND_INITIALIZER,
                 .producers_left = PC_PAIRS,
                 .batches_per_producer = scaled(6000)};
    run_threads(2 * PC_PAIRS, pc_worker, 0, &q, r);
    result_metric(r, "threads", 2 * PC_PAIRS);
}

/* ---- larson-like: threads replace random slots of a shared array ------- */

#define LARSON_SLOTS 8192
#define LARSON_THREADS 4

typedef struct {
    _Atomic(uint64_t *) slot[LARSON_SLOTS];
    uint64_t ops_per_thread;
} larson_t;

/* A block holds [id, size, ..., mix(id)]: whoever frees it can check it. */
static uint64_t *larson_block(uint64_t *rng, uint64_t id)
{
    size_t size = (size_t)rng_range(rng, 24, 512) & ~(size_t)7; /* room for id, size, mix */
    uint64_t *p = xmalloc(size);
    stamp(p, size, id);
    p[1] = size;
    return p;
}

static void larson_free(result_t *r, uint64_t *p)
{
    check(r, p, (size_t)p[1], p[0]);
    free(p);
}

static void *larson_worker(void *arg)
{
    worker_t *w = arg;
    larson_t *l = w->shared;
    uint64_t rng = 77 + (uint64_t)w->index, id = ((uint64_t)w->index + 1) << 40;
    pthread_barrier_wait(w->start);
    for (uint64_t n = 0; n < l->ops_per_thread; n++) {
        size_t i = (size_t)(rng_next(&rng) % LARSON_SLOTS);
        uint64_t *old = atomic_exchange(&l->slot[i], larson_block(&rng, id++));
        larson_free(&w->res, old);
    }
    w->res.ops = l->ops_per_thread;
    return NULL;
}

void wl_larson(long unused, result_t *r)
{
    (void)unused;
    larson_t *l = xmalloc(sizeof *l);
    uint64_t rng = 5;
    l->ops_per_thread = scaled(1000000);
    for (uint64_t i = 0; i < LARSON_SLOTS; i++)
        atomic_init(&l->slot[i], larson_block(&rng, i));
    run_threads(LARSON_THREADS, larson_worker, 0, l, r);
    for (size_t i = 0; i < LARSON_SLOTS; i++)
        larson_free(r, atomic_load(&l->slot[i]));
    r->ops += LARSON_SLOTS;
    free(l);
    result_metric(r, "threads", LARSON_THREADS);
}

/* ---- false-sharing: small objects allocated by one thread, written by
 * others (Hoard's cache-scratch).  The main thread allocates one 8-byte
 * object per worker, back to back; each worker writes its object, frees
 * it, then repeatedly allocates its own object, writes it and frees it.
 * An allocator that hands a worker memory sharing a cache line with
 * another worker's object makes the writes ping-pong between cores. ---- */

#define FS_THREADS 2
#define FS_OBJ 8
#define FS_WRITES 2000

static uint64_t fs_write(volatile uint64_t *obj, uint64_t seed)
{
    for (int i = 0; i < FS_WRITES; i++)
        *obj += seed + (uint64_t)i;
    return *obj;
}

static void *fs_worker(void *arg)
{
    worker_t *w = arg;
    uint64_t **given = w->shared;
    uint64_t *obj = given[w->index];
    uint64_t sum = 0;
    pthread_barrier_wait(w->start);
    *obj = 0;
    sum += fs_write(obj, 1);
    free(obj);
    for (long round = 0; round < w->param; round++) {
        obj = xmalloc(FS_OBJ);
        *obj = 0;
        sum += fs_write(obj, (uint64_t)round);
        free(obj);
    }
    w->res.checksum = sum;
    w->res.ops = (uint64_t)w->param + 1;
    return NULL;
}

void wl_false_sharing(long unused, result_t *r)
{
    (void)unused;
    uint64_t *given[FS_THREADS];
    for (int i = 0; i < FS_THREADS; i++)
        given[i] = xmalloc(FS_OBJ);
    run_threads(FS_THREADS, fs_worker, (long)scaled(25000), given, r);
    r->ops += FS_THREADS;
    result_metric(r, "threads", FS_THREADS);
}
