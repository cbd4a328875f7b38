/*
 * api.c - the ox_ malloc family (include/oxalloc.h).
 */
#include <errno.h>
#include <string.h>

#include "fast_path.h"
#include "oxalloc.h"

OX_PUBLIC void *ox_malloc(size_t size) { return _ox_malloc(size); }

OX_PUBLIC void *ox_calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return _ox_alloc_generic(total, OX_MIN_ALIGN, true);
}

OX_PUBLIC void *ox_realloc(void *ptr, size_t size) {
  if (ptr == NULL) return ox_malloc(size);
  if (size == 0) { /* glibc: free and return NULL */
    ox_free(ptr);
    return NULL;
  }
  return _ox_realloc(ptr, SIZE_MAX, size, OX_MIN_ALIGN);
}

OX_PUBLIC void ox_free(void *ptr) { _ox_free(ptr); }

OX_PUBLIC void ox_free_sized(void *ptr, size_t size) {
  if (ptr) _ox_free_sized(ptr, size, OX_MIN_ALIGN);
}

OX_PUBLIC void ox_free_aligned_sized(void *ptr, size_t alignment, size_t size) {
  if (ptr) _ox_free_sized(ptr, size, alignment);
}

OX_PUBLIC void *ox_aligned_alloc(size_t alignment, size_t size) {
  if (!_ox_is_pow2(alignment)) {
    errno = EINVAL;
    return NULL;
  }
  return _ox_alloc_generic(size, alignment, false);
}

/* Both answer from the address map alone (addr_map.c), never from a
 * segment header that another thread may be unmapping. */
OX_PUBLIC size_t ox_usable_size(const void *ptr) {
  size_t usable = _ox_addr_map_usable(ptr);
#if OX_CHECKED /* the size asked for, from the block's trailer (no fault either) */
  if (usable) usable = _ox_checked_usable_any(ptr, usable);
#endif
  return usable;
}

OX_PUBLIC bool ox_owns(const void *ptr) { return _ox_addr_map_owns(ptr); }
