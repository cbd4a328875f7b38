/*
 * free_path_purge - without the background purger, a thread that only
 * frees for a while still gives back what has waited for the purge delay:
 * the free slow path (a page emptying) looks at the clock.  32 MiB of
 * pages freed, the delay passes, then only frees follow: the first 32 MiB
 * go back to the OS during them, with no allocation (old code: purging
 * ran on the allocation slow path only, so all 64 MiB stayed).  One block
 * in 2048 stays live so the segments stay with the heap.
 */
#include "lc.h"

#define BLOCK 2000
#define COUNT (64 * MiB / BLOCK)
static void *blocks[COUNT];

int main(void)
{
    watchdog(60);
    ox_option_set("purge_delay", 200);
    for (size_t i = 0; i < COUNT; i++) {
        blocks[i] = ox_malloc(BLOCK);
        memset(blocks[i], 5, BLOCK);
    }
    size_t peak = rss_bytes();
    for (size_t i = 0; i < COUNT / 2; i++)
        if (i % 2048 != 0)
            ox_free(blocks[i]);
    usleep(400 * 1000); /* past the delay; no allocator call */
    size_t before = rss_bytes();
    for (size_t i = COUNT / 2; i < COUNT; i++)
        if (i % 2048 != 0)
            ox_free(blocks[i]);
    size_t after = rss_bytes();
    printf("RSS: peak %zu MiB, first half freed and the delay passed %zu MiB, "
           "second half freed (frees only) %zu MiB\n", peak >> 20, before >> 20, after >> 20);
    CHECKF(before > 56 * MiB, "the first half went back before the delay (%zu MiB)",
           before >> 20);
    CHECKF(after < 44 * MiB, "the first half stayed resident through the frees (%zu MiB)",
           after >> 20);
    return lc_finish("free_path_purge");
}
