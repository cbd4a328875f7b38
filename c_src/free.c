/*
 * free.c - frees off the fast path: blocks owned by another thread, huge
 * blocks, and pointers oxalloc does not manage.
 */
#include "fast_path.h"

#if OX_SECURE
OX_COLD _Noreturn void _ox_link_corrupt(const void *block) {
  _ox_fatal("heap corruption: the free-list link of this block was overwritten (an overflow into a "
            "freed block?):",
            block);
}
#endif

OX_NOINLINE void _ox_free_generic(ox_segment_t *seg, void *p) {
  if (seg->kind == OX_KIND_HUGE)
    _ox_huge_free(seg);
  else
    _ox_free_remote(seg, p);
}

/* Never follow a foreign pointer: the release build ignores it (a leak
 * beats corrupting someone else's heap), the checked build stops. */
OX_COLD void _ox_free_foreign(const void *p) {
  if (_ox_addr_map_huge_gone(p)) _ox_double_free(p); /* its mapping is gone already */
#if OX_CHECKED
  _ox_fatal("free of a pointer oxalloc never allocated:", p);
#else
  _ox_warn("ignoring free of a pointer oxalloc does not manage:", p);
#endif
}

static OX_COLD void report_invalid(const char *what, const void *p) {
#if OX_CHECKED
  _ox_fatal(what, p);
#else
  _ox_warn(what, p);
#endif
}

/* A second free of a block (block_link.h): reported, then the process
 * stops, whatever the build - going on would hand the block out twice. */
OX_COLD _Noreturn void _ox_double_free(const void *p) { _ox_fatal("double free of", p); }

bool _ox_is_block_start(ox_segment_t *seg, const void *p) {
  if (seg->kind == OX_KIND_HUGE)
    return (const uint8_t *)p == (const uint8_t *)seg + seg->huge_offset && seg->pages_used;
  return _ox_is_page_block(_ox_segment_page_of(seg, p), p);
}

/* Has the block starting at `p` been freed?  A huge block's header says
 * so until its mapping is reused; a class block carries the freed mark. */
bool _ox_is_freed_block(ox_segment_t *seg, const void *p) {
  if (seg->kind == OX_KIND_HUGE)
    return (const uint8_t *)p == (const uint8_t *)seg + seg->huge_offset && !seg->pages_used;
#if OX_CHECKED /* the checked build knows it from the trailer (checked.c) */
  return false;
#else
  return _ox_is_page_block(_ox_segment_page_of(seg, p), p) && _ox_is_marked_freed(p);
#endif
}

/* `p` is inside a segment but not a class block: a huge block, or a
 * pointer that was never handed out (interior, header, free page, a block
 * of a page not carved yet). */
OX_NOINLINE void _ox_free_not_class(ox_segment_t *seg, void *p) {
  if (_ox_is_block_start(seg, p))
    _ox_huge_free(seg);
  else if (_ox_is_freed_block(seg, p))
    _ox_double_free(p);
  else
    report_invalid("ignoring free of a pointer that is not the start of a live block:", p);
}

size_t _ox_usable_size_in(ox_segment_t *seg, const void *p) {
#if OX_CHECKED
  return _ox_checked_usable(seg, p);
#endif
  if (seg->kind == OX_KIND_HUGE) return seg->huge_usable;
  return _ox_segment_page_of(seg, p)->block_size;
}

/* A sized free whose layout is not a class block's (huge, or over-aligned). */
OX_NOINLINE void _ox_free_sized_other(void *p, size_t size, size_t align) {
  _ox_check_layout(_ox_segment_lookup(p), p, size, align);
  _ox_free(p);
}
