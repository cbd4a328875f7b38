/*
 * zeroed_calls - what zeroing big blocks in reused memory costs the
 * program.  Such a block is cleared by giving its OS pages back (test
 * zeroed_reuse says why); this test bounds the price of that:
 *
 * - the block's first OS page stays resident: the allocator's free-list
 *   link made it so a moment earlier, and a program almost always writes
 *   the start of what it asked for, so giving that page back only buys a
 *   second page fault (old code: 28 of 64 first pages resident, and
 *   rust-collections took 10 k more faults than with memset);
 * - at most one system call per page of blocks: a 16 KiB block was carved
 *   with three more in the same visit, and each of the four then needed
 *   its own call, plus one for the page's rest; so did each block of the
 *   page kept empty for its class (old code: 43 calls for 9 pages).
 *
 * One round writes 64 blocks of 16 KiB in full and frees them; the next
 * round callocs 64 again in that memory and checks the two points.
 */
#include <unistd.h>

#include "lc.h"

#define COUNT 64
#define SIZE  (16 * KiB)

static size_t os_calls(void) {
  ox_stats_t s;
  ox_stats_get(&s);
  return s.os_calls;
}

static int resident(void *p) {
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  unsigned char vec = 0;
  void *page = (void *)((uintptr_t)p & ~(uintptr_t)(ps - 1));
  CHECK(mincore(page, ps, &vec) == 0);
  return vec & 1;
}

int main(void) {
  watchdog(20);
  static char *blocks[COUNT];
  for (int i = 0; i < COUNT; i++) {
    blocks[i] = ox_malloc(SIZE);
    CHECK(blocks[i] != NULL);
    memset(blocks[i], 0x5a, SIZE);
  }
  for (int i = 0; i < COUNT; i++) ox_free(blocks[i]);

  size_t before = os_calls();
  int first_resident = 0;
  for (int i = 0; i < COUNT; i++) {
    char *p = blocks[i] = ox_calloc(1, SIZE);
    CHECK(p != NULL);
    first_resident += resident(p);
  }
  size_t calls = os_calls() - before;
  int nonzero = 0;
  for (int i = 0; i < COUNT; i++)
    for (size_t k = 0; k < SIZE; k++) nonzero += blocks[i][k] != 0;
  size_t pages = COUNT * SIZE / (128 * KiB); /* MEDIUM pages the blocks fill */
  printf("reused 16 KiB zeroed blocks: %d of %d first OS pages resident, %zu OS calls for "
         "%zu pages, %d nonzero bytes\n",
         first_resident, COUNT, calls, pages, nonzero);
  CHECKF(nonzero == 0, "%d nonzero bytes in zeroed blocks", nonzero);
  CHECKF(first_resident == COUNT, "only %d of %d first OS pages resident after calloc",
         first_resident, COUNT);
  CHECKF(calls <= pages + 2, "%zu OS calls to zero %d blocks on %zu pages", calls, COUNT, pages);
  for (int i = 0; i < COUNT; i++) ox_free(blocks[i]);
  return lc_finish("zeroed_calls");
}
