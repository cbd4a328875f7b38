/*
 * heap.c - per-thread heaps: creation, adoption of heaps left by exited
 * threads, thread exit, and what a forked child does with the heaps of the
 * threads it did not inherit.  Frees arriving from other threads are
 * remote.c's.
 *
 * Heaps are never unmapped.  A thread that exits marks its heap ABANDONED
 * after giving back everything it can (kept blocks, batches, empty pages,
 * purged at once); the next new thread adopts it whole, and until then
 * any thread that frees into it or needs memory collects it.  So nothing
 * a thread owned is lost, and a remote free can always push onto the
 * owner's list without a lock.
 *
 * Nothing here can be held across fork: the one-time key creation is
 * reset by the child (fork.c), and the child abandons, then collects, the
 * heaps of every other thread (they do not exist in it).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "block_link.h"
#include "internal.h"
#include "reuse.h"

__thread ox_heap_t *_ox_tl_heap __attribute__((tls_model("initial-exec"))) = &_ox_empty_heap;
__thread bool _ox_tl_exited __attribute__((tls_model("initial-exec")));

/* The empty page has no free block, so every allocation through the empty
 * heap falls into the slow path, which sets the thread's heap up. */
ox_page_t _ox_empty_page;
ox_heap_t _ox_empty_heap = {.direct = {[0 ... OX_CLASS_COUNT - 1] = &_ox_empty_page}};

static _Atomic(ox_heap_t *) all_heaps;

/* ---- the thread-exit hook ------------------------------------------------
 * A pthread key whose destructor abandons the heap.  pthread_key_create
 * can fail (keys are finite): then the heap is registered per thread with
 * glibc's __cxa_thread_atexit_impl (C++ thread_local destructors); never
 * by writing into a key that is not ours.  A thread whose hook never runs
 * (that too is missing, or it was set in the last destructor round) is
 * found dead through its heap's `alive` mutex (below). */
enum { KEY_NONE, KEY_CREATING, KEY_READY, KEY_FAILED };
static pthread_key_t exit_key;
static _Atomic int exit_key_state;
extern int __cxa_thread_atexit_impl(void (*fn)(void *), void *arg, void *dso) __attribute__((weak));
extern void *__dso_handle __attribute__((weak));

static void heap_thread_exit(void *arg);

static int exit_key_init(void) {
  int state = atomic_load_explicit(&exit_key_state, memory_order_acquire);
  if (state >= KEY_READY) return state;
  int expected = KEY_NONE;
  if (atomic_compare_exchange_strong(&exit_key_state, &expected, KEY_CREATING)) {
    state = pthread_key_create(&exit_key, heap_thread_exit) == 0 ? KEY_READY : KEY_FAILED;
    atomic_store_explicit(&exit_key_state, state, memory_order_release);
    return state;
  }
  /* Another thread creates it (a fork in between resets the state: fork.c). */
  while ((state = atomic_load_explicit(&exit_key_state, memory_order_acquire)) < KEY_READY)
    sched_yield();
  return state;
}

static void exit_hook_set(ox_heap_t *heap) {
  int state = exit_key_init();
  if (state == KEY_READY)
    pthread_setspecific(exit_key, heap);
  else if (__cxa_thread_atexit_impl)
    __cxa_thread_atexit_impl(heap_thread_exit, heap, &__dso_handle);
}

/* ---- an owner that died without its exit hook -----------------------------
 * The hook can be missed: a thread whose first allocation comes in glibc's
 * last TLS-destructor round sets the key when no round follows, and dies
 * owning its heap.  So the owner also holds the heap's `alive` mutex, a
 * robust one, for as long as it has the heap.  When a thread dies holding
 * it, the kernel marks it (FUTEX_OWNER_DIED), and whoever tries it next
 * learns that the heap is an orphan (EOWNERDEAD): a thread that needs a
 * heap takes it, ox_collect gives it back.  Trying the mutex of a live
 * owner is a load and a failed compare-and-swap, no system call. */
static void alive_init(ox_heap_t *heap) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  /* Refused where the OS keeps no robust list (qemu-user): a plain mutex
   * then, which no orphan is ever found through. */
  if (pthread_mutex_init(&heap->alive, &attr) != 0)
    heap->alive = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
  pthread_mutexattr_destroy(&attr);
}

/* The thread that makes the heap its own: a blocking lock, as another
 * thread may be holding it for an instant (alive_orphaned). */
static void alive_hold(ox_heap_t *heap) {
  if (pthread_mutex_lock(&heap->alive) == EOWNERDEAD) pthread_mutex_consistent(&heap->alive);
}

/* Its owner lets go of the heap.  A mutex this thread cannot unlock (it
 * was locked by another thread id: the parent of a fork without oxalloc's
 * child handler) is made anew; nobody locks it meanwhile, as the heap is
 * still ACTIVE and only orphans are claimed through it. */
static void alive_drop(ox_heap_t *heap) {
  if (pthread_mutex_unlock(&heap->alive) != 0) alive_init(heap);
}

/* True, with the mutex held by the caller, when the heap's owner died
 * without its exit hook.  A heap that is not ACTIVE, or whose mutex is
 * free (an owner taking it or letting it go), is not an orphan; nor is
 * one its thread left half-changed (never seen in practice): that one
 * stays as it is. */
static bool alive_orphaned(ox_heap_t *heap) {
  if (atomic_load_explicit(&heap->state, memory_order_acquire) != OX_HEAP_ACTIVE) return false;
  int r = pthread_mutex_trylock(&heap->alive);
  if (r != 0 && r != EOWNERDEAD) return false;
  if (r == EOWNERDEAD) pthread_mutex_consistent(&heap->alive);
  if (r == 0 || atomic_load(&heap->busy) != 0 ||
      atomic_load_explicit(&heap->state, memory_order_acquire) != OX_HEAP_ACTIVE) {
    pthread_mutex_unlock(&heap->alive);
    return false;
  }
  return true;
}

/* ---- claiming heaps --------------------------------------------------------- */

bool _ox_heap_claim(ox_heap_t *heap, int new_state) {
  int expected = OX_HEAP_ABANDONED;
  return atomic_load_explicit(&heap->state, memory_order_relaxed) == OX_HEAP_ABANDONED &&
         atomic_compare_exchange_strong(&heap->state, &expected, new_state);
}

static ox_heap_t *heap_claim_any(int new_state) {
  for (ox_heap_t *h = atomic_load_explicit(&all_heaps, memory_order_acquire); h; h = h->next_all)
    if (_ox_heap_claim(h, new_state)) return h;
  return NULL;
}

/* The calling thread's token: the address of its own TLS slot. */
static const void *thread_token(void) { return &_ox_tl_heap; }

static void set_owner(ox_heap_t *heap, const void *token) {
  atomic_store_explicit(&heap->owner, token, memory_order_relaxed);
}

static ox_heap_t *heap_create(int state) {
  size_t bytes = (sizeof(ox_heap_t) + _ox_os_page_size() - 1) & ~(_ox_os_page_size() - 1);
  ox_heap_t *heap = _ox_os_map(bytes);
  if (!heap) return NULL;
  for (unsigned c = 0; c < OX_CLASS_COUNT; c++) heap->direct[c] = &_ox_empty_page;
  atomic_flag_clear(&heap->huge_lock);
  atomic_flag_clear(&heap->purge_lock);
  alive_init(heap);
  atomic_store_explicit(&heap->state, state, memory_order_relaxed);
  ox_heap_t *head = atomic_load_explicit(&all_heaps, memory_order_relaxed);
  do {
    heap->next_all = head;
  } while (!atomic_compare_exchange_weak_explicit(&all_heaps, &head, heap, memory_order_release,
                                                  memory_order_relaxed));
  return heap;
}

/* Everything a heap without a thread can give back, by whoever holds it
 * (its exiting thread, or a thread that claimed it): the blocks it kept
 * for other heaps, the frees waiting in its pages, and its empty pages,
 * purged at once since no owner will reuse them (but for the current
 * pages of sampled blocks, with `keep_sampled`: page.c). */
static void give_back_held(ox_heap_t *heap, bool keep_sampled) {
  _ox_heap_enter(heap); /* an exiting thread's heap: a fork meanwhile must
                           leave it alone */
  _ox_checked_quiet(true);
  _ox_reuse_flush(heap);
  _ox_remote_collect_queued(heap);
  _ox_heap_collect_remote_pages(heap, true);
  _ox_heap_release_empty_pages(heap, keep_sampled);
  _ox_checked_quiet(false);
  _ox_heap_leave(heap);
}

void _ox_heap_give_back_held(ox_heap_t *heap) { give_back_held(heap, false); }

/* The owner of `heap` is gone (it exited, or died without its exit hook):
 * the heap gives back what it holds and becomes ABANDONED, for the next
 * thread that needs one. */
static void heap_let_go(ox_heap_t *heap, bool keep_sampled) {
  set_owner(heap, NULL);
  /* Held, not ACTIVE, from here: a remote free that still saw ACTIVE is
   * found by the give-back's walk, a later one by _ox_remote_abandon. */
  atomic_store(&heap->state, OX_HEAP_COLLECTING);
  give_back_held(heap, keep_sampled);
  alive_drop(heap);
  _ox_remote_abandon(heap);
}

/* The heap of a thread that died without its exit hook, now the
 * caller's (its mutex held), or NULL. */
static ox_heap_t *heap_claim_orphan(void) {
  for (ox_heap_t *h = atomic_load_explicit(&all_heaps, memory_order_acquire); h; h = h->next_all)
    if (alive_orphaned(h)) return h;
  return NULL;
}

ox_heap_t *_ox_heap_for_thread(void) {
  _ox_process_init();
  /* The initialisation's pthread_atfork may allocate (init.c): that
   * allocation set the thread's heap up already. */
  if (_ox_tl_heap != &_ox_empty_heap) return _ox_tl_heap;
  ox_heap_t *heap = heap_claim_any(OX_HEAP_ACTIVE);
  if (heap) {
    alive_hold(heap);
  } else if (!(heap = heap_claim_orphan())) {
    heap = heap_create(OX_HEAP_ACTIVE);
    if (!heap) return NULL;
    alive_hold(heap);
  }
  set_owner(heap, thread_token());
  _ox_stat_add(OX_STAT_THREADS, 1);
  _ox_stats_thread_attach(heap);
  _ox_tl_heap = heap;
  /* Set after _ox_tl_heap: if these allocate, they find the heap ready. */
  exit_hook_set(heap);
  _ox_background_maybe_start();
  return heap;
}

static void heap_thread_exit(void *arg) {
  ox_heap_t *heap = arg;
  _ox_tl_exited = true; /* from now on each allocation borrows a heap */
  _ox_tl_heap = &_ox_empty_heap;
  /* The classes' current pages of sampled blocks stay with the heap, even
   * empty, as its pages with live blocks do: the thread that takes the
   * heap over samples into them with no page to fault in again (given
   * back and purged here, they cost a madvise each at every exit and
   * faults after it: thread-replace-2 ~9 of each per exit).  A later
   * ox_collect(true) gives them back (page.c). */
  heap_let_go(heap, true);
}

/* An allocation by a thread whose exit handler has run (a TLS destructor
 * of the program, in any of glibc's rounds): it borrows an abandoned heap
 * for that one call, so nothing stays attached to a thread that is gone. */
ox_heap_t *_ox_heap_borrow(void) {
  _ox_process_init();
  ox_heap_t *heap = heap_claim_any(OX_HEAP_COLLECTING);
  return heap ? heap : heap_create(OX_HEAP_COLLECTING);
}

void _ox_heap_give_back(ox_heap_t *heap) {
  _ox_heap_give_back_held(heap);
  _ox_remote_abandon(heap);
}

/* ---- fork ------------------------------------------------------------------
 * In the child only the forking thread exists.  Its heap stays its own;
 * every other thread's heap is abandoned and given back, unless that thread
 * was changing it at the fork (busy): such a heap may be inconsistent and
 * is left alone (what it holds is lost to the child, never corrupted).  A
 * heap claimed for collection at the fork is left alone for the same
 * reason.  Runs single-threaded, from the child handler (fork.c). */
void _ox_heaps_after_fork_child(void) {
  atomic_store_explicit(&exit_key_state,
                        atomic_load(&exit_key_state) == KEY_CREATING ? KEY_NONE
                                                                     : atomic_load(&exit_key_state),
                        memory_order_relaxed);
  const void *me = thread_token();
  for (ox_heap_t *h = atomic_load_explicit(&all_heaps, memory_order_acquire); h; h = h->next_all) {
    atomic_flag_clear(&h->huge_lock); /* their holders do not exist here */
    atomic_flag_clear(&h->purge_lock);
    /* The child inherits no robust mutex (glibc empties its robust list):
     * every `alive` starts free, and this thread holds its own again. */
    alive_init(h);
    int state = atomic_load(&h->state);
    if (state == OX_HEAP_ACTIVE && atomic_load(&h->owner) == me) alive_hold(h);
    if ((state == OX_HEAP_ACTIVE || state == OX_HEAP_FIRST_CLASS) && atomic_load(&h->busy) == 0)
      _ox_remote_after_fork_child(h); /* frees that a vanished thread was queueing */
    if (state != OX_HEAP_ACTIVE || atomic_load(&h->owner) == me) continue;
    set_owner(h, NULL);
    if (atomic_load(&h->busy) != 0) continue; /* caught half-way: leave it */
    _ox_heap_give_back(h);
  }
}

/* ---- first-class heaps ------------------------------------------------- */

ox_heap_t *_ox_heap_new_first_class(void) {
  _ox_process_init();
  ox_heap_t *heap = NULL;
  for (ox_heap_t *h = atomic_load_explicit(&all_heaps, memory_order_acquire); h && !heap;
       h = h->next_all) {
    int expected = OX_HEAP_DEAD;
    if (atomic_compare_exchange_strong(&h->state, &expected, OX_HEAP_FIRST_CLASS)) heap = h;
  }
  if (!heap) heap = heap_create(OX_HEAP_FIRST_CLASS);
  if (heap) set_owner(heap, thread_token());
  return heap;
}

/* Forget every page and block of a first-class heap (its memory was
 * given back by the caller). */
void _ox_heap_clear(ox_heap_t *heap) {
  for (unsigned c = 0; c < OX_CLASS_COUNT; c++) {
    heap->direct[c] = &_ox_empty_page;
    heap->queue[c].first = heap->queue[c].last = NULL;
    heap->prof_page[c] = NULL;
    atomic_store_explicit(&heap->live[c], 0, memory_order_relaxed);
  }
  heap->full.first = heap->full.last = NULL;
  /* heap->segments[] and all_segments are empty already: the segments
   * left them as they were released (under the purge lock, which the
   * background purger may hold while it reads those lists). */
  atomic_store_explicit(&heap->kept_bytes, 0, memory_order_relaxed);
  heap->spare_pages = 0;
  heap->spare_budget = 0;
  heap->spare_bytes = 0;
  heap->medium_released = 0;
  atomic_store_explicit(&heap->remote_pages, NULL, memory_order_relaxed);
  atomic_store_explicit(&heap->remote_late, 0, memory_order_relaxed);
}

void _ox_heap_retire_first_class(ox_heap_t *heap) {
  set_owner(heap, NULL);
  atomic_store_explicit(&heap->state, OX_HEAP_DEAD, memory_order_release);
}

void _ox_heap_visit_all(ox_heap_visitor visit, void *arg) {
  for (ox_heap_t *h = atomic_load_explicit(&all_heaps, memory_order_acquire); h; h = h->next_all)
    visit(h, arg);
}

/* ---- collecting ------------------------------------------------------------ */

/* Claim every abandoned heap (with frees waiting for it, or all) and
 * give back what it holds. */
void _ox_heap_collect_abandoned_all(bool all) {
  for (ox_heap_t *h = atomic_load_explicit(&all_heaps, memory_order_acquire); h; h = h->next_all) {
    if (all && alive_orphaned(h)) { /* its thread died without its exit hook */
      heap_let_go(h, false);
      continue;
    }
    if (!all && atomic_load_explicit(&h->remote_pages, memory_order_relaxed) == NULL &&
        atomic_load_explicit(&h->remote_late, memory_order_relaxed) == 0)
      continue;
    if (!_ox_heap_claim(h, OX_HEAP_COLLECTING)) continue;
    _ox_heap_give_back(h);
  }
}

/* The background purger's round: abandoned heaps give back everything,
 * live threads' heaps their free pages past the delay (skipped when the
 * owner is changing them). */
void _ox_heap_purge_others(uint64_t now) {
  for (ox_heap_t *h = atomic_load_explicit(&all_heaps, memory_order_acquire); h; h = h->next_all) {
    int state = atomic_load_explicit(&h->state, memory_order_relaxed);
    if (state == OX_HEAP_ACTIVE || state == OX_HEAP_FIRST_CLASS)
      _ox_segment_purge_try(h, now);
    else if (state == OX_HEAP_ABANDONED && _ox_heap_claim(h, OX_HEAP_COLLECTING)) {
      _ox_heap_give_back(h);
    }
  }
}

/* Before mapping a new segment: let abandoned heaps give back what their
 * remote frees emptied. */
void _ox_heap_collect_abandoned(void) { _ox_heap_collect_abandoned_all(false); }

void _ox_heap_collect_own(bool force) {
  ox_heap_t *heap = _ox_tl_heap;
  if (heap == &_ox_empty_heap) return;
  _ox_heap_enter(heap);
  _ox_reuse_flush(heap);
  _ox_remote_collect_queued(heap);
  _ox_heap_collect_remote_pages(heap, true);
  _ox_heap_release_empty_pages(heap, false);
  _ox_segment_purge(heap, _ox_os_now_ms(), force);
  _ox_heap_leave(heap);
}
