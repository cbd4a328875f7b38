/*
 * unused_stats - resident-but-unused memory is visible in ox_stats_t, by
 * kind, and in the text and JSON reports: free pages waiting for the
 * purge delay, the empty page kept for a class, the empty-segment cache
 * and the huge-block cache each show the bytes just freed into them, and
 * read 0 after ox_collect(true).
 */
#include "lc.h"

#define BLOCK 2000
#define COUNT (64 * MiB / BLOCK)
static void *blocks[COUNT];
static char report[16384];
static size_t report_len;

static void append(const char *text, void *arg)
{
    (void)arg;
    size_t n = strlen(text);
    if (report_len + n < sizeof report) {
        memcpy(report + report_len, text, n);
        report_len += n;
    }
}

static void show(const char *when, const ox_stats_t *s)
{
    printf("%-28s pending %6zu KiB, kept %5zu KiB, segment cache %6zu KiB, "
           "huge cache %6zu KiB, resident %6zu KiB\n", when, s->pending_purge_bytes >> 10,
           s->kept_page_bytes >> 10, s->segment_cache_bytes >> 10, s->huge_cache_bytes >> 10,
           s->resident_bytes >> 10);
}

int main(void)
{
    watchdog(60);
    ox_option_set("purge_delay", 3600000);
    ox_stats_t s;
    /* The kept page: one block of a class, freed. */
    ox_free(ox_malloc(700));
    ox_stats_get(&s);
    show("one block freed:", &s);
    CHECKF(s.kept_page_bytes > 0, "the page kept for the class is not counted");
    /* Pending purge: one block in 2048 stays, the segments with it. */
    for (size_t i = 0; i < COUNT; i++)
        blocks[i] = ox_malloc(BLOCK);
    for (size_t i = 0; i < COUNT; i++)
        if (i % 2048 != 0)
            ox_free(blocks[i]);
    ox_stats_get(&s);
    show("64 MiB freed, segments kept:", &s);
    CHECKF(s.pending_purge_bytes >= 48 * MiB, "pending %zu MiB", s.pending_purge_bytes >> 20);
    /* The segment cache: the remaining blocks freed, segments emptied. */
    for (size_t i = 0; i < COUNT; i += 2048)
        ox_free(blocks[i]);
    /* The huge cache, which keeps freed blocks once huge blocks cycle. */
    ox_free(ox_malloc(16 * MiB));
    void *huge = ox_malloc(16 * MiB);
    memset(huge, 1, 16 * MiB);
    ox_free(huge);
    ox_stats_get(&s);
    show("all freed:", &s);
    CHECKF(s.segment_cache_bytes >= 8 * MiB, "segment cache %zu MiB", s.segment_cache_bytes >> 20);
    CHECKF(s.huge_cache_bytes >= 16 * MiB, "huge cache %zu MiB", s.huge_cache_bytes >> 20);
    CHECK(s.resident_bytes >= s.pending_purge_bytes + s.segment_cache_bytes);
    ox_stats_print(append, NULL);
    CHECKF(strstr(report, "unused: pending purge") && strstr(report, "unused: huge cache"),
           "text report:\n%s", report);
    report_len = 0;
    memset(report, 0, sizeof report);
    ox_stats_json(append, NULL);
    CHECKF(strstr(report, "\"segment_cache_bytes\":") && strstr(report, "\"kept_page_bytes\":"),
           "JSON report: %s", report);
    ox_collect(true);
    ox_stats_get(&s);
    show("after ox_collect(true):", &s);
    CHECK(s.pending_purge_bytes == 0 && s.segment_cache_bytes == 0 && s.huge_cache_bytes == 0);
    CHECK(s.kept_page_bytes == 0);
    return lc_finish("unused_stats");
}
