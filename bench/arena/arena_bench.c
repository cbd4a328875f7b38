/*
 * bench/arena/arena_bench.c - first-class heaps against a bump arena on
 * "many short-lived small objects" (the classic case for arenas):
 * each round allocates N small objects (16..128 bytes, linked into a
 * list), uses them (writes them, then walks the list summing), and
 * releases them all at once.  Rows (one allocator strategy each):
 *
 *   malloc-free      glibc malloc, free() of every object
 *   ox-free          ox_malloc, ox_free of every object
 *   ox-heap-destroy  ox_heap_new per round, ox_heap_malloc, ox_heap_destroy
 *   ox-heap-reset    one ox_heap, ox_heap_malloc, ox_heap_reset per round
 *   bump-destroy     bump arena per round (64 KiB..1 MiB chunks from malloc)
 *   bump-reset       one bump arena, rewound per round (keeps its chunks)
 *   mi-heap-destroy  mimalloc's mi_heap_new/mi_heap_malloc/mi_heap_destroy
 *                    (only in the binary built with -DWITH_MIMALLOC, whose
 *                    malloc is then mimalloc's: it runs that row alone)
 *
 * Usage: arena_bench [-n objects] [-r rounds] [-k repetitions] [row...]
 * Prints one line per row: name, median CPU ns per object over k runs,
 * and the min and max, then a checksum that keeps the work observable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oxalloc.h"
#ifdef WITH_MIMALLOC
#include <mimalloc.h>
#endif

/* An object of the workload: a list node followed by payload bytes. */
typedef struct node {
  struct node *next;
  uint32_t len;
  uint32_t tag;
  unsigned char payload[];
} node_t;

/* ---- bump arena --------------------------------------------------------- */

typedef struct chunk {
  struct chunk *prev;
  size_t size;
  unsigned char data[];
} chunk_t;

typedef struct {
  chunk_t *chunk; /* current chunk, newest first */
  size_t used;    /* bytes used in it */
} bump_t;

enum { BUMP_FIRST = 64 << 10, BUMP_MAX = 1 << 20, BUMP_ALIGN = 16 };

/* Slow path: a new chunk, twice the last one up to BUMP_MAX. */
static void *bump_grow(bump_t *b, size_t size) {
  size_t cap = b->chunk ? b->chunk->size * 2 : BUMP_FIRST;
  if (cap > BUMP_MAX) cap = BUMP_MAX;
  if (cap < size) cap = size;
  chunk_t *c = malloc(sizeof *c + cap);
  if (!c) return NULL;
  c->prev = b->chunk;
  c->size = cap;
  b->chunk = c;
  b->used = size;
  return c->data;
}

static inline void *bump_alloc(bump_t *b, size_t size) {
  size = (size + BUMP_ALIGN - 1) & ~(size_t)(BUMP_ALIGN - 1);
  if (b->chunk && b->chunk->size - b->used >= size) {
    void *p = b->chunk->data + b->used;
    b->used += size;
    return p;
  }
  return bump_grow(b, size);
}

static void bump_destroy(bump_t *b) {
  for (chunk_t *c = b->chunk, *prev; c; c = prev) {
    prev = c->prev;
    free(c);
  }
  b->chunk = NULL;
  b->used = 0;
}

/* Rewind, keeping only the newest (largest) chunk, as bumpalo's reset. */
static void bump_reset(bump_t *b) {
  if (!b->chunk) return;
  chunk_t *keep = b->chunk;
  b->chunk = keep->prev;
  bump_destroy(b);
  keep->prev = NULL;
  b->chunk = keep;
  b->used = 0;
}

/* ---- the workload ------------------------------------------------------- */

typedef enum {
  ROW_MALLOC, ROW_OX_FREE, ROW_OX_HEAP_DESTROY, ROW_OX_HEAP_RESET,
  ROW_BUMP_DESTROY, ROW_BUMP_RESET, ROW_MI_HEAP_DESTROY, ROW_COUNT
} row_t;

static const char *const row_names[ROW_COUNT] = {
  "malloc-free", "ox-free", "ox-heap-destroy", "ox-heap-reset",
  "bump-destroy", "bump-reset", "mi-heap-destroy",
};

/* Per-row state that lives across rounds (the "reset" rows). */
typedef struct {
  ox_heap_t *ox_heap;
  bump_t bump;
#ifdef WITH_MIMALLOC
  mi_heap_t *mi_heap;
#endif
} ctx_t;

static void *alloc_obj(row_t row, ctx_t *ctx, size_t size) {
  switch (row) {
  case ROW_MALLOC: return malloc(size);
  case ROW_OX_FREE: return ox_malloc(size);
  case ROW_OX_HEAP_DESTROY:
  case ROW_OX_HEAP_RESET: return ox_heap_malloc(ctx->ox_heap, size);
  case ROW_BUMP_DESTROY:
  case ROW_BUMP_RESET: return bump_alloc(&ctx->bump, size);
#ifdef WITH_MIMALLOC
  case ROW_MI_HEAP_DESTROY: return mi_heap_malloc(ctx->mi_heap, size);
#endif
  default: return NULL;
  }
}

static void round_begin(row_t row, ctx_t *ctx) {
  if (row == ROW_OX_HEAP_DESTROY || (row == ROW_OX_HEAP_RESET && !ctx->ox_heap))
    ctx->ox_heap = ox_heap_new();
#ifdef WITH_MIMALLOC
  if (row == ROW_MI_HEAP_DESTROY) ctx->mi_heap = mi_heap_new();
#endif
}

/* Release every object of the round at once (or one by one). */
static void round_end(row_t row, ctx_t *ctx, node_t *list) {
  switch (row) {
  case ROW_MALLOC:
  case ROW_OX_FREE:
    for (node_t *n = list, *next; n; n = next) {
      next = n->next;
      if (row == ROW_MALLOC) free(n); else ox_free(n);
    }
    break;
  case ROW_OX_HEAP_DESTROY: ox_heap_destroy(ctx->ox_heap); ctx->ox_heap = NULL; break;
  case ROW_OX_HEAP_RESET: ox_heap_reset(ctx->ox_heap); break;
  case ROW_BUMP_DESTROY: bump_destroy(&ctx->bump); break;
  case ROW_BUMP_RESET: bump_reset(&ctx->bump); break;
#ifdef WITH_MIMALLOC
  case ROW_MI_HEAP_DESTROY: mi_heap_destroy(ctx->mi_heap); ctx->mi_heap = NULL; break;
#endif
  default: break;
  }
}

/* One round: n objects of 16..128 bytes (payload sizes from a fixed
 * xorshift sequence), written, then walked.  Returns a checksum. */
static uint64_t one_round(row_t row, ctx_t *ctx, size_t n, uint32_t seed) {
  node_t *list = NULL;
  uint32_t x = seed | 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    uint32_t len = x % (128 - sizeof(node_t) + 1); /* object of 16..128 bytes */
    node_t *o = alloc_obj(row, ctx, sizeof(node_t) + len);
    if (!o) { fprintf(stderr, "%s: allocation failed\n", row_names[row]); exit(1); }
    o->len = len;
    o->tag = (uint32_t)i;
    memset(o->payload, (int)(i & 0xff), len);
    o->next = list;
    list = o;
  }
  uint64_t sum = 0;
  for (node_t *o = list; o; o = o->next) sum += o->tag + (o->len ? o->payload[o->len - 1] : 0u);
  round_end(row, ctx, list);
  return sum;
}

/* CPU time of this thread: the machine this runs on is often shared, and
 * wall time would count other processes' turns on the CPU. */
static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* k timed runs of `rounds` rounds; fills sorted ns-per-object samples. */
static uint64_t run_row(row_t row, size_t n, int rounds, int k, double *samples) {
  uint64_t check = 0;
  for (int rep = 0; rep < k; rep++) {
    ctx_t ctx = {0};
    double t0 = now_ns();
    for (int r = 0; r < rounds; r++) {
      round_begin(row, &ctx);
      check += one_round(row, &ctx, n, (uint32_t)(r * 2654435761u + 1));
    }
    samples[rep] = (now_ns() - t0) / ((double)n * rounds);
    /* Teardown of the reuse rows is outside the timing (once per run). */
    if (ctx.ox_heap) ox_heap_destroy(ctx.ox_heap);
    bump_destroy(&ctx.bump);
  }
  qsort(samples, (size_t)k, sizeof *samples, cmp_double);
  return check;
}

static int row_named(const char *name) {
  for (int r = 0; r < ROW_COUNT; r++)
    if (strcmp(row_names[r], name) == 0) return r;
  return -1;
}

int main(int argc, char **argv) {
  size_t n = 100000;
  int rounds = 50, k = 5, chosen[ROW_COUNT], nchosen = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) n = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc) k = atoi(argv[++i]);
    else if (row_named(argv[i]) >= 0 && nchosen < ROW_COUNT) chosen[nchosen++] = row_named(argv[i]);
    else { fprintf(stderr, "usage: %s [-n objects] [-r rounds] [-k reps] [row...]\n", argv[0]); return 2; }
  }
  if (n == 0 || rounds <= 0 || k <= 0 || k > 99) { fprintf(stderr, "bad -n/-r/-k\n"); return 2; }
  if (nchosen == 0) {
#ifdef WITH_MIMALLOC
    chosen[nchosen++] = ROW_MI_HEAP_DESTROY;
#else
    for (int r = 0; r < ROW_MI_HEAP_DESTROY; r++) chosen[nchosen++] = r;
#endif
  }
  printf("# %zu objects x %d rounds, %d runs; ns per object (alloc + use + release)\n", n, rounds, k);
  printf("# row median min max\n");
  uint64_t check = 0;
  double samples[100];
  for (int i = 0; i < nchosen; i++) {
    check += run_row((row_t)chosen[i], n, rounds, k, samples);
    printf("%s %.2f %.2f %.2f\n", row_names[chosen[i]], samples[k / 2], samples[0], samples[k - 1]);
    fflush(stdout);
  }
  printf("# checksum %llu\n", (unsigned long long)check);
  return 0;
}
