/* dump_off.c - allocates without profiling, then dumps: nothing sampled. */
#include <stdlib.h>

#include "oxalloc.h"

int main(int argc, char **argv) {
  for (int i = 0; i < 100000; i++) ox_free(ox_malloc(1000));
  void *keep = ox_malloc(1 << 20);
  int rc = argc > 1 ? ox_prof_dump(argv[1]) : 1;
  ox_free(keep);
  return rc;
}
