/*
 * stats.c - statistics: process-wide counters kept on the slow paths,
 * per-heap live-block counters kept by each heap's owner (page.c), merged
 * on request; the text and JSON reports.  Nothing here allocates.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "block_link.h"
#include "internal.h"
#include "oxalloc.h"
#include "size_class.h"

_Atomic intptr_t _ox_stat[OX_STAT_COUNT];

static size_t stat_value(ox_stat_id id) {
  intptr_t v = atomic_load_explicit(&_ox_stat[id], memory_order_relaxed);
  return v > 0 ? (size_t)v : 0;
}

/* ---- per-thread and cumulative bytes ----------------------------------------
 * What a heap's fast paths allocated is derived, not counted: the blocks
 * handed to them from its own pages (granted, counted by page.c) minus
 * those still unused (walked here, by the owner only), plus the pops from
 * its lists of other heaps' blocks (their `used`), plus huge blocks.  What
 * they freed locally is what was popped minus what is live now minus what
 * other threads freed into the heap. */

typedef struct {
  uint64_t alloc, dealloc;
} byte_totals_t;

static uint64_t unused_granted(ox_heap_t *heap) { /* owner only: walks its free lists */
  uint64_t bytes = 0;
  for (unsigned i = 0; i < OX_HEAP_QUEUES; i++) {
    for (ox_page_t *page = _ox_heap_queue(heap, i)->first; page; page = page->next) {
      uint64_t n = 0;
      for (ox_block_t *b = page->free; b; b = _ox_link_get(b)) n++;
      for (ox_block_t *b = page->prof_held; b; b = _ox_link_get(b)) n++;
      bytes += n * page->block_size;
    }
  }
  return bytes;
}

static byte_totals_t heap_totals(ox_heap_t *heap, bool owner) {
#define LOAD(field) atomic_load_explicit(&heap->field, memory_order_relaxed)
  uint64_t popped = LOAD(granted_bytes) - LOAD(ungranted_bytes);
  if (owner) popped -= unused_granted(heap);
  uint64_t reused = 0, kept = 0, live = 0;
  /* The lists of other heaps' blocks this thread freed and keeps: its
   * pops are allocations, what was put in (capacity, until a flush moves
   * the rest to remote_sent_bytes) frees.  Read by the owner only (other
   * threads' totals leave them out). */
  for (unsigned c = 0; owner && c < OX_REUSE_CLASSES; c++) {
    reused += (uint64_t)heap->reuse[c].used * _ox_class_size(c);
    kept += (uint64_t)heap->reuse[c].capacity * _ox_class_size(c);
  }
  for (unsigned c = 0; c < OX_CLASS_COUNT; c++)
    if (LOAD(live[c]) > 0) live += (uint64_t)LOAD(live[c]) * _ox_class_size(c);
  uint64_t freed_here = popped - live - LOAD(collected_bytes);
  byte_totals_t t = {popped + reused + LOAD(huge_alloc_bytes),
                     freed_here + kept + LOAD(remote_sent_bytes) + LOAD(huge_freed_bytes)};
#undef LOAD
  return t;
}

void _ox_stats_thread_attach(ox_heap_t *heap) {
  _ox_heap_sync_live(heap);
  byte_totals_t t = heap_totals(heap, true);
  heap->attach_alloc = t.alloc;
  heap->attach_dealloc = t.dealloc;
}

static void add_heap(ox_heap_t *heap, void *arg) {
  ox_stats_t *out = arg;
  /* This thread's own heaps (its thread heap and first-class heaps) are
   * brought up to date; others count as of their last slow path. */
  if (atomic_load_explicit(&heap->owner, memory_order_relaxed) == (const void *)&_ox_tl_heap)
    _ox_heap_sync_live(heap);
  for (unsigned c = 0; c < OX_CLASS_COUNT; c++) {
    intptr_t live = atomic_load_explicit(&heap->live[c], memory_order_relaxed);
    if (live > 0) out->classes[c].live_blocks += (size_t)live;
  }
  out->remote_frees += atomic_load_explicit(&heap->remote_frees, memory_order_relaxed);
  out->remote_frees += atomic_load_explicit(&heap->remote_frees_sent, memory_order_relaxed);
  bool mine = heap == _ox_tl_heap;
  byte_totals_t t = heap_totals(heap, mine);
  out->total_allocated_bytes += t.alloc;
  out->total_deallocated_bytes += t.dealloc;
  if (mine) {
    out->thread_allocated_bytes = t.alloc - heap->attach_alloc;
    out->thread_deallocated_bytes = t.dealloc - heap->attach_dealloc;
  }
  out->kept_page_bytes += atomic_load_explicit(&heap->kept_bytes, memory_order_relaxed);
}

OX_PUBLIC int ox_stats_get(ox_stats_t *out) {
  if (!out) return EINVAL;
  memset(out, 0, sizeof *out);
  out->class_count = OX_CLASS_COUNT;
  for (unsigned c = 0; c < OX_CLASS_COUNT; c++) out->classes[c].block_size = _ox_class_size(c);
  _ox_heap_visit_all(add_heap, out);
  for (unsigned c = 0; c < OX_CLASS_COUNT; c++) {
    out->allocated_blocks += out->classes[c].live_blocks;
    out->allocated_bytes += out->classes[c].live_blocks * out->classes[c].block_size;
  }
  out->huge_blocks = stat_value(OX_STAT_HUGE_BLOCKS);
  out->huge_bytes = stat_value(OX_STAT_HUGE_BYTES);
  out->allocated_blocks += out->huge_blocks;
  out->allocated_bytes += out->huge_bytes;
  out->pages_in_use = stat_value(OX_STAT_PAGES);
  out->segments_in_use = stat_value(OX_STAT_SEGMENTS);
  out->committed_bytes = stat_value(OX_STAT_COMMITTED);
  size_t nonresident = stat_value(OX_STAT_NONRESIDENT);
  out->resident_bytes = out->committed_bytes > nonresident ? out->committed_bytes - nonresident : 0;
  out->returned_bytes = stat_value(OX_STAT_RETURNED);
  out->os_calls = stat_value(OX_STAT_OS_CALLS);
  out->threads_seen = stat_value(OX_STAT_THREADS);
  out->peak_committed_bytes = stat_value(OX_STAT_COMMITTED_MAX);
  out->pending_purge_bytes = stat_value(OX_STAT_PENDING_PURGE);
  out->segment_cache_bytes = stat_value(OX_STAT_CACHED_SEGMENT);
  out->huge_cache_bytes = _ox_huge_cache_bytes();
  return 0;
}

/* Peaks: `value` becomes the counter's new value if it is higher. */
void _ox_stat_raise(ox_stat_id id, intptr_t value) {
  intptr_t seen = atomic_load_explicit(&_ox_stat[id], memory_order_relaxed);
  while (seen < value &&
         !atomic_compare_exchange_weak_explicit(&_ox_stat[id], &seen, value, memory_order_relaxed,
                                                memory_order_relaxed)) {
  }
}

/* The most huge blocks and huge bytes live at once so far. */
void _ox_stats_huge_peaks(size_t *blocks, size_t *bytes) {
  *blocks = stat_value(OX_STAT_HUGE_BLOCKS_MAX);
  *bytes = stat_value(OX_STAT_HUGE_BYTES_MAX);
}

/* ---- reports ------------------------------------------------------------- */

typedef struct {
  char buf[256];
  size_t n;
  void (*out)(const char *, void *);
  void *arg;
} writer_t;

static void w_str(writer_t *w, const char *s) {
  w->n = _ox_fmt_str(w->buf, w->n, sizeof w->buf, s);
}

static void w_num(writer_t *w, size_t v, size_t width) {
  char digits[32];
  size_t len = _ox_fmt_dec(digits, 0, sizeof digits, v);
  while (len < width--) w_str(w, " ");
  w_str(w, digits);
}

static void w_flush(writer_t *w) {
  w->out(w->buf, w->arg);
  w->n = 0;
  w->buf[0] = 0;
}

/* The totals of a snapshot, in report order: JSON name, text label. */
#define TOTAL(field, label)                                                                        \
  { #field, label, offsetof(ox_stats_t, field) }
static const struct {
  const char *name, *label;
  size_t offset;
} totals[] = {
    TOTAL(allocated_bytes, "allocated bytes"),
    TOTAL(allocated_blocks, "allocated blocks"),
    TOTAL(huge_blocks, "huge blocks"),
    TOTAL(huge_bytes, "huge bytes"),
    TOTAL(pages_in_use, "pages in use"),
    TOTAL(segments_in_use, "segments in use"),
    TOTAL(committed_bytes, "committed bytes"),
    TOTAL(resident_bytes, "resident bytes"),
    TOTAL(returned_bytes, "returned to OS"),
    TOTAL(os_calls, "OS calls"),
    TOTAL(remote_frees, "remote frees"),
    TOTAL(threads_seen, "threads seen"),
    TOTAL(thread_allocated_bytes, "thread allocated"),
    TOTAL(thread_deallocated_bytes, "thread freed"),
    TOTAL(total_allocated_bytes, "total allocated"),
    TOTAL(total_deallocated_bytes, "total freed"),
    TOTAL(peak_committed_bytes, "peak committed"),
    TOTAL(pending_purge_bytes, "unused: pending purge"),
    TOTAL(kept_page_bytes, "unused: kept pages"),
    TOTAL(segment_cache_bytes, "unused: segment cache"),
    TOTAL(huge_cache_bytes, "unused: huge cache"),
};
#define TOTAL_COUNT (sizeof totals / sizeof totals[0])

static size_t total_value(const ox_stats_t *s, size_t i) {
  return *(const size_t *)((const char *)s + totals[i].offset);
}

OX_PUBLIC void ox_stats_print(void (*out)(const char *text, void *arg), void *arg) {
  ox_stats_t s;
  ox_stats_get(&s);
  writer_t w = {.n = 0, .out = out, .arg = arg};
  w_str(&w, "oxalloc ");
  w_str(&w, ox_version());
  w_str(&w, " statistics\n");
  w_flush(&w);
  for (size_t i = 0; i < TOTAL_COUNT; i++) {
    w_str(&w, "  ");
    w_str(&w, totals[i].label);
    while (w.n < 25) w_str(&w, " "); /* labels in one column */
    w_num(&w, total_value(&s, i), 16);
    w_str(&w, "\n");
    w_flush(&w);
  }
  w_str(&w, "  class  block size  live blocks    live bytes\n");
  w_flush(&w);
  for (size_t c = 0; c < s.class_count; c++) {
    if (s.classes[c].live_blocks == 0) continue;
    w_str(&w, "  ");
    w_num(&w, c, 5);
    w_num(&w, s.classes[c].block_size, 12);
    w_num(&w, s.classes[c].live_blocks, 13);
    w_num(&w, s.classes[c].live_blocks * s.classes[c].block_size, 14);
    w_str(&w, "\n");
    w_flush(&w);
  }
}

static void j_field(writer_t *w, const char *name, size_t v, bool comma) {
  w_str(w, "\"");
  w_str(w, name);
  w_str(w, "\":");
  w_num(w, v, 0);
  if (comma) w_str(w, ",");
  w_flush(w);
}

OX_PUBLIC void ox_stats_json(void (*out)(const char *text, void *arg), void *arg) {
  ox_stats_t s;
  ox_stats_get(&s);
  writer_t w = {.n = 0, .out = out, .arg = arg};
  w_str(&w, "{\"version\":\"");
  w_str(&w, ox_version());
  w_str(&w, "\",");
  w_flush(&w);
  for (size_t i = 0; i < TOTAL_COUNT; i++) j_field(&w, totals[i].name, total_value(&s, i), true);
  w_str(&w, "\"classes\":[");
  w_flush(&w);
  bool first = true;
  for (size_t c = 0; c < s.class_count; c++) {
    if (s.classes[c].live_blocks == 0) continue;
    w_str(&w, first ? "{" : ",{");
    first = false;
    j_field(&w, "class", c, true);
    j_field(&w, "block_size", s.classes[c].block_size, true);
    j_field(&w, "live_blocks", s.classes[c].live_blocks, false);
    w_str(&w, "}");
    w_flush(&w);
  }
  w_str(&w, "]}\n");
  w_flush(&w);
}

/* ---- OXALLOC_SHOW_STATS ------------------------------------------------- */

static void to_stderr(const char *text, void *arg) {
  (void)arg;
  _ox_os_write_stderr(text, strlen(text));
}

void _ox_stats_show_at_exit(void) {
  if (_ox_initialized() && _ox_option(OX_OPT_SHOW_STATS)) ox_stats_print(to_stderr, NULL);
}
