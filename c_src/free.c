/*
 * free.c - frees off the fast path: blocks owned by another thread, huge
 * blocks, and pointers oxalloc does not manage.
 */
#include "internal.h"

OX_NOINLINE void _ox_free_generic(ox_segment_t *seg, void *p) {
  if (seg->kind == OX_KIND_HUGE) _ox_huge_free(seg);
  else _ox_free_remote(seg, p);
}

/* Never follow a foreign pointer: the release build ignores it (a leak
 * beats corrupting someone else's heap), the checked build stops. */
OX_COLD void _ox_free_foreign(const void *p) {
#if OX_CHECKED
  _ox_fatal("free of a pointer oxalloc never allocated:", p);
#else
  _ox_warn("ignoring free of a pointer oxalloc does not manage:", p);
#endif
}

size_t _ox_usable_size_in(ox_segment_t *seg, const void *p) {
#if OX_CHECKED
  return _ox_checked_usable(seg, p);
#endif
  if (seg->kind == OX_KIND_HUGE) return seg->huge_usable;
  return _ox_segment_page_of(seg, p)->block_size;
}
