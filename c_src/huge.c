/*
 * huge.c - blocks above OX_LARGE_MAX, and blocks aligned beyond what pages
 * give: one mapping each, its header at a 4 MiB-aligned base and the block
 * at `huge_offset` after it.  Freed mappings wait in a small lock-free
 * cache, so a churn of big blocks reuses resident pages instead of
 * faulting fresh ones in; they go back to the OS after the purge delay.
 * Growth uses mremap: in place when the address space after the block is
 * free, otherwise the pages move without being copied.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define HUGE_CACHE_SLOTS 16
#define HUGE_MAX_ALIGN   ((size_t)1 << 40)

static ox_slot_t huge_cache[HUGE_CACHE_SLOTS];
static _Atomic size_t huge_cached_bytes;

static size_t page_round(size_t n) {
  size_t ps = _ox_os_page_size();
  return (n + ps - 1) & ~(ps - 1);
}

/* The block's offset from the base: a multiple of `align`, past the header. */
static size_t huge_offset_for(size_t align) {
  size_t ps = _ox_os_page_size();
  if (align <= ps) return ps;
  return align <= OX_SEGMENT_SIZE ? align : OX_SEGMENT_SIZE;
}

/* Extra address space needed to place a 4 MiB-aligned base whose block
 * (base + offset) is aligned to `align`. */
static size_t huge_slack_for(size_t align) {
  return align <= OX_SEGMENT_SIZE ? OX_SEGMENT_SIZE : align;
}

static uint8_t *huge_base_in(uint8_t *raw, size_t offset, size_t align) {
  if (align <= OX_SEGMENT_SIZE)
    return (uint8_t *)(((uintptr_t)raw + OX_SEGMENT_MASK) & ~(uintptr_t)OX_SEGMENT_MASK);
  uintptr_t block = ((uintptr_t)raw + offset + align - 1) & ~(uintptr_t)(align - 1);
  return (uint8_t *)(block - offset);
}

static void huge_init(ox_segment_t *seg, size_t map_size, size_t offset, size_t align) {
  seg->heap = NULL;
  seg->kind = OX_KIND_HUGE;
  seg->page_shift = 63; /* every address maps to pages[0] */
  seg->page_count = 1;
  seg->pages_used = 1;
  seg->in_heap_list = 0;
  seg->next = seg->prev = NULL;
  seg->map_size = map_size;
  seg->huge_offset = offset;
  seg->huge_usable = map_size - offset;
  seg->huge_align = align;
  seg->arena = NULL;
  _ox_os_advise_huge_pages(seg, map_size);
  _ox_segment_map_set((uintptr_t)seg, map_size, seg);
}

/* Map `map_size` bytes at a base placed as above; trims the excess. */
static ox_segment_t *huge_map(size_t map_size, size_t offset, size_t align) {
  if (!_ox_segment_map_ready()) return NULL;
  size_t total = map_size + huge_slack_for(align);
  uint8_t *raw = _ox_os_map(total);
  if (!raw) return NULL;
  uint8_t *base = huge_base_in(raw, offset, align);
  if (base > raw) _ox_os_unmap(raw, (size_t)(base - raw));
  uint8_t *end = base + map_size;
  if (raw + total > end) _ox_os_unmap(end, (size_t)(raw + total - end));
  huge_init((ox_segment_t *)base, map_size, offset, align);
  return (ox_segment_t *)base;
}

static void huge_unmap(ox_segment_t *seg) {
  size_t size = seg->map_size;
  _ox_segment_map_set((uintptr_t)seg, size, NULL);
  _ox_os_unmap(seg, size);
}

/* ---- resizing a mapping ---------------------------------------------------- */

/* Forget the map entries of the chunks that lie wholly past `new_end`. */
static void map_clear_tail(ox_segment_t *seg, uintptr_t new_end) {
  uintptr_t keep_end = (new_end + OX_SEGMENT_MASK) & ~(uintptr_t)OX_SEGMENT_MASK;
  uintptr_t old_end = (uintptr_t)seg + seg->map_size;
  if (old_end > keep_end) _ox_segment_map_set(keep_end, old_end - keep_end, NULL);
}

/* Resize the mapping to `new_map`; the segment may move.  NULL on failure
 * (the old mapping is then unchanged). */
static ox_segment_t *huge_resize(ox_segment_t *seg, size_t new_map) {
  size_t old_map = seg->map_size;
  if (new_map == old_map) return seg;
  if (new_map < old_map) {
    map_clear_tail(seg, (uintptr_t)seg + new_map);
    _ox_os_remap_inplace(seg, old_map, new_map);
    seg->map_size = new_map;
    seg->huge_usable = new_map - seg->huge_offset;
    return seg;
  }
  if (_ox_os_remap_inplace(seg, old_map, new_map)) {
    seg->map_size = new_map;
    seg->huge_usable = new_map - seg->huge_offset;
    _ox_segment_map_set((uintptr_t)seg, new_map, seg);
    return seg;
  }
  size_t align = seg->huge_align;
  size_t total = new_map + huge_slack_for(align);
  uint8_t *raw = _ox_os_reserve(total);
  if (!raw) return NULL;
  uint8_t *dest = huge_base_in(raw, seg->huge_offset, align);
  _ox_segment_map_set((uintptr_t)seg, old_map, NULL);
  if (!_ox_os_remap_to(seg, old_map, new_map, dest)) {
    _ox_segment_map_set((uintptr_t)seg, old_map, seg);
    _ox_os_unreserve(raw, total);
    return NULL;
  }
  if (dest > raw) _ox_os_unreserve(raw, (size_t)(dest - raw));
  if (raw + total > dest + new_map)
    _ox_os_unreserve(dest + new_map, (size_t)(raw + total - (dest + new_map)));
  ox_segment_t *moved = (ox_segment_t *)dest;
  moved->map_size = new_map;
  moved->huge_usable = new_map - moved->huge_offset;
  _ox_segment_map_set((uintptr_t)moved, new_map, moved);
  return moved;
}

/* ---- the cache of freed mappings ------------------------------------------ */

static bool huge_cache_put(ox_segment_t *seg) {
  size_t limit = (size_t)_ox_option(OX_OPT_HUGE_CACHE_MB) * OX_MiB;
  if (_ox_option(OX_OPT_PURGE_DELAY_MS) == 0 || seg->huge_offset > OX_SEGMENT_SIZE) return false;
  if (atomic_fetch_add(&huge_cached_bytes, seg->map_size) + seg->map_size > limit) {
    atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
    return false;
  }
  if (_ox_slots_put(huge_cache, HUGE_CACHE_SLOTS, seg)) return true;
  atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
  return false;
}

static void huge_cache_drop(ox_segment_t *seg) {
  atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
  huge_unmap(seg);
}

static void huge_cache_put_back(ox_segment_t *seg) {
  atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
  if (!huge_cache_put(seg)) huge_unmap(seg);
}

static size_t huge_keep_excess(size_t map_size) {
  return map_size > 8 * OX_MiB ? map_size : 8 * OX_MiB;
}

/* Is `a` a better cached mapping than `b` for `want` bytes?  The smallest
 * one that fits; failing that, the largest (growing it reuses its pages). */
static bool better_fit(const ox_segment_t *a, const ox_segment_t *b, size_t want) {
  if (!b) return true;
  bool a_fits = a->map_size >= want, b_fits = b->map_size >= want;
  if (a_fits != b_fits) return a_fits;
  return a_fits ? a->map_size < b->map_size : a->map_size > b->map_size;
}

/* Take the best cached mapping for `map_size` bytes with the block at
 * `offset`, and size it to fit.  Slots
 * are read only after being taken: another thread may unmap what it takes. */
static ox_segment_t *huge_cache_take(size_t map_size, size_t offset, size_t align) {
  ox_segment_t *best = NULL, *seg;
  int index = 0;
  while ((seg = _ox_slots_take(huge_cache, HUGE_CACHE_SLOTS, &index)) != NULL) {
    if (better_fit(seg, best, map_size)) {
      if (best) huge_cache_put_back(best);
      best = seg;
    } else {
      huge_cache_put_back(seg);
    }
  }
  if (!best) return NULL;
  atomic_fetch_sub(&huge_cached_bytes, best->map_size);
  /* The base is 4 MiB-aligned: any block alignment up to that is an offset. */
  best->huge_offset = offset;
  best->huge_usable = best->map_size - offset;
  best->huge_align = align;
  /* A bigger mapping is taken whole when the excess is at most the request
   * or 8 MiB: its pages are resident already, and a block that grows (a
   * vector) then grows in place without faulting pages in. */
  if (best->map_size >= map_size && best->map_size - map_size <= huge_keep_excess(map_size))
    return best;
  ox_segment_t *sized = huge_resize(best, map_size);
  if (!sized) huge_unmap(best);
  return sized;
}

void _ox_huge_cache_purge(uint64_t now, bool force) {
  _ox_slots_purge(huge_cache, HUGE_CACHE_SLOTS, now, force, huge_cache_drop);
}

/* ---- the huge API ----------------------------------------------------------- */

void *_ox_huge_alloc(size_t size, size_t align, bool zero) {
  _ox_process_init();
  if (size > OX_REQUEST_MAX || align > HUGE_MAX_ALIGN) {
    errno = ENOMEM;
    return NULL;
  }
  size_t offset = huge_offset_for(align);
  size_t map_size = offset + page_round(size ? size : 1);
  ox_segment_t *seg = NULL;
  if (align <= OX_SEGMENT_SIZE) { /* a cached base serves any such alignment */
    seg = huge_cache_take(map_size, offset, align);
    if (seg && zero) memset((uint8_t *)seg + offset, 0, size);
  }
  if (!seg) seg = huge_map(map_size, offset, align); /* fresh: already zero */
  if (!seg) {
    errno = ENOMEM;
    return NULL;
  }
  seg->huge_align = align;
  seg->pages_used = 1; /* live */
  seg->arena = NULL;
  _ox_stat_add(OX_STAT_HUGE_BLOCKS, 1);
  _ox_stat_add(OX_STAT_HUGE_BYTES, (intptr_t)seg->huge_usable);
  return (uint8_t *)seg + seg->huge_offset;
}

/* ---- huge blocks of first-class heaps (a short spin lock per heap) ---- */

static void arena_lock(ox_heap_t *arena) {
  while (atomic_flag_test_and_set_explicit(&arena->huge_lock, memory_order_acquire)) {
  }
}

static void arena_unlock(ox_heap_t *arena) {
  atomic_flag_clear_explicit(&arena->huge_lock, memory_order_release);
}

void _ox_huge_attach(ox_heap_t *arena, void *p) {
  ox_segment_t *seg = _ox_segment_lookup(p);
  arena_lock(arena);
  seg->arena = arena;
  seg->prev = NULL;
  seg->next = arena->huge_blocks;
  if (seg->next) seg->next->prev = seg;
  arena->huge_blocks = seg;
  arena_unlock(arena);
}

static void huge_detach(ox_segment_t *seg) {
  ox_heap_t *arena = seg->arena;
  arena_lock(arena);
  if (seg->prev)
    seg->prev->next = seg->next;
  else
    arena->huge_blocks = seg->next;
  if (seg->next) seg->next->prev = seg->prev;
  seg->next = seg->prev = NULL;
  seg->arena = NULL;
  arena_unlock(arena);
}

void _ox_huge_release_arena(ox_heap_t *arena) {
  arena_lock(arena);
  ox_segment_t *seg = arena->huge_blocks;
  arena->huge_blocks = NULL;
  arena_unlock(arena);
  while (seg) {
    ox_segment_t *next = seg->next;
    _ox_stat_add(OX_STAT_HUGE_BLOCKS, -1);
    _ox_stat_add(OX_STAT_HUGE_BYTES, -(intptr_t)seg->huge_usable);
    huge_unmap(seg);
    seg = next;
  }
}

void _ox_huge_free(ox_segment_t *seg) {
  if (seg->arena) huge_detach(seg);
  seg->pages_used = 0; /* not live: a second free is refused */
  _ox_stat_add(OX_STAT_HUGE_BLOCKS, -1);
  _ox_stat_add(OX_STAT_HUGE_BYTES, -(intptr_t)seg->huge_usable);
  if (!huge_cache_put(seg)) huge_unmap(seg);
}

/* Resize a huge block to `new_size` (> OX_LARGE_MAX), keeping its
 * alignment.  NULL/ENOMEM on failure, the block unchanged. */
void *_ox_huge_realloc(ox_segment_t *seg, size_t new_size) {
  if (new_size > OX_REQUEST_MAX) {
    errno = ENOMEM;
    return NULL;
  }
  size_t new_map = seg->huge_offset + page_round(new_size);
  /* A size that fits stays, unless that would keep much more than it uses. */
  if (new_map <= seg->map_size && seg->map_size - new_map <= huge_keep_excess(new_map))
    return (uint8_t *)seg + seg->huge_offset;
  size_t old_usable = seg->huge_usable, offset = seg->huge_offset;
  ox_heap_t *arena = seg->arena; /* the list links must follow a move */
  if (arena) huge_detach(seg);
  ox_segment_t *resized = huge_resize(seg, new_map); /* `seg` is gone if it moved */
  if (arena) _ox_huge_attach(arena, (uint8_t *)(resized ? resized : seg) + offset);
  if (!resized) {
    errno = ENOMEM;
    return NULL;
  }
  _ox_stat_add(OX_STAT_HUGE_BYTES, (intptr_t)resized->huge_usable - (intptr_t)old_usable);
  return (uint8_t *)resized + resized->huge_offset;
}
