/*
 * features.c - statistics, options and first-class heaps through the C
 * API.  `features` runs the in-process checks; `features env
 * NAME` prints an option's value (for run.sh's environment checks).
 * Closing line: "features: N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oxalloc.h"

static int passed, failed;
#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (cond) passed++;                                                                \
    else {                                                                             \
      failed++;                                                                        \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                          \
    }                                                                                  \
  } while (0)

static size_t live_in_class(const ox_stats_t *s, size_t block_size) {
  for (size_t c = 0; c < s->class_count; c++)
    if (s->classes[c].block_size == block_size) return s->classes[c].live_blocks;
  return 0;
}

static void test_stats_counts(void) {
  enum { N = 1000 };
  static void *blocks[N];
  ox_stats_t before, during, after;
  CHECK(ox_stats_get(NULL) == EINVAL);
  CHECK(ox_stats_get(&before) == 0);
  for (int i = 0; i < N; i++) blocks[i] = ox_malloc(100);
  void *huge = ox_malloc(10 << 20);
  ox_stats_get(&during);
  CHECK(during.allocated_blocks >= before.allocated_blocks + N + 1);
  CHECK(during.allocated_bytes >= before.allocated_bytes + N * 112 + (10 << 20));
  CHECK(live_in_class(&during, 112) >= live_in_class(&before, 112) + N);
  CHECK(during.huge_blocks == before.huge_blocks + 1);
  CHECK(during.huge_bytes >= before.huge_bytes + (10 << 20));
  CHECK(during.pages_in_use >= 1 && during.segments_in_use >= 1);
  CHECK(during.committed_bytes >= during.resident_bytes);
  CHECK(during.committed_bytes >= (10 << 20));
  CHECK(during.threads_seen >= 1 && during.os_calls > 0);
  for (int i = 0; i < N; i++) ox_free(blocks[i]);
  ox_free(huge);
  ox_stats_get(&after);
  CHECK(live_in_class(&after, 112) == live_in_class(&before, 112));
  CHECK(after.huge_blocks == before.huge_blocks);
}

static void *free_from_thread(void *arg) {
  void **blocks = arg;
  for (int i = 0; i < 100; i++) ox_free(blocks[i]);
  return NULL;
}

static void test_stats_remote(void) {
  void *blocks[100];
  ox_stats_t before, after;
  ox_stats_get(&before);
  for (int i = 0; i < 100; i++) blocks[i] = ox_malloc(64);
  pthread_t t;
  pthread_create(&t, NULL, free_from_thread, blocks);
  pthread_join(t, NULL);
  ox_stats_get(&after);
  CHECK(after.remote_frees >= before.remote_frees + 100);
  CHECK(after.threads_seen >= before.threads_seen); /* a freeing thread needs no heap */
}

typedef struct {
  char text[65536];
  size_t len;
  int calls;
} sink_t;

static void to_sink(const char *text, void *arg) {
  sink_t *s = arg;
  size_t n = strlen(text);
  if (s->len + n < sizeof s->text) memcpy(s->text + s->len, text, n + 1), s->len += n;
  s->calls++;
}

static void test_reports(void) {
  void *p = ox_malloc(48);
  static sink_t text, json;
  ox_stats_print(to_sink, &text);
  CHECK(text.calls > 10);
  CHECK(strstr(text.text, "statistics\n") != NULL);
  CHECK(strstr(text.text, "allocated blocks") != NULL);
  CHECK(strstr(text.text, "class  block size") != NULL);
  ox_stats_json(to_sink, &json);
  CHECK(strncmp(json.text, "{\"version\":\"", 12) == 0);
  CHECK(strstr(json.text, "\"allocated_blocks\":") != NULL);
  CHECK(strstr(json.text, "\"block_size\":48") != NULL);
  CHECK(json.len > 2 && strcmp(json.text + json.len - 2, "}\n") == 0);
  FILE *f = fopen(getenv("FEATURES_JSON") ? getenv("FEATURES_JSON") : "/dev/null", "w");
  if (f) fputs(json.text, f), fclose(f);
  ox_free(p);
}

static void test_options_api(void) {
  long delay = ox_option_get("purge_delay");
  CHECK(delay >= 0);
  CHECK(ox_option_get("no_such_option") == -1);
  CHECK(ox_option_set("no_such_option", 1) == EINVAL);
  CHECK(ox_option_set("purge_delay", -1) == EINVAL);
  CHECK(ox_option_set("verbose", 2) == EINVAL);
  CHECK(ox_option_set(NULL, 1) == EINVAL);
  CHECK(ox_option_set("purge_delay", 123) == 0 && ox_option_get("purge_delay") == 123);
  CHECK(ox_option_set("purge_delay", delay) == 0);
  CHECK(ox_option_get("segment_cache") >= 0 && ox_option_get("huge_cache_mb") >= 0);
}

static void test_heaps(void) {
  ox_stats_t base, full, reset;
  ox_stats_get(&base);
  ox_heap_t *heap = ox_heap_new();
  CHECK(heap != NULL);
  char *first = NULL;
  for (int i = 0; i < 20000; i++) {
    char *p = ox_heap_malloc(heap, 24 + i % 500);
    if (!p) break;
    memset(p, 0x5a, 24);
    if (!first) first = p;
  }
  char *aligned = ox_heap_alloc_aligned(heap, 1000, 4096);
  CHECK(aligned && ((uintptr_t)aligned & 4095) == 0);
  CHECK(ox_heap_alloc_aligned(heap, 10, 3) == NULL && errno == EINVAL);
  char *huge = ox_heap_malloc(heap, 6 << 20);
  CHECK(huge != NULL && ox_owns(huge));
  memset(huge, 1, 6 << 20);
  ox_heap_free(first); /* one by one works too */
  ox_stats_get(&full);
  CHECK(full.allocated_blocks >= base.allocated_blocks + 20000);
  CHECK(full.huge_blocks == base.huge_blocks + 1);
  ox_heap_reset(heap);
  ox_stats_get(&reset);
  CHECK(reset.allocated_blocks <= base.allocated_blocks + 1);
  CHECK(reset.huge_blocks == base.huge_blocks);
  CHECK(reset.segments_in_use <= base.segments_in_use + 1);
  char *again = ox_heap_malloc(heap, 100); /* usable after a reset */
  CHECK(again != NULL);
  memset(again, 1, 100);
  ox_heap_destroy(heap);
  ox_heap_t *next = ox_heap_new(); /* a destroyed heap's struct is reused */
  CHECK(next == heap);
  ox_heap_destroy(next);
  ox_heap_destroy(NULL);
  ox_heap_reset(NULL);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "env") == 0) {
    ox_free(ox_malloc(1)); /* the first allocation reads the environment */
    printf("%ld\n", ox_option_get(argv[2]));
    return 0;
  }
  test_stats_counts();
  test_stats_remote();
  test_reports();
  test_options_api();
  test_heaps();
  printf("features: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}
