/*
 * oom.c - out of memory under RLIMIT_AS.
 *
 *   oom API RANGE [WATCHDOG_SECONDS]
 *     API:   rust_alloc rust_alloc_zeroed rust_realloc ox_malloc ox_calloc
 *            ox_aligned_alloc
 *     RANGE: small medium large huge, or init (see init_case)
 *
 * The address space is capped at its current size + 160 MiB, then blocks
 * of RANGE's size are allocated through API until it returns NULL.  The
 * failure must be a clean NULL with errno ENOMEM, every block allocated
 * before must still hold its pattern, and after freeing half of them the
 * same allocations must succeed again (then all are freed, and allocation
 * works once more).  rust_realloc grows blocks until a resize fails, and
 * the block that could not grow must be intact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "check.h"
#include "oxalloc.h"
#include "rust_alloc.h"
#include "testutil.h"

CHECK_DEFINE_COUNTERS;

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define HEADROOM (160 * MiB)
#define MAXBLOCKS (1 << 20)

enum api { A_RUST, A_RUST_ZEROED, A_RUST_REALLOC, A_OX_MALLOC, A_OX_CALLOC,
           A_OX_ALIGNED, A_COUNT };
static const char *api_names[A_COUNT] = {
    "rust_alloc", "rust_alloc_zeroed", "rust_realloc", "ox_malloc",
    "ox_calloc", "ox_aligned_alloc",
};
static enum api api;
static size_t bsize, balign;

static void *blocks[MAXBLOCKS];
static size_t sizes[MAXBLOCKS];
static size_t nblocks;

/* One allocation through the API under test (rust_realloc: a half-size
 * block grown to full size). */
static void *alloc_one(size_t *got)
{
    void *p = NULL, *q;
    *got = bsize;
    switch (api) {
    case A_RUST: return rust_alloc(bsize, balign);
    case A_RUST_ZEROED: return rust_alloc_zeroed(bsize, balign);
    case A_OX_MALLOC: return ox_malloc(bsize);
    case A_OX_CALLOC: return ox_calloc(bsize / 8, 8);
    case A_OX_ALIGNED: return ox_aligned_alloc(balign, bsize);
    case A_RUST_REALLOC:
        p = rust_alloc(bsize / 2, balign);
        if (!p)
            return NULL;
        blk_fill(p, bsize / 2);
        q = rust_realloc(p, bsize / 2, balign, bsize);
        if (q) {
            CHECK(pat_ok(q, bsize / 2, pat_seed(p, bsize / 2)));
            return q;
        }
        CHECKF(errno == ENOMEM, "rust_realloc failed with errno %d", errno);
        CHECKF(blk_ok(p, bsize / 2), "block changed by a failed rust_realloc");
        *got = bsize / 2;
        return p; /* kept at its old size */
    default: return NULL;
    }
}

static void release(void *p, size_t s)
{
    if (api <= A_RUST_REALLOC)
        rust_dealloc(p, s, balign);
    else
        ox_free(p);
}

/* Allocates until NULL; returns true when the failure was clean. */
static bool fill_until_null(void)
{
    while (nblocks < MAXBLOCKS) {
        size_t got;
        errno = 0;
        void *p = alloc_one(&got);
        if (!p) {
            CHECKF(errno == ENOMEM, "%s(%zu) = NULL with errno %d",
                   api_names[api], bsize, errno);
            return true;
        }
        CHECKF(is_aligned(p, balign), "%p not %zu-aligned", p, balign);
        if (api == A_RUST_ZEROED || api == A_OX_CALLOC)
            CHECKF(all_zero(p, got), "zeroed block not zero");
        blk_fill(p, got);
        blocks[nblocks] = p;
        sizes[nblocks++] = got;
        if (api == A_RUST_REALLOC && got < bsize)
            return true; /* the realloc itself failed */
    }
    CHECKF(false, "no failure after %d blocks", MAXBLOCKS);
    return false;
}

static void verify_all(const char *when)
{
    size_t bad = 0;
    for (size_t i = 0; i < nblocks; i++)
        if (blocks[i] && !blk_ok(blocks[i], sizes[i]))
            bad++;
    CHECKF(bad == 0, "%zu of %zu blocks corrupted %s", bad, nblocks, when);
}

/* Grows live blocks (rust_realloc x4) until a resize fails. */
static void grow_until_fail(void)
{
    for (size_t i = 0; i < nblocks; i++) {
        if (!blocks[i])
            continue;
        size_t ns = sizes[i] * 4;
        errno = 0;
        void *q = rust_realloc(blocks[i], sizes[i], balign, ns);
        if (!q) {
            CHECKF(errno == ENOMEM, "rust_realloc: errno %d", errno);
            CHECK(blk_ok(blocks[i], sizes[i]));
            return;
        }
        CHECK(pat_ok(q, sizes[i], pat_seed(blocks[i], sizes[i])));
        blocks[i] = q;
        sizes[i] = ns;
        blk_fill(q, ns);
    }
}

/* Only the soft limit, so that it can be lifted again for the report. */
static void set_limit(rlim_t bytes)
{
    struct rlimit rl = { bytes, RLIM_INFINITY };
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
}

static size_t range_size(const char *r)
{
    if (!strcmp(r, "small")) return 200;
    if (!strcmp(r, "medium")) return 24 * KiB;
    if (!strcmp(r, "large")) return 400 * KiB;
    if (!strcmp(r, "huge")) return 5 * MiB;
    return 0;
}

/* `oom API init`: the very first allocation happens under a tight limit.
 * It may fail (cleanly); once the limit is lifted, allocation must work:
 * a failed initialisation must not stay broken. */
static int init_case(const char *name)
{
    set_limit(vm_bytes() + 32 * MiB);
    size_t got;
    errno = 0;
    void *p = alloc_one(&got);
    int err = errno;
    CHECKF(p || err == ENOMEM, "first %s under a limit: NULL, errno %d",
           api_names[api], err);
    set_limit(RLIM_INFINITY);
    if (p)
        release(p, got);
    void *q = alloc_one(&got);
    CHECKF(q != NULL, "%s fails for good after a first call under a limit",
           api_names[api]);
    if (q)
        release(q, got);
    printf("oom %s init: first call under the limit %s, after lifting it %s: "
           "%s\n", name, p ? "succeeded" : "failed cleanly",
           q ? "works" : "still fails", check_failures ? "FAILED" : "ok");
    return check_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    api = A_COUNT;
    for (int i = 0; i < A_COUNT; i++)
        if (!strcmp(argv[1], api_names[i]))
            api = (enum api)i;
    bool init = !strcmp(argv[2], "init");
    bsize = init ? 1000 : range_size(argv[2]);
    if (api == A_COUNT || !bsize)
        return 2;
    balign = api == A_OX_ALIGNED ? 4096 : api <= A_RUST_REALLOC ? 64 : 16;
    watchdog(argc > 3 ? (unsigned)atoi(argv[3]) : 60);
    if (init)
        return init_case(argv[1]);

    /* Warm up first: the allocator's one-time reservations (its segment
     * map, the thread's heap) are not what this test exhausts. */
    size_t got;
    void *p = alloc_one(&got);
    CHECK(p != NULL);
    if (p)
        release(p, got);
    set_limit(vm_bytes() + HEADROOM);
    fill_until_null();
    size_t at_failure = nblocks;
    CHECKF(at_failure > 0, "nothing could be allocated before failing");
    verify_all("after the first failure");
    if (api == A_RUST_REALLOC) {
        grow_until_fail();
        verify_all("after a failed grow");
    }

    /* Free every other block; the same allocations must work again. */
    size_t freed = 0;
    for (size_t i = 0; i < nblocks; i += 2, freed++) {
        release(blocks[i], sizes[i]);
        blocks[i] = NULL;
    }
    for (size_t i = 0; i < nblocks && freed > 1; i += 2, freed--) {
        size_t got;
        void *p = alloc_one(&got);
        CHECKF(p != NULL && got == bsize,
               "allocation after freeing half failed (block %zu)", i);
        if (!p)
            break;
        blk_fill(p, got);
        blocks[i] = p;
        sizes[i] = got;
    }
    verify_all("after reallocating");
    for (size_t i = 0; i < nblocks; i++)
        if (blocks[i])
            release(blocks[i], sizes[i]);
    p = alloc_one(&got);
    CHECKF(p != NULL && got == bsize, "allocation after freeing all failed");
    if (p)
        release(p, got);
    set_limit(RLIM_INFINITY);
    printf("oom %s %s: %zu blocks of %zu before ENOMEM: %s\n", api_names[api],
           argv[2], at_failure, bsize, check_failures ? "FAILED" : "ok");
    return check_failures ? 1 : 0;
}
