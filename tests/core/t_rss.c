/*
 * t_rss.c - memory goes back to the OS: after a 512 MiB working set (in
 * small, medium or huge blocks) is freed, RSS (/proc/self/statm) falls to
 * within a quarter of the working set.  The runner starts these tests with
 * OXALLOC_PURGE_DELAY=0 so that the purge delay does not decide the
 * result; the test still allows up to ~3 s of settling, calling the
 * allocator meanwhile (a purge may be done on the allocator's next call).
 */
#include <sys/mman.h>
#include <time.h>

#include "core.h"

#define WORKING_SET (512 * MiB)

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void rss_cycle(size_t block, const char *what)
{
    size_t n = WORKING_SET / block;
    void **p = mmap(NULL, n * sizeof *p, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    memset(p, 0, n * sizeof *p); /* make the array itself resident first */
    size_t base = rss_bytes();
    for (size_t i = 0; i < n; i++) {
        p[i] = i & 1 ? ox_malloc(block) : rust_alloc(block, 8);
        CHECK(p[i] != NULL);
        if (p[i])
            memset(p[i], (int)(i | 1), block);
    }
    size_t peak = rss_bytes();
    for (size_t i = 0; i < n; i++) {
        if (!p[i])
            continue;
        if (i & 1)
            ox_free(p[i]);
        else
            rust_dealloc(p[i], block, 8);
    }
    size_t grown = peak > base ? peak - base : 0, after = rss_bytes();
    for (int tries = 0; tries < 60 && after > base + grown / 4; tries++) {
        nap_ms(50);
        ox_free(ox_malloc(64));
        rust_dealloc(rust_alloc(block, 8), block, 8);
        after = rss_bytes();
    }
    printf("%s: rss before %zu MiB, with %zu MiB live %zu MiB, after free "
           "%zu MiB\n", what, base >> 20, WORKING_SET >> 20, peak >> 20,
           after >> 20);
    CHECKF(grown >= WORKING_SET / 2, "%s: RSS grew only %zu MiB", what,
           grown >> 20);
    CHECKF(after <= base + grown / 4,
           "%s: RSS %zu MiB after freeing (was %zu before, %zu peak)", what,
           after >> 20, base >> 20, peak >> 20);
    munmap(p, n * sizeof *p);
}

void test_rss_small_blocks(void) { rss_cycle(256, "256-byte blocks"); }
void test_rss_medium_blocks(void) { rss_cycle(48 * KiB, "48 KiB blocks"); }
void test_rss_huge_blocks(void) { rss_cycle(8 * MiB, "8 MiB blocks"); }
