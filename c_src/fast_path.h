/*
 * fast_path.h - the inline allocation and free paths every front end
 * (rust_api.c, api.c) is built from.
 *
 *   rust_alloc / ox_malloc                  rust_dealloc / ox_free
 *     size <= 512 KiB, align <= 16?           ptr -> segment (mask when the
 *       class = f(size)     (~6 insns)          layout says "class block",
 *       page = heap->direct[class]              map look-up otherwise)
 *       block = page->free; pop                 a carved block's start?
 *       NULL? -> _ox_alloc_slow (page.c)          (else _ox_free_not_class)
 *                                               not marked freed? mark it
 *                                               segment->heap == my heap?
 *                                                 push on page->local_free
 *     else _ox_alloc_generic (alloc.c)            --used == 0 or page full?
 *                                                   -> _ox_page_after_free
 *                                               else _ox_free_generic
 *                                                   (remote, huge: free.c)
 *
 * A thread without a heap points at the empty heap, whose pages have no
 * free block: its first allocation takes the slow path, which sets the
 * heap up; no "initialised?" test on the fast path.
 */
#ifndef OX_FAST_PATH_H
#define OX_FAST_PATH_H

#include "block_link.h"
#include "internal.h"
#include "size_class.h"

/* A class block of `size` (<= OX_LARGE_MAX) bytes from `heap`, 16-aligned. */
OX_INLINE void *_ox_heap_alloc_class(ox_heap_t *heap, size_t size) {
  unsigned cls = _ox_size_class(size);
  ox_page_t *page = heap->direct[cls];
  ox_block_t *block = page->free;
  if (OX_UNLIKELY(block == NULL)) return _ox_alloc_slow(heap, cls);
  page->free = _ox_link_get(block);
  page->used++;
  _ox_mark_live(block);
  return block;
}

/* The same from the calling thread's heap, through the checks of the
 * checked build. */
OX_INLINE void *_ox_alloc_class(size_t size) {
#if OX_CHECKED
  return _ox_checked_alloc(_ox_tl_heap, size, OX_MIN_ALIGN, false);
#else
  return _ox_heap_alloc_class(_ox_tl_heap, size);
#endif
}

/* malloc(size): the class fast path, or anything bigger. */
OX_INLINE void *_ox_malloc(size_t size) {
  if (OX_LIKELY(size <= OX_LARGE_MAX)) return _ox_alloc_class(size);
  return _ox_alloc_generic(size, OX_MIN_ALIGN, false);
}

OX_INLINE bool _ox_is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Free a class block of a known live segment and page.  Every free of the
 * program's passes here, once, before it is routed anywhere: a block that
 * carries the freed mark is on a free list already (block_link.h). */
OX_INLINE void _ox_free_in_page(ox_segment_t *seg, ox_page_t *page, void *p) {
#if !OX_CHECKED /* the checked build's exact checks ran before (_ox_check_free) */
  if (OX_UNLIKELY(_ox_is_marked_freed(p))) _ox_double_free(p);
  _ox_mark_freed(p);
#endif
  ox_heap_t *heap = seg->heap;
  if (OX_LIKELY(heap == _ox_tl_heap)) {
    ox_block_t *block = p;
    _ox_link_set(block, page->local_free);
    /* No instruction: keeps the compiler from publishing the block before
     * its link, so a forked child never sees a list with a stale link. */
    atomic_signal_fence(memory_order_release);
    page->local_free = block;
    if (OX_UNLIKELY((int32_t)--page->used <= page->free_trigger)) _ox_page_after_free(heap, page);
    return;
  }
  _ox_free_generic(seg, p);
}

OX_INLINE void _ox_free_in(ox_segment_t *seg, void *p) {
  _ox_free_in_page(seg, _ox_segment_page_of(seg, p), p);
}

/* Free any pointer: NULL is ignored; a pointer that is not the start of a
 * live block is reported, never followed. */
OX_INLINE void _ox_free(void *p) {
  ox_segment_t *seg = _ox_segment_lookup(p);
  if (OX_UNLIKELY(seg == NULL)) {
    if (p) _ox_free_foreign(p);
    return;
  }
  _ox_check_free(seg, p);
  ox_page_t *page = _ox_segment_page_of(seg, p);
  if (OX_UNLIKELY(!_ox_is_page_block(page, p))) {
    _ox_free_not_class(seg, p);
    return;
  }
  _ox_free_in_page(seg, page, p);
}

/* Free with the layout the block was allocated with.  A layout that can
 * only be a class block lets the segment come from masking the pointer;
 * the block-start test that `free` makes then refuses what is not a
 * carved block of that page (a stray or interior pointer, given a class
 * layout).  Other layouts are looked up: a huge block's mapping may be
 * gone already (a second free), and masking would read it. */
OX_INLINE void _ox_free_sized(void *p, size_t size, size_t align) {
  if (OX_LIKELY(size <= OX_LARGE_MAX && align <= OX_CLASS_ALIGN_MAX)) {
    ox_segment_t *seg = _ox_segment_of_class_block(p);
    _ox_check_layout(seg, p, size, align);
    _ox_check_free(seg, p);
    ox_page_t *page = _ox_segment_page_of(seg, p);
    if (OX_UNLIKELY(!_ox_is_page_block(page, p))) {
      _ox_free_not_class(seg, p);
      return;
    }
    _ox_free_in_page(seg, page, p);
    return;
  }
  _ox_free_sized_other(p, size, align);
}

#endif /* OX_FAST_PATH_H */
