/*
 * page.c - the allocation slow path and everything a heap does with its
 * pages: per-class page queues, carving blocks out of fresh pages,
 * merging locally freed blocks, moving pages to and from the full list,
 * and retiring pages whose blocks are all free.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "block_link.h"
#include "internal.h"
#include "reuse.h"
#include "size_class.h"

/* Carve one OS page's worth of a fresh page per slow-path visit, so that
 * memory is touched only as it is used (carving writes each block's first
 * word, which makes its OS page resident).  Blocks up to 16 KiB are carved
 * at least two at a time, and a page of them carved to fewer than four
 * blocks carves two more when its class takes the heap's slow path twice
 * in a row, so that a block freed and allocated again in turn does not
 * take the slow path every time (a freed block waits in local_free until
 * `free` runs dry), while a thread that uses one such block now and then
 * among other classes (a growing vector) keeps two of them resident, not
 * four (page_cycles); bigger ones one at a time, so that a
 * growing vector touches only the blocks it uses.  Blocks of 16 KiB
 * (OX_ZERO_BY_PURGE) and more in memory that may hold old data are carved
 * one at a time too: a zeroed allocation then clears its block and the
 * page's rest in one call (_ox_page_zero_block), where each block of a run
 * needed its own. */
#define EXTEND_BYTES        (4 * OX_KiB)
#define EXTEND_MIN_BLOCKS   4
#define EXTEND_FIRST_BLOCKS 2
#define EXTEND_SINGLE_ABOVE (16 * OX_KiB)
/* Empty MEDIUM pages a heap keeps in their class beyond its last page (see
 * page_retire), in bytes at most. */
#define SPARE_BYTES_MAX (32 * OX_MiB)
#define MEDIUM_PAGE     ((size_t)1 << OX_MEDIUM_PAGE_SHIFT)
/* Bytes of empty last pages a heap keeps for their classes, spares not
 * counted (page_retire): sqlite3 kept ~0.4 MB of them at its peak. */
#define KEPT_BYTES_MAX (64 * OX_KiB)
/* Slow-path calls between two looks at the clock for purging. */
#define PURGE_CHECK_INTERVAL 32

/* ---- page queues --------------------------------------------------------- */

/* The class's direct page after its queue changed: the reuse list while it
 * holds blocks (reuse.h: so the slow path never has to look there), else
 * the queue's first page.  Off the allocation slow path, whose own page
 * becomes the direct one (the list is empty there). */
static void queue_sync_direct(ox_heap_t *heap, unsigned cls) {
  ox_page_t *first = heap->queue[cls].first;
  heap->direct[cls] = _ox_reuse_holds(heap, cls) ? &heap->reuse[cls]
                      : first                    ? first
                                                 : &_ox_empty_page;
}

static void queue_unlink(ox_page_queue_t *q, ox_page_t *page) {
  if (page->prev)
    page->prev->next = page->next;
  else
    q->first = page->next;
  if (page->next)
    page->next->prev = page->prev;
  else
    q->last = page->prev;
  page->next = page->prev = NULL;
}

static void queue_push_front(ox_page_queue_t *q, ox_page_t *page) {
  page->prev = NULL;
  page->next = q->first;
  if (q->first)
    q->first->prev = page;
  else
    q->last = page;
  q->first = page;
}

static void queue_push_back(ox_page_queue_t *q, ox_page_t *page) {
  page->next = NULL;
  page->prev = q->last;
  if (q->last)
    q->last->next = page;
  else
    q->first = page;
  q->last = page;
}

static void page_to_full(ox_heap_t *heap, ox_page_t *page) {
  queue_unlink(&heap->queue[page->class_idx], page);
  queue_push_back(&heap->full, page);
  page->in_full = 1;
  page->free_trigger = INT32_MAX;
}

static void page_unfull(ox_heap_t *heap, ox_page_t *page) {
  queue_unlink(&heap->full, page);
  page->in_full = 0;
  page->free_trigger = 0;
  queue_push_back(&heap->queue[page->class_idx], page);
  queue_sync_direct(heap, page->class_idx);
}

/* ---- blocks ---------------------------------------------------------------- */

/* Secure build: a fresh page hands out its blocks starting at a random
 * one, so the first allocations in a page are not at predictable places. */
static ox_block_t *secure_shuffle_first(ox_page_t *page, uint8_t *first, uint32_t n) {
#if OX_SECURE
  static _Atomic uint64_t counter;
  if (page->capacity != 0 || n < 2) return (ox_block_t *)first;
  uint64_t x = atomic_fetch_add_explicit(&counter, 0x9E3779B97F4A7C15ull, memory_order_relaxed) ^
               _ox_link_key;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  uint32_t r = (uint32_t)((x ^ (x >> 31)) % n);
  if (r == 0) return (ox_block_t *)first;
  size_t bsize = page->block_size;
  /* first .. last -> NULL becomes first+r .. last -> first .. first+r-1 -> NULL */
  _ox_link_set((ox_block_t *)(first + (size_t)(n - 1) * bsize), (ox_block_t *)first);
  _ox_link_set((ox_block_t *)(first + (size_t)(r - 1) * bsize), NULL);
  return (ox_block_t *)(first + (size_t)r * bsize);
#else
  (void)page, (void)n;
  return (ox_block_t *)first;
#endif
}

/* Heap profiling: the slow path below is built twice, with `prof` a
 * constant.  Until profiling first starts, _ox_alloc_slow runs the copy
 * without it, which is the code it had before the profiler existed; after
 * that, the copy that charges each run of blocks handed to the fast path
 * and serves the sampled blocks (prof_sample.c). */

/* page->free was just refilled with `n` blocks not charged for profiling
 * yet (the slow path's own allocation and the fast path's next ones).  A
 * run that stays short of the thread's next sampling point costs a
 * subtraction here; one that reaches it (or a new rate, or a dump asked
 * for by a signal) goes to _ox_prof_grant, which cuts it before the
 * sampled allocation. */
OX_INLINE void prof_grant(ox_page_t *page, uint32_t n) {
  if (!_ox_prof_sampling()) return;
  if (!_ox_prof_charge_short((int64_t)n * page->block_size)) _ox_prof_grant(page, n);
}

/* Link the next run of never-used blocks into the (empty) free list.
 * Here and in page_refill, the stores are ordered so that a forked child
 * that adopts this heap finds, at any instant, each block in one list at
 * most (at worst some are lost to it), never one handed out twice. */
/* page_extend carves the page one block at a time (see the top). */
OX_INLINE bool page_carves_singly(const ox_page_t *page) {
  size_t bsize = page->block_size;
  return bsize > EXTEND_SINGLE_ABOVE ||
         (bsize >= OX_ZERO_BY_PURGE && (size_t)page->capacity * bsize < page->zero_from);
}

OX_INLINE void page_extend(ox_heap_t *heap, ox_page_t *page, bool prof) {
  uint32_t left = page->reserved - page->capacity;
  if (left == 0) return;
  size_t bsize = page->block_size;
  uint32_t n = (uint32_t)(EXTEND_BYTES / bsize);
  if (page_carves_singly(page))
    n = 1;
  else if (n < EXTEND_MIN_BLOCKS)
    n = EXTEND_FIRST_BLOCKS;
  if (n > left) n = left;
  uint8_t *first = _ox_page_start(page) + (size_t)page->capacity * bsize;
  uint8_t *b = first;
  for (uint32_t i = 1; i < n; i++, b += bsize) {
    _ox_link_set((ox_block_t *)b, (ox_block_t *)(b + bsize));
    _ox_mark_freed(b);
  }
  _ox_link_set((ox_block_t *)b, NULL);
  _ox_mark_freed(b);
  ox_block_t *head = secure_shuffle_first(page, first, n);
  /* Never-used blocks read as zero if they lie past what the page's memory
   * last held (the run is carved in address order). */
  page->free_zero = (size_t)page->capacity * bsize >= page->zero_from;
  page->capacity += n;
  /* Only carved blocks pass as the page's blocks: a stray free of one
   * not carved yet would otherwise be handed out again when it is.  The
   * limit only grows while the page has its class; a thread freeing a
   * block of the page got it after the carving, so it reads a limit that
   * covers it (relaxed: nothing else is published with it). */
  __atomic_store_n(&page->block_limit,
                   _ox_block_limit(page->block_magic, (uint32_t)bsize, page->capacity),
                   __ATOMIC_RELAXED);
  OX_OWNER_ADD(heap->granted_bytes, (uint64_t)n * bsize);
  atomic_signal_fence(memory_order_release);
  page->free = head;
  if (prof) prof_grant(page, n);
}

/* ---- blocks freed by other threads (pushed by remote.c) -------------------- */

/* A page that a remote free is queueing for its owner stays until the
 * owner takes it off heap->remote_pages (remote.c). */
static bool page_queued(const ox_page_t *page) {
  return (atomic_load_explicit(&page->remote_free, memory_order_acquire) & OX_RF_QUEUED) != 0;
}

/* Move the page's remote list into local_free: the chain as it is when
 * local_free is empty (no block is read), else only if `all` or the page
 * then empties, appended to local_free (a walk of the owner's own frees,
 * in its cache, not of the chain other cores wrote).  The blocks stop
 * counting in `used`.  A page with live sampled blocks walks the chain to
 * let profiling see each free (prof_sample.c).  Returns the blocks taken. */
static OX_NOINLINE uint32_t page_take_remote(ox_heap_t *heap, ox_page_t *page, bool all) {
  uint64_t w = atomic_load_explicit(&page->remote_free, memory_order_seq_cst);
  uint32_t n = _ox_remote_count(w);
  if (n == 0 || (page->local_free && !all && n != page->used)) return 0;
  w = _ox_remote_take(page);
  n = _ox_remote_count(w);
  ox_block_t *chain = _ox_remote_head(w);
  if (n == 0) return 0;
  OX_OWNER_ADD(heap->collected_bytes, (uint64_t)n * page->block_size);
  if (OX_UNLIKELY(page->prof_live))
    for (ox_block_t *b = chain; b && page->prof_live; b = _ox_link_get(b))
      _ox_prof_page_free(page, b);
  if (OX_UNLIKELY(page->local_free != NULL)) {
    ox_block_t *tail = page->local_free, *next;
    while ((next = _ox_link_get(tail)) != NULL) tail = next;
    _ox_link_set(tail, chain);
    chain = page->local_free;
  }
  atomic_signal_fence(memory_order_release); /* linked before published (fork) */
  page->local_free = chain;
  page->used -= n;
  return n;
}

/* The page's own freed blocks become its free list (`free` is empty: every
 * carved block not in use is in local_free); returns how many. */
OX_INLINE uint32_t page_use_local_free(ox_heap_t *heap, ox_page_t *page) {
  uint32_t n = page->capacity - page->used;
  OX_OWNER_ADD(heap->granted_bytes, (uint64_t)n * page->block_size);
  ox_block_t *local = page->local_free;
  page->local_free = NULL;
  atomic_signal_fence(memory_order_release);
  page->free = local;
  page->free_zero = 0;
  return n;
}

/* Carving more of the page would write memory never written (or purged)
 * since the page got its class.  A page used again after it emptied (a
 * class's kept page) may be carved only in part while the pages its class
 * gave back hold written memory: that memory is taken first, so a
 * program that fills and empties a class repeatedly does not raise its
 * resident memory by the kept page's uncarved part (tests/memory,
 * refill_touched). */
OX_INLINE bool page_extends_fresh(const ox_page_t *page) {
  /* Only such a page: a page still being carved for the first time takes
   * its class's growth in fresh memory, or each class of a heap whose
   * other classes free pages would spread over several partly carved
   * pages (rptest-like with its threads in step: +10 % peak). */
  return page->was_kept && page->capacity < page->reserved &&
         (size_t)page->capacity * page->block_size >= page->zero_from;
}

/* `free` ran dry with fewer than four blocks in local_free.  None: the
 * blocks other threads freed, their whole list in one step (remote.c).
 * Some, in a page of fewer than four blocks carved, when the last such
 * page to run dry in this heap was of the same class (a block freed and
 * allocated again in turn): two more of its blocks up to 16 KiB carved
 * (returns true), so that the slow path comes every fourth allocation
 * instead of every second; local_free waits for the next refill.  Only
 * such pages record their class, so other refills pay one comparison. */
static OX_NOINLINE bool page_refill_few(ox_heap_t *heap, ox_page_t *page, bool prof) {
  if (!page->local_free) {
    if (_ox_remote_count(atomic_load_explicit(&page->remote_free, memory_order_relaxed)))
      page_take_remote(heap, page, false);
    return false;
  }
  bool again = heap->last_slow_class == page->class_idx;
  heap->last_slow_class = page->class_idx;
  if (!again || page->capacity >= EXTEND_MIN_BLOCKS || page->capacity == page->reserved ||
      page_carves_singly(page))
    return false; /* the last: one kept cycling */
  page_extend(heap, page, prof);
  return true;
}

/* Make `free` non-empty if the page has any block to give: its lists, or
 * else more blocks carved, unless the heap's next page holds written
 * memory that carving would not use (above). */
OX_INLINE bool page_refill(ox_heap_t *heap, ox_page_t *page, bool prof) {
  if (!page->free) {
    uint32_t n; /* blocks in the new list (none charged for profiling) */
    if (prof && page->prof_held != NULL) {
      /* What profiling held back when it cut the last run: this
       * allocation is the sampled one (from the class's prof_page), the
       * blocks all go to the fast path. */
      page->free = page->prof_held;
      page->prof_held = NULL;
      n = page->prof_held_count;
      page->prof_take_sampled = 1;
      page->free_zero = 0;
    } else {
      /* local_free holds every carved block not in use (none: NULL). */
      if (OX_UNLIKELY(page->capacity - page->used < EXTEND_MIN_BLOCKS) &&
          page_refill_few(heap, page, prof))
        return true;
      n = page_use_local_free(heap, page);
    }
    if (prof && page->free) {
      prof_grant(page, n);
      return true; /* a block for the slow path, or a sampled allocation */
    }
  }
  if (!page->free) {
    if (OX_UNLIKELY(page_extends_fresh(page)) &&
        _ox_segment_next_page_touched(heap, _ox_class_kind(page->class_idx)))
      return false; /* not full: find_page_moving leaves it for later */
    page_extend(heap, page, prof);
  }
  return page->free != NULL || (prof && page->prof_take_sampled);
}

static void *page_pop(ox_page_t *page) {
  ox_block_t *b = page->free;
  page->free = _ox_link_get(b);
  page->used++;
  _ox_mark_live(b);
  return b;
}

/* ---- live-block statistics -----------------------------------------------
 * The fast paths count a page's blocks in page->used only; heap->live[]
 * takes in the difference whenever a slow path looks at the page, when the
 * owner asks for statistics, and at thread exit.  Other threads' figures
 * are therefore as of their last slow path. */

/* A kept empty page (page_retire) counts in heap->kept_bytes until a slow
 * path sees it in use again or it goes back to its segment. */
static void page_keep(ox_heap_t *heap, ox_page_t *page) {
  if (page->kept) return;
  page->kept = 1;
  page->was_kept = 1;
  OX_OWNER_ADD(heap->kept_bytes, (size_t)page->capacity * page->block_size);
}

static void page_unkeep(ox_heap_t *heap, ox_page_t *page) {
  if (!page->kept) return;
  if (page->kept == 2) { /* a spare in use again: retired again when empty */
    heap->spare_pages--;
    heap->spare_bytes -= (size_t)page->capacity * page->block_size;
    if (!page->in_full) page->free_trigger = 0;
  }
  page->kept = 0;
  OX_OWNER_ADD(heap->kept_bytes, -((size_t)page->capacity * page->block_size));
}

static void page_sync_live(ox_heap_t *heap, ox_page_t *page) {
  OX_OWNER_ADD(heap->live[page->class_idx], (intptr_t)page->used - (intptr_t)page->live_counted);
  page->live_counted = page->used;
}

static void queue_sync_live(ox_heap_t *heap, ox_page_queue_t *q) {
  for (ox_page_t *page = q->first; page; page = page->next) page_sync_live(heap, page);
}

void _ox_heap_sync_live(ox_heap_t *heap) {
  for (unsigned i = 0; i < OX_HEAP_QUEUES; i++) queue_sync_live(heap, _ox_heap_queue(heap, i));
}

/* ---- the slow path --------------------------------------------------------- */

static void release_spare_pages(ox_heap_t *heap, uint64_t before);

/* Any page of the class with a free block, moving pages that have none
 * to the full list, or a new page from a segment. */
OX_INLINE ox_page_t *find_page_moving(ox_heap_t *heap, unsigned cls, bool prof) {
  ox_page_queue_t *q = &heap->queue[cls];
  ox_page_t *page = q->first;
  while (page) {
    ox_page_t *next = page->next;
    page_unkeep(heap, page);
    page_sync_live(heap, page);
    if (page_refill(heap, page, prof)) {
      if (page != q->first) {
        queue_unlink(q, page);
        queue_push_front(q, page);
      }
      heap->direct[cls] = page; /* it may point at the emptied reuse list */
      return page;
    }
    if (page->capacity < page->reserved) { /* room left for later (page_refill) */
      page = next;
      continue;
    }
    /* A remote free that arrives from now on tells the heap (remote.c);
     * one that came meanwhile: refill again. */
    if (!_ox_remote_watch(page)) continue;
    page_to_full(heap, page);
    page = next;
  }
  /* About to take a MEDIUM page or a new segment: the spare pages go back
   * first, so that their memory serves it rather than memory never used. */
  if (heap->spare_pages &&
      (_ox_class_kind(cls) == OX_KIND_MEDIUM || heap->segments[_ox_class_kind(cls)] == NULL))
    release_spare_pages(heap, UINT64_MAX);
  page = _ox_segment_page_alloc(heap, cls);
  if (!page) { /* no segment from the OS: this heap's empty pages go first (a */
    _ox_heap_release_empty_pages(heap, false); /* class's kept page may be a whole segment) */
    page = _ox_segment_page_alloc(heap, cls);
  }
  if (!page) return NULL;
  _ox_reuse_class_used(heap, cls);
  /* A MEDIUM page taken again soon after one was handed back: the heap
   * cycles through pages, and may keep one more spare (page_retire). */
  if (heap->medium_released == heap->next_purge_ms + 1 && heap->spare_budget < SPARE_BYTES_MAX &&
      _ox_class_kind(cls) == OX_KIND_MEDIUM)
    heap->spare_budget += MEDIUM_PAGE;
  page_extend(heap, page, prof);
  queue_push_front(q, page);
  heap->direct[cls] = page;
  return page;
}

OX_INLINE ox_page_t *find_page(ox_heap_t *heap, unsigned cls, bool prof) {
  ox_page_t *page = heap->queue[cls].first;
  if (page) { /* the common case: the first page refills (no list changes) */
    if (OX_UNLIKELY(page->kept)) page_unkeep(heap, page); /* in use again */
    page_sync_live(heap, page);
    if (page_refill(heap, page, prof)) {
      heap->direct[cls] = page; /* it may point at the emptied reuse list */
      return page;
    }
  }
  /* Lists change from here: marked for a forked child (heap.c). */
  _ox_heap_enter(heap);
  page = find_page_moving(heap, cls, prof);
  _ox_heap_leave(heap);
  return page;
}

/* The class's first page if the direct pointer had left it (for the
 * reuse list, which ran dry) while it still had free blocks. */
static ox_page_t *first_page_ready(ox_heap_t *heap, unsigned cls) {
  ox_page_t *first = heap->queue[cls].first;
  if (!first || first == heap->direct[cls] || !first->free) return NULL;
  heap->direct[cls] = first;
  return first;
}

/* Give back what stayed unused for the purge delay, at most every half
 * delay: this heap's free pages and the process's caches. */
static void purge_if_due(ox_heap_t *heap, uint64_t now) {
  if (now < heap->next_purge_ms) return;
  uint64_t delay = (uint64_t)_ox_option(OX_OPT_PURGE_DELAY_MS), last = heap->next_purge_ms;
  heap->next_purge_ms = now + (delay / 2 > 1 ? delay / 2 : 1);
  _ox_background_maybe_start(); /* a forked child's first chance */
  _ox_heap_enter(heap);
  if (heap->spare_pages) release_spare_pages(heap, delay ? last : UINT64_MAX);
  _ox_reuse_flush(heap); /* give other heaps their blocks back from time to time */
  /* Pages that remote frees emptied while no refill looked at them. */
  _ox_heap_collect_remote_pages(heap, false);
  _ox_segment_purge(heap, now, false);
  _ox_heap_leave(heap);
  _ox_segment_cache_purge(now, false);
  _ox_huge_cache_purge(now, false);
}

OX_INLINE void heap_maintenance(ox_heap_t *heap) {
  _ox_remote_collect_queued(heap);
  if (++heap->slow_calls % PURGE_CHECK_INTERVAL != 0) return;
  /* Pages that remote frees emptied while they waited in a class queue go
   * back to their segment, for any class to use. */
  if (atomic_load_explicit(&heap->remote_dirty, memory_order_relaxed)) {
    atomic_store_explicit(&heap->remote_dirty, 0, memory_order_relaxed);
    _ox_heap_collect_remote_pages(heap, false);
  }
  purge_if_due(heap, _ox_os_now_ms());
}

/* ---- sampled blocks (heap profiling) ---------------------------------------
 * A sampled block comes from a page of its class that holds sampled blocks
 * only, heap->prof_page[cls], kept on the full list with free_trigger at
 * INT32_MAX: a free of one of them reaches _ox_page_after_free, and a free
 * of any other block of the program stays on the fast path (its page's
 * trigger is not raised by profiling). */

static void page_forget_unused(ox_heap_t *heap, ox_page_t *page);

static ox_page_t *prof_page_new(ox_heap_t *heap, unsigned cls) {
  _ox_heap_enter(heap);
  ox_page_t *page = _ox_segment_page_alloc(heap, cls);
  if (page) {
    page->prof_only = 1;
    page->prof_live = 1; /* never 0: its frees all come to the slow path */
    page->in_full = 1;
    page->free_trigger = INT32_MAX;
    queue_push_back(&heap->full, page);
    heap->prof_page[cls] = page;
    page_extend(heap, page, false);
    _ox_remote_watch(page); /* frees from other threads tell the heap (remote.c) */
  }
  _ox_heap_leave(heap);
  return page;
}

static void prof_page_release(ox_heap_t *heap, ox_page_t *page) {
  if (heap->prof_page[page->class_idx] == page) heap->prof_page[page->class_idx] = NULL;
  queue_unlink(&heap->full, page);
  page_forget_unused(heap, page);
  _ox_segment_page_free(heap, page);
}

/* A free of a page of sampled blocks: it stays on the full list; empty, it
 * goes back to its segment, unless it is its class's current one in a
 * live thread's heap (not for a large page: a whole segment), or a remote
 * free is queueing it (remote.c).  True if it went back. */
static bool prof_page_after_free(ox_heap_t *heap, ox_page_t *page) {
  bool release = false;
  _ox_heap_enter(heap);
  page_sync_live(heap, page);
  if (page->used == 0 && !page_queued(page) &&
      (heap->prof_page[page->class_idx] != page || page->block_size > OX_MEDIUM_MAX ||
       _ox_heap_unowned(heap))) {
    prof_page_release(heap, page);
    release = true;
  }
  _ox_heap_leave(heap);
  return release;
}

/* A block of the class's page of sampled blocks; NULL without memory. */
static void *sampled_block(ox_heap_t *heap, unsigned cls) {
  ox_page_t *page = heap->prof_page[cls];
  if (page && !page->free && page->local_free) page_use_local_free(heap, page);
  if (page && !page->free) page_extend(heap, page, false);
  if (!page || !page->free) page = prof_page_new(heap, cls);
  if (!page) return NULL;
  void *block = page_pop(page);
  page_sync_live(heap, page);
  return block;
}

/* A sampled block of class `cls`, recorded; NULL without memory. */
static OX_NOINLINE void *alloc_sampled(ox_heap_t *heap, unsigned cls) {
  void *block = sampled_block(heap, cls);
  if (block) _ox_prof_take(_ox_segment_page_of(_ox_segment_of_class_block(block), block), block);
  return block;
}

/* Where realloc moves a sampled block of `size` bytes (align 16): a block
 * of the class's page of sampled blocks, not recorded (_ox_prof_moved
 * moves the sample); NULL when the caller should allocate as usual. */
void *_ox_alloc_sampled_block(ox_heap_t *heap, size_t size) {
  if (heap == &_ox_empty_heap || size > OX_LARGE_MAX) return NULL;
  return sampled_block(heap, _ox_size_class(size));
}

/* An allocation of a thread whose heap has gone at its exit (a TLS
 * destructor allocating): from a borrowed heap, given back at once. */
static OX_COLD void *alloc_after_exit(unsigned cls, bool prof);

OX_INLINE void *alloc_slow(ox_heap_t *heap, unsigned cls, bool prof) {
  if (OX_UNLIKELY(heap == &_ox_empty_heap)) {
    if (OX_UNLIKELY(_ox_tl_exited)) return alloc_after_exit(cls, prof);
    heap = _ox_heap_for_thread();
    if (!heap) goto out_of_memory;
    if (heap->direct[cls]->free) return page_pop(heap->direct[cls]);
  }
  /* Blocks of other heaps this thread freed come first, from the fast
   * path: their list is the direct page while it holds any (reuse.h), so
   * here it is empty.  Then the page it stood in for, if it still has
   * blocks. */
  ox_page_t *page = first_page_ready(heap, cls);
  if (!page) {
    heap_maintenance(heap);
    page = find_page(heap, cls, prof);
    if (!page) goto out_of_memory;
  }
  if (prof && OX_UNLIKELY(page->prof_take_sampled)) {
    page->prof_take_sampled = 0;
    void *sampled = alloc_sampled(heap, cls);
    if (sampled) return sampled;
    if (!page->free) goto out_of_memory;
  }
  void *block = page_pop(page);
  page_sync_live(heap, page);
  return block;
out_of_memory:
  errno = ENOMEM;
  return NULL;
}

static OX_COLD void *alloc_after_exit(unsigned cls, bool prof) {
  ox_heap_t *heap = _ox_heap_borrow();
  if (!heap) {
    errno = ENOMEM;
    return NULL;
  }
  void *block = alloc_slow(heap, cls, prof);
  _ox_heap_give_back(heap);
  return block;
}

/* Reached when the class's current page has no free block (and, through
 * the empty heap, on a thread's first allocation).  Both copies in one
 * function: the profiled one then pays no second call and frame (about 16
 * instructions per slow path; the copy without it is unchanged). */
OX_NOINLINE void *_ox_alloc_slow(ox_heap_t *heap, unsigned cls) {
  if (OX_UNLIKELY(_ox_prof_ever)) return alloc_slow(heap, cls, true);
  return alloc_slow(heap, cls, false);
}

/* ---- after a free ---------------------------------------------------------- */

/* A page leaves the heap with blocks it handed the fast path unused: they
 * were counted as granted (the per-thread byte counters, stats.c). */
static void page_forget_unused(ox_heap_t *heap, ox_page_t *page) {
  uint64_t n = 0;
  _ox_checked_quiet(true); /* the allocator's own reads of free blocks */
  for (ox_block_t *b = page->free; b; b = _ox_link_get(b)) n++;
  for (ox_block_t *b = page->prof_held; b; b = _ox_link_get(b)) n++;
  _ox_checked_quiet(false);
  OX_OWNER_ADD(heap->ungranted_bytes, n * page->block_size);
}

static void page_release(ox_heap_t *heap, ox_page_t *page);

/* A LARGE page is a whole segment: a heap keeps one of them empty, not
 * one per class, so that the memory of a block that grew through the
 * classes (realloc up to 512 KiB) serves the next class instead of staying
 * resident in each.  Called when `keep` is about to be kept; the pages
 * checked are their class's only page, kept and still empty. */
static void release_other_kept_large(ox_heap_t *heap, const ox_page_t *keep) {
  for (unsigned cls = OX_CLASS_COUNT - 1; _ox_class_size(cls) > OX_MEDIUM_MAX; cls--) {
    ox_page_t *other = heap->queue[cls].first;
    if (other && other != keep && other->kept && other->used == 0 && other->next == NULL)
      page_release(heap, other);
  }
}

/* Spare pages (page_retire) go back to their segments when the heap is
 * about to take a MEDIUM page or a new segment, so that they never raise
 * the peak, and once they stayed unused from one purge to the next: those
 * stamped before `before` (all: UINT64_MAX).  Each one released also
 * leaves the budget. */
static void release_spare_pages(ox_heap_t *heap, uint64_t before) {
  for (unsigned cls = 0; cls < OX_CLASS_COUNT && heap->spare_pages; cls++) {
    if (_ox_class_kind(cls) != OX_KIND_MEDIUM) continue;
    for (ox_page_t *page = heap->queue[cls].first, *next; page; page = next) {
      next = page->next;
      if (page->kept != 2) continue;
      page_sync_live(heap, page);
      if (page->used != 0)
        page_unkeep(heap, page); /* the fast path took it up again */
      else if (page->freed_at_ms < before) {
        page_release(heap, page); /* a spare that did not serve its class */
        heap->spare_budget -= heap->spare_budget < MEDIUM_PAGE ? heap->spare_budget : MEDIUM_PAGE;
      }
    }
  }
}

/* Bytes of the kept last pages of classes, spares left out. */
static size_t kept_last_bytes(const ox_heap_t *heap) {
  return atomic_load_explicit(&heap->kept_bytes, memory_order_relaxed) - heap->spare_bytes;
}

static void page_retire(ox_heap_t *heap, ox_page_t *page) {
  /* Queued by a remote free (remote.c): retired when the owner takes it
   * off heap->remote_pages; meanwhile page->remote_next, which shares its
   * word with freed_at_ms, must stay as the pusher wrote it. */
  if (page_queued(page)) return;
  ox_page_queue_t *q = &heap->queue[page->class_idx];
  /* Keep a class's last page, so alloc/free of one block does not map and
   * unmap a page each time; not in a heap whose thread has gone, and only
   * within KEPT_BYTES_MAX: every class a program used once would otherwise
   * keep a page resident until the thread exits, raising the peak of a
   * program that moves from one set of classes to the next (sqlite3
   * 9.4 -> 9.0 MB).  A page beyond it goes back to its segment, purged
   * after the delay; a class that cycles keeps its page while the budget
   * lasts, and takes a page from the segment (no system call) otherwise. */
  if (q->first == page && page->next == NULL && !_ox_heap_unowned(heap) &&
      kept_last_bytes(heap) + (size_t)page->capacity * page->block_size <= KEPT_BYTES_MAX) {
    page->free_trigger = -1;
    page_keep(heap, page);
    if (page->block_size > OX_MEDIUM_MAX) release_other_kept_large(heap, page);
    return;
  }
  /* A heap that cycles through MEDIUM pages (fills and empties many in
   * turn) keeps them in their class as spares, up to a budget that grows
   * by a page each time it takes a page soon after handing one back (at
   * most SPARE_BYTES_MAX) and shrinks as spares stay unused: otherwise
   * each 128 KiB page goes back to its segment and is taken again, ~500
   * instructions each.  Spares stay until the heap takes a MEDIUM page or
   * a new segment, or the next purge but one; their memory would be
   * resident until then anyway.  A single big free keeps none. */
  if (_ox_class_kind(page->class_idx) != OX_KIND_MEDIUM) {
    page_release(heap, page);
    return;
  }
  if (!_ox_heap_unowned(heap) && (heap->spare_pages + 1) * MEDIUM_PAGE <= heap->spare_budget) {
    page->free_trigger = -1;
    page_keep(heap, page);
    page->kept = 2;
    page->freed_at_ms = heap->next_purge_ms; /* aged by purges, not by the clock */
    heap->spare_pages++;
    heap->spare_bytes += (size_t)page->capacity * page->block_size;
    return;
  }
  heap->medium_released = heap->next_purge_ms + 1;
  page_release(heap, page);
}

/* Give an empty page back to its segment. */
static void page_release(ox_heap_t *heap, ox_page_t *page) {
  if (page_queued(page)) return;
  ox_page_queue_t *q = &heap->queue[page->class_idx];
  page_unkeep(heap, page);
  queue_unlink(q, page);
  queue_sync_direct(heap, page->class_idx);
  page_forget_unused(heap, page);
  _ox_segment_page_free(heap, page);
}

/* Settle a page whose `used` crossed its free_trigger: off the full list,
 * retired if empty.  True if it was retired. */
OX_INLINE bool page_settle(ox_heap_t *heap, ox_page_t *page) {
  page_sync_live(heap, page);
  if (page->in_full) page_unfull(heap, page);
  if (page->prof_live) { /* still holds a sampled block, so it is not empty */
    page->free_trigger = INT32_MAX;
    return false;
  }
  if (page->used != 0) return false;
  page_retire(heap, page);
  return true;
}

/* Called when a free crossed the page's free_trigger: the page was on the
 * full list, or it became empty.  Its live count is settled first, also for
 * page_retire (a freed page must leave nothing counted). */
OX_NOINLINE void _ox_page_after_free(ox_heap_t *heap, ox_page_t *page) {
  /* A page with live sampled blocks sends every free here; the block
   * just freed heads local_free.  A page of sampled blocks counts one
   * more (prof_page_new), so this one test also finds it. */
  if (page->prof_live) {
    _ox_prof_page_free(page, page->local_free);
    if (page->prof_only) {
      prof_page_after_free(heap, page);
      return;
    }
  }
  _ox_heap_enter(heap);
  /* A program that only frees for a while still gives memory back once
   * the delay has passed (one look at the coarse clock per page that
   * empties). */
  if (page_settle(heap, page)) purge_if_due(heap, _ox_os_now_ms());
  _ox_heap_leave(heap);
}

void _ox_page_collect_remote(ox_heap_t *heap, ox_page_t *page, bool all) {
  for (;;) {
    /* A full page (a page of sampled blocks too, whose local frees leave it
     * there) takes every block that came, or it could not be watched. */
    uint32_t n = page_take_remote(heap, page, all || page->in_full);
    if (page->prof_only) { /* stays on the full list, watched, until it goes back */
      if (n != 0 && prof_page_after_free(heap, page)) return;
      if (n == 0 && _ox_remote_watch(page)) return;
      continue;
    }
    if (page->in_full && n == 0) {
      /* Still nothing to give: watched again, unless a block just came. */
      if (_ox_remote_watch(page)) return;
      continue;
    }
    if ((int32_t)page->used <= page->free_trigger) page_settle(heap, page);
    return;
  }
}

/* Every page's remote list: pages emptied by remote frees go back to
 * their segment (purge, ox_collect, thread exit). */
void _ox_heap_collect_remote_pages(ox_heap_t *heap, bool all) {
  _ox_heap_enter(heap);
  /* The full list first: a page it settles moves to its class's queue,
   * where the walk finds it again with nothing left to take. */
  for (unsigned i = OX_HEAP_QUEUES; i-- > 0;) {
    for (ox_page_t *page = _ox_heap_queue(heap, i)->first, *next; page; page = next) {
      next = page->next;
      if (_ox_remote_count(atomic_load_explicit(&page->remote_free, memory_order_seq_cst)))
        _ox_page_collect_remote(heap, page, all);
    }
  }
  _ox_heap_leave(heap);
}

/* A local free for callers off the fast path (remote-free collection). */
void _ox_page_free_block(ox_heap_t *heap, ox_segment_t *seg, void *p) {
  ox_page_t *page = _ox_segment_page_of(seg, p);
  OX_OWNER_ADD(heap->collected_bytes, page->block_size);
  ox_block_t *b = p;
  _ox_link_set(b, page->local_free);
  atomic_signal_fence(memory_order_release); /* linked before published (fork) */
  page->local_free = b;
  if ((int32_t)--page->used <= page->free_trigger) _ox_page_after_free(heap, page);
}

/* Return every page without a live block to its segment (thread exit,
 * collection of an abandoned heap), then purge what became free.  With
 * `keep_sampled`, the classes' current pages of sampled blocks stay even
 * empty (an exiting thread's: heap.c). */
void _ox_heap_release_empty_pages(ox_heap_t *heap, bool keep_sampled) {
  _ox_heap_sync_live(heap);
  for (unsigned cls = 0; cls < OX_CLASS_COUNT; cls++) {
    ox_page_queue_t *q = &heap->queue[cls];
    ox_page_t *page = q->first;
    while (page) {
      ox_page_t *next = page->next;
      if (page->used == 0 && !page_queued(page)) {
        page_unkeep(heap, page);
        queue_unlink(q, page);
        page_forget_unused(heap, page);
        _ox_segment_page_free(heap, page);
      }
      page = next;
    }
    queue_sync_direct(heap, cls);
    if (_ox_prof_ever && heap->prof_page[cls] && heap->prof_page[cls]->used == 0 &&
        !page_queued(heap->prof_page[cls]) && !keep_sampled)
      prof_page_release(heap, heap->prof_page[cls]);
  }
  /* A heap without a thread purges everything at once. */
  _ox_segment_purge(heap, _ox_os_now_ms(), _ox_heap_unowned(heap));
}

/* ---- zeroed allocation in written memory ---------------------------------- */

/* Clear [p, p + n): up to the end of p's first OS page (all of it if p
 * starts one) by hand, since that page is resident already, the rest by
 * giving its pages back (_ox_os_zero). */
static void zero_past_first_os_page(uint8_t *p, size_t n) {
  size_t ps = _ox_os_page_size();
  size_t head = ps - ((uintptr_t)p & (ps - 1));
  if (head > n) head = n;
  memset(p, 0, head);
  if (n > head) _ox_os_zero(p + head, n - head);
}

/* `block`, just taken, is the only live block of its page (a page kept
 * empty for its class, or a spare) and the page's memory holds old data:
 * start the page's carving again with all that memory given back in one
 * call (its first OS page, resident, cleared by hand), and hand out its
 * first block instead.  Every block carved after it reads as zero
 * (free_zero); clearing the free blocks one by one as each is allocated
 * would cost a call each. */
static void *page_restart_zeroed(ox_heap_t *heap, ox_page_t *page) {
  uint8_t *start = _ox_page_start(page);
  size_t bsize = page->block_size;
  size_t carved = (size_t)page->capacity * bsize; /* what its blocks may have written */
  size_t end = carved > page->zero_from ? carved : page->zero_from;
  if (OX_UNLIKELY(page->kept)) page_unkeep(heap, page); /* before capacity changes */
  page_forget_unused(heap, page);
  OX_OWNER_ADD(heap->ungranted_bytes, bsize); /* `block` goes back unused */
  page->free = page->local_free = NULL;
  atomic_signal_fence(memory_order_release); /* lists emptied before blocks change (fork) */
  page->capacity = 0;
  page->zero_from = 0;
  zero_past_first_os_page(start, end);
  page_extend(heap, page, false);
  ox_block_t *b = page->free;
  page->free = _ox_link_get(b);
  memset(b, 0, 2 * sizeof(void *)); /* its link and mark: the block is zero */
  return b;
}

/* Zeroed allocation of `block` (`size` bytes, just taken from `page` of
 * the calling thread's heap) in memory that an earlier page may have
 * written (not free_zero); returns the zeroed block to hand out, `block`
 * or another of the page.  The block is cleared and the page's written
 * memory past its carved blocks given back, so that every block carved
 * later reads as zero (free_zero) - memset would make resident every OS
 * page of every such block, where the program may write a few.  If `block`
 * is the last carved, the two go in one system call.  The block's first
 * OS page is cleared by hand: the free-list link has just made it
 * resident, and the program, which nearly always writes the start of what
 * it asked for, would only fault it in again. */
void *_ox_page_zero_block(ox_heap_t *heap, ox_page_t *page, void *block, size_t size) {
  if (page->used == 1 && page->capacity > 1 && page->prof_held == NULL && page->prof_live == 0)
    return page_restart_zeroed(heap, page);
  uint8_t *start = _ox_page_start(page);
  size_t carved = (size_t)page->capacity * page->block_size;
  size_t off = (size_t)((uint8_t *)block - start);
  if (off + page->block_size == carved && carved < page->zero_from) {
    zero_past_first_os_page(block, page->zero_from - off);
  } else {
    zero_past_first_os_page(block, size);
    if (carved < page->zero_from) _ox_os_zero(start + carved, page->zero_from - carved);
  }
  if (carved < page->zero_from) page->zero_from = (uint32_t)carved;
  return block;
}
