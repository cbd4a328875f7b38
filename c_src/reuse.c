/*
 * reuse.c - the out-of-line parts of reuse.h: the lists' limits and
 * sending kept blocks back to their owners.
 */
#include "reuse.h"
#include "size_class.h"

/* Per class: blocks up to 1 KiB, REUSE_BYTES and at least REUSE_MIN_BLOCKS;
 * bigger ones (rarer, each a bigger share of the memory a list holds back
 * from its owner), REUSE_BYTES_LARGER and at least one.  Twice that for the
 * bigger ones raised rptest-like's peak by 3-4 % with the threads kept in
 * step (each list holds, on average, blocks its owner then carves anew). */
#define REUSE_BYTES        (8 * OX_KiB)
#define REUSE_MIN_BLOCKS   8
#define REUSE_BYTES_LARGER (4 * OX_KiB)

/* A class's limit, set when the heap takes its first page of the class
 * (reuse.h). */
void _ox_reuse_limit(ox_page_t *list, unsigned cls) {
  size_t size = _ox_class_size(cls);
  uint32_t n = (uint32_t)((size <= OX_KiB ? REUSE_BYTES : REUSE_BYTES_LARGER) / size);
  uint32_t min = size <= OX_KiB ? REUSE_MIN_BLOCKS : 1;
  list->reserved = n < min ? min : n;
}

/* Send every kept block back to its owner.  direct[c] may still point at
 * an emptied list: the next allocation of the class then takes the slow
 * path, which sets it right. */
void _ox_reuse_flush(ox_heap_t *me) {
  for (unsigned cls = 0; cls < OX_REUSE_CLASSES; cls++) {
    ox_page_t *list = &me->reuse[cls];
    ox_block_t *b = list->free;
    if (b == NULL) continue; /* every block put in was taken (capacity == used) */
    list->free = NULL;
    /* The blocks put in count as freed by this thread (stats.c): those
     * that leave the list here leave its capacity, so count them now. */
    OX_OWNER_ADD(me->remote_sent_bytes,
                 (uint64_t)(list->capacity - list->used) * _ox_class_size(cls));
    list->capacity = list->used;
    while (b) {
      ox_block_t *next = _ox_link_get(b);
      _ox_remote_send(me, b);
      b = next;
    }
  }
}
