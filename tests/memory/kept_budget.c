/*
 * kept_budget - a program that uses many size classes once (fills a few
 * pages of each, frees them all) and moves on.  A heap keeps each class's
 * last empty page only within a small budget of bytes (page.c,
 * KEPT_BYTES_MAX); the others go back to their segments and, with
 * OXALLOC_PURGE_DELAY=0 (run.sh), to the OS.  Old code kept one page per
 * class resident until the thread exited: sqlite3, whose page cache and
 * sorter pass through dozens of classes, peaked ~0.4 MB higher for it.
 */
#include "lc.h"

#define TOUCH             (192 * KiB) /* bytes written per class */
#define OX_SMALL_MAX_TEST (8 * KiB)   /* SMALL classes: MEDIUM ones also keep spares */
static void *blocks[TOUCH / 256];

int main(void) {
  watchdog(30);
  ox_free(ox_malloc(16)); /* the heap and its first segment before base */
  size_t base = rss_bytes();
  unsigned classes = 0;
  for (size_t size = 256; size <= OX_SMALL_MAX_TEST; size += size / 8, classes++) {
    size_t n = TOUCH / size;
    for (size_t i = 0; i < n; i++) {
      blocks[i] = ox_malloc(size);
      CHECK(blocks[i] != NULL);
      memset(blocks[i], 1, size);
    }
    for (size_t i = 0; i < n; i++) ox_free(blocks[i]);
  }
  ox_free(ox_malloc(24)); /* a slow path: pages released and purged */
  ox_stats_t st;
  CHECK(ox_stats_get(&st) == 0);
  size_t grown = rss_bytes() > base ? rss_bytes() - base : 0;
  printf("%u classes: kept pages %zu KiB, resident growth %zu KiB\n", classes,
         st.kept_page_bytes >> 10, grown >> 10);
  CHECKF(st.kept_page_bytes <= 64 * KiB, "kept pages %zu KiB > 64 KiB", st.kept_page_bytes >> 10);
  CHECKF(grown <= 256 * KiB, "resident growth %zu KiB > 256 KiB", grown >> 10);
  return lc_finish("kept_budget");
}
