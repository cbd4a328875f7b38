/*
 * bitmap_nohuge.c - the address map's 8 MiB base bitmap (.bss) is never
 * backed by transparent huge pages: where the system's THP mode is
 * "always", the first bit set would make the 2 MiB around it resident
 * (the last session saw 1.9 MB resident in sqlite3; on a machine in THP
 * "madvise" mode it is 16 KB).  White-box: after the first allocation, the
 * mapping that holds the bitmap carries the "nh" (MADV_NOHUGEPAGE) flag in
 * /proc/self/smaps.  Old code: "the bitmap may get transparent huge pages
 * (flags: rd wr mr mw me ac )".
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "oxalloc.h"

CHECK_DEFINE_COUNTERS;

int main(void) {
  void *p = ox_malloc(64);
  CHECK(p != NULL);
  uintptr_t first = (uintptr_t)&_ox_segment_bases[0];
  uintptr_t last = (uintptr_t)&_ox_segment_bases[OX_MAP_CHUNKS / 64 - 1];
  /* Whole OS pages of the bitmap: its first and last page may share a
   * mapping with other data. */
  uintptr_t probe[2] = {(first + 8192) & ~(uintptr_t)4095, (last - 8192) & ~(uintptr_t)4095};
  for (int k = 0; k < 2; k++) {
    FILE *f = fopen("/proc/self/smaps", "r");
    CHECK(f != NULL);
    if (!f) break;
    char line[512], flags[512] = "";
    unsigned long lo = 0, hi = 0;
    int found = 0;
    while (fgets(line, sizeof line, f)) {
      unsigned long a, b;
      if (sscanf(line, "%lx-%lx ", &a, &b) == 2) { /* a mapping's first line */
        found = a <= probe[k] && probe[k] < b;
        if (found) lo = a, hi = b;
      } else if (found && strncmp(line, "VmFlags:", 8) == 0) {
        snprintf(flags, sizeof flags, "%s", line + 8);
        break;
      }
    }
    fclose(f);
    flags[strcspn(flags, "\n")] = 0;
    printf("bitmap mapping %lx-%lx (probe %lx) flags:%s\n", lo, hi, (unsigned long)probe[k], flags);
    CHECKF(strstr(flags, " nh") != NULL, "the bitmap may get transparent huge pages (flags:%s)", flags);
  }
  ox_free(p);
  long f = atomic_load(&check_failures);
  printf("%s bitmap_nohuge\n", f ? "FAIL" : "PASS");
  return f ? 1 : 0;
}
