/*
 * system_shim.c - the rust_* ABI (include/rust_alloc.h) on top of the C
 * library's malloc family: the polyfill of the link matrix (docs/link-matrix.md), archived alone as
 * liboxalloc_system.a and linked by the `system` row of the Rust crate.
 *
 * Blocks with align <= alignof(max_align_t) come straight from
 * malloc/calloc/realloc, so C `free` accepts them and a `malloc` block may
 * be released with rust_dealloc.  Larger alignments use posix_memalign and
 * resize by copying, because the C library's realloc only keeps 16 bytes of
 * alignment.  Only the four rust_* symbols are exported.
 */
#include <errno.h>
#include <malloc.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rust_alloc.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* What malloc already guarantees for every size. */
#define MALLOC_ALIGN alignof(max_align_t)

static int align_is_valid(size_t align) { return align != 0 && (align & (align - 1)) == 0; }

/* True (with errno = ENOMEM) when `size` rounded up to `align` could not be
 * represented as an object size; the C library is never asked for it. */
static int size_is_too_big(size_t size, size_t align) {
  if (size > (size_t)PTRDIFF_MAX - align) {
    errno = ENOMEM;
    return 1;
  }
  return 0;
}

/* malloc(0) may legally return NULL; the ABI wants a unique pointer. */
static size_t nonzero(size_t size) { return size ? size : 1; }

static void *aligned_block(size_t size, size_t align) {
  void *p = NULL;
  int rc = posix_memalign(&p, align, nonzero(size));
  if (rc != 0) {
    errno = rc;
    return NULL;
  }
  return p;
}

SHIM_EXPORT void *rust_alloc(size_t size, size_t align) {
  if (!align_is_valid(align)) {
    errno = EINVAL;
    return NULL;
  }
  if (size_is_too_big(size, align)) return NULL;
  if (align <= MALLOC_ALIGN) return malloc(nonzero(size));
  return aligned_block(size, align);
}

SHIM_EXPORT void *rust_alloc_zeroed(size_t size, size_t align) {
  if (!align_is_valid(align)) {
    errno = EINVAL;
    return NULL;
  }
  if (size_is_too_big(size, align)) return NULL;
  /* calloc knows which pages are fresh from the OS and skips them. */
  if (align <= MALLOC_ALIGN) return calloc(1, nonzero(size));
  void *p = aligned_block(size, align);
  if (p != NULL) memset(p, 0, size);
  return p;
}

SHIM_EXPORT void rust_dealloc(void *ptr, size_t size, size_t align) {
  (void)size;
  (void)align;
  free(ptr);
}

/* Over-aligned resize.  The block stays where it is when it is big enough
 * and not mostly empty; otherwise it is copied into a new aligned block.  A
 * shrink that cannot get a new block stays in place, so it never fails. */
static void *realloc_aligned(void *ptr, size_t old_size, size_t align, size_t new_size) {
  size_t usable = malloc_usable_size(ptr);
  if (new_size <= usable && new_size >= usable / 2) return ptr;
  int saved_errno = errno;
  void *q = aligned_block(new_size, align);
  if (q == NULL) {
    if (new_size > usable) return NULL; /* the old block is untouched */
    errno = saved_errno;
    return ptr;
  }
  memcpy(q, ptr, old_size < new_size ? old_size : new_size);
  free(ptr);
  return q;
}

SHIM_EXPORT void *rust_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  if (!align_is_valid(align)) {
    errno = EINVAL;
    return NULL;
  }
  if (size_is_too_big(new_size, align)) return NULL;
  /* realloc(p, 0) would free p: ask for one byte instead. */
  if (align <= MALLOC_ALIGN) return realloc(ptr, nonzero(new_size));
  return realloc_aligned(ptr, old_size, align, new_size);
}
