/*
 * background.c - the optional background purger (OXALLOC_BACKGROUND=1).
 *
 * Without it, memory goes back to the OS only when some thread passes
 * through a slow path after the purge delay; a program that frees
 * everything and then sits idle keeps what it freed.  With it, one thread
 * wakes every half delay and gives back what stayed unused for the delay:
 * the caches, the free pages of every live thread's heap (a heap whose
 * owner is changing it at that moment waits for the next round), and
 * everything abandoned heaps hold.
 *
 * Started lazily, from a point where allocating is safe (a thread setting
 * up its heap, or a heap's periodic purge check), since pthread_create
 * allocates.  Never running in a forked child until the child allocates
 * (fork.c forgets it there).  Stopped and joined at exit by a destructor.
 * The thread has no heap of its own and never allocates.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "internal.h"

enum { BG_OFF, BG_STARTING, BG_RUNNING, BG_FAILED };
static _Atomic int bg_state;
static pthread_t bg_thread;
static pthread_mutex_t bg_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond;
static bool bg_stop; /* under bg_mutex */

static uint64_t interval_ms(void) {
  uint64_t half = (uint64_t)_ox_option(OX_OPT_PURGE_DELAY_MS) / 2;
  return half < 10 ? 10 : half;
}

static void *bg_main(void *arg) {
  (void)arg;
  sigset_t all;
  sigfillset(&all); /* signals are for the program's threads */
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  pthread_mutex_lock(&bg_mutex);
  while (!bg_stop) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + interval_ms() * 1000000u;
    until.tv_sec += (time_t)(ns / 1000000000u);
    until.tv_nsec = (long)(ns % 1000000000u);
    pthread_cond_timedwait(&bg_cond, &bg_mutex, &until);
    if (bg_stop) break;
    pthread_mutex_unlock(&bg_mutex);
    uint64_t now = _ox_os_now_ms();
    _ox_heap_purge_others(now);
    _ox_segment_cache_purge(now, false);
    _ox_huge_cache_purge(now, false);
    pthread_mutex_lock(&bg_mutex);
  }
  pthread_mutex_unlock(&bg_mutex);
  return NULL;
}

void _ox_background_maybe_start(void) {
  if (OX_LIKELY(atomic_load_explicit(&bg_state, memory_order_relaxed) != BG_OFF)) return;
  if (!_ox_option(OX_OPT_BACKGROUND) || _ox_option(OX_OPT_PURGE_DELAY_MS) == 0) return;
  int expected = BG_OFF;
  if (!atomic_compare_exchange_strong(&bg_state, &expected, BG_STARTING)) return;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&bg_cond, &attr);
  pthread_condattr_destroy(&attr);
  bg_stop = false;
  /* pthread_create allocates (through this very allocator, perhaps). */
  bool ok = pthread_create(&bg_thread, NULL, bg_main, NULL) == 0;
  atomic_store(&bg_state, ok ? BG_RUNNING : BG_FAILED);
}

/* The thread is not in the child, and its mutex may have been held. */
void _ox_background_after_fork_child(void) {
  pthread_mutex_init(&bg_mutex, NULL);
  if (atomic_load(&bg_state) != BG_FAILED) atomic_store(&bg_state, BG_OFF);
}

__attribute__((destructor)) static void bg_stop_at_exit(void) {
  if (atomic_load(&bg_state) != BG_RUNNING) return;
  pthread_mutex_lock(&bg_mutex);
  bg_stop = true;
  pthread_cond_signal(&bg_cond);
  pthread_mutex_unlock(&bg_mutex);
  pthread_join(bg_thread, NULL);
  atomic_store(&bg_state, BG_FAILED); /* never again in this process */
}
