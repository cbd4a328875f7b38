/*
 * dangling.c - ox_owns and ox_usable_size on pointers whose memory another
 * thread is unmapping at the same time: they must answer, never fault.
 *
 *   dangling SECONDS
 *
 * One thread allocates and frees huge blocks (100 MiB and 5 MiB, unmapped
 * at once with OXALLOC_HUGE_CACHE_MB=0) and runs of large class blocks
 * (their segments unmapped with OXALLOC_SEGMENT_CACHE=0), publishing every
 * pointer before freeing it; the other asks ox_owns and ox_usable_size
 * about the published pointers (start, inside, end) without pause.  Run
 * pinned to one CPU (taskset -c 0), so that the asking thread is often
 * preempted between a look-up and a read.  A fault kills the process;
 * alarm() is the watchdog.  The answers are checked too: a live block is
 * owned and reports its size, a pointer never handed out reports 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "oxalloc.h"

CHECK_DEFINE_COUNTERS;

#define MiB   ((size_t)1 << 20)
#define SLOTS 64

static _Atomic(unsigned char *) published[SLOTS];
static _Atomic size_t published_size[SLOTS];
static _Atomic bool stop;
static _Atomic unsigned long queries, rounds;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void publish(int slot, unsigned char *p, size_t size) {
  atomic_store(&published_size[slot], size);
  atomic_store(&published[slot], p);
}

/* Allocates, checks its own live blocks, publishes, frees. */
static void *churn(void *arg) {
  (void)arg;
  static const size_t huge[] = {100 * MiB, 5 * MiB, 700 * 1024};
  unsigned char *run[SLOTS - 3];
  while (!atomic_load(&stop)) {
    for (int k = 0; k < 3; k++) {
      unsigned char *p = ox_malloc(huge[k]);
      CHECKF(p != NULL, "ox_malloc(%zu)", huge[k]);
      if (!p) continue;
      p[0] = 1;
      CHECK(ox_owns(p) && ox_owns(p + huge[k] - 1));
      CHECK(ox_usable_size(p) >= huge[k]);
      publish(k, p, huge[k]);
      ox_free(p);
    }
    /* 40 blocks of 300 KiB: LARGE pages, one per segment, about four
     * segments that go back to the OS when their blocks are freed. */
    size_t bs = 300 * 1024;
    for (int i = 0; i < SLOTS - 3; i++) {
      run[i] = ox_malloc(bs);
      CHECK(run[i] != NULL);
      if (run[i]) {
        run[i][0] = 1;
        CHECK(ox_usable_size(run[i]) >= bs);
      }
      publish(3 + i, run[i], bs);
    }
    for (int i = 0; i < SLOTS - 3; i++) ox_free(run[i]);
    atomic_fetch_add(&rounds, 1);
  }
  return NULL;
}

/* Asks about every published pointer, live or freed. */
static void *ask(void *arg) {
  (void)arg;
  size_t sink = 0;
  while (!atomic_load(&stop)) {
    for (int i = 0; i < SLOTS; i++) {
      unsigned char *p = atomic_load(&published[i]);
      size_t size = atomic_load(&published_size[i]);
      if (!p) continue;
      sink += ox_owns(p) + ox_owns(p + size / 2) + ox_owns(p + size - 1);
      size_t u = ox_usable_size(p);
      /* Whatever is there now: 0, or the size of a block that starts there. */
      CHECKF(u == 0 || u >= 16, "ox_usable_size(%p) = %zu", (void *)p, u);
      sink += u + ox_usable_size(p + 16) + ox_usable_size(p + size / 2);
      atomic_fetch_add_explicit(&queries, 5, memory_order_relaxed);
    }
  }
  return (void *)sink;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 10;
  alarm((unsigned)seconds + 60);
  pthread_t a, b;
  pthread_create(&a, NULL, churn, NULL);
  pthread_create(&b, NULL, ask, NULL);
  double t0 = now();
  while (now() - t0 < seconds) usleep(100 * 1000);
  atomic_store(&stop, true);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("dangling: %.0f s, %lu rounds of frees, %lu queries on freed or live pointers\n",
         now() - t0, atomic_load(&rounds), atomic_load(&queries));
  CHECK(atomic_load(&rounds) > 0 && atomic_load(&queries) > 0);
  return check_failures ? 1 : 0;
}
