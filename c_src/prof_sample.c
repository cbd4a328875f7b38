/*
 * prof_sample.c - which allocations the heap profiler samples, and the
 * bookkeeping that keeps the live profile exact; all on slow paths.
 *
 * Sampling is a Poisson process over the bytes a thread allocates, with
 * a mean interval of `rate` bytes: a block is sampled when a sampling
 * point falls in it, with probability 1 - exp(-size/rate), and counts
 * for 1/that probability (what pprof expects), so every size is counted
 * without bias.  The fast paths never count: each run of blocks a refill
 * hands them (page.c) is charged here as a whole, and cut just before the
 * block where the thread's next sampling point falls.  The fast path then
 * runs dry exactly at that block, and the slow path that serves it
 * records the sample.  Huge blocks are charged on their own slow path.
 *
 * Sampled blocks come from pages of their own (page.c, heap->prof_page),
 * whose free_trigger sends every free of them to _ox_page_after_free,
 * which drops the block from the table: the free fast path pays nothing
 * for profiling, and the frees of blocks that were not sampled stay on it.
 * (A sampled block that realloc moves keeps its sample in its new place,
 * a page of the class queues that then sends all its frees there while
 * it holds it.)  Frees from other threads reach the owner the usual way
 * (reuse lists are off once profiling has run).
 */
#include <string.h>

#include "block_link.h"
#include "internal.h"
#include "prof_trace.h"

_Atomic bool _ox_prof_on;
bool _ox_prof_ever;
/* Written at each insertion and removal of a sample by any thread: in a
 * line of its own, not that of _ox_prof_ever and _ox_prof_on, which every
 * profiled slow path reads (they shared one). */
ox_lone_counter_t _ox_prof_nlive;

static _Atomic long rate = 512 * 1024;
/* A new rate, or a dump asked for by a signal: every thread's next refill
 * comes here (its epoch no longer matches) and draws a new interval. */
_Atomic uint32_t _ox_prof_epoch = 1;

/* Bytes the thread may still allocate before its next sampling point. */
__thread int64_t _ox_prof_countdown __attribute__((tls_model("initial-exec")));
__thread uint32_t _ox_prof_tl_epoch __attribute__((tls_model("initial-exec")));
static __thread uint64_t tl_rng __attribute__((tls_model("initial-exec")));
__thread void *_ox_prof_tl_last __attribute__((tls_model("initial-exec")));
static __thread ox_prof_sample_t *tl_last_sample __attribute__((tls_model("initial-exec")));
/* The thread's id, asked of the kernel once (a system call per sample
 * cost aligned a tenth of its profiled time); forgotten in a fork child. */
static __thread int32_t tl_tid __attribute__((tls_model("initial-exec")));

static int32_t thread_id(void) {
  if (OX_UNLIKELY(tl_tid == 0)) tl_tid = (int32_t)_ox_os_gettid();
  return tl_tid;
}

void _ox_prof_after_fork_child(void) { tl_tid = 0; }

long _ox_prof_rate(void) { return atomic_load_explicit(&rate, memory_order_relaxed); }

void _ox_prof_set_rate(long bytes) {
  atomic_store_explicit(&rate, bytes > 0 ? bytes : 1, memory_order_relaxed);
  _ox_prof_kick();
}

void _ox_prof_kick(void) { atomic_fetch_add_explicit(&_ox_prof_epoch, 1, memory_order_relaxed); }

/* ---- random intervals (no libm) ------------------------------------------ */

static uint64_t rng_next(void) {
  uint64_t x = tl_rng;
  if (x == 0) x = ((uintptr_t)&tl_rng * 0x9E3779B97F4A7C15ull) ^ _ox_free_tag ^ _ox_os_now_ms();
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  tl_rng = x ? x : 1;
  return x * 0x2545F4914F6CDD1Dull;
}

/* ln(x) for x in (0, 1]: x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
 * read from the bits, then ln(m) = 2 atanh(t), t = (m - 1) / (m + 1),
 * |t| < 0.172: six terms of the series leave an error below 1e-10. */
static double ln(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  int e = (int)((u >> 52) & 0x7ff) - 1023; /* x >= 2^-53: never subnormal */
  u = (u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double m;
  memcpy(&m, &u, sizeof m);
  if (m > 1.4142135623730951) m *= 0.5, e++;
  double t = (m - 1.0) / (m + 1.0), t2 = t * t;
  double series =
      1.0 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 * (1.0 / 11)))));
  return 2.0 * t * series + e * 0.69314718055994530942;
}

/* exp(x) for x <= 0: x = r - k ln 2 with r in (-ln 2, 0], exp(r) from
 * thirteen terms of its series (error below 1e-12), times 2^-k. */
static double exp_neg(double x) {
  if (x < -700.0) return 0.0;
  int k = (int)(-x * 1.4426950408889634);
  static const double inv_fact[14] = {1.0,
                                      1.0,
                                      1.0 / 2,
                                      1.0 / 6,
                                      1.0 / 24,
                                      1.0 / 120,
                                      1.0 / 720,
                                      1.0 / 5040,
                                      1.0 / 40320,
                                      1.0 / 362880,
                                      1.0 / 3628800,
                                      1.0 / 39916800,
                                      1.0 / 479001600,
                                      1.0 / 6227020800.0};
  double r = x + k * 0.69314718055994530942, sum = inv_fact[13];
  for (int i = 12; i >= 0; i--) sum = inv_fact[i] + r * sum;
  uint64_t u = (uint64_t)(1023 - k) << 52; /* 2^-k, k <= 1010 */
  double scale;
  memcpy(&scale, &u, sizeof scale);
  return sum * scale;
}

static int64_t next_interval(void) {
  double u = (double)((rng_next() >> 11) + 1) * (1.0 / 9007199254740992.0); /* (0, 1] */
  double v = -ln(u) * (double)_ox_prof_rate();
  return v < 1.0 ? 1 : v > 4e18 ? (int64_t)4e18 : (int64_t)v;
}

/* The thread's countdown, drawn anew when the rate changed. */
static int64_t countdown(void) {
  uint32_t epoch = atomic_load_explicit(&_ox_prof_epoch, memory_order_relaxed);
  if (OX_UNLIKELY(_ox_prof_tl_epoch != epoch)) {
    _ox_prof_tl_epoch = epoch;
    _ox_prof_countdown = next_interval();
  }
  return _ox_prof_countdown;
}

/* Charge `bytes` to the thread's countdown: true when a sampling point
 * falls in them (one sample per block, however many points).  The points
 * are a Poisson process, which has no memory: from the end of a sampled
 * block, the next point is an exponential interval away whatever happened
 * inside it, so one draw replaces walking the points that fall in a big
 * block (a 20 MB block holds about 40 at the default rate). */
static bool charge(size_t bytes) {
  _ox_prof_countdown = countdown() - (int64_t)bytes;
  if (_ox_prof_countdown > 0) return false;
  _ox_prof_countdown = next_interval();
  return true;
}

static double weight_of(size_t charged) {
  double p = 1.0 - exp_neg(-(double)charged / (double)_ox_prof_rate());
  return p > 0.0 ? 1.0 / p : 1.0;
}

/* ---- recording -------------------------------------------------------------- */

static ox_prof_stack_t *stack_at(uint32_t index) {
  size_t n;
  ox_prof_stack_t *t = _ox_prof_stacks(&n);
  return t && index < n ? &t[index] : NULL;
}

static void count_alloc(uint32_t stack, double weight, size_t size, int sign) {
  ox_prof_stack_t *st = stack_at(stack);
  if (!st) return;
  uint64_t objects = (uint64_t)(weight * OX_PROF_FX + 0.5);
  uint64_t bytes = (uint64_t)(weight * (double)size + 0.5);
  if (sign > 0) {
    atomic_fetch_add_explicit(&st->alloc_objects_fx, objects, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->alloc_bytes, bytes, memory_order_relaxed);
  } else {
    atomic_fetch_sub_explicit(&st->alloc_bytes, bytes, memory_order_relaxed);
  }
}

/* A new record in the table for the block at `key` (NULL if the table is
 * full).  A huge block's header is marked: its free looks the table up
 * only then (huge.c).  `huge` is its segment when the caller knows it. */
static ox_prof_sample_t *sample_add(uintptr_t key, ox_segment_t *huge) {
  ox_prof_sample_t *s = _ox_prof_sample_add(key);
  if (!s) return NULL;
  if (!huge) {
    ox_segment_t *seg = _ox_segment_lookup((void *)key);
    if (seg && seg->kind == OX_KIND_HUGE) huge = seg;
  }
  if (huge) huge->prof_sampled = 1;
  return s;
}

/* A sampled block: its record in the table (false if the table is full).
 * Inlined with the stack walk into its callers, so that the unwinder
 * starts at the entry into this file (see prof_trace.h).  `huge` is the
 * segment of a huge block, NULL for a class block. */
OX_INLINE bool record(void *p, size_t size, size_t align, size_t charged, ox_segment_t *huge) {
  _ox_prof_poll_signal();
  ox_prof_trace_t trace;
  uint32_t stack = _ox_prof_capture(&trace);
  double w = weight_of(charged);
  count_alloc(stack, w, size, 1);
  ox_prof_sample_t *s = huge ? sample_add((uintptr_t)p, huge) : _ox_prof_sample_add((uintptr_t)p);
  if (!s) return false;
  s->stack = stack;
  s->size = size;
  s->align = align;
  s->weight = w;
  s->tid = thread_id();
  s->moved = 0;
  atomic_store_explicit(&s->ready, 1, memory_order_release);
  _ox_prof_tl_last = p;
  tl_last_sample = s;
  return true;
}

static void page_mark(ox_page_t *page) {
  page->prof_live++;
  page->free_trigger = INT32_MAX; /* its frees come to the slow path */
}

/* page->free was just (re)filled with `n` blocks not charged yet, and the
 * run reaches the thread's next sampling point (page.c charges shorter
 * runs inline).  The slow path takes the head now, unless
 * prof_take_sampled says that its allocation is a sampled one; the fast
 * path takes the rest.  A sampled allocation never takes a block of the
 * run: it comes from the class's page of sampled blocks (page.c).  So
 * when the point falls in the slow path's own allocation, the page is
 * marked prof_take_sampled and the head goes to the fast path; when it
 * falls in one of the fast path's, the run is cut before that block: the
 * fast path runs dry there, and the rest waits in prof_held until the
 * page's next refill, whose allocation is then the sampled one.  Only the
 * blocks up to the cut are walked. */
void _ox_prof_grant(ox_page_t *page, uint32_t n) {
  _ox_prof_poll_signal();
  int64_t bsize = page->block_size;
  int64_t cd = countdown();
  ox_block_t *prev = NULL, *b = page->free; /* b: the next block to charge */
  while (b && n > 0) {
    int64_t k = (cd + bsize - 1) / bsize; /* the k-th block from b takes the point */
    if (k > (int64_t)n) {
      cd -= (int64_t)n * bsize;
      break;
    }
    for (int64_t i = 1; i < k && b; i++) prev = b, b = _ox_link_get(b);
    if (!b) break;
    n -= (uint32_t)(k - 1);
    cd = next_interval();                    /* from the end of the sampled block (see charge) */
    if (!prev && !page->prof_take_sampled) { /* the slow path's allocation */
      page->prof_take_sampled = 1;
      continue;
    }
    if (prev)
      _ox_link_set(prev, NULL);
    else
      page->free = NULL; /* the slow path's allocation was a sampled one too */
    page->prof_held = b;
    page->prof_held_count = n;
    break;
  }
  _ox_prof_countdown = cd;
}

/* The size recorded is the block's (as jemalloc's profiles do); the
 * generic path puts the request in its place (_ox_prof_layout). */
void _ox_prof_take(ox_page_t *page, void *p) {
  if (record(p, page->block_size, OX_MIN_ALIGN, page->block_size, NULL)) page_mark(page);
}

void _ox_prof_page_free(ox_page_t *page, const void *p) {
  ox_prof_sample_t *s = _ox_prof_sample_find((uintptr_t)p);
  if (!s) return;
  _ox_prof_sample_remove(s);
  if (--page->prof_live == 0) page->free_trigger = page->in_full ? INT32_MAX : 0;
}

void _ox_prof_huge_alloc(void *p, size_t size, size_t align) {
  if (charge(size)) record(p, size, align, size, _ox_segment_lookup(p));
}

void _ox_prof_huge_free(const void *p) {
  ox_prof_sample_t *s = _ox_prof_sample_find((uintptr_t)p);
  if (s) _ox_prof_sample_remove(s);
}

/* The generic path knows the request the slow path did not see (the
 * alignment; the size before rounding to it). */
void _ox_prof_layout(void *p, size_t size, size_t align) {
  if (p != _ox_prof_tl_last) return;
  _ox_prof_tl_last = NULL;
  ox_prof_sample_t *s = tl_last_sample; /* the slot record() filled, unless p's record went */
  if (atomic_load_explicit(&s->key, memory_order_relaxed) != (uintptr_t)p) return;
  if (s->size > size) count_alloc(s->stack, s->weight, s->size - size, -1);
  s->size = size;
  s->align = align;
}

/* The page of a class block of this thread's heap, or NULL for a huge block. */
static ox_page_t *own_page_of(const void *p) {
  ox_segment_t *seg = _ox_segment_lookup(p);
  return seg && seg->kind != OX_KIND_HUGE ? _ox_segment_page_of(seg, p) : NULL;
}

/* realloc resized `old` into `moved` (the same block, or a new one that
 * realloc just allocated from this thread's heap).  A block's place in
 * the live profile is decided by its first allocation alone: a sampled
 * block stays one sample, of its first stack and weight, with the new
 * size; a block that was not sampled stays unsampled even if its new copy
 * was (its inclusion probability would otherwise be that of several
 * draws, and the weight 1/P of one draw would overcount it).  The old
 * record stays, marked, until the old block's free removes it. */
void _ox_prof_moved(void *old, void *moved, size_t size, bool old_is_class) {
  (void)old_is_class;
  ox_prof_sample_t *s = _ox_prof_sample_find((uintptr_t)old);
  if (s && (s->moved || !atomic_load_explicit(&s->ready, memory_order_acquire))) s = NULL;
  if (old == moved) {
    if (s) s->size = size;
    return;
  }
  ox_prof_sample_t *n = _ox_prof_sample_find((uintptr_t)moved);
  if (!s) {
    if (!n) return;
    _ox_prof_sample_remove(n);
    ox_page_t *page = own_page_of(moved);
    if (page && --page->prof_live == 0) page->free_trigger = page->in_full ? INT32_MAX : 0;
    return;
  }
  if (!n) {
    n = sample_add((uintptr_t)moved, NULL);
    if (!n) return;
    ox_page_t *page = own_page_of(moved);
    if (page) page_mark(page);
  } else {
    atomic_store_explicit(&n->ready, 0, memory_order_relaxed);
  }
  n->stack = s->stack;
  n->size = size;
  n->align = s->align;
  n->weight = s->weight;
  n->tid = s->tid;
  n->moved = 0;
  atomic_store_explicit(&n->ready, 1, memory_order_release);
  s->moved = 1;
}

bool _ox_prof_rekey(const void *from, void *to) {
  ox_prof_sample_t *s = _ox_prof_sample_find((uintptr_t)from);
  if (!s) return false;
  uint32_t stack = s->stack;
  uint64_t size = s->size, align = s->align;
  double weight = s->weight;
  int32_t tid = s->tid;
  uint8_t moved = s->moved;
  _ox_prof_sample_remove(s);
  ox_prof_sample_t *n = sample_add((uintptr_t)to, NULL);
  if (!n) return false;
  n->stack = stack;
  n->size = size;
  n->align = align;
  n->weight = weight;
  n->tid = tid;
  n->moved = moved;
  atomic_store_explicit(&n->ready, 1, memory_order_release);
  return true;
}

/* ox_heap_reset/destroy: the heap's blocks go at once, their samples too. */
void _ox_prof_forget_heap(ox_heap_t *heap) {
  size_t n;
  ox_prof_sample_t *t = _ox_prof_samples(&n);
  for (size_t i = 0; i < n; i++) {
    uintptr_t key = atomic_load_explicit(&t[i].key, memory_order_acquire);
    if (key <= 1) continue;
    ox_segment_t *seg = _ox_segment_lookup((void *)key);
    if (seg && (seg->heap == heap || (seg->kind == OX_KIND_HUGE && seg->arena == heap)))
      _ox_prof_sample_remove(&t[i]);
  }
}
