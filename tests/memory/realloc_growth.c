/*
 * realloc_growth - a buffer that realloc doubles from 64 KiB to 4 MiB (a
 * growing vector) holds about its own size resident at its peak.  Old
 * code: each step from one LARGE class (64-512 KiB) to the next left the
 * block it grew out of resident in its class's page until the purge:
 * "peak 5108 KiB above the start for a 4096 KiB buffer" (now 4200; glibc
 * holds about the buffer, its blocks of 128 KiB and more being mappings).
 */
#include "lc.h"

int main(void)
{
    watchdog(30);
    size_t base = status_kb_field("RssAnon"), peak = 0;
    for (int round = 0; round < 3; round++) {
        size_t size = 64 * KiB;
        char *p = ox_malloc(size);
        CHECK(p != NULL);
        memset(p, 1, size);
        while (size < 4 * MiB) {
            char *q = ox_realloc(p, size * 2);
            CHECK(q != NULL);
            if (!q) return 1;
            CHECK(q[size - 1] == 1);
            memset(q + size, 1, size); /* the vector fills what it grew */
            p = q;
            size *= 2;
            size_t now = status_kb_field("RssAnon");
            if (now > peak) peak = now;
        }
        ox_free(p);
    }
    size_t grown = peak - base;
    printf("peak %zu KiB above the start for a 4096 KiB buffer\n", grown >> 10);
    CHECKF(grown <= 4 * MiB + 384 * KiB, "peak %zu KiB above the start for a 4096 KiB buffer",
           grown >> 10);
    return lc_finish("realloc_growth");
}
