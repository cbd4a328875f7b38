/*
 * vmsize.c - the address space a process holds after its first
 * allocation: allocates 64 bytes through malloc, writes them, frees them
 * and prints "VmSize N kB" from /proc/self/status.  Run under LD_PRELOAD
 * (any allocator) or linked with oxalloc's override; run.sh compares N
 * with the limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char *p = malloc(64);
  if (!p) return 2;
  memset(p, 1, 64);
  long kb = -1;
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  free(p);
  printf("VmSize %ld kB\n", kb);
  return kb > 0 ? 0 : 1;
}
