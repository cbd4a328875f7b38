/*
 * fuzz_ops.c - libFuzzer harness over the whole oxalloc API (tests/fuzz).
 *
 * The input is read as a sequence of operations on a table of NSLOTS live
 * blocks.  Every result is checked against a shadow model of the table:
 *   - contents: the whole usable range of each block holds a pattern
 *     derived from a per-block key and the offset; it is verified before
 *     every free and realloc, and realloc must keep min(old, new) bytes;
 *   - alignment (16 for the malloc family, the asked one otherwise),
 *     zeroing (rust_alloc_zeroed, ox_calloc), no overlap between live blocks;
 *   - ox_usable_size >= the size asked, and stable while the block lives;
 *     ox_owns true for every live block, false for stack/static/glibc memory;
 *   - failure only where the contract allows it: invalid alignments and
 *     impossible sizes must fail (NULL, errno), nothing else may fail below
 *     64 MiB; a failed realloc leaves its block intact.
 * A helper thread frees and allocates on request, so that remote frees and
 * blocks of another thread's heap are part of the mix; it also exits on
 * request, leaving its heap abandoned with live blocks.  A first-class heap
 * (ox_heap_*) is reset or destroyed with blocks live, and options that
 * select other paths (purge delay 0, no caches) are switched on the way;
 * every input starts from the default options.
 * Any violation prints one line naming the check and aborts, which libFuzzer
 * reports as a crash and saves the input.
 * Input format: an op byte (run_op) followed by that op's fields, whose
 * lengths never depend on the state (see each op_ function); the seed
 * corpus is written by make_corpus.py, which must follow this layout.
 * Assumes a little-endian machine (the pattern is written as 64-bit words).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oxalloc.h"
#include "rust_alloc.h"

#define NSLOTS 48
#define MIB    ((size_t)1 << 20)
/* Live bytes are capped so that one input cannot grow beyond ~100 MiB. */
#define LIVE_CAP (96 * MIB)
/* The tail beyond the asked size is patterned up to this many bytes. */
#define TAIL_CAP (4 * MIB)

enum kind { K_EMPTY, K_RUST, K_MALLOC, K_ALIGNED, K_HEAP };

struct slot {
  unsigned char *p;
  size_t size;   /* the size asked (the layout's size for K_RUST) */
  size_t align;  /* the layout's alignment (K_RUST, K_ALIGNED) */
  size_t usable; /* ox_usable_size at installation */
  size_t span;   /* bytes holding the pattern: min(usable, size + TAIL_CAP) */
  uint64_t key;
  enum kind kind;
};

struct input {
  const uint8_t *d;
  size_t n, i;
};

static struct slot slots[NSLOTS];
static ox_heap_t *heap; /* the live first-class heap, if any (K_HEAP blocks) */
static size_t live_bytes;
static uint64_t next_key;
static int static_probe;

/* ---------------------------------------------------------------- failure */

static void fail(const char *what, const struct slot *s, const void *p) {
  if (s)
    fprintf(stderr,
            "fuzz_ops: FAIL %s: ptr %p (slot block %p size %zu align %zu "
            "usable %zu kind %d)\n",
            what, p, (void *)s->p, s->size, s->align, s->usable, (int)s->kind);
  else
    fprintf(stderr, "fuzz_ops: FAIL %s: ptr %p\n", what, p);
  abort();
}

static void expect(bool ok, const char *what, const struct slot *s, const void *p) {
  if (!ok) fail(what, s, p);
}

/* ------------------------------------------------------------ input bytes */

static unsigned byte(struct input *in) { return in->i < in->n ? in->d[in->i++] : 0; }

static uint32_t u24(struct input *in) {
  uint32_t v = byte(in);
  v |= (uint32_t)byte(in) << 8;
  return v | (uint32_t)byte(in) << 16;
}

/* Sizes spanning every range, with boundaries (2^k - 1, 2^k, 2^k + 1). */
static size_t read_size(struct input *in) {
  static const size_t limit[15] = {16,   16,   16,   16,    128,    128,     128,    1024,
                                   1024, 8192, 8192, 65536, 262144, 1 * MIB, 4 * MIB};
  unsigned c = byte(in) % 16;
  if (c < 15) return u24(in) % (limit[c] + 1);
  unsigned k = byte(in);
  size_t n = (size_t)1 << (k % 23);
  return n + (k / 23) % 3 - 1; /* n - 1, n or n + 1 */
}

/* Alignments 1..4096 usually, 2^13..2^22 sometimes, invalid ones rarely. */
static size_t read_align(struct input *in) {
  static const size_t bad[8] = {0, 3, 6, 24, 48, 4097, ((size_t)1 << 40) | 1, 12288};
  unsigned a = byte(in);
  if (a < 200) return (size_t)1 << (a % 13);
  if (a < 248) return (size_t)1 << (13 + (a - 200) % 10);
  return bad[a - 248];
}

static bool valid_align(size_t a) { return a != 0 && (a & (a - 1)) == 0; }

/* Keeps the live set under LIVE_CAP by turning big sizes into small ones. */
static size_t budget(size_t size) { return live_bytes + size > LIVE_CAP ? size & 0xfff : size; }

/* ---------------------------------------------------------------- pattern */

/* The byte loops below would spend most of the run in libFuzzer's comparison
 * hooks and teach it nothing: keep coverage instrumentation out of them
 * (noinline, or they would be inlined into instrumented callers). */
#if defined(__clang__) && __clang_major__ >= 13
#define NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))
#else
#define NO_COVERAGE
#endif

NO_COVERAGE static uint64_t word_at(uint64_t key, size_t k) {
  uint64_t x = key ^ ((uint64_t)k * 0x9E3779B97F4A7C15ull);
  return x ^ (x >> 29);
}

NO_COVERAGE static unsigned char byte_at(uint64_t key, size_t i) {
  return (unsigned char)(word_at(key, i >> 3) >> (8 * (i & 7)));
}

NO_COVERAGE static void fill_range(unsigned char *p, size_t from, size_t to, uint64_t key) {
  size_t i = from;
  for (; i < to && (i & 7); i++) p[i] = byte_at(key, i);
  for (; i + 8 <= to; i += 8) {
    uint64_t w = word_at(key, i >> 3);
    memcpy(p + i, &w, 8);
  }
  for (; i < to; i++) p[i] = byte_at(key, i);
}

/* Returns true when p[from, to) holds the pattern of `key`. */
NO_COVERAGE static bool holds_range(const unsigned char *p, size_t from, size_t to, uint64_t key) {
  size_t i = from;
  for (; i < to && (i & 7); i++)
    if (p[i] != byte_at(key, i)) return false;
  for (; i + 8 <= to; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    if (w != word_at(key, i >> 3)) return false;
  }
  for (; i < to; i++)
    if (p[i] != byte_at(key, i)) return false;
  return true;
}

/* Blocks up to DENSE bytes carry the pattern in full.  Bigger ones carry it
 * in their first and last EDGE bytes and in the first word of every STRIDE
 * in between: page-level loss is still seen, at a fraction of the cost.
 * Which bytes carry it depends on the block's span only. */
#define DENSE  ((size_t)256 << 10)
#define EDGE   ((size_t)64 << 10)
#define STRIDE ((size_t)4096)

/* Calls fn on each patterned piece of [from, to) of a block of `span`. */
static bool for_pieces(unsigned char *p, size_t from, size_t to, uint64_t key, size_t span,
                       bool (*fn)(unsigned char *, size_t, size_t, uint64_t)) {
  size_t lo, hi;
#define PIECE(a, b)                                                                                \
  do {                                                                                             \
    lo = (a) > from ? (a) : from;                                                                  \
    hi = (b) < to ? (b) : to;                                                                      \
    if (lo < hi && !fn(p, lo, hi, key)) return false;                                              \
  } while (0)
  if (span <= DENSE) {
    PIECE(0, span);
    return true;
  }
  PIECE(0, EDGE);
  for (size_t off = EDGE; off < span - EDGE && off < to; off += STRIDE) PIECE(off, off + 8);
  PIECE(span - EDGE, span);
  return true;
#undef PIECE
}

static bool fill_piece(unsigned char *p, size_t from, size_t to, uint64_t key) {
  fill_range(p, from, to, key);
  return true;
}

static bool holds_piece(unsigned char *p, size_t from, size_t to, uint64_t key) {
  return holds_range(p, from, to, key);
}

static void fill(unsigned char *p, size_t from, size_t to, uint64_t key, size_t span) {
  for_pieces(p, from, to, key, span, fill_piece);
}

static bool holds(const unsigned char *p, size_t from, size_t to, uint64_t key, size_t span) {
  return for_pieces((unsigned char *)p, from, to, key, span, holds_piece);
}

NO_COVERAGE static bool all_zero(const unsigned char *p, size_t n) {
  static const unsigned char zero[4096];
  for (size_t i = 0; i < n; i += sizeof zero) {
    size_t len = n - i < sizeof zero ? n - i : sizeof zero;
    if (memcmp(p + i, zero, len) != 0) return false;
  }
  return true;
}

/* --------------------------------------------------------- slot handling */

static void check_live(const struct slot *s) {
  expect(ox_owns(s->p), "ox_owns false for a live block", s, s->p);
  if (s->usable)
    expect(ox_owns(s->p + s->usable - 1), "ox_owns false for the block's last byte", s,
           s->p + s->usable - 1);
  expect(ox_usable_size(s->p) == s->usable, "usable size changed while live", s, s->p);
  expect(holds(s->p, 0, s->span, s->key, s->span), "block contents changed", s, s->p);
}

static void check_no_overlap(const struct slot *n) {
  for (int i = 0; i < NSLOTS; i++) {
    const struct slot *o = &slots[i];
    if (o == n || o->kind == K_EMPTY) continue;
    expect(o->p != n->p, "two live blocks share an address", o, n->p);
    size_t olen = o->usable ? o->usable : 1, nlen = n->usable ? n->usable : 1;
    bool apart = n->p + nlen <= o->p || o->p + olen <= n->p;
    expect(apart, "new block overlaps a live block", o, n->p);
  }
}

/* Records a new block and patterns it under a fresh key (for realloc, the
 * preserved prefix has been verified under the old key before). */
static void install(struct slot *s, void *p, size_t size, size_t align, enum kind kind) {
  s->p = p;
  s->size = size;
  s->align = align;
  s->kind = kind;
  s->usable = ox_usable_size(p);
  expect(s->usable >= size, "usable size below the size asked", s, p);
  s->span = s->usable - size > TAIL_CAP ? size + TAIL_CAP : s->usable;
  expect(ox_owns(p), "ox_owns false for a new block", s, p);
  check_no_overlap(s);
  s->key = ++next_key;
  fill(s->p, 0, s->span, s->key, s->span);
  live_bytes += size;
}

/* Verifies a block's contents and forgets it; the caller frees it. */
static void *retire(struct slot *s) {
  check_live(s);
  void *p = s->p;
  live_bytes -= s->size;
  memset(s, 0, sizeof *s);
  return p;
}

/* ------------------------------------------------------- the helper thread */

/* A second thread that frees or allocates on request, one request at a
 * time; it can be told to exit (with the blocks it allocated still live:
 * its heap is abandoned, and adopted by a later thread). */
enum request { REQ_NONE, REQ_FREE, REQ_ALLOC, REQ_SETTLE, REQ_EXIT, REQ_DONE };

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t tid;
  bool running;
  enum request req;
  void *ptr;
  size_t size;
} helper = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *helper_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&helper.mu);
  for (;;) {
    while (helper.req == REQ_NONE || helper.req == REQ_DONE)
      pthread_cond_wait(&helper.cv, &helper.mu);
    enum request req = helper.req;
    if (req == REQ_FREE)
      ox_free(helper.ptr), helper.ptr = NULL;
    else if (req == REQ_ALLOC)
      helper.ptr = ox_malloc(helper.size);
    else if (req == REQ_SETTLE) { /* a thread's own statistics are exact */
      ox_stats_t mine;
      ox_stats_get(&mine);
    }
    helper.req = REQ_DONE;
    pthread_cond_broadcast(&helper.cv);
    if (req == REQ_EXIT) break;
  }
  pthread_mutex_unlock(&helper.mu);
  return NULL;
}

static void *helper_call(enum request req, void *ptr, size_t size) {
  pthread_mutex_lock(&helper.mu);
  if (!helper.running) {
    if (pthread_create(&helper.tid, NULL, helper_main, NULL) != 0)
      fail("cannot start the helper thread", NULL, NULL);
    helper.running = true;
  }
  helper.ptr = ptr;
  helper.size = size;
  helper.req = req;
  pthread_cond_broadcast(&helper.cv);
  while (helper.req != REQ_DONE) pthread_cond_wait(&helper.cv, &helper.mu);
  helper.req = REQ_NONE;
  void *r = helper.ptr;
  helper.ptr = NULL;
  pthread_mutex_unlock(&helper.mu);
  return r;
}

/* The helper thread exits; the next request starts a new one. */
static void op_helper_exit(struct input *in) {
  (void)in;
  if (!helper.running) return;
  helper_call(REQ_EXIT, NULL, 0);
  pthread_join(helper.tid, NULL);
  helper.running = false;
}

/* ------------------------------------------------------------ releasing */

/* Frees a slot's block with one of the functions valid for its kind. */
static void release(struct slot *s, unsigned how) {
  size_t size = s->size, align = s->align;
  enum kind kind = s->kind;
  void *p = retire(s);
  errno = 4242;
  switch (how % 4) {
  case 0:
    ox_free(p);
    break;
  case 1:
    if (kind == K_RUST)
      rust_dealloc(p, size, align);
    else if (kind == K_HEAP)
      ox_heap_free(p);
    else
      ox_free(p);
    break;
  case 2:
    if (kind == K_HEAP)
      ox_heap_free(p);
    else if (kind == K_MALLOC)
      ox_free_sized(p, size);
    else if (kind == K_ALIGNED)
      ox_free_aligned_sized(p, align, size);
    else
      rust_dealloc(p, size, align);
    break;
  default:
    helper_call(REQ_FREE, p, 0);
    break;
  }
  if (how % 4 != 3) expect(errno == 4242, "a free changed errno", NULL, p);
}

static struct slot *pick(struct input *in) { return &slots[byte(in) % NSLOTS]; }

/* Empties a slot that an allocation is about to reuse (the byte saying how
 * is read even for an empty slot, so that an op's length never depends on
 * the state: the corpus script relies on it). */
static struct slot *pick_empty(struct input *in) {
  struct slot *s = pick(in);
  unsigned how = byte(in);
  if (s->kind != K_EMPTY) release(s, how);
  return s;
}

/* ------------------------------------------------------------ allocation */

static void rust_alloc_into(struct slot *s, size_t size, size_t align, bool zeroed) {
  void *p = zeroed ? rust_alloc_zeroed(size, align) : rust_alloc(size, align);
  if (!valid_align(align)) {
    expect(p == NULL, "rust_alloc accepted an invalid alignment", NULL, p);
    return;
  }
  expect(p != NULL, "rust_alloc failed below 64 MiB", NULL, NULL);
  expect((uintptr_t)p % align == 0, "rust_alloc result misaligned", NULL, p);
  if (zeroed) expect(all_zero(p, size), "rust_alloc_zeroed block not zero", NULL, p);
  install(s, p, size, align, K_RUST);
}

static void op_rust_alloc(struct input *in, bool zeroed) {
  struct slot *s = pick_empty(in);
  size_t size = budget(read_size(in));
  rust_alloc_into(s, size, read_align(in), zeroed);
}

static void op_ox_malloc(struct input *in) {
  struct slot *s = pick_empty(in);
  size_t size = budget(read_size(in));
  void *p = ox_malloc(size);
  expect(p != NULL, "ox_malloc failed below 64 MiB", NULL, NULL);
  expect((uintptr_t)p % 16 == 0, "ox_malloc result not 16-aligned", NULL, p);
  install(s, p, size, 16, K_MALLOC);
}

static void op_ox_calloc(struct input *in) {
  struct slot *s = pick_empty(in);
  size_t total = budget(read_size(in));
  unsigned c = byte(in);
  size_t count = c % 17, each = count ? total / count : total;
  void *p = (c & 0x80) ? ox_calloc(each, count) : ox_calloc(count, each);
  expect(p != NULL, "ox_calloc failed below 64 MiB", NULL, NULL);
  expect((uintptr_t)p % 16 == 0, "ox_calloc result not 16-aligned", NULL, p);
  expect(all_zero(p, count * each), "ox_calloc block not zero", NULL, p);
  install(s, p, count * each, 16, K_MALLOC);
}

static void op_ox_aligned_alloc(struct input *in) {
  struct slot *s = pick_empty(in);
  size_t size = budget(read_size(in)), align = read_align(in);
  errno = 0;
  void *p = ox_aligned_alloc(align, size);
  if (!valid_align(align)) {
    expect(p == NULL, "ox_aligned_alloc accepted an invalid alignment", NULL, p);
    expect(errno == EINVAL, "ox_aligned_alloc bad alignment: errno not EINVAL", NULL, p);
    return;
  }
  expect(p != NULL, "ox_aligned_alloc failed below 64 MiB", NULL, NULL);
  expect((uintptr_t)p % align == 0, "ox_aligned_alloc result misaligned", NULL, p);
  install(s, p, size, align, K_ALIGNED);
}

/* A block ox_malloc'ed by the helper thread (freed here later: remote). */
static void op_helper_alloc(struct input *in) {
  struct slot *s = pick_empty(in);
  size_t size = budget(read_size(in));
  void *p = helper_call(REQ_ALLOC, NULL, size);
  expect(p != NULL, "ox_malloc (helper thread) failed below 64 MiB", NULL, NULL);
  expect((uintptr_t)p % 16 == 0, "ox_malloc (helper thread) not 16-aligned", NULL, p);
  install(s, p, size, 16, K_MALLOC);
}

/* -------------------------------------------------------------- realloc */

/* On a slot that holds no rust_ block, allocates one there instead. */
static void op_rust_realloc(struct input *in) {
  struct slot *s = pick(in);
  unsigned how = byte(in);
  size_t size = read_size(in), new_align = read_align(in);
  if (s->kind != K_RUST) {
    if (s->kind != K_EMPTY) release(s, how);
    rust_alloc_into(s, budget(size), new_align, false);
    return;
  }
  check_live(s);
  size_t old = s->size, align = s->align;
  size = live_bytes - old + size > LIVE_CAP ? size & 0xfff : size;
  void *p = rust_realloc(s->p, old, align, size);
  expect(p != NULL, "rust_realloc failed below 64 MiB", s, NULL);
  expect((uintptr_t)p % align == 0, "rust_realloc lost the alignment", s, p);
  size_t kept = old < size ? old : size;
  expect(holds(p, 0, kept, s->key, s->span), "rust_realloc lost the block's contents", s, p);
  live_bytes -= old;
  install(s, p, size, align, K_RUST);
}

static void op_ox_realloc(struct input *in) {
  struct slot *s = pick(in);
  unsigned how = byte(in);
  size_t size = read_size(in);
  if (s->kind != K_EMPTY && s->kind != K_MALLOC)
    release(s, how); /* ox_realloc is for malloc-family blocks */
  if (s->kind == K_EMPTY) {
    size = budget(size);
    void *p = ox_realloc(NULL, size);
    expect(p != NULL, "ox_realloc(NULL, n) failed below 64 MiB", NULL, NULL);
    expect((uintptr_t)p % 16 == 0, "ox_realloc(NULL, n) not 16-aligned", NULL, p);
    install(s, p, size, 16, K_MALLOC);
    return;
  }
  check_live(s);
  if (size == 0) {
    void *old = retire(s);
    expect(ox_realloc(old, 0) == NULL, "ox_realloc(p, 0) did not return NULL", NULL, old);
    return;
  }
  size_t old = s->size;
  size = live_bytes - old + size > LIVE_CAP ? (size & 0xfff) + 1 : size;
  void *p = ox_realloc(s->p, size);
  expect(p != NULL, "ox_realloc failed below 64 MiB", s, NULL);
  expect((uintptr_t)p % 16 == 0, "ox_realloc result not 16-aligned", s, p);
  /* Growing within the usable size must not move the block (the malloc contract:
   * realloc(p, usable_size(p)) stays put); a shrink may move it, as the
   * core moves blocks that would waste most of their space. */
  bool stays = size >= old && size <= s->usable;
  expect(!stays || p == s->p, "ox_realloc moved a block that fits", s, p);
  size_t kept = old < size ? old : size;
  expect(holds(p, 0, kept, s->key, s->span), "ox_realloc lost the block's contents", s, p);
  live_bytes -= old;
  install(s, p, size, 16, K_MALLOC);
}

/* ------------------------------------------------- queries and bad input */

static void op_check(struct input *in) {
  struct slot *s = pick(in);
  if (s->kind != K_EMPTY) check_live(s);
}

static void op_free(struct input *in) {
  struct slot *s = pick(in);
  unsigned how = byte(in);
  if (s->kind != K_EMPTY) release(s, how);
}

/* Requests that must fail cleanly, with errno ENOMEM. */
static void op_impossible(struct input *in) {
  unsigned c = byte(in), small = byte(in);
  size_t huge = SIZE_MAX - small, big = (size_t)PTRDIFF_MAX + 1 + small;
  void *p = NULL;
  errno = 0;
  switch (c % 8) {
  case 0:
    p = ox_malloc(huge);
    break;
  case 1:
    p = ox_malloc(big);
    break;
  case 2:
    p = ox_calloc((size_t)1 << 33, ((size_t)1 << 31) + small);
    break;
  case 3:
    p = ox_calloc(((size_t)1 << 31) + small, (size_t)1 << 33);
    break;
  case 4:
    p = ox_aligned_alloc(4096, SIZE_MAX - 4095 + (small & 0xf));
    break;
  case 5:
    p = rust_alloc(huge, 16);
    break;
  case 6:
    p = rust_alloc(small, (size_t)1 << 62);
    break;
  default:
    p = rust_alloc_zeroed(big, (size_t)1 << (small % 23));
    break;
  }
  expect(p == NULL, "an impossible request succeeded", NULL, p);
  if (c % 8 != 6) /* 2^62 alignment: only NULL is required */
    expect(errno == ENOMEM, "an impossible ox_ request: errno not ENOMEM", NULL, p);
}

/* A realloc that must fail and leave the block intact. */
static void op_realloc_fail(struct input *in) {
  struct slot *s = pick(in);
  size_t huge = SIZE_MAX - byte(in);
  if (s->kind != K_RUST && s->kind != K_MALLOC) return;
  errno = 0;
  void *p =
      s->kind == K_RUST ? rust_realloc(s->p, s->size, s->align, huge) : ox_realloc(s->p, huge);
  expect(p == NULL, "a realloc to SIZE_MAX - n succeeded", s, p);
  expect(errno == ENOMEM, "a failed realloc: errno not ENOMEM", s, p);
  check_live(s);
}

/* Once every thread has brought its own counters up to date (other running
 * threads count as of their last slow path), the statistics count at least
 * the blocks the model holds (they may count more: blocks freed by another
 * thread stay counted until they are back home). */
static void check_stats(void) {
  ox_stats_t st;
  size_t blocks = 0, bytes = 0;
  if (helper.running) helper_call(REQ_SETTLE, NULL, 0);
  for (int i = 0; i < NSLOTS; i++)
    if (slots[i].kind != K_EMPTY) blocks++, bytes += slots[i].size;
  expect(ox_stats_get(NULL) == EINVAL, "ox_stats_get(NULL) not EINVAL", NULL, NULL);
  expect(ox_stats_get(&st) == 0, "ox_stats_get failed", NULL, NULL);
  expect(st.allocated_blocks >= blocks, "stats count fewer blocks than are live", NULL, NULL);
  expect(st.allocated_bytes >= bytes, "stats count fewer bytes than are live", NULL, NULL);
}

/* Pointers oxalloc does not manage: not owned, usable size 0; statistics. */
static void op_foreign(struct input *in) {
  int local = byte(in);
  void *g = malloc(64 + (size_t)local);
  expect(g != NULL, "glibc malloc failed", NULL, NULL);
  const void *probe[4] = {&local, &static_probe, g, NULL};
  for (int i = 0; i < 4; i++) {
    expect(!ox_owns(probe[i]), "ox_owns true for foreign memory", NULL, probe[i]);
    expect(ox_usable_size(probe[i]) == 0, "ox_usable_size nonzero for foreign memory", NULL,
           probe[i]);
  }
  free(g);
  check_stats();
}

/* ------------------------------------------- first-class heaps, options */

/* A block from the first-class heap (created on demand by this thread). */
static void op_heap_alloc(struct input *in) {
  struct slot *s = pick_empty(in);
  size_t size = budget(read_size(in)), align = read_align(in);
  bool aligned = byte(in) & 1;
  if (!heap) {
    heap = ox_heap_new();
    expect(heap != NULL, "ox_heap_new failed", NULL, NULL);
  }
  errno = 0;
  void *p = aligned ? ox_heap_alloc_aligned(heap, size, align) : ox_heap_malloc(heap, size);
  if (aligned && !valid_align(align)) {
    expect(p == NULL, "ox_heap_alloc_aligned accepted an invalid alignment", NULL, p);
    expect(errno == EINVAL, "ox_heap_alloc_aligned bad alignment: errno not EINVAL", NULL, p);
    return;
  }
  if (!aligned) align = 16;
  expect(p != NULL, "first-class heap allocation failed below 64 MiB", NULL, NULL);
  expect((uintptr_t)p % align == 0, "first-class heap block misaligned", NULL, p);
  install(s, p, size, align, K_HEAP);
}

/* Verifies and forgets every block of the heap, which the caller frees. */
static void retire_heap_blocks(void) {
  for (int i = 0; i < NSLOTS; i++)
    if (slots[i].kind == K_HEAP) retire(&slots[i]);
}

/* ox_heap_reset or ox_heap_destroy with the heap's blocks still live. */
static void op_heap_drop(struct input *in) {
  unsigned c = byte(in);
  if (!heap) return;
  retire_heap_blocks();
  if (c & 1) {
    ox_heap_reset(heap);
  } else {
    ox_heap_destroy(heap);
    heap = NULL;
  }
}

/* Options that change which paths run: purge at once or later, caches. */
static void op_option(struct input *in) {
  static const char *const names[4] = {"purge_delay", "segment_cache", "huge_cache_mb",
                                       "purge_delay"};
  static const long values[4][4] = {{0, 1, 500, 0}, {0, 1, 8, 2}, {0, 1, 64, 4}, {0, 0, 0, 10}};
  unsigned c = byte(in), v = byte(in);
  int rc = ox_option_set(names[c % 4], values[c % 4][v % 4]);
  expect(rc == 0, "ox_option_set refused a valid value", NULL, NULL);
  expect(ox_option_set("no_such_option", 1) == EINVAL, "ox_option_set took an unknown name", NULL,
         NULL);
}

/* ------------------------------------------------------------ the driver */

static void run_op(struct input *in) {
  switch (byte(in) % 20) {
  case 0:
    op_rust_alloc(in, false);
    break;
  case 1:
    op_rust_alloc(in, true);
    break;
  case 2:
    op_rust_realloc(in);
    break;
  case 3:
    op_ox_malloc(in);
    break;
  case 4:
    op_ox_calloc(in);
    break;
  case 5:
    op_ox_realloc(in);
    break;
  case 6:
    op_ox_aligned_alloc(in);
    break;
  case 7:
    op_free(in);
    break;
  case 8:
    op_free(in);
    break;
  case 9:
    op_check(in);
    break;
  case 10:
    op_helper_alloc(in);
    break;
  case 11:
    op_impossible(in);
    break;
  case 12:
    op_realloc_fail(in);
    break;
  case 13:
    op_foreign(in);
    break;
  case 14:
    op_ox_malloc(in);
    break;
  case 15:
    op_rust_alloc(in, false);
    break;
  case 16:
    op_option(in);
    break;
  case 17:
    op_helper_exit(in);
    break;
  case 18:
    op_heap_alloc(in);
    break;
  default:
    op_heap_drop(in);
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct input in = {data, size, 0};
  next_key = 0;
  ox_option_set("purge_delay", 500);
  ox_option_set("segment_cache", 8);
  ox_option_set("huge_cache_mb", 64);
  while (in.i < in.n) run_op(&in);
  for (int i = 0; i < NSLOTS; i++)
    if (slots[i].kind != K_EMPTY) release(&slots[i], (unsigned)i);
  if (heap) {
    ox_heap_destroy(heap);
    heap = NULL;
  }
  expect(live_bytes == 0, "shadow model lost track of live bytes", NULL, NULL);
  return 0;
}
