/*
 * collect.c - memory back to the OS on demand: ox_collect (and, in the
 * override, malloc_trim).  The purge on a delay is page.c's (from the slow
 * paths) and background.c's (from its own thread); this is the "now".
 */
#include "internal.h"
#include "oxalloc.h"

OX_PUBLIC void ox_collect(bool force) {
  if (!_ox_initialized()) return;
  uint64_t now = _ox_os_now_ms();
  _ox_heap_collect_own(force);
  if (force) _ox_heap_collect_abandoned_all(true);
  _ox_segment_cache_purge(now, force);
  _ox_huge_cache_purge(now, force);
}
