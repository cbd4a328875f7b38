/* split.c - allocates 75 % of its bytes from one function and 25 % from
 * another (all kept live, or all freed with "free"), for the pprof check;
 * with "signal", 4 MB more from a signal handler, kept live. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 40000
void *keep[2 * N]; /* global: the compiler may not drop the allocations */

__attribute__((noinline)) void *alloc_three_quarters(size_t n) { return malloc(n); }
__attribute__((noinline)) void *alloc_one_quarter(size_t n) { return malloc(n); }

#define IN_HANDLER 4000
void *kept_in_handler[IN_HANDLER];
__attribute__((noinline)) void alloc_in_signal_handler(int sig) {
  (void)sig;
  for (int i = 0; i < IN_HANDLER; i++) kept_in_handler[i] = malloc(1000);
}
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "signal") == 0) {
    signal(SIGUSR1, alloc_in_signal_handler);
    raise(SIGUSR1); /* delivered here, outside any malloc */
  }
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
