/*
 * init.c - process initialisation: options and the free tag, once,
 * from whichever thread allocates first, and the fork child handler's
 * registration.  No lock and no call that may allocate while the state is
 * half-set; the one state a fork can cut short (another thread half-way
 * through it) is reset in the child, which then runs it again (fork.c).
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/auxv.h>

#include "block_link.h"
#include "internal.h"
#include "oxalloc.h"

#define OX_STR2(x) #x
#define OX_STR(x)  OX_STR2(x)

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int init_state;
/* The process whose thread set INIT_RUNNING: a waiter in another one is
 * a child forked half-way, whose initialising thread is not there. */
static _Atomic long init_pid;
uintptr_t _ox_free_tag;
#if OX_SECURE
uintptr_t _ox_link_key;
#endif

/* 16 random bytes the kernel gives every process (no system call). */
static uintptr_t process_random(void) {
  const void *random = (const void *)getauxval(AT_RANDOM);
  uintptr_t w[2] = {0, 0}; /* the bytes need not be word-aligned: copy them */
  if (random) memcpy(w, random, sizeof w);
  uintptr_t r = random ? w[0] ^ w[1] : (uintptr_t)&init_state * 0x9E3779B97F4A7C15ull;
  return r | 1; /* never 0, which fresh memory holds */
}

bool _ox_initialized(void) {
  return atomic_load_explicit(&init_state, memory_order_acquire) == INIT_DONE;
}

static void register_fork_handler(void);

void _ox_process_init(void) {
  if (atomic_load_explicit(&init_state, memory_order_acquire) == INIT_DONE) return;
  for (;;) {
    int expected = INIT_NONE;
    /* Written before the state, so a child forked after it sees it. */
    if (atomic_load(&init_state) == INIT_NONE) atomic_store(&init_pid, _ox_os_getpid());
    if (atomic_compare_exchange_strong(&init_state, &expected, INIT_RUNNING)) {
      _ox_free_tag = process_random();
#if OX_SECURE
      _ox_link_key = process_random() * 0x9E3779B97F4A7C15ull;
#endif
      _ox_options_init();
      _ox_addr_map_init();
      _ox_prof_init(); /* OXALLOC_PROF*: may start sampling */
      atomic_store_explicit(&init_state, INIT_DONE, memory_order_release);
      register_fork_handler(); /* may allocate: the state is complete */
      return;
    }
    while ((expected = atomic_load_explicit(&init_state, memory_order_acquire)) == INIT_RUNNING) {
      /* Forked while another thread initialised, with no child handler
       * yet (fork.c): that thread is not in this process. */
      if (atomic_load(&init_pid) != _ox_os_getpid()) {
        atomic_compare_exchange_strong(&init_state, &expected, INIT_NONE);
        break;
      }
      sched_yield();
    }
    if (expected == INIT_DONE) return;
  }
}

/* In a forked child: the thread that was initialising does not exist. */
void _ox_process_after_fork_child(void) {
  if (atomic_load(&init_state) == INIT_RUNNING) atomic_store(&init_state, INIT_NONE);
}

/* Once per process, from whichever comes first: this file's constructor,
 * or the end of the first allocation's initialisation.  The constructor
 * alone came too late for forks made by code that runs before it (a
 * shared library's constructor, also under LD_PRELOAD; a constructor of
 * the program's with a priority), while that code had already allocated
 * with other threads running.  glibc 2.36 runs fork handlers without its
 * atfork lock held, so registering from an allocation made in one is
 * safe; pthread_atfork allocates only past 48 handlers, and such an
 * allocation finds the state complete and the flag set. */
static _Atomic bool fork_handler_registered;

static void register_fork_handler(void) {
  if (!atomic_exchange(&fork_handler_registered, true)) pthread_atfork(NULL, NULL, _ox_fork_child);
}

__attribute__((constructor)) static void register_fork_handler_early(void) {
  register_fork_handler();
}

/* The version lives in include/oxalloc.h alone; everything else derives it. */
OX_PUBLIC const char *ox_version(void) {
  return OX_STR(OXALLOC_VERSION_MAJOR) "." OX_STR(OXALLOC_VERSION_MINOR) "." OX_STR(
      OXALLOC_VERSION_PATCH);
}

/* OXALLOC_SHOW_STATS=1: the report on stderr when the program exits (a
 * destructor, so no atexit registration that might allocate). */
__attribute__((destructor)) static void show_stats_at_exit(void) { _ox_stats_show_at_exit(); }
