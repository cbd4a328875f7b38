/*
 * map48.c - the address map covers the whole 48-bit space (arm64 Linux
 * hands out addresses up to 2^48; x86-64 up to 2^47, so no real mapping
 * can be made there on this machine): a white-box test that enters
 * address ranges (no memory behind them, never dereferenced) through the
 * map's own functions and asks the questions free, ox_owns and
 * ox_usable_size ask.  Ranges reaching past 2^48 are refused.
 */
#include <stdio.h>

#include "check.h"
#include "internal.h"
#include "oxalloc.h"

CHECK_DEFINE_COUNTERS;

#define MiB ((uintptr_t)1 << 20)

static void range(uintptr_t base, size_t size) {
  CHECKF(_ox_addr_map_prepare(base, size), "prepare %#lx", (unsigned long)base);
  _ox_addr_map_set(base, size, (ox_segment_t *)base);
  ox_segment_t *seg = (ox_segment_t *)base;
  CHECKF(_ox_segment_lookup((void *)(base + 64 * 1024)) == seg, "lookup %#lx", (unsigned long)base);
  CHECKF(_ox_segment_lookup((void *)(base + 4 * MiB)) == seg, "lookup of +4 MiB");
  CHECKF(ox_owns((void *)base) && ox_owns((void *)(base + size - 1)), "owns %#lx", (unsigned long)base);
  CHECKF(!ox_owns((void *)(base + size)), "owns past the end of %#lx", (unsigned long)base);
  CHECKF(!ox_owns((void *)(base - 1)), "owns before %#lx", (unsigned long)base);
  CHECKF(ox_usable_size((void *)(base + 4096)) == 0, "usable of an unpublished block");
  _ox_addr_map_set(base, size, NULL);
  CHECKF(!ox_owns((void *)base) && _ox_segment_lookup((void *)(base + 64)) == NULL,
         "%#lx still entered", (unsigned long)base);
}

int main(void) {
  void *first = ox_malloc(16); /* the process's own segment first */
  uintptr_t top = (uintptr_t)1 << 48;
  range(top - 8 * MiB, 6 * MiB + 4096); /* ends inside its second chunk */
  range(((uintptr_t)1 << 47) + 4 * MiB, 4 * MiB);
  range(((uintptr_t)3 << 46), 100 * MiB);
  CHECK(!_ox_addr_map_prepare(top - 4 * MiB, 8 * MiB));
  CHECK(!_ox_addr_map_prepare(top, 4 * MiB));
  CHECK(_ox_segment_lookup((void *)(top + 64)) == NULL);
  CHECK(ox_owns(first) && ox_usable_size(first) == 16);
  ox_free(first);
  printf("map48: ranges up to 2^48 entered and forgotten, beyond refused\n");
  return check_failures ? 1 : 0;
}
