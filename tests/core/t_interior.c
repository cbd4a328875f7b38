/*
 * t_interior.c - frees of pointers that are not the start of a live block
 * are refused and change nothing (release build; the checked build aborts
 * instead, tests/checked): for every class size, interior offsets of a
 * live block.  Also the exact class sizes (the table and the formula of the allocator agree
 * with the documented classes: 16-byte steps to 128, then 8 per doubling).
 */
#include <stdint.h>

#include "core.h"

/* The documented class of `size` (size <= 512 KiB). */
static size_t documented_class_size(size_t size)
{
    if (size <= 16)
        return 16;
    if (size <= 128)
        return (size + 15) / 16 * 16;
    size_t pow = 128;
    while (pow * 2 < size)
        pow *= 2;
    size_t step = pow / 8;
    return (size + step - 1) / step * step;
}

/* The checked build gives every block exactly the size asked for. */
static bool exact_usable_sizes(void)
{
    void *p = ox_malloc(17);
    bool exact = p && ox_usable_size(p) == 17;
    ox_free(p);
    return exact;
}

void test_size_classes_exact(void)
{
    if (exact_usable_sizes()) {
        printf("checked build: usable size is the request; skipped\n");
        return;
    }
    for (size_t s = 1; s <= 512 * KiB; s += s < 4 * KiB ? 1 : s / 64 + 1) {
        void *p = ox_malloc(s);
        CHECKF(p != NULL, "ox_malloc(%zu)", s);
        if (!p)
            continue;
        size_t u = ox_usable_size(p), want = documented_class_size(s);
        CHECKF(u == want, "size %zu: usable %zu, class %zu", s, u, want);
        ox_free(p);
    }
}

#define RUN 4

/* Pointers at `offs` into the second block of a run are refused. */
static void refuse_interior(size_t size)
{
    uint8_t *b[RUN];
    for (int i = 0; i < RUN; i++) {
        b[i] = ox_malloc(size);
        CHECKF(b[i] != NULL, "ox_malloc(%zu)", size);
        if (!b[i])
            return;
        pat_fill(b[i], size, pat_seed(b[i], size));
    }
    size_t usable = ox_usable_size(b[1]);
    const size_t offs[] = { 1, 8, 15, 16, 32, usable / 2, usable / 2 + 8, usable - 16,
                            usable - 1 };
    for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++)
        if (offs[k] > 0 && offs[k] < usable)
            ox_free(b[1] + offs[k]);
    /* Were any of those taken for a block, the next allocations of the
     * class would return it (the free lists are LIFO). */
    void *again[RUN];
    for (int i = 0; i < RUN; i++) {
        again[i] = ox_malloc(size);
        for (int j = 0; j < RUN; j++)
            CHECKF(!again[i] || (uint8_t *)again[i] + size <= b[j] ||
                       (uint8_t *)again[i] >= b[j] + usable,
                   "size %zu: %p handed out inside live block %p", size, again[i],
                   (void *)b[j]);
    }
    for (int i = 0; i < RUN; i++) {
        CHECKF(pat_find_bad(b[i], size, pat_seed(b[i], size)) == SIZE_MAX,
               "size %zu: live block changed by a refused free", size);
        ox_free(b[i]);
        ox_free(again[i]);
    }
}

void test_interior_free_refused(void)
{
    if (exact_usable_sizes()) {
        printf("checked build: interior frees abort (tests/checked); skipped\n");
        return;
    }
    size_t sizes[256];
    size_t n = probe_class_sizes(sizes, 256, 512 * KiB);
    CHECKF(n > 16, "only %zu classes found", n);
    for (size_t i = 0; i < n; i++)
        refuse_interior(sizes[i]);
}
