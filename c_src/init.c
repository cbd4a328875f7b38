/*
 * init.c - process initialisation: options and the free tag, once,
 * from whichever thread allocates first.  No lock and no call that may
 * allocate; the one state a fork can cut short (another thread half-way
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

void _ox_process_init(void) {
  int expected = INIT_NONE;
  if (atomic_load_explicit(&init_state, memory_order_acquire) == INIT_DONE) return;
  if (atomic_compare_exchange_strong(&init_state, &expected, INIT_RUNNING)) {
    _ox_free_tag = process_random();
#if OX_SECURE
    _ox_link_key = process_random() * 0x9E3779B97F4A7C15ull;
#endif
    _ox_options_init();
    _ox_prof_init(); /* OXALLOC_PROF*: may start sampling */
    atomic_store_explicit(&init_state, INIT_DONE, memory_order_release);
    return;
  }
  while (atomic_load_explicit(&init_state, memory_order_acquire) != INIT_DONE) sched_yield();
}

/* In a forked child: the thread that was initialising does not exist. */
void _ox_process_after_fork_child(void) {
  if (atomic_load(&init_state) == INIT_RUNNING) atomic_store(&init_state, INIT_NONE);
}

/* Before main (and before any thread of the program), outside every
 * allocation: pthread_atfork may allocate. */
__attribute__((constructor)) static void register_fork_handler(void) {
  pthread_atfork(NULL, NULL, _ox_fork_child);
}

/* The version lives in include/oxalloc.h alone; everything else derives it. */
OX_PUBLIC const char *ox_version(void) {
  return OX_STR(OXALLOC_VERSION_MAJOR) "." OX_STR(OXALLOC_VERSION_MINOR) "." OX_STR(
      OXALLOC_VERSION_PATCH);
}

/* OXALLOC_SHOW_STATS=1: the report on stderr when the program exits (a
 * destructor, so no atexit registration that might allocate). */
__attribute__((destructor)) static void show_stats_at_exit(void) { _ox_stats_show_at_exit(); }
