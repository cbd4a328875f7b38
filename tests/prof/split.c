/* split.c - allocates 75 % of its bytes from one function and 25 % from
 * another (all kept live, or all freed with "free"), for the pprof check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 40000
void *keep[2 * N]; /* global: the compiler may not drop the allocations */

__attribute__((noinline)) void *alloc_three_quarters(size_t n) { return malloc(n); }
__attribute__((noinline)) void *alloc_one_quarter(size_t n) { return malloc(n); }

int main(int argc, char **argv) {
  int do_free = argc > 1 && strcmp(argv[1], "free") == 0;
  size_t k = 0;
  for (int i = 0; i < N; i++) {
    keep[k++] = alloc_three_quarters(3 * 1000);
    keep[k++] = alloc_one_quarter(1000);
    memset(keep[k - 2], 1, 16);
    memset(keep[k - 1], 1, 16);
  }
  if (do_free)
    for (size_t i = 0; i < k; i++) free(keep[i]);
  return keep[N / 2] == NULL;
}
