/*
 * t_threads.c - cross-thread frees and thread exit.
 *
 * remote_free_N: N threads allocate blocks each round and hand them to
 * another thread, which verifies their content and frees them (with
 * rust_dealloc, ox_free and ox_free_sized); every round a different
 * partner, so every thread's pages receive remote frees from all others.
 *
 * remote_free_rss_bounded: one thread allocates, another frees; RSS
 * must not grow with the number of blocks passed.
 *
 * thread_exit_live_blocks: short-lived threads allocate and exit with
 * their blocks still live; other threads (main and a helper) verify and
 * free them.  Repeated many times, RSS and address space stay bounded,
 * which they cannot if the exited threads' memory is never reused.
 */
#include <pthread.h>
#include <sched.h>

#include "core.h"

struct blk {
    void *p;
    size_t s, a;
    int kind; /* 0 rust, 1 ox_malloc+ox_free, 2 rust+ox_free, 3 free_sized */
};

static size_t rand_size(rng_t *r)
{
    uint64_t x = rng_below(r, 100);
    if (x < 85)
        return 1 + rng_below(r, 2048);
    if (x < 98)
        return 2048 + rng_below(r, 64 * KiB);
    return 64 * KiB + rng_below(r, MiB);
}

static void blk_new(struct blk *b, rng_t *r)
{
    b->kind = (int)rng_below(r, 4);
    b->s = rand_size(r);
    b->a = (b->kind == 1 || b->kind == 3) ? 16
                                          : (size_t)1 << rng_below(r, 8);
    b->p = (b->kind == 1 || b->kind == 3) ? ox_malloc(b->s)
                                          : rust_alloc(b->s, b->a);
    CHECKF(b->p && is_aligned(b->p, b->a), "alloc(%zu, %zu) = %p", b->s,
           b->a, b->p);
    if (b->p)
        blk_fill(b->p, b->s);
}

static void blk_release(struct blk *b)
{
    if (!b->p)
        return;
    CHECKF(blk_ok(b->p, b->s), "block %p (%zu bytes) changed before free",
           b->p, b->s);
    switch (b->kind) {
    case 0: rust_dealloc(b->p, b->s, b->a); break;
    case 3: ox_free_sized(b->p, b->s); break;
    default: ox_free(b->p); break;
    }
    b->p = NULL;
}

/* ---- remote frees -------------------------------------------------------- */

#define RF_ROUNDS 40
#define RF_BLOCKS 400

static struct blk rf_slots[16][RF_BLOCKS];
static pthread_barrier_t rf_barrier;
static int rf_threads;

static void *rf_worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    rng_t r = rng_make(1000 + (uint64_t)me);
    for (int round = 0; round < RF_ROUNDS; round++) {
        for (int i = 0; i < RF_BLOCKS; i++)
            blk_new(&rf_slots[me][i], &r);
        pthread_barrier_wait(&rf_barrier);
        int partner = (me + 1 + round % (rf_threads - 1)) % rf_threads;
        for (int i = 0; i < RF_BLOCKS; i++)
            blk_release(&rf_slots[partner][i]);
        pthread_barrier_wait(&rf_barrier);
    }
    return NULL;
}

static void remote_free(int n)
{
    pthread_t t[16];
    rf_threads = n;
    pthread_barrier_init(&rf_barrier, NULL, (unsigned)n);
    for (int i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, rf_worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&rf_barrier);
    printf("%d threads: %d blocks freed remotely\n", n,
           n * RF_ROUNDS * RF_BLOCKS);
}

void test_remote_free_2(void) { remote_free(2); }
void test_remote_free_4(void) { remote_free(4); }
void test_remote_free_8(void) { remote_free(8); }
void test_remote_free_16(void) { remote_free(16); }

/* ---- threads exiting with live blocks ------------------------------------ */

#define TE_ITERS 150
#define TE_BLOCKS 1500
#define TE_BIG 3

static struct blk te_blocks[TE_BLOCKS + TE_BIG];

static void *te_owner(void *arg)
{
    rng_t r = rng_make((uint64_t)(intptr_t)arg);
    for (int i = 0; i < TE_BLOCKS; i++)
        blk_new(&te_blocks[i], &r);
    static const size_t big[TE_BIG] = { 256 * KiB, 2 * MiB, 6 * MiB };
    for (int i = 0; i < TE_BIG; i++) {
        struct blk *b = &te_blocks[TE_BLOCKS + i];
        b->kind = 0;
        b->s = big[i];
        b->a = 64;
        b->p = rust_alloc(b->s, b->a);
        CHECK(b->p != NULL);
        if (b->p)
            blk_fill(b->p, b->s);
    }
    return NULL; /* exits with every block live */
}

/* Frees the odd-numbered blocks; the main thread frees the even ones. */
static void *te_helper(void *arg)
{
    (void)arg;
    for (int i = 1; i < TE_BLOCKS + TE_BIG; i += 2)
        blk_release(&te_blocks[i]);
    return NULL;
}

void test_thread_exit_live_blocks(void)
{
    size_t rss0 = 0, vm0 = 0, rss_max = 0, vm_max = 0;
    for (int it = 0; it < TE_ITERS; it++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, te_owner, (void *)(intptr_t)(it + 1)) == 0);
        pthread_join(t, NULL);
        CHECK(pthread_create(&t, NULL, te_helper, NULL) == 0);
        for (int i = 0; i < TE_BLOCKS + TE_BIG; i += 2)
            blk_release(&te_blocks[i]);
        pthread_join(t, NULL);
        size_t rss = rss_bytes(), vm = vm_bytes();
        if (it == 10) {
            rss0 = rss;
            vm0 = vm;
        }
        if (it > 10) {
            rss_max = rss > rss_max ? rss : rss_max;
            vm_max = vm > vm_max ? vm : vm_max;
        }
    }
    printf("after warm-up: rss %zu KiB, vm %zu KiB; later maxima: rss %zu KiB, "
           "vm %zu KiB\n", rss0 >> 10, vm0 >> 10, rss_max >> 10, vm_max >> 10);
    /* Each iteration holds ~10 MiB: without reuse the 140 later ones would
     * add ~1.4 GiB. */
    CHECKF(rss_max <= rss0 + 64 * MiB, "RSS grew from %zu to %zu KiB",
           rss0 >> 10, rss_max >> 10);
    CHECKF(vm_max <= vm0 + 512 * MiB, "address space grew from %zu to %zu KiB",
           vm0 >> 10, vm_max >> 10);
}

/* ---- producer/consumer: RSS stays bounded when another thread frees ---- */

#define PC_RING 8192            /* live blocks in flight at most */
#define PC_TOTAL (1L << 20)     /* blocks produced */

static void *pc_ring[PC_RING];
static _Atomic long pc_head, pc_tail; /* produced / consumed counts */

static void *pc_consumer(void *arg)
{
    (void)arg;
    for (long n = 0; n < PC_TOTAL; n++) {
        while (atomic_load_explicit(&pc_head, memory_order_acquire) == n)
            sched_yield();
        void *p = pc_ring[n % PC_RING];
        size_t s = *(size_t *)p; /* the producer stored the size first */
        CHECKF(blk_ok((char *)p + sizeof s, s - sizeof s),
               "block %ld changed in flight", n);
        if (n & 1)
            ox_free(p);
        else
            rust_dealloc(p, s, 8);
        atomic_store_explicit(&pc_tail, n + 1, memory_order_release);
    }
    return NULL;
}

/* One thread allocates, another frees everything: the allocating thread
 * must get its remotely freed memory back, or RSS grows without bound
 * (about 1 GiB here). */
void test_remote_free_rss_bounded(void)
{
    pthread_t t;
    rng_t r = rng_make(99);
    size_t rss_warm = 0, rss_max = 0;
    CHECK(pthread_create(&t, NULL, pc_consumer, NULL) == 0);
    for (long n = 0; n < PC_TOTAL; n++) {
        while (n - atomic_load_explicit(&pc_tail, memory_order_acquire) >=
               PC_RING)
            sched_yield();
        size_t s = 16 + rng_below(&r, 2000);
        void *p = n & 1 ? ox_malloc(s) : rust_alloc(s, 8);
        CHECK(p != NULL);
        if (!p)
            break;
        memcpy(p, &s, sizeof s);
        blk_fill((char *)p + sizeof s, s - sizeof s);
        pc_ring[n % PC_RING] = p;
        atomic_store_explicit(&pc_head, n + 1, memory_order_release);
        if ((n & 0xffff) == 0) {
            size_t rss = rss_bytes();
            if (n == PC_TOTAL / 8)
                rss_warm = rss;
            if (n > PC_TOTAL / 8 && rss > rss_max)
                rss_max = rss;
        }
    }
    pthread_join(t, NULL);
    printf("producer/consumer: rss after warm-up %zu KiB, later max %zu KiB\n",
           rss_warm >> 10, rss_max >> 10);
    CHECKF(rss_max <= 2 * rss_warm + 32 * MiB,
           "RSS grew from %zu KiB to %zu KiB while another thread freed",
           rss_warm >> 10, rss_max >> 10);
}
