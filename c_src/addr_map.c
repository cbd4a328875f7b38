/*
 * addr_map.c - the address map: which memory is oxalloc's, for every
 * 48-bit address, in two structures that are never unmapped.
 *
 *  - The base bitmap: one bit per 4 MiB chunk, set where a segment or a
 *    huge mapping has its base.  Every block starts after its base and at
 *    most 4 MiB past it, so `free` finds the segment of any block from one
 *    bit (_ox_segment_lookup in internal.h): 2^26 bits, 8 MiB of .bss of
 *    which only the pages holding set bits become resident.
 *  - The chunk table: a static top level of 8192 pointers, each to a leaf
 *    of 8192 chunks (32 GiB of address space) mapped the first time a
 *    mapping lands there and kept for the life of the process.  Per chunk
 *    it records how many of its bytes an oxalloc mapping covers and, at a
 *    base, what the block-start test needs: the segment's kind and the
 *    class of each page, or the huge block's offset and size.
 *
 * ox_owns and ox_usable_size answer from the chunk table alone, never
 * from a segment header: another thread may unmap a segment at any time,
 * and these two must not fault whatever the pointer.  The writers are the
 * threads that map, unmap or change a segment (slow paths only); readers
 * validate every field they use, so a torn or stale record gives a wrong
 * answer for a dangling pointer, never a read out of bounds.
 */
#include "internal.h"
#include "size_class.h"

#define LEAF_BITS  13
#define LEAF_SIZE  ((uintptr_t)1 << LEAF_BITS)
#define TOP_SIZE   (OX_MAP_CHUNKS >> LEAF_BITS)
#define MAX_PAGES  (OX_SEGMENT_SIZE >> OX_SMALL_PAGE_SHIFT) /* 64 */
#define KIND_SHIFT 24 /* span_kind: covered bytes below, kind + 1 above */

_Atomic uint64_t _ox_segment_bases[OX_MAP_CHUNKS / 64];

typedef struct {
  /* Bytes of the chunk from its start that lie in an oxalloc mapping
   * (0 .. 4 MiB), and at a base the segment's kind + 1 (0: no base). */
  _Atomic uint32_t span_kind[LEAF_SIZE];
  /* Huge base: the live block's usable size and its offset from the base,
   * in units of 4 KiB (one word, so never seen half-written); 0: no live
   * block.  Once the mapping went back to the OS: its block's offset and
   * HUGE_GONE, until oxalloc maps that chunk again, so that a second free
   * of the block is still known for one. */
  _Atomic uint64_t huge[LEAF_SIZE];
  /* Class segment base: class + 1 of each page in use (0: free). */
  _Atomic uint8_t page_class[LEAF_SIZE][MAX_PAGES];
} leaf_t;

static _Atomic(leaf_t *) top[TOP_SIZE];

#define HUGE_UNIT   12                        /* huge offsets and sizes are multiples of 4 KiB */
#define HUGE_OFFSET (((uint64_t)1 << 15) - 1) /* the offset's field, from bit 48 */
#define HUGE_GONE   ((uint64_t)1 << 63)

static const uint8_t kind_page_shift[OX_PAGED_KINDS] = {
    [OX_KIND_SMALL] = OX_SMALL_PAGE_SHIFT,
    [OX_KIND_MEDIUM] = OX_MEDIUM_PAGE_SHIFT,
    [OX_KIND_LARGE] = OX_LARGE_PAGE_SHIFT,
};

static leaf_t *leaf_of(uintptr_t chunk) {
  return atomic_load_explicit(&top[chunk >> LEAF_BITS], memory_order_acquire);
}

static uintptr_t chunk_of(uintptr_t addr) { return addr >> OX_SEGMENT_SHIFT; }

/* ---- writers ------------------------------------------------------------- */

/* Where the system backs anonymous memory with transparent huge pages
 * ("always"), the first bit set in the base bitmap would make the 2 MiB
 * around it resident; it stays in 4 KiB pages, which only the bits of
 * mapped memory touch. */
void _ox_addr_map_init(void) {
  _ox_os_advise_no_huge_pages(_ox_segment_bases, sizeof _ox_segment_bases);
}

bool _ox_addr_map_prepare(uintptr_t start, size_t size) {
  uintptr_t end = start + size;
  if (size == 0 || end < start || end > ((uintptr_t)1 << OX_MAP_ADDR_BITS)) return false;
  for (uintptr_t t = chunk_of(start) >> LEAF_BITS; t <= chunk_of(end - 1) >> LEAF_BITS; t++) {
    if (atomic_load_explicit(&top[t], memory_order_acquire)) continue;
    /* Untouched but for the records written: costs address space. */
    leaf_t *leaf = _ox_os_map_metadata(sizeof(leaf_t));
    if (!leaf) return false; /* tried again on the next mapping */
    leaf_t *expected = NULL;
    if (!atomic_compare_exchange_strong(&top[t], &expected, leaf))
      _ox_os_unmap_metadata(leaf, sizeof(leaf_t)); /* another thread won */
  }
  return true;
}

void _ox_addr_map_set(uintptr_t start, size_t size, ox_segment_t *seg) {
  uintptr_t end = start + size;
  if (size == 0) return;
  if (end > ((uintptr_t)1 << OX_MAP_ADDR_BITS)) end = (uintptr_t)1 << OX_MAP_ADDR_BITS;
  for (uintptr_t c = chunk_of(start); c <= chunk_of(end - 1); c++) {
    leaf_t *leaf = leaf_of(c);
    if (!leaf) continue; /* never entered (only a clear gets here) */
    uintptr_t i = c & (LEAF_SIZE - 1), base = c << OX_SEGMENT_SHIFT;
    uint64_t bit = (uint64_t)1 << (c % 64);
    if (seg) {
      uintptr_t covered = (end < base + OX_SEGMENT_SIZE ? end : base + OX_SEGMENT_SIZE) - base;
      uint32_t kind = atomic_load_explicit(&leaf->span_kind[i], memory_order_relaxed) >> KIND_SHIFT;
      atomic_store_explicit(&leaf->span_kind[i], (uint32_t)covered | kind << KIND_SHIFT,
                            memory_order_release);
      if (atomic_load_explicit(&leaf->huge[i], memory_order_relaxed) & HUGE_GONE)
        atomic_store_explicit(&leaf->huge[i], 0, memory_order_relaxed); /* reused */
      if (base == (uintptr_t)seg)
        atomic_fetch_or_explicit(&_ox_segment_bases[c / 64], bit, memory_order_release);
    } else {
      /* First the bit: no free finds the segment from here on. */
      atomic_fetch_and_explicit(&_ox_segment_bases[c / 64], ~bit, memory_order_release);
      atomic_store_explicit(&leaf->span_kind[i], 0, memory_order_release);
      /* A huge base keeps where its block was (a class segment has 0). */
      uint64_t word = atomic_load_explicit(&leaf->huge[i], memory_order_relaxed);
      if (word) word = (word & (HUGE_OFFSET << 48)) | HUGE_GONE;
      atomic_store_explicit(&leaf->huge[i], word, memory_order_relaxed);
    }
  }
}

/* The base chunk's records, or NULL if `seg` was never entered. */
static leaf_t *base_leaf(const ox_segment_t *seg, uintptr_t *index) {
  uintptr_t c = chunk_of((uintptr_t)seg);
  *index = c & (LEAF_SIZE - 1);
  return c < OX_MAP_CHUNKS ? leaf_of(c) : NULL;
}

static void set_kind(leaf_t *leaf, uintptr_t i, unsigned kind) {
  uint32_t old = atomic_load_explicit(&leaf->span_kind[i], memory_order_relaxed);
  uint32_t span = old & (((uint32_t)1 << KIND_SHIFT) - 1);
  atomic_store_explicit(&leaf->span_kind[i], span | (uint32_t)(kind + 1) << KIND_SHIFT,
                        memory_order_release);
}

void _ox_addr_map_class_segment(const ox_segment_t *seg) {
  uintptr_t i;
  leaf_t *leaf = base_leaf(seg, &i);
  if (!leaf) return;
  for (size_t k = 0; k < MAX_PAGES; k++)
    atomic_store_explicit(&leaf->page_class[i][k], 0, memory_order_relaxed);
  atomic_store_explicit(&leaf->huge[i], 0, memory_order_relaxed);
  set_kind(leaf, i, seg->kind);
}

void _ox_addr_map_page(const ox_segment_t *seg, const ox_page_t *page, bool in_use) {
  uintptr_t i;
  leaf_t *leaf = base_leaf(seg, &i);
  if (!leaf) return;
  size_t idx = (size_t)(page - seg->pages);
  uint8_t value = in_use ? (uint8_t)(page->class_idx + 1) : 0;
  if (idx < MAX_PAGES)
    atomic_store_explicit(&leaf->page_class[i][idx], value, memory_order_release);
}

void _ox_addr_map_huge(const ox_segment_t *seg) {
  uintptr_t i;
  leaf_t *leaf = base_leaf(seg, &i);
  if (!leaf) return;
  uint64_t usable = seg->pages_used ? seg->huge_usable >> HUGE_UNIT : 0;
  uint64_t offset = seg->huge_offset >> HUGE_UNIT;
  uint64_t word = usable | offset << 48; /* usable < 2^48 units, offset <= 2^10 */
  set_kind(leaf, i, OX_KIND_HUGE);
  atomic_store_explicit(&leaf->huge[i], word, memory_order_release);
}

/* ---- readers: any pointer, never a read outside the table ---------------- */

bool _ox_addr_map_owns(const void *p) {
  uintptr_t c = chunk_of((uintptr_t)p);
  if (c >= OX_MAP_CHUNKS) return false; /* beyond 48 bits: never oxalloc's */
  leaf_t *leaf = leaf_of(c);
  if (!leaf) return false;
  uint32_t span = atomic_load_explicit(&leaf->span_kind[c & (LEAF_SIZE - 1)], memory_order_acquire);
  span &= ((uint32_t)1 << KIND_SHIFT) - 1;
  return ((uintptr_t)p & OX_SEGMENT_MASK) < span;
}

/* The block size of a class block starting `off` bytes past its segment's
 * base, or 0 if no block of a page in use starts there. */
static size_t class_block_size(leaf_t *leaf, uintptr_t i, unsigned kind, uintptr_t off) {
  unsigned shift = kind_page_shift[kind];
  uintptr_t idx = off >> shift;
  if (idx >= OX_SEGMENT_SIZE >> shift) return 0; /* the next chunk's first byte */
  unsigned value = atomic_load_explicit(&leaf->page_class[i][idx], memory_order_acquire);
  if (value == 0 || value > OX_CLASS_COUNT) return 0;
  size_t bsize = _ox_class_size(value - 1);
  uintptr_t start = idx << shift, area = (uintptr_t)1 << shift;
  if (idx == 0) { /* page 0's data follows the header */
    start += OX_HEADER_RESERVE;
    area -= OX_HEADER_RESERVE;
  }
  if (off < start) return 0;
  uintptr_t d = off - start;
  return d % bsize == 0 && d / bsize < area / bsize ? bsize : 0;
}

/* The leaf and index of the chunk holding the base of the block at `p`
 * (the byte before it, as in _ox_segment_lookup), and `p`'s offset there;
 * NULL if the map never had that chunk. */
static leaf_t *base_chunk(const void *p, uintptr_t *index, uintptr_t *off) {
  uintptr_t c = chunk_of((uintptr_t)p - 1);
  if (c >= OX_MAP_CHUNKS) return NULL;
  *index = c & (LEAF_SIZE - 1);
  *off = (uintptr_t)p - (c << OX_SEGMENT_SHIFT);
  return leaf_of(c);
}

/* Whether a huge word records its block at offset `off` of the chunk. */
static bool huge_at(uint64_t word, uintptr_t off) {
  return off == ((word >> 48) & HUGE_OFFSET) << HUGE_UNIT;
}

size_t _ox_addr_map_usable(const void *p) {
  uintptr_t i, off;
  leaf_t *leaf = base_chunk(p, &i, &off);
  if (!leaf) return 0;
  uint32_t kind = atomic_load_explicit(&leaf->span_kind[i], memory_order_acquire) >> KIND_SHIFT;
  if (kind == 0 || kind > OX_KIND_HUGE + 1) return 0;
  if (kind - 1 < OX_PAGED_KINDS) return class_block_size(leaf, i, kind - 1, off);
  uint64_t word = atomic_load_explicit(&leaf->huge[i], memory_order_acquire);
  uint64_t usable = (word & (((uint64_t)1 << 48) - 1)) << HUGE_UNIT;
  return usable && huge_at(word, off) ? (size_t)usable : 0;
}

bool _ox_addr_map_huge_gone(const void *p) {
  uintptr_t i, off;
  leaf_t *leaf = base_chunk(p, &i, &off);
  if (!leaf) return false;
  uint64_t word = atomic_load_explicit(&leaf->huge[i], memory_order_acquire);
  return (word & HUGE_GONE) && huge_at(word, off);
}
