/*
 * large_kept_once - a block grown from 64 KiB to 512 KiB (new block, copy,
 * free the old one) passes through every LARGE class, a 4 MiB page each.
 * The heap keeps one empty LARGE page for reuse, not one per class, so
 * each class reuses the memory the previous ones gave up: resident growth
 * must stay under 4 MiB (old code: 10.3 MiB, every class keeping a page
 * with its touched block; python3 building lists and dicts past 64 KiB
 * peaked 3.5 MB higher for it).
 */
#include "lc.h"

int main(void)
{
    watchdog(30);
    size_t base = rss_bytes();
    for (int round = 0; round < 3; round++) {
        size_t size = 64 * KiB + 1;
        char *p = ox_malloc(size);
        memset(p, 1, size);
        while (size < 512 * KiB) {
            size_t next = size + 8 * KiB < 512 * KiB ? size + 8 * KiB : 512 * KiB;
            char *q = ox_malloc(next); /* as a vector grows: new, copy, free */
            CHECK(q != NULL);
            memcpy(q, p, size);
            memset(q + size, 2, next - size);
            ox_free(p);
            p = q;
            size = next;
        }
        ox_free(p);
    }
    size_t grown = rss_bytes() - base;
    printf("resident growth %zu KiB\n", grown >> 10);
    CHECKF(grown <= 4 * MiB, "resident growth %zu KiB > 4 MiB", grown >> 10);
    return lc_finish("large_kept_once");
}
