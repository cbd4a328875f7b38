/*
 * misuse.c - deliberate misuse of oxalloc blocks, for the sanitize suite's
 * check that valgrind memcheck reports it (tests/sanitize).  Linked against
 * the checked build, which describes its blocks with valgrind client
 * requests; memcheck must then report these as it does for glibc blocks.
 *   misuse leak        an ox_malloc(100) block whose only pointer is dropped
 *   misuse rust-leak   the same with rust_alloc(100, 32)
 *   misuse leak-large  the same with ox_malloc(100000)
 *   misuse uaf         a read of an ox_malloc block after ox_free
 *   misuse rust-uaf    a read of a rust_alloc block after rust_dealloc
 *   misuse overflow    a write one byte past the end of an ox_malloc(100)
 *                      block (not freed: the checked build would abort)
 * Each mode must be reported by memcheck; the program itself exits 0.
 */
#include <stdio.h>
#include <string.h>

#include "oxalloc.h"
#include "rust_alloc.h"

/* Keeps the compiler from proving the pointer dead or the read pointless. */
static void *volatile sink;

__attribute__((noinline)) static int leak(int rust, size_t size) {
  char *p = rust ? rust_alloc(size, 32) : ox_malloc(size);
  if (!p) return 1;
  memset(p, 1, size);
  sink = p;
  sink = NULL; /* the only reference is gone: "definitely lost" */
  return 0;
}

__attribute__((noinline)) static int use_after_free(int rust) {
  char *p = rust ? rust_alloc(64, 64) : ox_malloc(64);
  if (!p) return 1;
  memset(p, 2, 64);
  if (rust)
    rust_dealloc(p, 64, 64);
  else
    ox_free(p);
  sink = p;
  volatile char *q = sink;
  char c = q[8]; /* memcheck: "Invalid read of size 1" */
  printf("misuse: read %d after free\n", c);
  return 0;
}

__attribute__((noinline)) static int overflow(void) {
  char *p = ox_malloc(100);
  if (!p) return 1;
  sink = p;
  volatile char *q = sink;
  q[100] = 3; /* memcheck: "Invalid write of size 1" */
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "leak")) return leak(0, 100);
  if (!strcmp(mode, "rust-leak")) return leak(1, 100);
  if (!strcmp(mode, "leak-large")) return leak(0, 100000);
  if (!strcmp(mode, "uaf")) return use_after_free(0);
  if (!strcmp(mode, "rust-uaf")) return use_after_free(1);
  if (!strcmp(mode, "overflow")) return overflow();
  fprintf(stderr, "usage: misuse leak|rust-leak|leak-large|uaf|rust-uaf|overflow\n");
  return 2;
}
