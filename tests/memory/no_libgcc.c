/*
 * no_libgcc - libgcc_s.so.1 (its unwinder: ~100 KB resident) is mapped
 * only when the heap profiler needs it.  A C program that does not link
 * it allocates without it being loaded; ox_prof_start loads it where the
 * profiler walks stacks with libgcc's unwinder, but not on x86-64 Linux,
 * where it walks them itself (prof_unwind.c, prof_fde.c; old code loaded
 * it there too), and a sampled allocation then gets its stack.  With the
 * argument "preload" (run under LD_PRELOAD=liboxalloc.so) only the first part runs: the
 * library itself must not bring libgcc_s in (old code: a DT_NEEDED entry,
 * because the profiler's unwinder referenced _Unwind_Backtrace).
 */
#include <stdlib.h>
#include <string.h>

#include "lc.h"

static int libgcc_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "libgcc_s")) found = 1;
    fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    watchdog(30);
    void *keep[64];
    for (int i = 0; i < 64; i++) keep[i] = malloc((size_t)16 << (i % 12));
    for (int i = 0; i < 64; i++) keep[i] = (free(keep[i]), ox_malloc((size_t)16 << (i % 12)));
    CHECKF(libgcc_mapped() == 0, "libgcc_s is mapped in a program that allocated without profiling");
    if (argc < 2 || strcmp(argv[1], "preload") != 0) {
        CHECK(ox_prof_start(1) == 0);
#if defined(__x86_64__) && defined(__linux__)
        CHECKF(libgcc_mapped() == 0, "ox_prof_start loaded libgcc_s (the walk needs none here)");
#else
        CHECKF(libgcc_mapped() == 1, "ox_prof_start did not load libgcc_s");
#endif
        void *p = ox_malloc(100); /* sampled (one byte between samples) */
        ox_prof_stop();
        char path[] = "/tmp/oxalloc-no-libgcc-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(ox_prof_write(fd) == 0);
        off_t size = lseek(fd, 0, SEEK_END);
        close(fd);
        unlink(path);
        CHECKF(size > 100, "profile of %ld bytes", (long)size);
        ox_free(p);
    }
    for (int i = 0; i < 64; i++) ox_free(keep[i]);
    return lc_finish(argc > 1 ? "no_libgcc_preload" : "no_libgcc");
}
