/*
 * huge_excess - a cached huge mapping taken whole for a much smaller block,
 * after it waited in the cache, keeps its excess as address space, not as
 * resident memory.  A mapping fits a request whole when the excess is at
 * most 8 MiB (a vector then grows in place); rust-logproc reused a freed
 * 3.8 MiB hash table for each batch's 0.6-0.8 MiB blocks, and the 3 MiB it
 * did not use stayed resident (peak 39.7 MiB, 37.7 with the huge cache
 * off, mimalloc 35.6).  A tight churn (the mapping taken back at once, as
 * large-blocks and aligned do) keeps it resident: it will need the pages.
 *
 * An 8 MiB block is written and freed into the cache (huge blocks cycle
 * first); after a wait, a 1 MiB block takes that mapping: RSS may grow by
 * the 1 MiB written, not stay 8 MiB up.  Old code: "after a wait: 8 MiB
 * mapping reused for 1 MiB, 8312 KiB above the start" (FAIL).
 */
#include <unistd.h>

#include "lc.h"

/* RSS above `base` once an 8 MiB block is freed and a 1 MiB one takes its
 * mapping, `wait_ms` later. */
static size_t reuse_growth(size_t base, unsigned wait_ms) {
  char *big = ox_malloc(8 * MiB);
  CHECK(big != NULL);
  if (big) memset(big, 0x3c, 8 * MiB);
  ox_free(big);
  ox_stats_t s;
  ox_stats_get(&s);
  CHECKF(s.huge_cache_bytes >= 8 * MiB, "the 8 MiB block was not cached (%zu KiB)",
         s.huge_cache_bytes >> 10);
  usleep(wait_ms * 1000);
  char *small = ox_malloc(MiB);
  CHECK(small != NULL);
  if (small) memset(small, 0x3d, MiB);
  ox_stats_get(&s);
  CHECKF(s.huge_cache_bytes == 0, "the mapping was not the one reused");
  size_t now = rss_bytes(), grown = now > base ? now - base : 0;
  ox_free(small);
  return grown;
}

int main(void) {
  watchdog(20);
  for (int i = 0; i < 2; i++) ox_free(ox_malloc(2 * MiB)); /* huge blocks cycle */
  size_t base = rss_bytes();
  size_t hot = reuse_growth(base, 0);
  ox_collect(true); /* the mapping goes: the next round starts from RSS `base` */
  for (int i = 0; i < 2; i++) ox_free(ox_malloc(2 * MiB));
  size_t cold = reuse_growth(base, 300); /* cold after 3200 / 32 = 100 ms */
  printf("8 MiB mapping reused for 1 MiB at once: %zu KiB above the start; after a wait: "
         "%zu KiB\n",
         hot >> 10, cold >> 10);
  CHECKF(cold <= 3 * MiB, "after a wait: %zu KiB resident above the start for a 1 MiB block",
         cold >> 10);
  CHECKF(hot >= 6 * MiB,
         "taken back at once: only %zu KiB above the start (pages given back "
         "that a churn needs again)",
         hot >> 10);
  return lc_finish("huge_excess");
}
