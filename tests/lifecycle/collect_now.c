/*
 * collect_now - ox_collect gives unused memory back at once, whatever the
 * purge delay: with a delay of an hour, 128 MiB of freed small blocks (one
 * block in 2048 stays live, so every segment stays with its heap) and a
 * 32 MiB freed huge block (cached) stay resident through ox_collect(false)
 * (which keeps what is younger than the delay) and are gone after
 * ox_collect(true).  Blocks still live keep their contents.
 */
#include "lc.h"

#define BLOCK 2000
#define COUNT (128 * MiB / BLOCK)
static void *blocks[COUNT];

int main(void)
{
    watchdog(60);
    ox_option_set("purge_delay", 3600000);
    void *keep = ox_malloc(1000);
    blk_fill(keep, 1000);
    for (size_t i = 0; i < COUNT; i++) {
        blocks[i] = ox_malloc(BLOCK);
        memset(blocks[i], 7, BLOCK);
    }
    /* Freed huge blocks are cached once huge blocks cycle (huge.c). */
    ox_free(ox_malloc(32 * MiB));
    void *huge = ox_malloc(32 * MiB);
    memset(huge, 7, 32 * MiB);
    size_t peak = rss_bytes();
    for (size_t i = 0; i < COUNT; i++)
        if (i % 2048 != 0)
            ox_free(blocks[i]);
    ox_free(huge);
    size_t freed = rss_bytes();
    ox_collect(false);
    size_t soft = rss_bytes();
    ox_collect(true);
    size_t hard = rss_bytes();
    printf("RSS: peak %zu MiB, after the frees %zu MiB, after ox_collect(false) %zu MiB, "
           "after ox_collect(true) %zu MiB\n", peak >> 20, freed >> 20, soft >> 20, hard >> 20);
    CHECKF(freed > 140 * MiB && soft > 140 * MiB, "the delay should have kept the freed memory (%zu MiB)", freed >> 20);
    CHECKF(hard < 16 * MiB, "%zu MiB resident after ox_collect(true)", hard >> 20);
    CHECK(blk_ok(keep, 1000));
    ox_free(keep);
    for (size_t i = 0; i < COUNT; i += 2048)
        CHECK(((unsigned char *)blocks[i])[BLOCK - 1] == 7);
    return lc_finish("collect_now");
}
