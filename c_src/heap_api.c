/*
 * heap_api.c - first-class heaps (ox_heap_*): heaps that are not a
 * thread's, whose blocks can all be released at once.  They reuse the
 * thread-heap machinery: a first-class heap is an ox_heap_t whose owner is
 * the creating thread, so frees from that thread are local and frees from
 * others go onto its pages' remote lists (remote.c).
 */
#include <errno.h>
#include <stdint.h>

#include "fast_path.h"
#include "oxalloc.h"

OX_PUBLIC ox_heap_t *ox_heap_new(void) {
  ox_heap_t *heap = _ox_heap_new_first_class();
  if (!heap) errno = ENOMEM;
  return heap;
}

OX_PUBLIC void *ox_heap_malloc(ox_heap_t *heap, size_t size) {
  return _ox_alloc_in(heap, size, OX_MIN_ALIGN, false);
}

OX_PUBLIC void *ox_heap_alloc_aligned(ox_heap_t *heap, size_t size, size_t alignment) {
  if (!_ox_is_pow2(alignment)) {
    errno = EINVAL;
    return NULL;
  }
  return _ox_alloc_in(heap, size, alignment, false);
}

/* A block that has to move is allocated from `heap`; in-place growth and
 * shrinking are realloc.c's, as for ox_realloc. */
OX_PUBLIC void *ox_heap_realloc_aligned(ox_heap_t *heap, void *ptr, size_t size, size_t alignment) {
  if (!_ox_is_pow2(alignment)) {
    errno = EINVAL;
    return NULL;
  }
  if (ptr == NULL) return _ox_alloc_in(heap, size, alignment, false);
  if (size == 0) { /* as ox_realloc: free and return NULL */
    _ox_free(ptr);
    return NULL;
  }
  return _ox_realloc_in(heap, ptr, SIZE_MAX, size, alignment);
}

OX_PUBLIC void *ox_heap_realloc(ox_heap_t *heap, void *ptr, size_t size) {
  return ox_heap_realloc_aligned(heap, ptr, size, OX_MIN_ALIGN);
}

OX_PUBLIC void ox_heap_free(void *ptr) { _ox_free(ptr); }

static void release_contents(ox_heap_t *heap) {
  if (atomic_load_explicit(&_ox_prof_nlive.value, memory_order_relaxed)) _ox_prof_forget_heap(heap);
  _ox_segment_release_all(heap);
  _ox_huge_release_arena(heap);
  _ox_heap_clear(heap);
}

OX_PUBLIC void ox_heap_reset(ox_heap_t *heap) {
  if (heap) release_contents(heap);
}

OX_PUBLIC void ox_heap_destroy(ox_heap_t *heap) {
  if (!heap) return;
  release_contents(heap);
  _ox_heap_retire_first_class(heap);
}
