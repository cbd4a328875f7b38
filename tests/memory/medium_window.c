/*
 * medium_window - a sliding window of blocks of mixed medium sizes (8-64
 * KiB, every size class of the range), as the delta window of `git gc
 * --aggressive`: the oldest block is freed, a new one of another random
 * size takes its place, each written in full.  Resident growth must stay
 * within 1.75 x the most ever live (old code, 512 KiB medium pages: 1.99 x,
 * each class keeping the pages of its own high-water mark; 128 KiB pages:
 * 1.55 x; the rest is class rounding and the emptied pages that wait for
 * the purge delay).
 */
#include "lc.h"

#define WINDOW 200
#define STEPS  40000

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static size_t next_size(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return 8 * KiB + 1 + (size_t)(rng % (56 * KiB));
}

int main(void)
{
    watchdog(60);
    static void *win[WINDOW];
    static size_t sz[WINDOW];
    size_t base = rss_bytes(), live = 0, max_live = 0, max_rss = 0;
    for (size_t step = 0; step < STEPS; step++) {
        size_t i = step % WINDOW;
        if (win[i]) {
            ox_free(win[i]);
            live -= sz[i];
        }
        sz[i] = next_size();
        win[i] = ox_malloc(sz[i]);
        CHECK(win[i] != NULL);
        memset(win[i], (int)step, sz[i]);
        live += sz[i];
        if (live > max_live) max_live = live;
        if (step % 200 == 0) {
            size_t r = rss_bytes();
            if (r > max_rss) max_rss = r;
        }
    }
    size_t grown = max_rss > base ? max_rss - base : 0;
    printf("most live %zu KiB, resident growth at most %zu KiB (%.2f x)\n", max_live >> 10,
           grown >> 10, (double)grown / (double)max_live);
    CHECKF(grown * 4 <= max_live * 7, "resident %zu KiB > 1.75 x live %zu KiB", grown >> 10,
           max_live >> 10);
    for (size_t i = 0; i < WINDOW; i++) ox_free(win[i]);
    return lc_finish("medium_window");
}
