/*
 * wl_memory.c - workloads about memory layout: realloc-grow, aligned,
 * rss-return.
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- realloc-grow: strings and vectors grown by small steps ------------- */

#define GROW_STRINGS 256
#define GROW_STRING_MAX (16 * 1024)
#define GROW_VECTORS 2
#define GROW_VECTOR_MAX ((size_t)64 << 20)
#define GROW_VECTOR_STEP ((size_t)1 << 20)

typedef struct {
    unsigned char *p;
    size_t len;
} buf_t;

/* Append n bytes of a position-derived pattern; realloc to exactly fit. */
static void append(buf_t *b, size_t n)
{
    unsigned char *q = realloc(b->p, b->len + n);
    if (q == NULL) {
        fprintf(stderr, "oxbench: realloc(%zu) returned NULL\n", b->len + n);
        exit(2);
    }
    for (size_t i = b->len; i < b->len + n; i++)
        q[i] = (unsigned char)(i * 131 + (i >> 12));
    b->p = q;
    b->len += n;
}

/* Check the whole pattern, fold the length into the checksum, free. */
static void finish(result_t *r, buf_t *b)
{
    for (size_t i = 0; i < b->len; i += 61)
        if (b->p[i] != (unsigned char)(i * 131 + (i >> 12)))
            r->errors++;
    r->checksum += mix(b->len);
    free(b->p);
}

/* 256 strings appended to round-robin (so neighbours block in-place
 * growth) by 1-32 bytes up to 16 KiB, then two vectors grown alternately
 * by 1 MiB steps up to 64 MiB; the whole thing repeated. */
void wl_realloc_grow(long unused, result_t *r)
{
    (void)unused;
    uint64_t rng = 3, rounds = scaled(1);
    size_t vmax = (size_t)scaled(64) << 20; /* smaller only in quick runs */
    if (vmax > GROW_VECTOR_MAX)
        vmax = GROW_VECTOR_MAX;
    for (uint64_t round = 0; round < rounds; round++) {
        buf_t s[GROW_STRINGS] = {{0}};
        for (int done = 0; done < GROW_STRINGS;) {
            done = 0;
            for (int i = 0; i < GROW_STRINGS; i++) {
                if (s[i].len >= GROW_STRING_MAX) {
                    done++;
                    continue;
                }
                append(&s[i], (size_t)rng_range(&rng, 1, 32));
                r->ops++;
            }
        }
        for (int i = 0; i < GROW_STRINGS; i++)
            finish(r, &s[i]);
        buf_t v[GROW_VECTORS] = {{0}};
        while (v[GROW_VECTORS - 1].len < vmax) {
            for (int i = 0; i < GROW_VECTORS; i++) {
                append(&v[i], GROW_VECTOR_STEP);
                r->ops++;
            }
        }
        for (int i = 0; i < GROW_VECTORS; i++)
            finish(r, &v[i]);
    }
}

/* ---- aligned: allocate/free with alignments 16 B ... 2 MiB -------------- */

#define AL_SLOTS 256
#define AL_MIN_SHIFT 4
#define AL_MAX_SHIFT 21

/* Random slots of a 256-entry table are refilled with posix_memalign blocks
 * of a random alignment; 1 in 8 has size == alignment, the rest 8 B-1 KiB. */
void wl_aligned(long unused, result_t *r)
{
    (void)unused;
    void *slot[AL_SLOTS] = {0};
    size_t size[AL_SLOTS] = {0};
    uint64_t id[AL_SLOTS] = {0};
    uint64_t rng = 11, ops = scaled(300000), misaligned = 0;
    for (uint64_t op = 0; op < ops; op++) {
        size_t i = (size_t)(rng_next(&rng) % AL_SLOTS);
        if (slot[i]) {
            check(r, slot[i], size[i], id[i]);
            free(slot[i]);
        }
        unsigned shift = AL_MIN_SHIFT + (unsigned)(rng_next(&rng) % (AL_MAX_SHIFT - AL_MIN_SHIFT + 1));
        size_t align = (size_t)1 << shift;
        size[i] = rng_next(&rng) % 8 == 0 ? align : (size_t)rng_range(&rng, 8, 1024);
        id[i] = op;
        if (posix_memalign(&slot[i], align, size[i]) != 0) {
            fprintf(stderr, "oxbench: posix_memalign(%zu, %zu) failed\n", align, size[i]);
            exit(2);
        }
        if ((uintptr_t)slot[i] & (align - 1))
            misaligned++;
        stamp(slot[i], size[i], id[i]);
        r->ops++;
    }
    for (size_t i = 0; i < AL_SLOTS; i++) {
        if (slot[i]) {
            check(r, slot[i], size[i], id[i]);
            free(slot[i]);
        }
    }
    r->errors += misaligned;
    result_metric(r, "misaligned", (double)misaligned);
}

/* ---- rss-return: allocate 1 GiB in small blocks, free all but 1 % ------- */

/* The pointer table comes from mmap, not from the allocator under test, and
 * its freed part is unmapped before measuring, so only the allocator's
 * memory is counted. */
void wl_rss_return(long unused, result_t *r)
{
    (void)unused;
    size_t target = (size_t)scaled((uint64_t)1 << 30), total = 0;
    size_t cap = target / 16 + 1, n = 0;
    size_t table_bytes = (cap * sizeof(void *) + 4095) & ~(size_t)4095;
    void **ptr = mmap(NULL, table_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t rng = 13;
    if (ptr == MAP_FAILED)
        abort();
    long rss_start = rss_kib();
    while (total < target) {
        size_t sz = (size_t)rng_range(&rng, 16, 512);
        ptr[n] = xmalloc(sz);
        stamp(ptr[n], 8, n); /* 8: the size is not kept, only the id */
        total += sz;
        n++;
    }
    long rss_full = rss_kib();
    size_t keep = n / 100; /* the first 1 %: long-lived data allocated early */
    for (size_t i = keep; i < n; i++) {
        check(r, ptr[i], 8, i);
        free(ptr[i]);
    }
    size_t keep_bytes = (keep * sizeof(void *) + 4095) & ~(size_t)4095;
    munmap((char *)ptr + keep_bytes, table_bytes - keep_bytes);
    long rss_now = rss_kib();
    sleep(1);
    long rss_after = rss_kib();
    for (size_t i = 0; i < keep; i++) {
        check(r, ptr[i], 8, i);
        free(ptr[i]);
    }
    munmap(ptr, keep_bytes);
    r->ops = n;
    result_metric(r, "rss_start_kib", (double)rss_start);
    result_metric(r, "rss_full_kib", (double)rss_full);
    result_metric(r, "rss_freed_now_kib", (double)rss_now);
    result_metric(r, "rss_after_1s_kib", (double)rss_after);
}
