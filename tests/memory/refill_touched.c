/*
 * refill_touched - a program that fills a class with blocks and frees them
 * all, round after round, keeps the same resident memory in every round.
 * The class keeps its last page when it empties (the one whose blocks were
 * freed last, carved only in part); the next round must use the written
 * memory of the pages the class gave back before carving that kept page
 * further into memory never written.  Old code: "later rounds 240 KiB
 * above the first" (each class grew by its kept page's uncarved 60 KiB;
 * threads-16, 1600 x 128 B per thread, peaked 0.8 MiB higher for it).
 */
#include "lc.h"

#define CLASSES 4
#define ROUNDS  4

int main(void)
{
    watchdog(30);
    static const size_t size[CLASSES] = {64, 128, 256, 512};
    static void *blocks[CLASSES][4096];
    uint32_t count[CLASSES];
    for (int c = 0; c < CLASSES; c++) /* three 64 KiB pages and 4 KiB of a fourth */
        count[c] = (uint32_t)((3 * 64 * KiB + 4 * KiB) / size[c]);
    size_t first = 0, last = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int c = 0; c < CLASSES; c++)
            for (uint32_t i = 0; i < count[c]; i++) {
                blocks[c][i] = ox_malloc(size[c]);
                CHECK(blocks[c][i] != NULL);
                memset(blocks[c][i], 1, size[c]);
            }
        /* anonymous only: the first round's frees also fault code in */
        size_t rss = status_kb_field("RssAnon");
        if (round == 0) first = rss;
        last = rss;
        for (int c = 0; c < CLASSES; c++)
            for (uint32_t i = 0; i < count[c]; i++) ox_free(blocks[c][i]);
    }
    size_t grown = last > first ? last - first : 0;
    printf("anonymous resident with the blocks live: first round %zu KiB, round %d %zu KiB\n", first >> 10,
           ROUNDS, last >> 10);
    CHECKF(grown <= 32 * KiB, "later rounds %zu KiB above the first", grown >> 10);
    return lc_finish("refill_touched");
}
