/*
 * spare_pages - a heap that fills and empties many MEDIUM pages in turn
 * keeps them in their class (spares, counted in kept_page_bytes) instead
 * of handing each back to its segment and taking it again: fifo-lifo-16384
 * (1600 blocks of 16 KiB allocated, then freed, each round) spent 30 % of
 * its instructions on that once medium pages became 128 KiB (callgrind
 * -s 0.05: 169.1 M, 127.2 M with 512 KiB pages, 118.0 M with spares).
 * Old code: one empty page kept per class ("kept 64 KiB < 16 MiB").
 * The spares must not raise the peak: another MEDIUM class that needs
 * pages gets their memory back (peak within 1.1x its live bytes; 40.9 MB
 * on the old code, 40.6 MB with spares).
 */
#include "lc.h"

#define COUNT 1600

static char *blocks[COUNT];

/* The resident bytes with all blocks live. */
static size_t round_of(size_t size)
{
    for (int i = 0; i < COUNT; i++) {
        blocks[i] = ox_malloc(size);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], 1, size);
    }
    size_t peak = rss_bytes();
    for (int i = 0; i < COUNT; i++) ox_free(blocks[i]);
    return peak;
}

int main(void)
{
    watchdog(30);
    size_t base = rss_bytes();
    round_of(16 * KiB);
    round_of(16 * KiB);
    ox_stats_t s;
    ox_stats_get(&s);
    size_t kept = s.kept_page_bytes;
    printf("kept after a round of %d x 16 KiB: %zu KiB\n", COUNT, kept >> 10);
    CHECKF(kept >= 16 * MiB, "kept %zu KiB < 16 MiB: pages handed back to their segments",
           kept >> 10);

    /* Another MEDIUM class: the spares' memory serves it. */
    size_t grown = round_of(24 * KiB) - base;
    printf("peak with %d x 24 KiB live (%zu KiB): %zu KiB\n", COUNT, (size_t)COUNT * 24,
           grown >> 10);
    CHECKF(grown <= (size_t)COUNT * 24 * KiB * 11 / 10,
           "peak %zu KiB > 1.1 x the live bytes: the spares kept their memory", grown >> 10);
    return lc_finish("spare_pages");
}
