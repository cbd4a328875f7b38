/*
 * remote.c - frees made by a thread that does not own the block: routing,
 * the per-page remote lists, telling the owner about full pages, and the
 * hand-shake with heaps whose thread exits.
 *
 * Design.  A remote free is one CAS that pushes the block onto its own
 * page's list, page->remote_free: one 64-bit word holding the list's head
 * (bits 4..47: blocks are 16-aligned and below 2^48), its length (bits
 * 48..63) and two flags (bits 0..1).  Nothing goes through a per-heap
 * queue, so the owner never walks a chain that another core just wrote:
 * when a page runs dry (page.c's refill), the owner takes the whole list
 * and its length with one CAS, subtracts the length from `used` and makes
 * the chain the page's local_free as it is.  The blocks are then read one
 * at a time by the allocation fast path, which reads each block's link
 * anyway.  The freeing thread may first keep small blocks for its own
 * allocations (reuse.h); frees into a heap whose thread exited go home at
 * once (free_into_abandoned).
 *
 * Full pages.  A page on its heap's full list is in no class queue, so no
 * refill looks at it.  When the owner moves a page there, it sets WATCH
 * in the (empty) word.  The push that finds WATCH replaces it with QUEUED,
 * in the same CAS, and then pushes the page onto heap->remote_pages
 * (linked through page->remote_next), once; the owner takes that list on
 * its slow path, clears QUEUED and collects each page.  A push that starts
 * the list of a page in a class queue sets heap->remote_dirty (a hint, no
 * read-modify-write); every 32nd slow path of a heap with the hint set,
 * its periodic purge and ox_collect look at every page's list, so pages
 * emptied by remote frees alone go back to their segment for any class.
 *
 * Invariants that make it safe:
 * - A block on a page's remote list counts in the page's `used`, so the
 *   page (and its segment) cannot be released while a block is on its way:
 *   the pusher's CAS always targets a live page.  The block carries the
 *   freed mark from _ox_free_in_page until the fast path hands it out, so
 *   a second free of it is refused wherever it is.
 * - Only the owner (or the thread that holds an exited heap) takes a
 *   list, clears QUEUED, sets WATCH, and changes the page's lists; pushers
 *   only add a block and turn WATCH into QUEUED.  Only the pusher that made
 *   that turn writes page->remote_next, before its push onto
 *   heap->remote_pages; the owner takes that list whole (no ABA).
 * - A QUEUED page is never given back to its segment (page.c's
 *   page_release and _ox_heap_release_empty_pages skip it), so the page the
 *   pusher is still about to queue cannot go away; it is given back when
 *   the owner takes it off heap->remote_pages.
 * - Links stay within one page, so within one segment (secure build's
 *   check); they are written with _ox_link_set (encoded, sealed in the
 *   checked build) by the pusher before its CAS publishes them.
 * - Heaps are never unmapped, so a pusher may always read a heap's state.
 * - Thread exit, claimed heaps: after its push, a pusher reads the heap's
 *   state (sequentially consistent with the push).  ACTIVE or FIRST_CLASS:
 *   its owner will collect.  ABANDONED: the pusher claims the heap and gives
 *   back everything (heap.c).  COLLECTING (held by its exiting thread, by a
 *   thread collecting it, or borrowed): the pusher sets heap->remote_late,
 *   and whoever lets the heap go (_ox_remote_abandon) stores ABANDONED,
 *   then reads remote_late and remote_pages, and collects again if set;
 *   the two store-then-load pairs mean at least one side sees the other.
 *   An exiting thread marks its heap COLLECTING before giving it back, so
 *   a push that still saw ACTIVE is found by that give-back's walk.
 * - fork: the child gives back the other threads' heaps (heap.c) with a
 *   walk of all their pages, and forgets the QUEUED marks that pushers cut
 *   short by the fork left on pages not queued (_ox_remote_after_fork_child);
 *   a heap caught busy is left alone (lost to the child, never corrupted).
 * - ox_heap_destroy: frees into a first-class heap from other threads sit
 *   in its own pages' lists, released with its segments.
 * - Statistics: the freeing thread counts the free (remote_frees_sent,
 *   remote_sent_bytes; a thread without a heap: the heap's remote_frees);
 *   the owner counts the taken blocks in collected_bytes and subtracts them
 *   from `used` (live blocks), on its slow path.
 */
#include "block_link.h"
#include "internal.h"
#include "reuse.h"

/* The calling thread's token (heap.c): the address of its TLS slot. */
static const void *thread_token(void) { return &_ox_tl_heap; }

/* ---- the page's word ------------------------------------------------------ */

/* Push `b` onto `page`'s list; returns the word it replaced. */
static uint64_t page_push(ox_page_t *page, ox_block_t *b) {
  uint64_t w = atomic_load_explicit(&page->remote_free, memory_order_relaxed), nw;
  do {
    _ox_link_set(b, _ox_remote_head(w));
    nw = ((w & ~(OX_RF_PTR_MASK | OX_RF_WATCH)) + OX_RF_ONE) | (uintptr_t)b |
         ((w & OX_RF_WATCH) ? OX_RF_QUEUED : 0);
  } while (!atomic_compare_exchange_weak_explicit(&page->remote_free, &w, nw, memory_order_seq_cst,
                                                  memory_order_relaxed));
  return w;
}

uint64_t _ox_remote_take(ox_page_t *page) {
  uint64_t w = atomic_load_explicit(&page->remote_free, memory_order_seq_cst);
  while (_ox_remote_count(w) != 0 &&
         !atomic_compare_exchange_weak_explicit(&page->remote_free, &w, w & OX_RF_QUEUED,
                                                memory_order_seq_cst, memory_order_seq_cst)) {
  }
  return w;
}

/* ---- telling the owner --------------------------------------------------- */

static void queue_page(ox_heap_t *heap, ox_page_t *page) {
  ox_page_t *head = atomic_load_explicit(&heap->remote_pages, memory_order_relaxed);
  do {
    page->remote_next = head;
  } while (!atomic_compare_exchange_weak_explicit(&heap->remote_pages, &head, page,
                                                  memory_order_seq_cst, memory_order_relaxed));
}

/* After a push: a heap without a running owner is collected by someone
 * (see the header comment). */
static void after_push(ox_heap_t *heap) {
  for (;;) {
    int state = atomic_load(&heap->state);
    if (state == OX_HEAP_ABANDONED) {
      if (!_ox_heap_claim(heap, OX_HEAP_COLLECTING)) continue;
      _ox_heap_give_back(heap);
      return;
    }
    if (state != OX_HEAP_COLLECTING) return;
    atomic_store(&heap->remote_late, 1);
    if (atomic_load(&heap->state) != OX_HEAP_ABANDONED) return;
  }
}

static void push(ox_heap_t *heap, ox_page_t *page, ox_block_t *b) {
  uint64_t old = page_push(page, b);
  if (old & OX_RF_WATCH)
    queue_page(heap, page);
  else if (_ox_remote_count(old) == 0 &&
           !atomic_load_explicit(&heap->remote_dirty, memory_order_relaxed))
    atomic_store_explicit(&heap->remote_dirty, 1, memory_order_relaxed); /* a hint */
  after_push(heap);
}

void _ox_remote_abandon(ox_heap_t *heap) {
  for (;;) {
    atomic_store(&heap->state, OX_HEAP_ABANDONED);
    if (!atomic_load(&heap->remote_late) && !atomic_load(&heap->remote_pages)) return;
    if (!_ox_heap_claim(heap, OX_HEAP_COLLECTING)) return; /* the claimer sees them */
    atomic_store(&heap->remote_late, 0);
    _ox_heap_give_back_held(heap);
  }
}

/* ---- the owner's side ------------------------------------------------------ */

void _ox_remote_collect_queued(ox_heap_t *heap) {
  if (atomic_load_explicit(&heap->remote_pages, memory_order_relaxed) == NULL) return;
  _ox_heap_enter(heap);
  ox_page_t *page = atomic_exchange_explicit(&heap->remote_pages, NULL, memory_order_acquire);
  while (page) {
    ox_page_t *next = page->remote_next;
    atomic_fetch_and_explicit(&page->remote_free, ~(uint64_t)OX_RF_QUEUED, memory_order_seq_cst);
    _ox_page_collect_remote(heap, page, false);
    page = next;
  }
  _ox_heap_leave(heap);
}

/* In a forked child, a page marked QUEUED but not on heap->remote_pages
 * was being queued by a thread the child does not have: the flag goes, so
 * that the page can go back to its segment when it empties (its list is
 * then found by the periodic look at every page).  Single-threaded. */
void _ox_remote_after_fork_child(ox_heap_t *heap) {
  _ox_remote_collect_queued(heap);
  for (unsigned i = 0; i < OX_HEAP_QUEUES; i++)
    for (ox_page_t *page = _ox_heap_queue(heap, i)->first; page; page = page->next)
      atomic_fetch_and_explicit(&page->remote_free, ~OX_RF_QUEUED, memory_order_relaxed);
}

/* ---- routing a free ------------------------------------------------------- */

/* Free a block of `heap` at once if that heap's thread has exited (the
 * caller holds the heap for a moment). */
static bool free_into_abandoned(ox_heap_t *heap, ox_segment_t *seg, void *p) {
  if (!_ox_heap_claim(heap, OX_HEAP_COLLECTING)) return false;
  _ox_page_free_block(heap, seg, p);
  _ox_remote_abandon(heap);
  return true;
}

void _ox_remote_send(ox_heap_t *me, ox_block_t *b) {
  ox_segment_t *seg = _ox_segment_of_class_block(b);
  ox_heap_t *heap = seg->heap;
  if (heap == me)
    _ox_page_free_block(me, seg, b);
  else if (!free_into_abandoned(heap, seg, b))
    push(heap, _ox_segment_page_of(seg, b), b);
}

/* Free a class block owned by another heap: keep it for this thread's
 * next allocations (reuse.h), or push it onto its page's list, or free it
 * at once if the heap's thread has exited. */
void _ox_free_remote(ox_segment_t *seg, void *p) {
  ox_heap_t *heap = seg->heap;
  ox_heap_t *me = _ox_tl_heap;
  ox_block_t *b = p;
  ox_page_t *page = _ox_segment_page_of(seg, p);
  uint32_t bsize = page->block_size; /* read first: the free below may release the page */
  int state = atomic_load_explicit(&heap->state, memory_order_relaxed);
  /* Its thread exited: straight home (kept here, the block would hold the
   * page of a heap that nobody else frees into). */
  if (state == OX_HEAP_ABANDONED && free_into_abandoned(heap, seg, p)) {
    if (me != &_ox_empty_heap) OX_OWNER_ADD(me->remote_sent_bytes, bsize);
    return;
  }
  if (state == OX_HEAP_FIRST_CLASS &&
      atomic_load_explicit(&heap->owner, memory_order_relaxed) == thread_token()) {
    if (me != &_ox_empty_heap) OX_OWNER_ADD(me->remote_sent_bytes, bsize);
    _ox_page_free_block(heap, seg, p); /* a first-class heap of this thread */
    return;
  }
  if (me == &_ox_empty_heap) {
    atomic_fetch_add_explicit(&heap->remote_frees, 1, memory_order_relaxed);
  } else {
    OX_OWNER_ADD(me->remote_frees_sent, 1);
    _ox_heap_enter(me);
    bool kept = _ox_reuse_put(me, heap, page, b);
    _ox_heap_leave(me);
    /* A block kept in the reuse list counts through the list's capacity
     * (stats.c): no work here. */
    if (kept) return;
    OX_OWNER_ADD(me->remote_sent_bytes, bsize);
  }
  push(heap, page, b);
}
