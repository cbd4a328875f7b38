/*
 * huge_split.c - the huge-block cache's own headers under valgrind
 * memcheck (run against the checked build, which reports its blocks to
 * valgrind): a freed huge mapping is split when a smaller block takes it
 * (the rest, whose header lies in the freed block's pages, stays cached),
 * assembled from several cached mappings, grown and shrunk.  memcheck
 * must report no error: the allocator's reads and writes of its headers
 * are not the program's accesses to freed memory.
 */
#include <stdio.h>
#include <string.h>

#include "oxalloc.h"
#include "rust_alloc.h"

#define MiB ((size_t)1 << 20)

static int check(void *p, size_t size) {
  if (!p || !ox_owns(p) || ox_usable_size(p) < size) {
    fprintf(stderr, "huge_split: bad block %p of %zu bytes\n", p, size);
    return 1;
  }
  memset(p, 7, size);
  return 0;
}

int main(void) {
  int bad = 0;
  for (int i = 0; i < 2; i++) ox_free(ox_malloc(2 * MiB)); /* cycling: freed blocks cached */
  for (int round = 0; round < 3; round++) {
    char *big = ox_malloc(48 * MiB);
    bad += check(big, 48 * MiB);
    ox_free(big); /* cached */
    char *small = ox_malloc(5 * MiB); /* takes it; the other 43 MiB split off, cached */
    bad += check(small, 5 * MiB);
    char *mid = rust_alloc(20 * MiB, 64); /* from the split-off rest: its header is read */
    bad += check(mid, 20 * MiB);
    mid = rust_realloc(mid, 20 * MiB, 64, 30 * MiB);
    bad += check(mid, 30 * MiB);
    char *other = ox_malloc(12 * MiB);
    bad += check(other, 12 * MiB);
    ox_free(small);
    ox_free(other);
    char *joined = ox_malloc(40 * MiB); /* may be assembled from cached pieces */
    bad += check(joined, 40 * MiB);
    rust_dealloc(mid, 30 * MiB, 64);
    ox_free(joined);
  }
  printf("huge_split: %d bad blocks\n", bad);
  return bad != 0;
}
