/*
 * carve_pairs - a thread that uses one block of 2-16 KiB now and then,
 * among other classes (a growing vector: 2 KiB, then 4 KiB, freed, again),
 * keeps two blocks of each such class resident, not four: a page of them
 * is carved two blocks at a time, and two more only when its class alone
 * keeps running dry (a block freed and allocated again in turn), which
 * keeps that loop's slow path at every fourth allocation.  With 32 threads
 * (vec-push-small-32) the four blocks per class were 0.4 MB of the peak.
 * Old code: "4 KiB blocks used in turn with 2 KiB ones: 4 OS pages of
 * their page resident".
 */
#include <sys/mman.h>
#include <unistd.h>

#include "lc.h"

/* OS pages resident in the 64 KiB from p (mincore). */
static int resident_pages(void *p) {
  unsigned char vec[16];
  uintptr_t start = (uintptr_t)p & ~(uintptr_t)4095;
  CHECK(mincore((void *)start, 16 * 4096, vec) == 0);
  int n = 0;
  for (int i = 0; i < 16; i++) n += vec[i] & 1;
  return n;
}

int main(void) {
  watchdog(30);
  /* Alternating classes: each refill of one follows the other's. */
  void *first4 = NULL;
  for (int r = 0; r < 64; r++) {
    void *a = ox_malloc(2048), *b = ox_malloc(4096);
    CHECK(a != NULL && b != NULL);
    if (!first4) first4 = b;
    memset(a, 1, 2048);
    memset(b, 2, 4096);
    ox_free(a);
    ox_free(b);
  }
  int mixed = resident_pages(first4);
  printf("4 KiB blocks used in turn with 2 KiB ones: %d OS pages of their page resident\n", mixed);
  CHECKF(mixed <= 2,
         "4 KiB blocks used in turn with 2 KiB ones: %d OS pages of their page resident", mixed);
  /* One class alone in a loop: four blocks cycle (the slow path every fourth). */
  void *first8 = NULL;
  for (int r = 0; r < 64; r++) {
    void *c = ox_malloc(8192);
    CHECK(c != NULL);
    if (!first8) first8 = c;
    memset(c, 3, 8192);
    ox_free(c);
  }
  int alone = resident_pages(first8);
  printf("8 KiB blocks alone in a loop: %d OS pages of their page resident\n", alone);
  CHECKF(alone == 8, "8 KiB blocks alone in a loop: %d OS pages resident (four blocks cycle)",
         alone);
  return lc_finish("carve_pairs");
}
