/*
 * block_link.h - the two words at the start of every free block: the
 * free-list link, and the freed mark that every free validates.
 *
 * In the secure build (make secure, -DOX_SECURE=1) a link is stored
 * XOR-ed with a per-process key and the block's own address.  A small
 * overflow from the block before, or a use-after-free write, then turns
 * the link into an address outside the block's segment, which the
 * allocator refuses (abort with a message) instead of handing it out.
 * In the checked build the second word seals the first (checked.c): any
 * write into either is reported when the link is next read.  In the
 * release build these are plain loads and stores.
 */
#ifndef OX_BLOCK_LINK_H
#define OX_BLOCK_LINK_H

#include "internal.h"

#if OX_SECURE
extern uintptr_t _ox_link_key;
_Noreturn void _ox_link_corrupt(const void *block);

OX_INLINE uintptr_t _ox_link_code(const ox_block_t *b) { return _ox_link_key ^ (uintptr_t)b; }
#endif

/* Next block of a page's free list: always in the same segment. */
OX_INLINE ox_block_t *_ox_link_get(const ox_block_t *b) {
#if OX_CHECKED
  _ox_checked_verify_link(b);
#endif
#if OX_SECURE
  uintptr_t next = (uintptr_t)b->next ^ _ox_link_code(b);
  if (OX_UNLIKELY(next != 0 && ((next ^ (uintptr_t)b) >> OX_SEGMENT_SHIFT) != 0))
    _ox_link_corrupt(b);
  return (ox_block_t *)next;
#else
  return b->next;
#endif
}

OX_INLINE void _ox_link_set(ox_block_t *b, ox_block_t *next) {
#if OX_SECURE
  b->next = (ox_block_t *)((uintptr_t)next ^ _ox_link_code(b));
#else
  b->next = next;
#endif
#if OX_CHECKED
  _ox_checked_seal_link(b);
#endif
}

/* ---- the freed mark --------------------------------------------------------
 * Release and secure builds: a block's second word holds its freed mark
 * from the moment it is freed (or carved into a page's free list) until it
 * is handed out, whichever list it travels through (its page's, a kept
 * list, a page's remote list, an abandoned heap's page), and nothing
 * but a hand-out clears it.  Every free of the program's - ox_free, free,
 * rust_dealloc, the old block of a realloc, ox_heap_free, frees into other
 * threads' and exited threads' heaps - passes _ox_free_in_page
 * (fast_path.h), which refuses a block that carries the mark, so a block
 * can never be on two lists: a double free is reported, never handed out
 * twice.  The mark is a per-process 64-bit random value XOR-ed with the
 * block's address: a live block holds it only if the program wrote that
 * exact value at that exact place (stale marks left in memory belong to
 * other addresses).  The checked build has exact checks of its own and
 * uses the word for the link's seal instead (checked.c). */
OX_INLINE uintptr_t _ox_freed_mark(const void *p) { return _ox_free_tag ^ (uintptr_t)p; }

OX_INLINE bool _ox_is_marked_freed(const void *p) {
  return ((const uintptr_t *)p)[1] == _ox_freed_mark(p);
}

OX_INLINE void _ox_mark_freed(void *p) {
#if !OX_CHECKED
  ((uintptr_t *)p)[1] = _ox_freed_mark(p);
#else
  (void)p;
#endif
}

/* Cleared when the block is handed out. */
OX_INLINE void _ox_mark_live(void *p) { ((uintptr_t *)p)[1] = 0; }

#endif /* OX_BLOCK_LINK_H */
