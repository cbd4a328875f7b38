/*
 * segment.c - 4 MiB segments: creating them from the OS (entered in the
 * address map, addr_map.c), handing their pages to heaps, a small lock-free cache of
 * empty segments, which of a segment's memory may hold data, and giving unused
 * pages back to the OS after a delay.
 */
#include "internal.h"
#include "size_class.h"

/* ---- segments from the OS ------------------------------------------------ */

static ox_segment_t *segment_map_fresh(void) {
  uint8_t *base = _ox_os_map_aligned(OX_SEGMENT_SIZE, OX_SEGMENT_SIZE, 0);
  if (!base) return NULL;
  if (!_ox_addr_map_prepare((uintptr_t)base, OX_SEGMENT_SIZE)) {
    _ox_os_unmap(base, OX_SEGMENT_SIZE);
    return NULL;
  }
  ox_segment_t *seg = (ox_segment_t *)base;
  seg->touched = 0;
  _ox_os_advise_huge_pages(base, OX_SEGMENT_SIZE);
  _ox_addr_map_set((uintptr_t)base, OX_SEGMENT_SIZE, seg);
  _ox_stat_add(OX_STAT_NONRESIDENT, (intptr_t)(OX_SEGMENT_SIZE - OX_HEADER_RESERVE));
  return seg;
}

static size_t nonresident_bytes(ox_segment_t *seg);
static size_t dirty_bytes(ox_segment_t *seg, bool free_only);

static void segment_unmap(ox_segment_t *seg) {
  _ox_stat_add(OX_STAT_NONRESIDENT, -(intptr_t)nonresident_bytes(seg));
  _ox_addr_map_set((uintptr_t)seg, OX_SEGMENT_SIZE, NULL);
  _ox_os_unmap(seg, OX_SEGMENT_SIZE);
}

/* ---- the cache of empty segments (lock-free slots) ----------------------
 * It keeps OXALLOC_SEGMENT_CACHE segments.  When a fresh segment has to be
 * mapped within the purge delay after one was unmapped because the cache
 * was full, the cache was too small for this program's cycle (build a big
 * structure, drop it, build the next): it grows by one, up to
 * OXALLOC_SEGMENT_CACHE_MAX, so the next cycle reuses resident segments
 * instead of faulting fresh pages in.  Each cached segment that stays
 * unused for the purge delay gives one slot of growth back.  A single
 * large free, with no cycle before it, leaves only the base number of
 * segments resident. */
#define SEGMENT_CACHE_SLOTS 64
static ox_slot_t segment_cache[SEGMENT_CACHE_SLOTS];
static _Atomic int segment_cache_growth;
static _Atomic uint64_t segment_cache_overflow_ms; /* last unmap of a full cache; 0: none */

static int segment_cache_limit(void) {
  long base = _ox_option(OX_OPT_SEGMENT_CACHE);
  long max = _ox_option(OX_OPT_SEGMENT_CACHE_MAX);
  if (base == 0) return 0; /* no cache at all */
  long limit = base + atomic_load_explicit(&segment_cache_growth, memory_order_relaxed);
  if (limit > max) limit = max > base ? max : base;
  return limit < SEGMENT_CACHE_SLOTS ? (int)limit : SEGMENT_CACHE_SLOTS;
}

static bool segment_cache_put(ox_segment_t *seg) {
  if (_ox_option(OX_OPT_PURGE_DELAY_MS) == 0) return false;
  seg->heap = NULL;
  size_t resident = dirty_bytes(seg, false); /* seg may be taken at once */
  if (_ox_slots_put(segment_cache, segment_cache_limit(), seg)) {
    _ox_stat_add(OX_STAT_CACHED_SEGMENT, (intptr_t)resident);
    return true;
  }
  atomic_store_explicit(&segment_cache_overflow_ms, _ox_os_now_ms(), memory_order_relaxed);
  return false;
}

static ox_segment_t *segment_cache_take(void) {
  int index = 0;
  ox_segment_t *seg = _ox_slots_take(segment_cache, SEGMENT_CACHE_SLOTS, &index);
  if (seg) _ox_stat_add(OX_STAT_CACHED_SEGMENT, -(intptr_t)dirty_bytes(seg, false));
  return seg;
}

/* A fresh segment is needed: grow the cache if it recently had to unmap
 * one for want of room. */
static void segment_cache_note_miss(void) {
  uint64_t overflow = atomic_load_explicit(&segment_cache_overflow_ms, memory_order_relaxed);
  if (overflow == 0) return;
  if (_ox_os_now_ms() - overflow >= (uint64_t)_ox_option(OX_OPT_PURGE_DELAY_MS)) return;
  if (atomic_load_explicit(&segment_cache_growth, memory_order_relaxed) < SEGMENT_CACHE_SLOTS)
    atomic_fetch_add_explicit(&segment_cache_growth, 1, memory_order_relaxed);
}

/* A cached segment stayed unused for the purge delay: unmap it and shrink
 * the growth by one. */
static void segment_cache_expire(ox_segment_t *seg) {
  int growth = atomic_load_explicit(&segment_cache_growth, memory_order_relaxed);
  while (growth > 0 &&
         !atomic_compare_exchange_weak_explicit(&segment_cache_growth, &growth, growth - 1,
                                                memory_order_relaxed, memory_order_relaxed)) {
  }
  _ox_stat_add(OX_STAT_CACHED_SEGMENT, -(intptr_t)dirty_bytes(seg, false));
  segment_unmap(seg);
}

/* Unmap cached segments that stayed unused for the purge delay. */
void _ox_segment_cache_purge(uint64_t now, bool force) {
  _ox_slots_purge(segment_cache, SEGMENT_CACHE_SLOTS, now, force, segment_cache_expire);
}

/* ---- segment layout ------------------------------------------------------ */

static const uint8_t kind_page_shift[OX_PAGED_KINDS] = {
    [OX_KIND_SMALL] = OX_SMALL_PAGE_SHIFT,
    [OX_KIND_MEDIUM] = OX_MEDIUM_PAGE_SHIFT,
    [OX_KIND_LARGE] = OX_LARGE_PAGE_SHIFT,
};

/* SMALL page 0 is all header; in the other kinds page 0 holds data after
 * the header reserve. */
static uint32_t first_data_page(const ox_segment_t *seg) { return seg->kind == OX_KIND_SMALL; }

static uint32_t data_page_count(const ox_segment_t *seg) {
  return seg->page_count - first_data_page(seg);
}

static uint8_t *page_area(ox_segment_t *seg, ox_page_t *page, size_t *size) {
  size_t idx = (size_t)(page - seg->pages);
  uint8_t *start = (uint8_t *)seg + (idx << seg->page_shift);
  size_t bytes = (size_t)1 << seg->page_shift;
  if (idx == 0) {
    start += OX_HEADER_RESERVE;
    bytes -= OX_HEADER_RESERVE;
  }
  *size = bytes;
  return start;
}

/* ---- which memory may hold data --------------------------------------------
 * One bit of seg->touched per 64 KiB granule: set when a page that used the
 * granule is freed (a page writes only the blocks it carved, which are its
 * first `capacity` blocks), cleared when the granule is purged.  The map
 * outlives a page's class and the segment's kind, so a page that gets memory
 * no earlier page wrote knows it reads as zero (zeroed allocation skips the
 * memset) and a segment reused from the cache as another kind does not
 * count - or, through zeroing, make resident - memory it never used. */
#define GRANULE_SHIFT OX_SMALL_PAGE_SHIFT
_Static_assert(OX_SEGMENT_SIZE >> GRANULE_SHIFT == 64, "one bit per granule");
_Static_assert(OX_HEADER_RESERVE == (size_t)1 << GRANULE_SHIFT, "pages start on a granule");

/* The granules of the first `len` bytes of the page's area (all of it
 * when `len` is larger).  Page areas start and end on granules; page 0's
 * follows the header's. */
static inline uint64_t page_granules(const ox_segment_t *seg, const ox_page_t *page, size_t len) {
  unsigned per_page = seg->page_shift - GRANULE_SHIFT;
  size_t idx = (size_t)(page - seg->pages);
  size_t first = idx << per_page, count = (size_t)1 << per_page;
  if (idx == 0) first = 1, count--;
  if (len < count << GRANULE_SHIFT)
    count = (len + ((size_t)1 << GRANULE_SHIFT) - 1) >> GRANULE_SHIFT;
  return (((uint64_t)1 << count) - 1) << first; /* count < 64 */
}

/* The offset in the page's area from which its memory reads as zero. */
static uint32_t page_zero_from(const ox_segment_t *seg, const ox_page_t *page) {
  uint64_t bits = seg->touched & page_granules(seg, page, SIZE_MAX);
  if (bits == 0) return 0;
  size_t idx = (size_t)(page - seg->pages), start = idx << seg->page_shift;
  if (idx == 0) start = OX_HEADER_RESERVE;
  return (uint32_t)(((size_t)(64 - __builtin_clzll(bits)) << GRANULE_SHIFT) - start);
}

/* Bytes of the segment's pages known not to be resident (never touched
 * since mapped, or purged). */
static size_t nonresident_bytes(ox_segment_t *seg) {
  size_t bytes = 0;
  for (uint32_t i = first_data_page(seg); i < seg->page_count; i++) {
    size_t area;
    page_area(seg, &seg->pages[i], &area);
    if (!seg->pages[i].dirty) bytes += area;
  }
  return bytes;
}

/* Bytes of the segment's pages touched since they were last purged (of
 * its free pages only, or of all). */
static size_t dirty_bytes(ox_segment_t *seg, bool free_only) {
  size_t bytes = 0;
  for (uint32_t i = first_data_page(seg); i < seg->page_count; i++) {
    size_t area;
    page_area(seg, &seg->pages[i], &area);
    if (seg->pages[i].dirty && !(free_only && seg->pages[i].in_use)) bytes += area;
  }
  return bytes;
}

static void segment_init(ox_segment_t *seg, ox_heap_t *heap, enum ox_kind kind, bool fresh) {
  /* A reused segment's pages are counted again in the new layout. */
  if (!fresh) _ox_stat_add(OX_STAT_NONRESIDENT, -(intptr_t)nonresident_bytes(seg));
  seg->heap = heap;
  seg->kind = (uint8_t)kind;
  seg->page_shift = kind_page_shift[kind];
  seg->page_count = (uint32_t)(OX_SEGMENT_SIZE >> seg->page_shift);
  seg->pages_used = 0;
  seg->free_hint = first_data_page(seg);
  seg->in_heap_list = 0;
  seg->next = seg->prev = NULL;
  seg->map_size = OX_SEGMENT_SIZE;
  seg->huge_offset = seg->huge_usable = 0;
  /* A fresh mapping reads as zero already: its page entries are written
   * as pages are used, so a SMALL segment's header does not make its last
   * two OS pages resident before it has 31 pages in use. */
  for (uint32_t i = 0; !fresh && i < seg->page_count; i++) {
    ox_page_t *page = &seg->pages[i];
    *page = (ox_page_t){0};
    page->dirty = page_granules(seg, page, SIZE_MAX) & seg->touched ? 1 : 0;
  }
  if (kind == OX_KIND_SMALL) seg->pages[0].in_use = 1; /* the header */
  /* A reused segment's written free pages wait for the purge like freed
   * ones; the others are not resident. */
  if (!fresh) {
    _ox_stat_add(OX_STAT_NONRESIDENT, (intptr_t)nonresident_bytes(seg));
    _ox_stat_add(OX_STAT_PENDING_PURGE, (intptr_t)dirty_bytes(seg, true));
  }
  _ox_addr_map_class_segment(seg);
}

/* ---- the heap's purge lock ------------------------------------------------
 * The owner holds it while it changes its segments' pages and lists; the
 * background purger only ever tries it (and skips a heap that is busy),
 * so the owner waits at most for one purge of its own free pages. */
static void purge_lock(ox_heap_t *heap) {
  while (atomic_flag_test_and_set_explicit(&heap->purge_lock, memory_order_acquire)) {
  }
}

static void purge_unlock(ox_heap_t *heap) {
  atomic_flag_clear_explicit(&heap->purge_lock, memory_order_release);
}

/* ---- the heap's list of segments with a free page ---------------------- */

static void heap_segment_push(ox_heap_t *heap, ox_segment_t *seg) {
  _ox_segment_list_push(&heap->segments[seg->kind], seg);
  seg->in_heap_list = 1;
}

static void heap_segment_remove(ox_heap_t *heap, ox_segment_t *seg) {
  _ox_segment_list_remove(&heap->segments[seg->kind], seg);
  seg->in_heap_list = 0;
}

static void heap_all_push(ox_heap_t *heap, ox_segment_t *seg) {
  seg->all_prev = NULL;
  seg->all_next = heap->all_segments;
  if (heap->all_segments) heap->all_segments->all_prev = seg;
  heap->all_segments = seg;
}

static void heap_all_remove(ox_heap_t *heap, ox_segment_t *seg) {
  if (seg->all_prev)
    seg->all_prev->all_next = seg->all_next;
  else
    heap->all_segments = seg->all_next;
  if (seg->all_next) seg->all_next->all_prev = seg->all_prev;
  seg->all_next = seg->all_prev = NULL;
}

static ox_segment_t *segment_for_heap(ox_heap_t *heap, enum ox_kind kind) {
  bool fresh = false;
  ox_segment_t *seg = segment_cache_take();
  if (!seg) {
    _ox_heap_collect_abandoned();
    segment_cache_note_miss();
    seg = segment_map_fresh();
    if (!seg) { /* out of address space: what the huge cache holds comes first */
      _ox_huge_cache_purge(_ox_os_now_ms(), true);
      seg = segment_map_fresh();
    }
    fresh = true;
  }
  if (!seg) return NULL;
  segment_init(seg, heap, kind, fresh);
  heap_segment_push(heap, seg);
  heap_all_push(heap, seg);
  _ox_stat_add(OX_STAT_SEGMENTS, 1);
  return seg;
}

/* ---- pages ---------------------------------------------------------------- */

static ox_page_t *segment_page_alloc(ox_heap_t *heap, unsigned cls);

ox_page_t *_ox_segment_page_alloc(ox_heap_t *heap, unsigned cls) {
  purge_lock(heap);
  ox_page_t *page = segment_page_alloc(heap, cls);
  purge_unlock(heap);
  return page;
}

static ox_page_t *segment_page_alloc(ox_heap_t *heap, unsigned cls) {
  enum ox_kind kind = _ox_class_kind(cls);
  ox_segment_t *seg = heap->segments[kind];
  if (!seg) seg = segment_for_heap(heap, kind);
  if (!seg) return NULL;
  ox_page_t *page = NULL;
  for (uint32_t i = seg->free_hint; i < seg->page_count; i++) {
    if (!seg->pages[i].in_use) {
      page = &seg->pages[i];
      seg->free_hint = i + 1;
      break;
    }
  }
  if (!page) _ox_fatal("internal error: segment listed as having a free page has none", seg);
  if (++seg->pages_used == data_page_count(seg)) heap_segment_remove(heap, seg);
  size_t area;
  uint8_t *start = page_area(seg, page, &area);
  uint32_t zero_from = page_zero_from(seg, page);
  _ox_stat_add(page->dirty ? OX_STAT_PENDING_PURGE : OX_STAT_NONRESIDENT, -(intptr_t)area);
  _ox_stat_add(OX_STAT_PAGES, 1);
  size_t bsize = _ox_class_size(cls);
  uint64_t magic = _ox_block_magic((uint32_t)bsize);
  uint32_t count = (uint32_t)(area / bsize);
  static _Atomic uint32_t generations;
  *page = (ox_page_t){
      .generation = atomic_fetch_add_explicit(&generations, 1, memory_order_relaxed),
      .in_use = 1,
      .dirty = 1,
      .zero_from = zero_from,
      .class_idx = (uint8_t)cls,
      .block_size = (uint32_t)bsize,
      .reserved = count,
      .block_magic = magic,
      .block_limit = 0, /* grows as blocks are carved (page.c) */
      .start_bits = (uintptr_t)start ^ OX_START_SCRAMBLE,
  };
  _ox_addr_map_page(seg, page, true);
  return page;
}

/* Whether the page segment_page_alloc would hand out next has been written
 * since it was last purged (page.c takes it rather than write memory that
 * never was). */
bool _ox_segment_next_page_touched(ox_heap_t *heap, enum ox_kind kind) {
  bool touched = false;
  purge_lock(heap); /* the background purger may be clearing `dirty` */
  ox_segment_t *seg = heap->segments[kind];
  for (uint32_t i = seg ? seg->free_hint : 0; seg && i < seg->page_count; i++) {
    if (seg->pages[i].in_use) continue;
    touched = seg->pages[i].dirty;
    break;
  }
  purge_unlock(heap);
  return touched;
}

static void segment_purge_pages(ox_segment_t *seg, uint64_t now, bool force);

static void segment_release(ox_heap_t *heap, ox_segment_t *seg) {
  /* Pages released with their blocks (ox_heap_destroy) wrote what they carved. */
  for (uint32_t i = first_data_page(seg); i < seg->page_count; i++) {
    ox_page_t *page = &seg->pages[i];
    if (page->in_use)
      seg->touched |= page_granules(seg, page, (size_t)page->capacity * page->block_size);
  }
  /* Cached for a heap whose thread has gone: purged first (nobody is about
   * to reuse its pages; the mapping is kept for whoever needs one). */
  if (_ox_heap_unowned(heap)) segment_purge_pages(seg, 0, true);
  _ox_stat_add(OX_STAT_PENDING_PURGE, -(intptr_t)dirty_bytes(seg, true));
  if (seg->in_heap_list) heap_segment_remove(heap, seg);
  heap_all_remove(heap, seg);
  _ox_stat_add(OX_STAT_SEGMENTS, -1);
  if (!segment_cache_put(seg)) segment_unmap(seg);
}

/* Give back every segment of the heap at once, live blocks and all
 * (ox_heap_destroy / ox_heap_reset). */
void _ox_segment_release_all(ox_heap_t *heap) {
  purge_lock(heap);
  while (heap->all_segments) {
    ox_segment_t *seg = heap->all_segments;
    _ox_stat_add(OX_STAT_PAGES, -(intptr_t)seg->pages_used);
    segment_release(heap, seg);
  }
  purge_unlock(heap);
}

static void segment_page_free(ox_heap_t *heap, ox_page_t *page);

void _ox_segment_page_free(ox_heap_t *heap, ox_page_t *page) {
  purge_lock(heap);
  segment_page_free(heap, page);
  purge_unlock(heap);
}

static void segment_page_free(ox_heap_t *heap, ox_page_t *page) {
  ox_segment_t *seg = _ox_segment_of_class_block(page);
  seg->touched |= page_granules(seg, page, (size_t)page->capacity * page->block_size);
  page->in_use = 0;
  uint32_t idx = (uint32_t)(page - seg->pages);
  if (idx < seg->free_hint) seg->free_hint = idx;
  page->free = page->local_free = NULL;
  page->used = 0;
  page->block_limit = 0; /* no pointer into a free page passes as a block */
  _ox_addr_map_page(seg, page, false);
  page->freed_at_ms = _ox_os_now_ms();
  _ox_stat_add(OX_STAT_PAGES, -1);
  size_t area;
  uint8_t *start = page_area(seg, page, &area);
  _ox_stat_add(OX_STAT_PENDING_PURGE, (intptr_t)area); /* dirty: it was in use */
  if (--seg->pages_used == 0) {
    segment_release(heap, seg);
    return;
  }
  if (!seg->in_heap_list) heap_segment_push(heap, seg);
  if (_ox_option(OX_OPT_PURGE_DELAY_MS) == 0 || _ox_heap_unowned(heap)) {
    _ox_os_purge(start, area);
    page->dirty = 0;
    seg->touched &= ~page_granules(seg, page, area);
    _ox_stat_add(OX_STAT_NONRESIDENT, (intptr_t)area);
    _ox_stat_add(OX_STAT_PENDING_PURGE, -(intptr_t)area);
  }
}

/* Give the OS back the free pages of one segment that stayed unused for
 * the purge delay (all of them when `force`).  Adjacent pages go in one
 * call. */
static void segment_purge_pages(ox_segment_t *seg, uint64_t now, bool force) {
  uint64_t delay = (uint64_t)_ox_option(OX_OPT_PURGE_DELAY_MS);
  uint8_t *run = NULL;
  size_t run_len = 0;
  for (uint32_t i = first_data_page(seg); i <= seg->page_count; i++) {
    ox_page_t *page = i < seg->page_count ? &seg->pages[i] : NULL;
    bool purge =
        page && !page->in_use && page->dirty && (force || now - page->freed_at_ms >= delay);
    if (purge) {
      size_t area;
      uint8_t *start = page_area(seg, page, &area);
      if (run && run + run_len == start)
        run_len += area;
      else {
        if (run) _ox_os_purge(run, run_len);
        run = start;
        run_len = area;
      }
      page->dirty = 0;
      seg->touched &= ~page_granules(seg, page, area);
      _ox_stat_add(OX_STAT_NONRESIDENT, (intptr_t)area);
      _ox_stat_add(OX_STAT_PENDING_PURGE, -(intptr_t)area);
    }
  }
  if (run) _ox_os_purge(run, run_len);
}

static void heap_purge(ox_heap_t *heap, uint64_t now, bool force) {
  for (int kind = 0; kind < OX_PAGED_KINDS; kind++)
    for (ox_segment_t *seg = heap->segments[kind]; seg; seg = seg->next)
      segment_purge_pages(seg, now, force);
}

/* The same for every segment of the heap that has a free page. */
void _ox_segment_purge(ox_heap_t *heap, uint64_t now, bool force) {
  purge_lock(heap);
  heap_purge(heap, now, force);
  purge_unlock(heap);
}

/* The same from another thread (the background purger), unless the owner
 * is changing its pages right now. */
bool _ox_segment_purge_try(ox_heap_t *heap, uint64_t now) {
  if (atomic_flag_test_and_set_explicit(&heap->purge_lock, memory_order_acquire)) return false;
  heap_purge(heap, now, false);
  purge_unlock(heap);
  return true;
}
