/*
 * stress.c - multi-threaded random-operation stress with content checks.
 *
 *   stress THREADS SCALE ITERATIONS [SEED] [WATCHDOG_SECONDS]
 *
 * THREADS threads each run ITERATIONS operations on a pool of shared
 * slots (256 * SCALE of them, one mutex each) and a small private pool.
 * The shared slots are split into one partition per thread: a thread
 * allocates and reallocates blocks in its own partition and frees the
 * blocks it finds in the others' (so with 2+ threads, shared frees are
 * remote); an eighth of the operations work on a private pool.  Blocks
 * come from every API (rust_alloc[_zeroed], ox_malloc/ox_calloc,
 * ox_aligned_alloc), sizes from 1 byte to 16 MiB, alignments up to 2 MiB;
 * every block carries a pattern derived from its address and size that is
 * verified before every free and realloc.  Seeds are
 * fixed (SEED, thread index), so a failure can be rerun.
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
#define LOCAL_SLOTS 64

enum kind { K_RUST, K_OX, K_ALIGNED };

struct blk {
    void *p;
    size_t s, a;
    enum kind kind;
    int owner; /* thread that allocated it */
};

struct slot {
    pthread_mutex_t m;
    struct blk b;
};

static struct slot *slots;
static size_t nslots;
static long iterations;
static int nthreads;
static uint64_t base_seed;

struct counters {
    unsigned long long ops, allocs, frees, remote_frees, reallocs;
};
static struct counters totals;
static pthread_mutex_t totals_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- random sizes and alignments ---------------------------------------- */

static size_t rand_size(rng_t *r)
{
    uint64_t x = rng_below(r, 1000);
    if (x < 700) return rng_below(r, 257);             /* tiny, includes 0 */
    if (x < 900) return 256 + rng_below(r, 8 * KiB);   /* small */
    if (x < 980) return 8 * KiB + rng_below(r, 256 * KiB); /* medium */
    if (x < 998) return 256 * KiB + rng_below(r, 2 * MiB); /* large */
    return 2 * MiB + rng_below(r, 14 * MiB);               /* huge */
}

static size_t rand_align(rng_t *r)
{
    uint64_t x = rng_below(r, 100);
    if (x < 80) return (size_t)1 << rng_below(r, 5);       /* 1..16 */
    if (x < 98) return (size_t)32 << rng_below(r, 8);      /* 32..4096 */
    return (size_t)8192 << rng_below(r, 9);                /* 8 KiB..2 MiB */
}

/* ---- block operations ---------------------------------------------------- */

static void blk_alloc(struct blk *b, rng_t *r, int me, struct counters *c)
{
    size_t s = rand_size(r);
    bool zeroed = rng_below(r, 4) == 0;
    b->kind = (enum kind)rng_below(r, 3);
    b->s = s;
    b->owner = me;
    switch (b->kind) {
    case K_RUST:
        b->a = rand_align(r);
        b->p = zeroed ? rust_alloc_zeroed(s, b->a) : rust_alloc(s, b->a);
        break;
    case K_OX:
        b->a = 16;
        b->p = zeroed ? ox_calloc(1, s) : ox_malloc(s);
        break;
    case K_ALIGNED:
        b->a = rand_align(r);
        zeroed = false;
        b->p = ox_aligned_alloc(b->a, s);
        break;
    }
    CHECKF(b->p && is_aligned(b->p, b->a), "kind %d size %zu align %zu: %p",
           b->kind, s, b->a, b->p);
    if (!b->p)
        return;
    if (zeroed)
        CHECKF(all_zero(b->p, s), "zeroed block %p of %zu not zero", b->p, s);
    blk_fill(b->p, s);
    c->allocs++;
}

static bool blk_verify(const struct blk *b)
{
    size_t bad = pat_find_bad(b->p, b->s, pat_seed(b->p, b->s));
    CHECKF(bad == SIZE_MAX,
           "block %p size %zu align %zu kind %d (owner %d): byte %zu changed",
           b->p, b->s, b->a, b->kind, b->owner, bad);
    return bad == SIZE_MAX;
}

static void blk_free(struct blk *b, rng_t *r, int me, struct counters *c)
{
    blk_verify(b);
    bool sized = rng_below(r, 2);
    switch (b->kind) {
    case K_RUST:
        if (sized) rust_dealloc(b->p, b->s, b->a);
        else ox_free(b->p);
        break;
    case K_OX:
        if (sized) ox_free_sized(b->p, b->s);
        else ox_free(b->p);
        break;
    case K_ALIGNED:
        if (sized) ox_free_aligned_sized(b->p, b->a, b->s);
        else ox_free(b->p);
        break;
    }
    c->frees++;
    c->remote_frees += b->owner != me;
    b->p = NULL;
}

/* rust blocks resize through rust_realloc (alignment kept); ox and aligned
 * blocks through ox_realloc, after which they are 16-aligned ox blocks. */
static void blk_realloc(struct blk *b, rng_t *r, int me, struct counters *c)
{
    if (!blk_verify(b))
        return;
    size_t ns = rand_size(r), keep = ns < b->s ? ns : b->s;
    uint64_t seed = pat_seed(b->p, b->s);
    void *q = b->kind == K_RUST ? rust_realloc(b->p, b->s, b->a, ns)
                                : ox_realloc(b->p, ns);
    if (b->kind != K_RUST && ns == 0) { /* ox_realloc(p, 0) frees */
        CHECK(q == NULL);
        b->p = NULL;
        c->frees++;
        return;
    }
    CHECKF(q != NULL, "realloc %zu -> %zu (align %zu) failed", b->s, ns, b->a);
    if (!q)
        return;
    if (b->kind != K_RUST) {
        b->kind = K_OX;
        b->a = 16;
    }
    CHECKF(is_aligned(q, b->a), "realloc result %p not %zu-aligned", q, b->a);
    CHECKF(pat_ok(q, keep, seed), "realloc %zu -> %zu lost content", b->s, ns);
    b->p = q;
    b->s = ns;
    b->owner = me;
    blk_fill(q, ns);
    c->reallocs++;
}

/* One operation on a private slot: allocate, or free / realloc / verify. */
static void operate_local(struct blk *b, rng_t *r, int me, struct counters *c)
{
    if (!b->p) {
        blk_alloc(b, r, me, c);
        return;
    }
    uint64_t x = rng_below(r, 100);
    if (x < 60)
        blk_free(b, r, me, c);
    else if (x < 85)
        blk_realloc(b, r, me, c);
    else
        blk_verify(b);
}

/* Shared slots are split into one partition per thread: a thread fills
 * (and reallocates) blocks in its own partition only, and frees blocks
 * found in the others', so with two or more threads every free of a
 * shared block is remote. */
static void operate_shared(rng_t *r, int me, int threads, struct counters *c)
{
    size_t per = nslots / (size_t)threads;
    bool produce = threads == 1 || rng_below(r, 2) == 0;
    int part = me;
    if (!produce)
        part = (me + 1 + (int)rng_below(r, (uint64_t)threads - 1)) % threads;
    struct slot *s = &slots[(size_t)part * per + rng_below(r, per)];
    pthread_mutex_lock(&s->m);
    if (!s->b.p) {
        if (produce)
            blk_alloc(&s->b, r, me, c);
    } else if (!produce || (threads == 1 && rng_below(r, 2))) {
        blk_free(&s->b, r, me, c);
    } else if (rng_below(r, 2)) {
        blk_realloc(&s->b, r, me, c);
    } else {
        blk_verify(&s->b);
    }
    pthread_mutex_unlock(&s->m);
}

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    rng_t r = rng_make(base_seed * 7919 + (uint64_t)me);
    struct blk local[LOCAL_SLOTS] = { { 0 } };
    struct counters c = { 0 };
    for (long i = 0; i < iterations; i++, c.ops++) {
        if (rng_below(&r, 8) == 0)
            operate_local(&local[rng_below(&r, LOCAL_SLOTS)], &r, me, &c);
        else
            operate_shared(&r, me, nthreads, &c);
    }
    for (int i = 0; i < LOCAL_SLOTS; i++)
        if (local[i].p)
            blk_free(&local[i], &r, me, &c);
    pthread_mutex_lock(&totals_lock);
    totals.ops += c.ops;
    totals.allocs += c.allocs;
    totals.frees += c.frees;
    totals.remote_frees += c.remote_frees;
    totals.reallocs += c.reallocs;
    pthread_mutex_unlock(&totals_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s THREADS SCALE ITERATIONS [SEED] [WATCHDOG]\n",
                argv[0]);
        return 2;
    }
    int threads = nthreads = atoi(argv[1]);
    nslots = 256 * (size_t)atoi(argv[2]);
    iterations = atol(argv[3]);
    base_seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
    watchdog(argc > 5 ? (unsigned)atoi(argv[5]) : 120);
    if (threads < 1 || threads > 1024 || nslots < (size_t)threads ||
        iterations < 0)
        return 2;

    slots = calloc(nslots, sizeof *slots); /* glibc: the harness's own memory */
    for (size_t i = 0; i < nslots; i++)
        pthread_mutex_init(&slots[i].m, NULL);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    for (int i = 0; i < threads; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);

    /* What is left in the shared slots is verified and freed by main. */
    rng_t r = rng_make(base_seed);
    struct counters c = { 0 };
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].b.p)
            blk_free(&slots[i].b, &r, -1, &c);
    totals.frees += c.frees;
    totals.remote_frees += c.remote_frees;

    printf("stress: threads %d, operations %llu (allocs %llu, frees %llu of "
           "which remote %llu, reallocs %llu), seed %llu: %s\n",
           threads, totals.ops, totals.allocs, totals.frees,
           totals.remote_frees, totals.reallocs,
           (unsigned long long)base_seed,
           check_failures ? "FAILED" : "ok");
    CHECKF(totals.allocs > 0, "nothing was allocated");
    CHECKF(totals.allocs == totals.frees, "%llu blocks allocated, %llu freed",
           totals.allocs, totals.frees);
    return check_failures ? 1 : 0;
}
