/*
 * tests/prof/exit_pages.c - a thread's exit leaves its classes' current
 * pages of sampled blocks with its heap, as it leaves its pages that hold
 * live blocks, instead of giving back and purging each one (heap.c,
 * heap_thread_exit; page.c).  As in thread-replace, each generation is a
 * thread that frees what the last one left, allocates 64 KiB in each of
 * 12 classes (16 B to 4 KiB), frees all but one block per class for the
 * next, and exits; the next takes the abandoned heap over.  ox_stats'
 * os_calls counts the system calls of each thread's life (median of 5).
 * With profiling on (a sample every 16 KiB: about 4 per class and
 * generation, so every class has a page of sampled blocks) a generation
 * may make at most 4 calls more than with profiling stopped.  Prints
 * "PASS name" / "FAIL name: why" lines.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "oxalloc.h"

#define CLASSES 12
#define BYTES   (64 * 1024) /* per class and generation */
#define PER_MAX (BYTES / 16)
#define ROUNDS  5

static const size_t sizes[CLASSES] = {16, 32, 48, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096};

/* One generation: frees what the last one left, allocates blocks of every
 * class, frees most and leaves one per class to the next (its pages stay
 * with the heap that the next thread takes over). */
static void *kept[CLASSES];
static int failures;
static void *work(void *arg) {
  (void)arg;
  static __thread void *b[PER_MAX];
  for (int c = 0; c < CLASSES; c++) ox_free(kept[c]);
  for (int c = 0; c < CLASSES; c++) {
    int n = (int)(BYTES / sizes[c]);
    for (int i = 0; i < n; i++) b[i] = ox_malloc(sizes[c]);
    for (int i = 1; i < n; i++) ox_free(b[i]);
    kept[c] = b[0];
  }
  return NULL;
}

static size_t os_calls(void) {
  ox_stats_t s;
  ox_stats_get(&s);
  return s.os_calls;
}

static size_t pages_in_use(void) {
  ox_stats_t s;
  ox_stats_get(&s);
  return s.pages_in_use;
}

/* The median of ROUNDS threads' calls, each from its start to its join. */
static size_t calls_per_thread(void) {
  size_t d[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    pthread_t t;
    size_t before = os_calls();
    pthread_create(&t, NULL, work, NULL);
    pthread_join(t, NULL);
    d[r] = os_calls() - before;
  }
  for (int i = 1; i < ROUNDS; i++)
    for (int j = i; j > 0 && d[j] < d[j - 1]; j--) {
      size_t x = d[j];
      d[j] = d[j - 1], d[j - 1] = x;
    }
  return d[ROUNDS / 2];
}

int main(void) {
  alarm(60);  /* a hang fails the test */
  work(NULL); /* the main thread's heap and the segments in place */
  size_t pages_before = pages_in_use();
  if (ox_prof_start(16384) != 0) {
    puts("FAIL prof_start\n0 passed, 1 failed");
    return 1;
  }
  size_t on = calls_per_thread();
  ox_prof_stop();
  size_t off = calls_per_thread();
  /* What stays with abandoned heaps goes back with ox_collect(true):
   * with every block freed, no page stays in use. */
  for (int c = 0; c < CLASSES; c++) ox_free(kept[c]), kept[c] = NULL;
  ox_collect(true);
  size_t pages_after = pages_in_use();
  if (pages_after != 0) /* the main thread's own pages go too */
    printf("FAIL exit_kept_pages_collected: %zu pages in use after ox_collect, %zu before the "
           "threads\n",
           pages_after, pages_before),
        failures++;
  else
    printf("PASS exit_kept_pages_collected (%zu pages in use, %zu before the threads)\n",
           pages_after, pages_before);
  if (on > off + 4) {
    printf("FAIL exit_keeps_sampled_pages: a thread exiting with pages of sampled blocks "
           "makes %zu system calls, without %zu\n",
           on, off);
    return 1;
  }
  printf("PASS exit_keeps_sampled_pages (%zu system calls per thread with profiling, %zu "
         "without)\n",
         on, off);
  return failures != 0;
}
