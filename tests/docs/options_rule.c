/*
 * tests/docs/options_rule.c - the options' one rule (docs/options.md,
 * include/oxalloc.h): the environment is read once when the allocator
 * starts, a value set through ox_option_set before the start wins over
 * it, and a value set at any later time is accepted and applies from its
 * next use.  Linked with the static library, so oxalloc starts at this
 * program's first ox_ allocation, not before main.
 *
 *   options_rule list        one line per option from ox_option_info:
 *                            "OXALLOC_NAME|name|default|min|max|doc"
 *   options_rule rule        the in-process checks (run.sh sets
 *                            OXALLOC_SEGMENT_CACHE=3 and
 *                            OXALLOC_HUGE_CACHE_MB=7 for them)
 *   options_rule late-stats  sets show_stats to 1 after the start: the
 *                            report must appear on stderr at exit
 * Closing line of `rule`: "N passed, N failed".  A watchdog (alarm) ends a
 * hung run.
 */
#include <errno.h>
#include <oxalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (cond) {                                                                                    \
      passed++;                                                                                    \
    } else {                                                                                       \
      failed++;                                                                                    \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                       \
    }                                                                                              \
  } while (0)

static int list(void) {
  ox_option_info_t info;
  size_t i = 0;
  for (; ox_option_info(i, &info) == 0; i++)
    printf("%s|%s|%ld|%ld|%ld|%s\n", info.env, info.name, info.default_value, info.min, info.max,
           info.doc);
  return i > 0 ? 0 : 1;
}

static size_t committed(void) {
  ox_stats_t s;
  return ox_stats_get(&s) == 0 ? s.committed_bytes : 0;
}

static int rule(void) {
  ox_option_info_t info;
  size_t count = 0;

  /* ox_option_info: every option, in order, until ENOENT; NULL refused. */
  while (ox_option_info(count, &info) == 0) {
    CHECK(strncmp(info.env, "OXALLOC_", 8) == 0);
    CHECK(info.min <= info.default_value && info.default_value <= info.max);
    CHECK(ox_option_get(info.name) == info.value);
    count++;
  }
  CHECK(count > 0);
  CHECK(ox_option_info(count, &info) == ENOENT);
  CHECK(ox_option_info(0, NULL) == EINVAL);

  /* Before the start: a value set through the API wins over the
   * environment (OXALLOC_SEGMENT_CACHE=3), which is not read yet. */
  CHECK(ox_option_set("segment_cache", 5) == 0);
  CHECK(ox_option_get("segment_cache") == 5);
  CHECK(ox_option_get("huge_cache_mb") != 7); /* the default until the start */

  void *p = ox_malloc(100); /* the start */
  CHECK(p != NULL);
  ox_free(p);
  CHECK(ox_option_get("huge_cache_mb") == 7); /* the environment, read at the start */
  CHECK(ox_option_get("segment_cache") == 5); /* the API's value kept */

  /* After the start every option accepts every value in its range: there
   * is no "too late" (EBUSY) answer. */
  for (size_t i = 0; ox_option_info(i, &info) == 0; i++) {
    long old = info.value;
    CHECK(ox_option_set(info.name, info.min) == 0 && ox_option_get(info.name) == info.min);
    CHECK(ox_option_set(info.name, info.max) == 0 && ox_option_get(info.name) == info.max);
    CHECK(ox_option_set(info.name, info.max + 1) == EINVAL);
    CHECK(ox_option_set(info.name, old) == 0 && ox_option_get(info.name) == old);
  }

  /* ... and it applies from its next use.  A freed huge block is kept for
   * reuse while huge_cache_mb allows (32 here), and unmapped at once
   * after purge_delay is set to 0 (no caches). */
  const size_t big = 16u << 20;
  CHECK(ox_option_set("huge_cache_mb", 32) == 0);
  ox_free(ox_malloc(big)); /* freed blocks are cached once huge blocks cycle (huge.c) */
  size_t before = committed();
  void *a = ox_malloc(big);
  CHECK(a != NULL);
  memset(a, 1, 4096);
  ox_free(a);
  size_t kept = committed();
  CHECK(kept >= before + big); /* cached, as the options say */
  CHECK(ox_option_set("purge_delay", 0) == 0);
  void *b = ox_malloc(big); /* reuses the cached mapping */
  CHECK(b != NULL);
  ox_free(b);
  size_t after = committed();
  CHECK(after + big <= kept); /* not kept any more: the late value acted */
  printf("committed bytes: %zu before, %zu with a 16 MiB block cached, %zu after purge_delay=0\n",
         before, kept, after);

  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

/* The report is printed at exit when show_stats is 1 then, however late it
 * was set. */
static int late_stats(void) {
  void *p = ox_malloc(64);
  ox_free(p);
  return ox_option_set("show_stats", 1) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  alarm(60);
  if (argc == 2 && strcmp(argv[1], "list") == 0) return list();
  if (argc == 2 && strcmp(argv[1], "rule") == 0) return rule();
  if (argc == 2 && strcmp(argv[1], "late-stats") == 0) return late_stats();
  fprintf(stderr, "usage: options_rule list|rule|late-stats\n");
  return 2;
}
