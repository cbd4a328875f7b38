/*
 * rust_api.c - the rust_* ABI (include/rust_alloc.h) that Rust's
 * GlobalAlloc calls.  The common layout (align <= 16, size <= 512 KiB)
 * goes straight to the inline class allocation; everything else takes
 * the out-of-line paths.
 */
#include <errno.h>
#include <string.h>

#include "fast_path.h"
#include "rust_alloc.h"

static OX_NOINLINE void *alloc_any(size_t size, size_t align, bool zero) {
  if (!_ox_is_pow2(align)) {
    errno = EINVAL;
    return NULL;
  }
  return _ox_alloc_generic(size, align, zero);
}

OX_PUBLIC void *rust_alloc(size_t size, size_t align) {
  if (OX_LIKELY(align - 1 < OX_MIN_ALIGN && (align & (align - 1)) == 0 && size <= OX_LARGE_MAX)) {
#if OX_CHECKED /* record the exact layout, to compare it at dealloc */
    return _ox_checked_alloc(_ox_tl_heap, size, align, false);
#endif
    return _ox_alloc_class(size);
  }
  return alloc_any(size, align, false);
}

OX_PUBLIC void *rust_alloc_zeroed(size_t size, size_t align) {
  return alloc_any(size, align, true);
}

OX_PUBLIC void rust_dealloc(void *ptr, size_t size, size_t align) {
  if (OX_UNLIKELY(ptr == NULL)) return;
  _ox_free_sized(ptr, size, align);
}

OX_PUBLIC void *rust_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  if (!_ox_is_pow2(align)) {
    errno = EINVAL;
    return NULL;
  }
  if (ptr == NULL) return _ox_alloc_generic(new_size, align, false);
  _ox_check_layout(_ox_segment_lookup(ptr), ptr, old_size, align);
  return _ox_realloc(ptr, old_size, new_size, align);
}
