/*
 * alloc.c - allocation off the fast path: alignments above 16, huge
 * sizes, zeroing.
 *
 * Alignment up to 64 KiB comes free from the size classes: every page's
 * data starts 64 KiB-aligned, and rounding the size up to a multiple of
 * the alignment selects a class whose block size is itself a multiple of
 * it (proof: class sizes between 2^k and 2^(k+1) are multiples of
 * 2^(k-3); a multiple of `align` in that range is either a class size
 * itself or `align` divides the class spacing).  Larger alignments and
 * sizes become huge mappings.
 */
#include <errno.h>
#include <string.h>

#include "fast_path.h"

/* Zero a class block's first `size` bytes; returns the block to hand out
 * (page.c may swap it for another of its page).  A block of `heap`'s own
 * page (not one kept from another heap, reuse.h) taken from a free list of
 * never-used blocks of a page whose memory was zero when it got its class
 * holds nothing but its free-list link and the cleared freed tag: its
 * first 16 bytes. */
static void *zero_class_block(ox_heap_t *heap, void *p, size_t size) {
  ox_segment_t *seg = _ox_segment_of_class_block(p);
  ox_page_t *page = _ox_segment_page_of(seg, p);
  bool own = seg->heap == heap;
  if (own && page->free_zero)
    memset(p, 0, size > 2 * sizeof(void *) ? 2 * sizeof(void *) : size);
  else if (size < OX_ZERO_BY_PURGE)
    memset(p, 0, size);
  else if (own)
    return _ox_page_zero_block(heap, page, p, size);
  else
    _ox_os_zero(p, size);
  return p;
}

/* The OS refused a mapping of `size` bytes (an address-space limit,
 * RLIMIT_AS): give back what is mapped but unused - the caches' segments
 * and mappings, and the empty pages `heap` keeps (a class's kept page may
 * be a whole 4 MiB segment) - so that the caller can try once more.  False
 * when trying again would fail the same way: nothing was unmapped, or no
 * address space could ever hold `size` bytes. */
bool _ox_reclaim_address_space(ox_heap_t *heap, size_t size) {
  if (size >= (size_t)1 << OX_MAP_ADDR_BITS || size > _ox_os_address_space_limit()) return false;
  intptr_t before = atomic_load_explicit(&_ox_stat[OX_STAT_COMMITTED], memory_order_relaxed);
  uint64_t now = _ox_os_now_ms();
  if (heap != &_ox_empty_heap) {
    _ox_heap_enter(heap);
    _ox_heap_release_empty_pages(heap, false);
    _ox_heap_leave(heap);
  }
  _ox_huge_cache_purge(now, true);
  _ox_segment_cache_purge(now, true);
  return atomic_load_explicit(&_ox_stat[OX_STAT_COMMITTED], memory_order_relaxed) < before;
}

/* Any size, any power-of-two `align`, from `heap`, without the checked
 * build's trailer. */
void *_ox_alloc_raw(ox_heap_t *heap, size_t size, size_t align, bool zero) {
  if (align <= OX_CLASS_ALIGN_MAX && size <= OX_LARGE_MAX) {
    size_t rounded = size;
    if (align > OX_MIN_ALIGN) {
      rounded = (size + align - 1) & ~(align - 1);
      if (rounded == 0) rounded = align;
    }
    void *p = _ox_heap_alloc_class(heap, rounded);
    if (p && zero) p = zero_class_block(heap, p, size);
    /* p is the block a sample was just recorded for: the sample gets the
     * size and alignment asked (one compare, whether or not profiling). */
    if (OX_UNLIKELY(p == _ox_prof_tl_last) && p) _ox_prof_layout(p, size, align);
    return p;
  }
  return _ox_alloc_huge_in(heap, size, align, zero);
}

void *_ox_alloc_in(ox_heap_t *heap, size_t size, size_t align, bool zero) {
#if OX_CHECKED
  return _ox_checked_alloc(heap, size, align, zero);
#else
  return _ox_alloc_raw(heap, size, align, zero);
#endif
}

void *_ox_alloc_generic(size_t size, size_t align, bool zero) {
  return _ox_alloc_in(_ox_tl_heap, size, align, zero);
}
