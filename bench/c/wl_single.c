/*
 * wl_single.c - single-threaded workloads: fifo-lifo-S, churn, large-blocks.
 */
#include "common.h"

#include <stdlib.h>

#define FIFO_CHUNKS 1600

/* fifo-lifo-S: allocate 1600 chunks of S bytes, free the first half in
 * FIFO order and the second half in LIFO order; repeated for many rounds. */
void wl_fifo_lifo(long size, result_t *r)
{
    void *chunks[FIFO_CHUNKS];
    uint64_t rounds = scaled(8000), id = 0;
    if (size < 8)
        size = 8;
    for (uint64_t round = 0; round < rounds; round++) {
        uint64_t first = id;
        for (int i = 0; i < FIFO_CHUNKS; i++) {
            chunks[i] = xmalloc((size_t)size);
            stamp(chunks[i], (size_t)size, id++);
        }
        for (int i = 0; i < FIFO_CHUNKS / 2; i++) {
            check(r, chunks[i], (size_t)size, first + (uint64_t)i);
            free(chunks[i]);
        }
        for (int i = FIFO_CHUNKS - 1; i >= FIFO_CHUNKS / 2; i--) {
            check(r, chunks[i], (size_t)size, first + (uint64_t)i);
            free(chunks[i]);
        }
    }
    r->ops = id;
}

#define CHURN_SLOTS 100000

/* Log-uniform in [8, 4096): an octave 2^k (k = 3..11), then uniform in it. */
static size_t log_uniform_size(uint64_t *rng)
{
    unsigned k = 3 + (unsigned)(rng_next(rng) % 9);
    return ((size_t)1 << k) + (size_t)(rng_next(rng) % ((uint64_t)1 << k));
}

/* churn: random slot of a 100 k array; free it when full, fill it when
 * empty.  The live set hovers around half the slots. */
void wl_churn(long unused, result_t *r)
{
    (void)unused;
    void **slot = calloc(CHURN_SLOTS, sizeof *slot);
    size_t *sizes = calloc(CHURN_SLOTS, sizeof *sizes);
    uint64_t *ids = calloc(CHURN_SLOTS, sizeof *ids);
    uint64_t rng = 42, ops = scaled(10000000), id = 0;
    if (!slot || !sizes || !ids)
        abort();
    for (uint64_t op = 0; op < ops; op++) {
        size_t i = (size_t)(rng_next(&rng) % CHURN_SLOTS);
        if (slot[i]) {
            check(r, slot[i], sizes[i], ids[i]);
            free(slot[i]);
            slot[i] = NULL;
        } else {
            sizes[i] = log_uniform_size(&rng);
            ids[i] = id++;
            slot[i] = xmalloc(sizes[i]);
            stamp(slot[i], sizes[i], ids[i]);
        }
    }
    for (size_t i = 0; i < CHURN_SLOTS; i++) {
        if (slot[i]) {
            check(r, slot[i], sizes[i], ids[i]);
            free(slot[i]);
        }
    }
    r->ops = id;
    free(slot);
    free(sizes);
    free(ids);
}

#define LARGE_ALIVE 20
#define PAGE 4096

/* Write one word per page: every page of the block becomes resident. */
static void touch_pages(char *p, size_t size, uint64_t id)
{
    for (size_t off = 0; off + 8 <= size; off += PAGE) {
        uint64_t v = id ^ off;
        memcpy(p + off, &v, 8);
    }
}

static void check_pages(result_t *r, const char *p, size_t size, uint64_t id)
{
    for (size_t off = 0; off + 8 <= size; off += PAGE) {
        uint64_t v;
        memcpy(&v, p + off, 8);
        if (v != (id ^ off))
            r->errors++;
    }
    r->checksum += mix(id);
}

/* large-blocks: 1000 steps; each allocates a block of 5-25 MB, touches
 * every page, and keeps at most 20 alive by replacing a random one. */
void wl_large_blocks(long unused, result_t *r)
{
    (void)unused;
    char *block[LARGE_ALIVE] = {0};
    size_t size[LARGE_ALIVE] = {0};
    uint64_t ids[LARGE_ALIVE] = {0};
    uint64_t rng = 7, steps = scaled(1000);
    for (uint64_t step = 0; step < steps; step++) {
        size_t i = step < LARGE_ALIVE ? (size_t)step
                                      : (size_t)(rng_next(&rng) % LARGE_ALIVE);
        if (block[i]) {
            check_pages(r, block[i], size[i], ids[i]);
            free(block[i]);
        }
        size[i] = (size_t)rng_range(&rng, 5000000, 25000000);
        ids[i] = step;
        block[i] = xmalloc(size[i]);
        touch_pages(block[i], size[i], step);
    }
    for (size_t i = 0; i < LARGE_ALIVE; i++) {
        if (block[i]) {
            check_pages(r, block[i], size[i], ids[i]);
            free(block[i]);
        }
    }
    r->ops = steps;
}
