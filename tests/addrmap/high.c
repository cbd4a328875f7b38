/*
 * high.c - pointers beyond the address map's 48 bits, and right at its
 * edges: ox_owns is false, ox_usable_size 0, and ox_free / ox_realloc /
 * rust_dealloc with a huge layout refuse them as foreign (the release
 * build warns with OXALLOC_VERBOSE=1 and changes nothing) - never
 * following them into the map.  Aliases of a live block (its address plus
 * 2^47, 2^48, 2^56, 2^63) must leave that block alone: it keeps its data
 * and is not handed out again.  Run with OXALLOC_VERBOSE=1: the warnings
 * are read back from stderr, one per refused free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "oxalloc.h"
#include "rust_alloc.h"

CHECK_DEFINE_COUNTERS;

#define MiB ((size_t)1 << 20)

static const uintptr_t bits[] = {(uintptr_t)1 << 47, (uintptr_t)1 << 48, (uintptr_t)1 << 52,
                                 (uintptr_t)1 << 56, (uintptr_t)1 << 63};

int main(void) {
  alarm(60);
  unsigned char *small = ox_malloc(64), *huge = ox_malloc(9 * MiB);
  CHECK(small && huge);
  if (!small || !huge) return 1;
  memset(small, 0x5a, 64);
  memset(huge, 0xa5, 4096);
  /* Capture stderr: the warnings of the refused frees. */
  char path[] = "/tmp/oxalloc-high-XXXXXX";
  int fd = mkstemp(path), saved = dup(2);
  CHECK(fd >= 0 && saved >= 0);
  unlink(path);
  dup2(fd, 2);
  int refused = 0;
  uintptr_t candidates[64];
  int n = 0;
  for (size_t b = 0; b < sizeof bits / sizeof bits[0]; b++) {
    candidates[n++] = bits[b];                   /* the edge itself */
    candidates[n++] = bits[b] + 4 * MiB + 64;    /* past it */
    candidates[n++] = bits[b] - 4 * MiB + 64;    /* just below (2^47 - x is user space) */
    candidates[n++] = (uintptr_t)small + bits[b]; /* aliases of live blocks */
    candidates[n++] = (uintptr_t)huge + bits[b];
  }
  candidates[n++] = UINTPTR_MAX - 15;
  candidates[n++] = UINTPTR_MAX & ~(uintptr_t)0xfff;
  for (int i = 0; i < n; i++) {
    void *p = (void *)candidates[i];
    bool above = candidates[i] >= (uintptr_t)1 << 47;
    if (!above) continue; /* below 2^47 may be anything: not asked */
    CHECKF(!ox_owns(p), "ox_owns(%p) true", p);
    CHECKF(ox_usable_size(p) == 0, "ox_usable_size(%p) = %zu", p, ox_usable_size(p));
    ox_free(p);
    refused++;
    errno = 0;
    CHECKF(ox_realloc(p, 100) == NULL && errno == EINVAL, "ox_realloc(%p) not refused", p);
    refused++;
    rust_dealloc(p, 8 * MiB, 16); /* a huge layout: looked up in the map */
    refused++;
  }
  fflush(stderr);
  dup2(saved, 2);
  /* Every refusal was reported, none crashed. */
  char buf[1 << 16];
  ssize_t len = pread(fd, buf, sizeof buf - 1, 0);
  buf[len > 0 ? len : 0] = 0;
  int warned = 0;
  for (char *s = buf; (s = strstr(s, "does not manage")); s++) warned++;
  CHECKF(warned == refused, "%d refusals, %d warnings:\n%s", refused, warned, buf);
  /* The live blocks are untouched and not handed out again. */
  for (int i = 0; i < 64; i++) CHECKF(small[i] == 0x5a, "small[%d] changed", i);
  for (int i = 0; i < 4096; i++) CHECKF(huge[i] == 0xa5, "huge[%d] changed", i);
  for (int i = 0; i < 1000; i++) {
    void *q = ox_malloc(64);
    CHECKF(q != small, "the live block %p handed out again", (void *)small);
  }
  void *q = ox_malloc(9 * MiB);
  CHECK(q != huge);
  CHECK(ox_owns(small) && ox_usable_size(small) >= 64);
  CHECK(ox_owns(huge) && ox_usable_size(huge) >= 9 * MiB);
  printf("high: %d refusals of pointers at or above 2^47, %d warnings\n", refused, warned);
  return check_failures ? 1 : 0;
}
