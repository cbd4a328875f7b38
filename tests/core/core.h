/*
 * core.h - shared declarations of the core suite: the list of tests (one
 * X-macro entry per test: name, extra environment, watchdog seconds) and
 * helpers used by several area files.
 */
#ifndef OX_TEST_CORE_H
#define OX_TEST_CORE_H

#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "oxalloc.h"
#include "rust_alloc.h"
#include "testutil.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* X(name, env or NULL, watchdog seconds) */
#define CORE_TESTS(X)                                        \
    X(class_probe, NULL, 30)                                 \
    X(align_rust_all, NULL, 120)                             \
    X(align_ox_all, NULL, 120)                               \
    X(align_above_2_26, NULL, 60)                            \
    X(fixed_sizes, NULL, 30)                                 \
    X(size_zero, NULL, 30)                                   \
    X(usable_size, NULL, 30)                                 \
    X(size_classes_exact, NULL, 30)                          \
    X(interior_free_refused, "OXALLOC_VERBOSE=0", 60)        \
    X(bad_alignment, NULL, 30)                               \
    X(huge_sizes_fail, NULL, 30)                             \
    X(align_overflow_fail, NULL, 30)                         \
    X(calloc_overflow_fail, NULL, 30)                        \
    X(realloc_fail_keeps_block, NULL, 30)                    \
    X(free_null_and_errno, NULL, 30)                         \
    X(realloc_rust_chains, NULL, 60)                         \
    X(realloc_ox_chains, NULL, 60)                           \
    X(realloc_small_steps, NULL, 30)                         \
    X(realloc_jumps, NULL, 30)                               \
    X(realloc_ox_semantics, NULL, 30)                        \
    X(realloc_grown_fits_stays, NULL, 30)                    \
    X(heap_realloc, NULL, 60)                                \
    X(zeroed_rust, NULL, 60)                                 \
    X(zeroed_calloc, NULL, 60)                               \
    X(zeroed_purge_now, "OXALLOC_PURGE_DELAY=0", 60)         \
    X(owns_ours, NULL, 30)                                   \
    X(owns_foreign, NULL, 30)                                \
    X(sized_free_ox, NULL, 30)                               \
    X(sized_free_aligned, NULL, 60)                          \
    X(sized_dealloc_rust, NULL, 30)                          \
    X(sized_free_after_realloc, NULL, 30)                    \
    X(remote_free_2, NULL, 60)                               \
    X(remote_free_4, NULL, 60)                               \
    X(remote_free_8, NULL, 60)                               \
    X(remote_free_16, NULL, 60)                              \
    X(remote_free_rss_bounded, NULL, 60)                     \
    X(thread_exit_live_blocks, NULL, 60)                     \
    X(rss_small_blocks, "OXALLOC_PURGE_DELAY=0", 60)         \
    X(rss_medium_blocks, "OXALLOC_PURGE_DELAY=0", 60)        \
    X(rss_huge_blocks, "OXALLOC_PURGE_DELAY=0", 60)          \
    X(segment_cache_cycles, "OXALLOC_PURGE_DELAY=10000", 60) \
    X(segment_cache_one_big_free, "OXALLOC_PURGE_DELAY=10000", 60) \
    X(segment_cache_growth_decays, "OXALLOC_PURGE_DELAY=100", 60) \
    X(huge_reuse_assembled, NULL, 30)                        \
    X(huge_reuse_split, NULL, 30)                            \
    X(huge_reuse_realloc, NULL, 60)                          \
    X(huge_reuse_heap, NULL, 30)                             \
    X(huge_reuse_bounded_maps, NULL, 120)                    \
    X(huge_reuse_full_cache, NULL, 60)                       \
    X(huge_reuse_cache_follows_live, NULL, 60)               \
    X(double_free_reported_everywhere, NULL, 60)             \
    X(double_free_remote_reported, NULL, 60)                 \
    X(double_free_huge_unmapped_reported, "OXALLOC_HUGE_CACHE_MB=0", 60) \
    X(stray_free_uncarved_refused, NULL, 30)                 \
    X(stray_sized_free_refused, NULL, 30)                    \
    X(remote_frees_arrive_at_once, NULL, 30)                 \
    X(remote_full_pages_return, NULL, 30)                    \
    X(remote_emptied_pages_purged, "OXALLOC_PURGE_DELAY=0", 30) \
    X(remote_free_into_exiting, NULL, 60)                    \
    X(remote_free_sampled_blocks, NULL, 30)

#define CORE_DECLARE(name, env, secs) void test_##name(void);
CORE_TESTS(CORE_DECLARE)
#undef CORE_DECLARE

/* The class sizes found by probing ox_usable_size of fresh blocks
 * (t_align.c): sorted, up to `max`; returns how many were stored.  Above
 * the range where classes are dense the sizes are sampled every 1/8. */
size_t probe_class_sizes(size_t *out, size_t cap, size_t max);

/* Sizes to test: every class size and its +-1, plus the fixed list of the
 * issue; sorted, unique; returns the count. */
size_t test_sizes(size_t *out, size_t cap, size_t max);

/* Writes the usable range of p (n bytes) with a pattern and verifies it;
 * blocks above `full_limit` bytes get their first and last 4 KiB in full
 * and one word every `stride` bytes. */
bool fill_and_verify(void *p, size_t n, size_t full_limit, size_t stride);

#endif /* OX_TEST_CORE_H */
