/*
 * block_link.h - the link word at the start of every free block.
 *
 * In the secure build (make secure, -DOX_SECURE=1) a link is stored
 * XOR-ed with a per-process key and the block's own address.  A small
 * overflow from the block before, or a use-after-free write, then turns
 * the link into an address outside the block's segment, which the
 * allocator refuses (abort with a message) instead of handing it out.
 * In the other builds these are plain loads and stores.
 */
#ifndef OX_BLOCK_LINK_H
#define OX_BLOCK_LINK_H

#include "types.h"

#if OX_SECURE
extern uintptr_t _ox_link_key;
_Noreturn void _ox_link_corrupt(const void *block);

OX_INLINE uintptr_t _ox_link_code(const ox_block_t *b) { return _ox_link_key ^ (uintptr_t)b; }
#endif

/* Next block of a page's free list: always in the same segment. */
OX_INLINE ox_block_t *_ox_link_get(const ox_block_t *b) {
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
}

/* Is `p` on the free list that starts at `list`?  (Double-free
 * confirmation, off the fast path.) */
OX_INLINE bool _ox_list_holds(const ox_block_t *list, const void *p) {
  for (const ox_block_t *b = list; b; b = _ox_link_get(b))
    if (b == p) return true;
  return false;
}

/* Next block of a heap's remote list: any segment, checked by the caller. */
OX_INLINE ox_block_t *_ox_remote_link_get(const ox_block_t *b) {
#if OX_SECURE
  return (ox_block_t *)((uintptr_t)b->next ^ _ox_link_code(b));
#else
  return b->next;
#endif
}

#define _ox_remote_link_set _ox_link_set

#endif /* OX_BLOCK_LINK_H */
