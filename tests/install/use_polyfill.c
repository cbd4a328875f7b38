/* tests/install/use_polyfill.c - links the installed liboxalloc_system.a:
 * the rust_* ABI served by the C library's malloc. */
#include <rust_alloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  unsigned char *p = rust_alloc(200, 64);
  if (p == NULL || (uintptr_t)p % 64 != 0) {
    fprintf(stderr, "use_polyfill: rust_alloc(200, 64) failed or misaligned\n");
    return 1;
  }
  memset(p, 1, 200);
  rust_dealloc(p, 200, 64);
  return 0;
}
