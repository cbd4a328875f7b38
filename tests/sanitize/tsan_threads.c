/*
 * tsan_threads.c - the concurrency test run under ThreadSanitizer by the
 * sanitize suite (tests/sanitize), compiled together with the core sources
 * so that TSan sees every access the allocator makes.
 *
 * First, several threads make the process's first allocations at the same
 * moment (lazy initialisation).  Then worker threads allocate with every
 * ox_/rust_ entry point, pattern the block and hand it on, either through a mutex-protected queue
 * or through an array of atomic mailboxes (release/acquire exchange); whoever takes a block
 * verifies the pattern and frees it (mostly a remote free), or reallocates it first.  Short-lived
 * threads exit with blocks still live; those are freed by the main thread after the join.  Any data
 * race that TSan sees inside the allocator is reported by TSan itself (the suite runs this with
 * halt_on_error=1); content or contract errors print a line and make the exit status 1.  Usage:
 * tsan_threads [rounds], or tsan_threads cold (the first-allocation phase only, to be run many
 * times).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oxalloc.h"
#include "rust_alloc.h"

#define NWORKERS      4
#define NMAILBOX      64
#define QCAP          256
#define OPS_PER_ROUND 4000
#define NCOLD         8  /* threads making the first allocations at once */
#define NCHURN        8  /* short-lived threads per round */
#define CHURN_LIVE    50 /* blocks each of them leaves behind */

/* How a block was allocated decides how it must be freed. */
enum kind { K_MALLOC, K_ALIGNED, K_RUST };

struct block {
  unsigned char *p;
  size_t size, align;
  enum kind kind;
  unsigned seed;
};

static _Atomic int errors;

static void report(const char *what, const struct block *b) {
  atomic_fetch_add(&errors, 1);
  fprintf(stderr, "tsan_threads: %s (ptr %p size %zu align %zu kind %d)\n", what, (void *)b->p,
          b->size, b->align, (int)b->kind);
}

/* ------------------------------------------------------ block handling */

static void pattern(struct block *b) {
  for (size_t i = 0; i < b->size; i++) b->p[i] = (unsigned char)(b->seed + i);
}

static void verify(const struct block *b) {
  for (size_t i = 0; i < b->size; i++)
    if (b->p[i] != (unsigned char)(b->seed + i)) {
      report("block contents changed", b);
      return;
    }
}

static uint64_t next_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static struct block make_block(uint64_t *rng) {
  static const size_t sizes[] = {0, 8, 24, 48, 100, 256, 1000, 3000, 20000, 200000};
  uint64_t r = next_rand(rng);
  struct block b = {NULL, sizes[r % 10], 16, (enum kind)(r / 10 % 3), (unsigned)(r >> 32)};
  switch (b.kind) {
  case K_MALLOC:
    b.p = (r >> 8) & 1 ? ox_malloc(b.size) : ox_calloc(1, b.size);
    break;
  case K_ALIGNED:
    b.align = (size_t)1 << (r >> 16) % 14;
    b.p = ox_aligned_alloc(b.align, b.size);
    break;
  case K_RUST:
    b.align = (size_t)1 << (r >> 16) % 14;
    b.p = (r >> 8) & 1 ? rust_alloc(b.size, b.align) : rust_alloc_zeroed(b.size, b.align);
    break;
  }
  if (!b.p || (uintptr_t)b.p % b.align)
    report("allocation failed or misaligned", &b);
  else
    pattern(&b);
  return b;
}

static void free_block(struct block *b, uint64_t r) {
  verify(b);
  switch (b->kind) {
  case K_MALLOC:
    r & 1 ? ox_free(b->p) : ox_free_sized(b->p, b->size);
    break;
  case K_ALIGNED:
    r & 1 ? ox_free(b->p) : ox_free_aligned_sized(b->p, b->align, b->size);
    break;
  case K_RUST:
    rust_dealloc(b->p, b->size, b->align);
    break;
  }
  b->p = NULL;
}

/* Reallocates a block that another thread allocated. */
static void realloc_block(struct block *b, uint64_t r) {
  size_t n = 1 + r % 5000;
  verify(b);
  void *p = NULL;
  if (b->kind == K_MALLOC)
    p = ox_realloc(b->p, n);
  else if (b->kind == K_RUST)
    p = rust_realloc(b->p, b->size, b->align, n);
  else
    return;
  if (!p) {
    report("realloc failed", b);
    return;
  }
  size_t kept = n < b->size ? n : b->size;
  b->p = p;
  b->size = kept;
  verify(b);
  b->size = n;
  pattern(b);
}

/* -------------------------------------------------- the two hand-offs */

static struct {
  pthread_mutex_t mu;
  struct block q[QCAP];
  size_t head, len;
} queue = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Pushes b; when the queue is full, takes the oldest block out into *out. */
static int queue_push(struct block b, struct block *out) {
  int got = 0;
  pthread_mutex_lock(&queue.mu);
  if (queue.len == QCAP) {
    *out = queue.q[queue.head];
    queue.head = (queue.head + 1) % QCAP;
    queue.len--;
    got = 1;
  }
  queue.q[(queue.head + queue.len) % QCAP] = b;
  queue.len++;
  pthread_mutex_unlock(&queue.mu);
  return got;
}

static int queue_pop(struct block *out) {
  int got = 0;
  pthread_mutex_lock(&queue.mu);
  if (queue.len) {
    *out = queue.q[queue.head];
    queue.head = (queue.head + 1) % QCAP;
    queue.len--;
    got = 1;
  }
  pthread_mutex_unlock(&queue.mu);
  return got;
}

/* Mailboxes hold heap-allocated struct block descriptors (themselves ox_
 * blocks, so the descriptor is freed remotely too). */
static _Atomic(struct block *) mailbox[NMAILBOX];

static struct block *box_swap(size_t i, struct block *b) {
  return atomic_exchange_explicit(&mailbox[i % NMAILBOX], b, memory_order_acq_rel);
}

/* ------------------------------------------------------------ threads */

static void consume(struct block *b, uint64_t *rng) {
  uint64_t r = next_rand(rng);
  if (r % 4 == 0) realloc_block(b, r >> 2);
  free_block(b, r >> 4);
}

static void step(uint64_t *rng) {
  uint64_t r = next_rand(rng);
  struct block b = make_block(rng), old;
  if (!b.p) return;
  if (r % 2) {
    if (queue_push(b, &old)) consume(&old, rng);
    if (r % 3 == 0 && queue_pop(&old)) consume(&old, rng);
    return;
  }
  struct block *d = ox_malloc(sizeof *d);
  if (!d) {
    report("descriptor allocation failed", &b);
    return;
  }
  *d = b;
  struct block *prev = box_swap(r >> 8, d);
  if (prev) {
    consume(prev, rng);
    ox_free(prev);
  }
}

static void *worker(void *arg) {
  uint64_t rng = (uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 0; i < OPS_PER_ROUND; i++) step(&rng);
  return NULL;
}

/* A short-lived thread: a few operations, then exits leaving live blocks. */
static void *churner(void *arg) {
  uint64_t rng = (uintptr_t)arg * 0x2545F4914F6CDD1Dull + 7;
  struct block *left = ox_malloc(CHURN_LIVE * sizeof *left);
  if (!left) return NULL;
  for (int i = 0; i < 100; i++) step(&rng);
  for (int i = 0; i < CHURN_LIVE; i++) left[i] = make_block(&rng);
  return left;
}

static void run_round(unsigned round) {
  pthread_t w[NWORKERS], c[NCHURN];
  for (uintptr_t i = 0; i < NWORKERS; i++)
    if (pthread_create(&w[i], NULL, worker, (void *)(round * 100 + i + 1))) abort();
  for (uintptr_t i = 0; i < NCHURN; i++) {
    if (pthread_create(&c[i], NULL, churner, (void *)(round * 100 + i + 50))) abort();
    void *left = NULL;
    pthread_join(c[i], &left);
    uint64_t rng = i + 3;
    for (int k = 0; left && k < CHURN_LIVE; k++)
      if (((struct block *)left)[k].p) consume(&((struct block *)left)[k], &rng);
    ox_free(left);
  }
  for (int i = 0; i < NWORKERS; i++) pthread_join(w[i], NULL);
}

/* Frees whatever is still queued or in a mailbox. */
static void drain(void) {
  uint64_t rng = 99;
  struct block b;
  while (queue_pop(&b)) consume(&b, &rng);
  for (size_t i = 0; i < NMAILBOX; i++) {
    struct block *d = box_swap(i, NULL);
    if (d) {
      consume(d, &rng);
      ox_free(d);
    }
  }
}

/* The process's very first allocations, made by several threads at once
 * (released together by a barrier): lazy initialisation must be race-free. */
static pthread_barrier_t cold_barrier;

static void *cold_starter(void *arg) {
  uint64_t rng = (uintptr_t)arg + 11;
  pthread_barrier_wait(&cold_barrier);
  struct block b = make_block(&rng);
  if (b.p) free_block(&b, next_rand(&rng));
  return NULL;
}

static void cold_start(void) {
  pthread_t t[NCOLD];
  pthread_barrier_init(&cold_barrier, NULL, NCOLD);
  for (uintptr_t i = 0; i < NCOLD; i++)
    if (pthread_create(&t[i], NULL, cold_starter, (void *)i)) abort();
  for (int i = 0; i < NCOLD; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&cold_barrier);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "cold")) {
    cold_start(); /* only this: a race there shows in a fraction of runs */
    return atomic_load(&errors) ? 1 : 0;
  }
  unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 3;
  cold_start(); /* before any other allocator call */
  for (unsigned r = 0; r < rounds; r++) run_round(r);
  drain();
  unsigned long ops = (unsigned long)rounds * (NWORKERS * OPS_PER_ROUND + NCHURN * 100);
  printf("tsan_threads: %u rounds, %lu operations, %d short-lived threads, %d errors\n", rounds,
         ops, rounds * NCHURN, atomic_load(&errors));
  return atomic_load(&errors) ? 1 : 0;
}
