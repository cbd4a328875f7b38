/*
 * realloc.c - resizing: in place when the block's class still fits (or
 * the huge mapping can be resized), otherwise allocate, copy, free.
 */
#include <errno.h>
#include <string.h>

#include "fast_path.h"

/* Keep a class block for a smaller size unless it would waste 3/4 of it. */
static inline __attribute__((unused)) bool class_block_fits(size_t usable, size_t new_size) {
  return new_size <= usable && (new_size >= usable / 4 || usable <= 128);
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* A huge block may move (or be copied and freed) in _ox_huge_realloc,
 * whose free would drop its sample: the sample is taken off first and put
 * on whatever block results. */
static __attribute__((unused)) void *huge_realloc_profiled(ox_segment_t *seg, void *p,
                                                           size_t new_size) {
  void *parked = (uint8_t *)p + 1; /* no block starts at an odd address */
  bool sampled = _ox_prof_rekey(p, parked);
  void *q = _ox_huge_realloc(seg, new_size);
  if (sampled) _ox_prof_rekey(parked, q ? q : p);
  return q;
}

static __attribute__((unused)) void *huge_realloc(ox_segment_t *seg, void *p, size_t new_size) {
  if (!seg->prof_sampled) return _ox_huge_realloc(seg, new_size);
  return huge_realloc_profiled(seg, p, new_size);
}

/* `old_size` is the caller's size of the block, or SIZE_MAX if unknown.
 * `align` is a power of two.  A block that must move is allocated from
 * `heap` (a first-class heap keeps its blocks).  NULL/errno on failure,
 * `p` unchanged. */
void *_ox_realloc_in(ox_heap_t *heap, void *p, size_t old_size, size_t new_size, size_t align) {
  ox_segment_t *seg = _ox_segment_lookup(p);
  if (OX_UNLIKELY(seg == NULL)) {
    if (_ox_addr_map_huge_gone(p)) _ox_double_free(p);
#if OX_CHECKED
    _ox_fatal("realloc of a pointer oxalloc never allocated:", p);
#else
    _ox_warn("refusing realloc of a pointer oxalloc does not manage:", p);
    errno = EINVAL;
    return NULL;
#endif
  }
  _ox_check_live(seg, p);
  /* Before anything, also when the block would stay: realloc frees it. */
  if (OX_UNLIKELY(_ox_is_freed_block(seg, p))) _ox_double_free(p);
  if (OX_UNLIKELY(!_ox_is_block_start(seg, p))) {
    _ox_warn("refusing realloc of a pointer that is not the start of a live block:", p);
    errno = EINVAL;
    return NULL;
  }
  size_t usable = _ox_usable_size_in(seg, p);
#if OX_CHECKED /* the checked build moves every growth: stale pointers then show */
  if (new_size <= usable) {
    _ox_checked_shrink(seg, p, new_size, align);
    return p;
  }
#else
  if (seg->kind == OX_KIND_HUGE) {
    /* Resized in place or moved whole; only a shrink to a class size that
     * would leave most of the block unused moves into a class page (huge
     * blocks of class sizes exist: realloc growth and big alignments). */
    if (new_size > OX_LARGE_MAX || new_size >= usable / 4) {
      void *q = huge_realloc(seg, p, new_size);
      if (!q && _ox_reclaim_address_space(_ox_tl_heap, new_size))
        q = huge_realloc(seg, p, new_size);
      return q;
    }
  } else if (class_block_fits(usable, new_size)) {
    if (atomic_load_explicit(&_ox_prof_nlive.value, memory_order_relaxed))
      _ox_prof_moved(p, p, new_size, true);
    return p;
  }
#endif
  void *q = NULL;
#if !OX_CHECKED
  /* A sampled class block moves to a page of sampled blocks, where its
   * sample follows it: a page of the class queues never holds one, and
   * the frees of its other blocks stay on the fast path (page.c). */
  if (OX_UNLIKELY(atomic_load_explicit(&_ox_prof_nlive.value, memory_order_relaxed)) &&
      seg->kind != OX_KIND_HUGE && align <= OX_MIN_ALIGN && _ox_segment_page_of(seg, p)->prof_only)
    q = _ox_alloc_sampled_block(heap, new_size);
  /* A class block growing past the MEDIUM sizes moves to a mapping of its
   * own, which later growth resizes (mremap) without a copy: going from
   * one LARGE class to the next instead, each step would leave the block
   * it grew out of resident in its class's page (a vector doubling to
   * 4 MiB held 128 + 256 + 512 KiB of them at its peak).  Not in the
   * checked build, whose blocks carry its trailer (_ox_alloc_in), nor
   * under an address-space limit: a mapping of its own takes a 4 MiB-
   * aligned range, and LARGE pages pack such blocks closer (tests/stress
   * oom: after freeing half, the same blocks must fit again). */
  if (!q && new_size > usable && new_size > OX_MEDIUM_MAX && seg->kind != OX_KIND_HUGE &&
      _ox_os_address_space_limit() == SIZE_MAX)
    q = _ox_alloc_huge_in(heap, new_size, align, false);
#endif
  if (!q) q = _ox_alloc_in(heap, new_size, align, false);
  if (!q) {
    errno = ENOMEM;
    return NULL;
  }
  memcpy(q, p, min_size(min_size(old_size, usable), new_size));
  /* A sampled block stays one sample when it moves. */
  if (atomic_load_explicit(&_ox_prof_nlive.value, memory_order_relaxed))
    _ox_prof_moved(p, q, new_size, seg->kind != OX_KIND_HUGE);
  _ox_check_free(seg, p);
  if (seg->kind == OX_KIND_HUGE)
    _ox_huge_free(seg);
  else
    _ox_free_in(seg, p);
  return q;
}

void *_ox_realloc(void *p, size_t old_size, size_t new_size, size_t align) {
  return _ox_realloc_in(_ox_tl_heap, p, old_size, new_size, align);
}
