/* counters.c - the per-thread and cumulative byte counters of ox_stats_t
 * (thread_allocated_bytes, thread_deallocated_bytes, total_*, peak
 * committed), which the fast paths never touch: they are derived on
 * slow paths.  Prints "counters: N passed, N failed". */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "oxalloc.h"

#define N 10000
static void *blocks[N];
static int passed, failed;

static void check(int ok, const char *what, long long got, long long want) {
  if (ok) {
    passed++;
    printf("PASS %s (%lld)\n", what, got);
  } else {
    failed++;
    printf("FAIL %s: got %lld, want %lld\n", what, got, want);
  }
}

static void append(const char *text, void *arg) { strncat(arg, text, 16000 - strlen(arg)); }

static ox_stats_t snap(void) {
  ox_stats_t s;
  ox_stats_get(&s);
  return s;
}

static void *allocate(void *arg) {
  (void)arg;
  for (int i = 0; i < N; i++) blocks[i] = ox_malloc(1000); /* class 1024 */
  return NULL;
}

static void *free_them(void *arg) {
  ox_stats_t *out = arg;
  /* A block of the same class first: this thread then keeps some of the
   * blocks it frees for its own next allocations (reuse lists). */
  void *mine = ox_malloc(1000);
  ox_stats_t a = snap();
  for (int i = 0; i < N; i++) ox_free(blocks[i]);
  ox_stats_t b = snap();
  ox_free(mine);
  out->thread_allocated_bytes = b.thread_allocated_bytes - a.thread_allocated_bytes;
  out->thread_deallocated_bytes = b.thread_deallocated_bytes - a.thread_deallocated_bytes;
  return NULL;
}

static void *one_block(void *arg) {
  (void)arg;
  return ox_malloc(100);
}

/* The last block of an exited thread's heap, freed by this thread: the
 * free gives the page and (without a segment cache) the segment back, and
 * the freeing thread's counter must not read the page afterwards. */
static int abandoned(void) {
  ox_free(ox_malloc(16));
  ox_stats_t a = snap();
  for (int i = 0; i < 50; i++) {
    pthread_t t;
    void *p;
    pthread_create(&t, NULL, one_block, NULL);
    pthread_join(t, &p);
    ox_free(p);
  }
  ox_stats_t b = snap();
  check(b.thread_deallocated_bytes - a.thread_deallocated_bytes == 50 * 112,
        "frees into exited threads' heaps counted (and survived)",
        (long long)(b.thread_deallocated_bytes - a.thread_deallocated_bytes), 50 * 112);
  printf("counters: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "abandoned") == 0) return abandoned();
  ox_free(ox_malloc(16));
  ox_stats_t a = snap();
  for (int i = 0; i < N; i++) blocks[i] = ox_malloc(1000);
  ox_stats_t b = snap();
  for (int i = 0; i < N; i += 2) ox_free(blocks[i]);
  ox_stats_t c = snap();
  check(b.thread_allocated_bytes - a.thread_allocated_bytes == (size_t)N * 1024,
        "thread_allocated_bytes grows by the blocks allocated",
        (long long)(b.thread_allocated_bytes - a.thread_allocated_bytes), (long long)N * 1024);
  check(b.thread_deallocated_bytes == a.thread_deallocated_bytes, "no deallocation counted",
        (long long)(b.thread_deallocated_bytes - a.thread_deallocated_bytes), 0);
  check(c.thread_deallocated_bytes - b.thread_deallocated_bytes == (size_t)N / 2 * 1024,
        "thread_deallocated_bytes grows by the blocks freed",
        (long long)(c.thread_deallocated_bytes - b.thread_deallocated_bytes), (long long)N / 2 * 1024);
  check(c.total_allocated_bytes >= c.thread_allocated_bytes && c.total_allocated_bytes >= N * 1024,
        "total_allocated_bytes covers the thread's", (long long)c.total_allocated_bytes,
        (long long)c.thread_allocated_bytes);
  for (int i = 1; i < N; i += 2) ox_free(blocks[i]);

  /* Allocate and free again: the cumulative counters only grow. */
  ox_stats_t d = snap();
  for (int i = 0; i < N; i++) ox_free(ox_malloc(3000)); /* class 3072 */
  ox_stats_t e = snap();
  check(e.thread_allocated_bytes - d.thread_allocated_bytes == (size_t)N * 3072 &&
            e.thread_deallocated_bytes - d.thread_deallocated_bytes == (size_t)N * 3072,
        "alloc/free churn counted both ways",
        (long long)(e.thread_allocated_bytes - d.thread_allocated_bytes), (long long)N * 3072);

  /* Huge blocks. */
  void *h = ox_malloc(3 << 20);
  ox_stats_t f = snap();
  ox_free(h);
  ox_stats_t g = snap();
  check(f.thread_allocated_bytes - e.thread_allocated_bytes >= (3u << 20) &&
            g.thread_deallocated_bytes - f.thread_deallocated_bytes >= (3u << 20),
        "huge block counted", (long long)(f.thread_allocated_bytes - e.thread_allocated_bytes),
        3 << 20);
  check(g.peak_committed_bytes >= f.committed_bytes && f.committed_bytes > 0,
        "peak_committed_bytes >= committed while the huge block lived",
        (long long)g.peak_committed_bytes, (long long)f.committed_bytes);

  /* Another thread allocates, a third frees: each counts its own part. */
  pthread_t t;
  ox_stats_t t0 = snap();
  pthread_create(&t, NULL, allocate, NULL);
  pthread_join(t, NULL);
  ox_stats_t freer = {0};
  ox_stats_t h0 = snap();
  pthread_create(&t, NULL, free_them, &freer);
  pthread_join(t, NULL);
  ox_stats_t h1 = snap();
  check(freer.thread_deallocated_bytes == (size_t)N * 1024 && freer.thread_allocated_bytes == 0,
        "the freeing thread counts the remote frees it made", (long long)freer.thread_deallocated_bytes,
        (long long)N * 1024);
  check(h1.thread_allocated_bytes == h0.thread_allocated_bytes &&
            h1.thread_deallocated_bytes == h0.thread_deallocated_bytes,
        "other threads' work is not this thread's",
        (long long)(h1.thread_deallocated_bytes - h0.thread_deallocated_bytes), 0);
  check(h0.total_allocated_bytes - t0.total_allocated_bytes >= (size_t)N * 1024,
        "total_allocated_bytes includes the exited thread's blocks",
        (long long)(h0.total_allocated_bytes - t0.total_allocated_bytes), (long long)N * 1024);

  /* The reports carry the fields. */
  static char buf[16384];
  ox_stats_json(append, buf);
  check(strstr(buf, "\"thread_allocated_bytes\":") && strstr(buf, "\"peak_committed_bytes\":"),
        "JSON report has the counters", (long long)strlen(buf), 0);
  printf("counters: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}
