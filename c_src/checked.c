/*
 * checked.c - the checked build (make checked, -DOX_CHECKED=1): catches
 * the caller's memory bugs and stops with one line naming the address.
 *
 * Class block layout in this build:
 *   [ user bytes: requested size | canary 0xFC ... | trailer (16 bytes) ]
 * A freed block holds its free-list link in bytes 0..7 and a seal of that
 * link in bytes 8..15 (verified whenever the link is read), and 0xDF from
 * byte 16 up to the trailer (verified when it is handed out again).  The
 * trailer's two spare bytes are canary bytes too.  Huge
 * blocks keep their requested size in the segment header instead, with a
 * canary after it up to 4 KiB.
 */
#include "internal.h"

#if OX_CHECKED
#include <stddef.h>
#include <string.h>

/* Under valgrind, blocks are reported as heap blocks (memcheck then finds
 * the program's leaks and invalid accesses in them, as with glibc), and
 * the allocator's own reads of freed blocks are done with reporting off. */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define VG_QUIET_BEGIN() VALGRIND_DISABLE_ERROR_REPORTING
#define VG_QUIET_END()   VALGRIND_ENABLE_ERROR_REPORTING
#else
#define VALGRIND_MALLOCLIKE_BLOCK(p, size, redzone, zeroed) ((void)0)
#define VALGRIND_FREELIKE_BLOCK(p, redzone)                 ((void)0)
#define VALGRIND_RESIZEINPLACE_BLOCK(p, old, new, redzone)  ((void)0)
#define VALGRIND_MAKE_MEM_NOACCESS(p, n)                    ((void)0)
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n)                   ((void)0)
#define VALGRIND_MAKE_MEM_DEFINED(p, n)                     ((void)0)
#define VG_QUIET_BEGIN()                                    ((void)0)
#define VG_QUIET_END()                                      ((void)0)
#endif

#include "fast_path.h"

#define CANARY          0xFC
#define FREED           0xDF
#define HUGE_CANARY_MAX 4096
enum { STATE_LIVE = 0xA1, STATE_FREE = 0xF5 };

typedef struct {
  uint32_t size;
  uint8_t align_log2;
  uint8_t state;
  uint16_t canary; /* two more canary bytes, part of the overflow check */
  uint64_t seal;   /* ties the trailer to its block, so stale bytes don't pass */
} trailer_t;

#define TRAILER_CANARY ((uint16_t)(CANARY | CANARY << 8))

_Static_assert(sizeof(trailer_t) == OX_CHECK_TRAILER, "trailer size");

/* ---- messages ---------------------------------------------------------- */

typedef struct {
  char buf[320];
  size_t n;
} line_t;

static void put(line_t *l, const char *s) { l->n = _ox_fmt_str(l->buf, l->n, sizeof l->buf, s); }
static void put_hex(line_t *l, const void *p) {
  l->n = _ox_fmt_hex(l->buf, l->n, sizeof l->buf, (uintptr_t)p);
}
static void put_dec(line_t *l, size_t v) { l->n = _ox_fmt_dec(l->buf, l->n, sizeof l->buf, v); }

static _Noreturn void die(line_t *l) {
  put(l, "\n");
  _ox_os_write_stderr(l->buf, l->n);
  _ox_os_abort();
}

static _Noreturn void die_at(const char *what, const void *p) {
  line_t l = {.n = 0};
  put(&l, "oxalloc: ");
  put(&l, what);
  put(&l, " ");
  put_hex(&l, p);
  die(&l);
}

/* ---- trailers ------------------------------------------------------------- */

/* The seal covers the block, its page's generation and the trailer's
 * fields: a trailer left over from an earlier use of the page never passes. */
static uint64_t seal_for(const void *block, size_t block_size, const trailer_t *t) {
  ox_segment_t *seg = _ox_segment_of_class_block(block);
  uint64_t gen = _ox_segment_page_of(seg, block)->generation;
  uint64_t x = ((uint64_t)(uintptr_t)block ^ (gen << 40)) * 0x9E3779B97F4A7C15ull;
  x ^= ((uint64_t)block_size << 32) ^ ((uint64_t)t->size << 8) ^ t->align_log2 ^
       ((uint64_t)t->state << 56);
  return x ^ (x >> 29);
}

static trailer_t *trailer_of(uint8_t *block, size_t block_size) {
  return (trailer_t *)(block + block_size - OX_CHECK_TRAILER);
}

static bool trailer_valid(uint8_t *block, size_t block_size, const trailer_t *t) {
  return (t->state == STATE_LIVE || t->state == STATE_FREE) &&
         t->seal == seal_for(block, block_size, t);
}

static void trailer_write(uint8_t *block, size_t block_size, size_t size, size_t align,
                          uint8_t state) {
  trailer_t *t = trailer_of(block, block_size);
  t->size = (uint32_t)size;
  t->align_log2 = (uint8_t)__builtin_ctzl(align);
  t->state = state;
  t->canary = TRAILER_CANARY;
  t->seal = seal_for(block, block_size, t);
}

/* A freed block's first two words are the allocator's: the free-list
 * link and its seal (below). */
#define FREED_FROM (2 * sizeof(uintptr_t))

/* Bytes of a freed block that hold the FREED pattern. */
static size_t freed_len(size_t block_size) {
  size_t room = block_size - OX_CHECK_TRAILER;
  return room > FREED_FROM ? room - FREED_FROM : 0;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return false;
  return true;
}

/* ---- finding the block -------------------------------------------------- */

typedef struct {
  ox_segment_t *seg;
  uint8_t *block; /* start of the block holding the pointer */
  size_t block_size;
} block_ref_t;

/* Locate the block `p` must be the start of; stop on anything else. */
static block_ref_t block_of(ox_segment_t *seg, const void *p, const char *op) {
  if (!seg || seg != _ox_segment_lookup(p)) {
    if (_ox_addr_map_huge_gone(p)) die_at("double free of", p);
    line_t l = {.n = 0};
    put(&l, "oxalloc: ");
    put(&l, op);
    put(&l, " of a pointer oxalloc never allocated: ");
    put_hex(&l, p);
    die(&l);
  }
  if (seg->kind == OX_KIND_HUGE) {
    uint8_t *block = (uint8_t *)seg + seg->huge_offset;
    if ((const uint8_t *)p != block) die_at("free of an interior pointer:", p);
    return (block_ref_t){seg, block, seg->huge_usable};
  }
  ox_page_t *page = _ox_segment_page_of(seg, p);
  size_t offset = (size_t)((const uint8_t *)p - _ox_page_start(page));
  if (!page->in_use || (const uint8_t *)p < _ox_page_start(page) ||
      offset >= (size_t)page->capacity * page->block_size)
    die_at("free of a pointer oxalloc never allocated:", p);
  if (offset % page->block_size != 0) {
    line_t l = {.n = 0};
    put(&l, "oxalloc: free of an interior pointer: ");
    put_hex(&l, p);
    put(&l, " (its block starts at ");
    put_hex(&l, _ox_page_start(page) + offset - offset % page->block_size);
    put(&l, ")");
    die(&l);
  }
  return (block_ref_t){seg, (uint8_t *)p, page->block_size};
}

/* ---- the checks ------------------------------------------------------------ */

static void check_live(ox_segment_t *seg, const void *p) {
  block_ref_t b = block_of(seg, p, "use");
  if (b.seg->kind == OX_KIND_HUGE) {
    if (b.seg->checked_size == 0) die_at("double free of", p);
    return;
  }
  trailer_t *t = trailer_of(b.block, b.block_size);
  if (!trailer_valid(b.block, b.block_size, t))
    die_at("heap corruption: trailer overwritten for block", p);
  if (t->state == STATE_FREE) die_at("double free of", p);
  size_t canary_len = b.block_size - OX_CHECK_TRAILER - t->size;
  if (!all_bytes(b.block + t->size, canary_len, CANARY) || t->canary != TRAILER_CANARY) {
    line_t l = {.n = 0};
    put(&l, "oxalloc: write past the end of block ");
    put_hex(&l, p);
    put(&l, " (size ");
    put_dec(&l, t->size);
    put(&l, ") detected at free");
    die(&l);
  }
}

static void check_free(ox_segment_t *seg, const void *p) {
  check_live(seg, p);
  if (seg->kind == OX_KIND_HUGE) {
    size_t size = seg->checked_size - 1;
    size_t canary_len = seg->huge_usable - size;
    if (canary_len > HUGE_CANARY_MAX) canary_len = HUGE_CANARY_MAX;
    if (!all_bytes((const uint8_t *)p + size, canary_len, CANARY))
      die_at("write past the end of block detected at free:", p);
    seg->checked_size = 0;
    return;
  }
  block_ref_t b = block_of(seg, p, "free");
  trailer_t *t = trailer_of(b.block, b.block_size);
  memset(b.block + FREED_FROM, FREED, freed_len(b.block_size));
  trailer_write(b.block, b.block_size, t->size, (size_t)1 << t->align_log2, STATE_FREE);
}

static size_t real_size(const block_ref_t *b, size_t *align) {
  if (b->seg->kind == OX_KIND_HUGE) {
    *align = b->seg->huge_align;
    return b->seg->checked_size - 1;
  }
  trailer_t *t = trailer_of(b->block, b->block_size);
  *align = (size_t)1 << t->align_log2;
  return t->size;
}

static void check_layout(ox_segment_t *seg, const void *p, size_t size, size_t align) {
  seg = _ox_segment_lookup(p);
  check_live(seg, p);
  block_ref_t b = block_of(seg, p, "free");
  size_t real_align, real = real_size(&b, &real_align);
  if (size == real && align == real_align) return;
  line_t l = {.n = 0};
  put(&l, "oxalloc: layout mismatch for ");
  put_hex(&l, p);
  put(&l, ": given size ");
  put_dec(&l, size);
  put(&l, " align ");
  put_dec(&l, align);
  put(&l, ", allocated with size ");
  put_dec(&l, real);
  put(&l, " align ");
  put_dec(&l, real_align);
  die(&l);
}

static size_t checked_usable(ox_segment_t *seg, const void *p) {
  block_ref_t b = block_of(seg, p, "usable_size");
  size_t align;
  return real_size(&b, &align);
}

/* ox_usable_size of any pointer: the address map said a block of `block`
 * bytes starts at `p`, but another thread may be freeing and unmapping it
 * right now, so the header and the trailer are read with copies that
 * cannot fault, and validated: 0 when the memory is gone or the block is
 * free.  Where the OS refuses such copies the answer is the room before
 * the trailer (never less than the size asked for). */
static size_t usable_any(const void *p, size_t block) {
  uintptr_t base = ((uintptr_t)p - 1) & ~(uintptr_t)OX_SEGMENT_MASK; /* as the look-up */
  ox_segment_t head;
  int got = _ox_os_read_nofault(&head, (const void *)base, offsetof(ox_segment_t, pages));
  if (got < 0) return block > OX_CHECK_TRAILER ? block - OX_CHECK_TRAILER : block;
  if (got == 0) return 0;
  if (head.kind == OX_KIND_HUGE) {
    bool live = head.checked_size != 0 && head.checked_size - 1 <= block &&
                (uintptr_t)p - base == head.huge_offset;
    return live ? head.checked_size - 1 : 0;
  }
  trailer_t t;
  if (block < OX_CHECK_TRAILER ||
      _ox_os_read_nofault(&t, (const uint8_t *)p + block - OX_CHECK_TRAILER, sizeof t) != 1)
    return 0;
  bool live =
      t.state == STATE_LIVE && t.canary == TRAILER_CANARY && t.size <= block - OX_CHECK_TRAILER;
  return live ? t.size : 0;
}

/* Realloc to a size that fits: the block stays, its size record shrinks
 * and the canary grows to fill the difference.  The layout recorded is
 * the realloc's (ox_realloc's is 16-aligned, whatever the block was). */
static void checked_shrink(ox_segment_t *seg, void *p, size_t new_size, size_t align) {
  block_ref_t b = block_of(seg, p, "realloc");
  size_t old_align, old_size = real_size(&b, &old_align);
  if (b.seg->kind == OX_KIND_HUGE) {
    size_t canary_end = old_size + HUGE_CANARY_MAX;
    if (canary_end > b.seg->huge_usable) canary_end = b.seg->huge_usable;
    memset((uint8_t *)p + new_size, CANARY, canary_end - new_size);
    b.seg->checked_size = new_size + 1;
    b.seg->huge_align = align;
    return;
  }
  memset((uint8_t *)p + new_size, CANARY, old_size - new_size);
  trailer_write(b.block, b.block_size, new_size, align, STATE_LIVE);
}

/* A reused block must still hold the freed pattern. */
static void verify_reuse(uint8_t *block, size_t block_size) {
  trailer_t *t = trailer_of(block, block_size);
  if (!trailer_valid(block, block_size, t) || t->state != STATE_FREE) return; /* never used */
  if (!all_bytes(block + FREED_FROM, freed_len(block_size), FREED))
    die_at("write to a freed block detected when it was reused:", block);
}

static void *checked_alloc(ox_heap_t *heap, size_t size, size_t align, bool zero) {
  if (size <= OX_LARGE_MAX - OX_CHECK_TRAILER && align <= OX_CLASS_ALIGN_MAX) {
    uint8_t *p = _ox_alloc_raw(heap, size + OX_CHECK_TRAILER, align, false);
    if (!p) return NULL;
    ox_segment_t *seg = _ox_segment_of_class_block(p);
    size_t block_size = _ox_segment_page_of(seg, p)->block_size;
    verify_reuse(p, block_size);
    memset(p + size, CANARY, block_size - OX_CHECK_TRAILER - size);
    if (zero) memset(p, 0, size);
    trailer_write(p, block_size, size, align, STATE_LIVE);
    return p;
  }
  uint8_t *p = _ox_huge_alloc(size, align, zero);
  if (!p) return NULL;
  if (atomic_load_explicit(&heap->state, memory_order_relaxed) == OX_HEAP_FIRST_CLASS)
    _ox_huge_attach(heap, p);
  ox_segment_t *seg = _ox_segment_lookup(p);
  seg->checked_size = size + 1; /* 0 marks a freed huge block */
  size_t canary_len = seg->huge_usable - size;
  memset(p + size, CANARY, canary_len > HUGE_CANARY_MAX ? HUGE_CANARY_MAX : canary_len);
  return p;
}

/* ---- the entry points: each runs with valgrind's reporting off ------- */

/* The bytes of a block's allocation past the user's size: trailer, canary. */
static void hide_tail(void *p, size_t size) {
  ox_segment_t *seg = _ox_segment_lookup(p);
  size_t end =
      seg->kind == OX_KIND_HUGE ? seg->huge_usable : _ox_segment_page_of(seg, p)->block_size;
  VALGRIND_MAKE_MEM_NOACCESS((uint8_t *)p + size, end - size);
}

void *_ox_checked_alloc(ox_heap_t *heap, size_t size, size_t align, bool zero) {
  VG_QUIET_BEGIN();
  void *p = checked_alloc(heap, size, align, zero);
  if (p) {
    VALGRIND_MALLOCLIKE_BLOCK(p, size, 0, zero);
    hide_tail(p, size);
  }
  VG_QUIET_END();
  return p;
}

void _ox_check_live(ox_segment_t *seg, const void *p) {
  VG_QUIET_BEGIN();
  check_live(seg, p);
  VG_QUIET_END();
}

void _ox_check_free(ox_segment_t *seg, const void *p) {
  VG_QUIET_BEGIN();
  check_free(seg, p);
  VALGRIND_FREELIKE_BLOCK(p, 0);
  /* The first word becomes the free-list link, the allocator's to use. */
  VALGRIND_MAKE_MEM_UNDEFINED(p, sizeof(ox_block_t));
  VG_QUIET_END();
}

void _ox_check_layout(ox_segment_t *seg, const void *p, size_t size, size_t align) {
  VG_QUIET_BEGIN();
  check_layout(seg, p, size, align);
  VG_QUIET_END();
}

size_t _ox_checked_usable(ox_segment_t *seg, const void *p) {
  VG_QUIET_BEGIN();
  size_t n = checked_usable(seg, p);
  VG_QUIET_END();
  return n;
}

size_t _ox_checked_usable_any(const void *p, size_t block) {
  VG_QUIET_BEGIN();
  size_t n = usable_any(p, block);
  VG_QUIET_END();
  return n;
}

void _ox_checked_shrink(ox_segment_t *seg, void *p, size_t new_size, size_t align) {
  VG_QUIET_BEGIN();
  size_t old_size = checked_usable(seg, p);
  checked_shrink(seg, p, new_size, align);
  VALGRIND_RESIZEINPLACE_BLOCK(p, old_size, new_size, 0);
  hide_tail(p, new_size);
  VG_QUIET_END();
}

void _ox_checked_own_header(void *p, size_t n) { VALGRIND_MAKE_MEM_DEFINED(p, n); }

/* The seal of a free block's link: the link word mixed with the block's
 * address and a per-process secret. */
static uintptr_t link_seal(const ox_block_t *b) {
  uintptr_t x = (((const uintptr_t *)b)[0] ^ (uintptr_t)b) * 0x9E3779B97F4A7C15ull;
  return (x ^ (x >> 31)) ^ _ox_free_tag;
}

/* The seal lives in memory valgrind knows as freed (a read of byte 8 of
 * a freed block is the program's error): accessed with reporting off. */
void _ox_checked_seal_link(ox_block_t *b) {
  VG_QUIET_BEGIN();
  ((uintptr_t *)b)[1] = link_seal(b);
  VG_QUIET_END();
}

void _ox_checked_verify_link(const ox_block_t *b) {
  VG_QUIET_BEGIN();
  bool intact = ((const uintptr_t *)b)[1] == link_seal(b);
  VG_QUIET_END();
  if (!intact) die_at("write to a freed block detected when it was reused:", b);
}

/* A thread's exit collects blocks freed by others: allocator reads. */
void _ox_checked_quiet(bool quiet) {
  if (quiet)
    VG_QUIET_BEGIN();
  else
    VG_QUIET_END();
}

#endif /* OX_CHECKED */
