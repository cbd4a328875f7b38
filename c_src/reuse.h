/*
 * reuse.h - blocks of other heaps that a thread freed, handed out again by
 * that thread's own next allocations of the same class.
 *
 * Without this, a block freed by a thread that does not own it travels
 * back to its owner (heap.c), which reads it again on its slow path, long
 * after the freeing thread had it in its cache; meanwhile the owner's page
 * looks full.  Kept here, it is reused while it is still hot.
 *
 * heap->reuse[c] is a page-shaped list that heap->direct[c] points at
 * while it holds blocks, so the allocation fast path pops from it as from
 * any page (and counts the pops in its `used`); nothing else treats it as
 * a page.  Its `capacity` counts the blocks put in, so capacity - used is
 * how many it holds, and `reserved` is the most it may hold.
 *
 * A kept block still belongs to its segment's heap: its page counts it as
 * used all along, which keeps the page and the segment alive, and when it
 * finally goes back the owner frees it like any remote free.
 *
 * Statistics: live blocks are counted from the pages' `used` (page.c), so
 * a kept block counts as live, like a block on its way back to its owner,
 * until it goes home; the kept lists are never counted themselves.
 *
 * Every class up to 16 KiB: a freed block that waits for its owner is
 * memory its freeing thread cannot use, so a thread that frees another
 * thread's blocks while that one allocates nothing (idle, or waiting for
 * this one) would take fresh pages for as much (test-memory remote_reuse;
 * blocks of 1-16 KiB were stranded so while the lists stopped at 1 KiB).
 * Bounded: 8 KiB per class and at least 8 blocks up to 1 KiB, 4 KiB and at
 * least one block above (reuse.c); no blocks of a class the heap does not
 * allocate itself (its live[c], as of its last slow path, is 0 for a thread
 * that only frees: it keeps nothing).  The rest goes back to the owner, and
 * so does everything kept at thread exit and when the heap purges, so that
 * a thread that stopped allocating does not keep other threads' pages
 * alive.  Not in the secure build, whose free-list links must stay within
 * one segment.
 */
#ifndef OX_REUSE_H
#define OX_REUSE_H

#include "block_link.h"
#include "internal.h"

/* Keep `b`, a block of `page` of `heap` (another heap than `me`), if there
 * is room.  Never a first-class heap's block: ox_heap_destroy must find
 * every block of its heap at home. */
OX_INLINE bool _ox_reuse_put(ox_heap_t *me, ox_heap_t *heap, ox_page_t *page, ox_block_t *b) {
#if OX_SECURE
  (void)me, (void)heap, (void)page, (void)b;
  return false;
#else
  unsigned cls = page->class_idx;
  /* Only a thread that allocates the class will take the block again:
   * one that only frees (a consumer, or a thread without a heap) sends it
   * to its owner. */
  if (cls >= OX_REUSE_CLASSES || atomic_load_explicit(&me->live[cls], memory_order_relaxed) <= 0)
    return false;
  /* A sampled block goes home: its owner must see its free (prof_sample.c).
   * Sampled blocks live on pages of their own (prof_only, set before any
   * of the page's blocks was handed out, so this read races with nothing);
   * the one exception, a sample that an over-aligned realloc moved onto an
   * ordinary page, may be kept here and stays in the live profile until it
   * goes home (docs/profiling.md). */
  if (page->prof_only) return false;
  ox_page_t *list = &me->reuse[cls];
  if (list->capacity - list->used >= list->reserved ||
      atomic_load_explicit(&heap->state, memory_order_relaxed) == OX_HEAP_FIRST_CLASS)
    return false;
  _ox_link_set(b, list->free);
  list->free = b;
  list->capacity++;
  me->direct[cls] = list;
  return true;
#endif
}

/* The heap takes a page of class `cls`: its list may keep blocks from
 * now on (its limit is set once, so that the lists of classes a thread
 * never allocates stay untouched, not resident). */
OX_INLINE void _ox_reuse_class_used(ox_heap_t *me, unsigned cls) {
  if (cls < OX_REUSE_CLASSES && me->reuse[cls].reserved == 0) _ox_reuse_limit(&me->reuse[cls], cls);
}

/* Whether the class's list holds a block: it is then the direct page. */
OX_INLINE bool _ox_reuse_holds(const ox_heap_t *me, unsigned cls) {
  return cls < OX_REUSE_CLASSES && me->reuse[cls].free != NULL;
}

#endif /* OX_REUSE_H */
