/*
 * trim_override - malloc_trim under the malloc override gives free
 * memory back now and says so (returns 1); run with
 * LD_PRELOAD=build/liboxalloc.so and an hour of purge delay.  One block
 * in 2048 stays live, so that the segments stay with the heap and their
 * free pages wait for the delay.
 */
#include <malloc.h>

#include "lc.h"

#define BLOCK 3000
#define COUNT (96 * MiB / BLOCK)
static void *blocks[COUNT];

int main(void)
{
    watchdog(60);
    const char *delay = getenv("OXALLOC_PURGE_DELAY");
    CHECKF(delay && !strcmp(delay, "3600000"), "run with OXALLOC_PURGE_DELAY=3600000");
    for (size_t i = 0; i < COUNT; i++) {
        blocks[i] = malloc(BLOCK);
        memset(blocks[i], 7, BLOCK);
    }
    for (size_t i = 0; i < COUNT; i++)
        if (i % 2048 != 0)
            free(blocks[i]);
    size_t freed = rss_bytes();
    int rc = malloc_trim(0);
    size_t trimmed = rss_bytes();
    printf("RSS after the frees %zu MiB, after malloc_trim %zu MiB (returned %d)\n",
           freed >> 20, trimmed >> 20, rc);
    CHECKF(freed > 80 * MiB, "the delay should have kept the freed memory");
    CHECKF(trimmed < 16 * MiB && rc == 1, "malloc_trim returned %d, %zu MiB left", rc,
           trimmed >> 20);
    return lc_finish("trim_override");
}
