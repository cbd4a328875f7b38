/*
 * huge_cycle - a freed huge block stays resident in the huge cache only
 * once huge blocks are seen cycling.  sqlite3 grows one 2 MiB buffer (by
 * mremap) and frees it; the cache kept all of it resident to the end of
 * the run (11.5 MB peak, 9.8 without the cache, glibc 8.1).  A program
 * that churns huge blocks must still reuse them: the second mapping made
 * soon after an uncached free turns the cache on, and the block freed
 * next is served again without faulting its pages in.
 *
 * Old code: "after one free: 2052 KiB cached" (FAIL).
 */
#include <sys/resource.h>

#include "lc.h"

#define SIZE (2 * MiB)

static long minor_faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

static size_t huge_cached(void) {
  ox_stats_t s;
  ox_stats_get(&s);
  return s.huge_cache_bytes;
}

static char *filled(void) {
  char *p = ox_malloc(SIZE);
  CHECK(p != NULL);
  if (p) memset(p, 0x6b, SIZE);
  return p;
}

int main(void) {
  watchdog(20);
  ox_free(filled());
  size_t once = huge_cached();
  ox_free(filled()); /* a second mapping soon after: huge blocks cycle */
  size_t cycling = huge_cached();
  long before = minor_faults();
  char *p = ox_malloc(SIZE);
  CHECK(p != NULL);
  if (p) memset(p, 0x6b, SIZE);
  long faults = minor_faults() - before;
  printf("after one free: %zu KiB cached; after the second: %zu KiB; the third block "
         "took %ld faults for %zu pages\n",
         once >> 10, cycling >> 10, faults, SIZE / 4096);
  CHECKF(once == 0, "after one free: %zu KiB cached", once >> 10);
  CHECKF(cycling >= SIZE, "a cycling block was not cached (%zu KiB)", cycling >> 10);
  CHECKF(faults < (long)(SIZE / 4096 / 4), "%ld faults: the cached block was not reused", faults);
  ox_free(p);
  return lc_finish("huge_cycle");
}
