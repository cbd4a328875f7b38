/*
 * huge.c - blocks above OX_LARGE_MAX, and blocks aligned beyond what pages
 * give: one mapping each, its header at a 4 MiB-aligned base and the block
 * at `huge_offset` after it.  Once huge blocks are seen cycling, freed
 * mappings wait in a small lock-free cache, so a churn of big blocks reuses
 * resident pages instead of faulting fresh ones in; they go back to the OS
 * after the purge delay.
 * A request no cached mapping fits is assembled: the largest one moves to
 * a new place and grows, and the tails of the others move in after it
 * (mremap moves pages without copying them, and they stay resident), so
 * only what the cache lacks is faulted in; a cached mapping much bigger
 * than a request is split, the rest staying cached.  Growth uses mremap.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define HUGE_CACHE_SLOTS 32
#define HUGE_MAX_ALIGN   ((size_t)1 << 40)
#define HUGE_MAX_PIECES  32
/* The cache may hold as many bytes as the live huge blocks (a bigger
 * working set of huge blocks churns through more freed pages); as they
 * are freed the limit falls with them, and the purge delay still applies. */
#define HUGE_CACHE_LIVE_DIVISOR 1
/* A cached mapping that fits a request is taken whole when the excess is
 * at most this: its pages are resident already, and a block that grows (a
 * vector) then grows in place.  A bigger excess is split off and cached;
 * an excess over three times the request, in a mapping that waited in the
 * cache (huge_cold), stays mapped but is given back. */
#define HUGE_CACHE_KEEP_EXCESS (8 * OX_MiB)
/* A donor gives at least this much, and is unmapped rather than cached
 * when left with less: small pieces are not worth the calls (nor are the
 * small, mostly untouched mappings of small over-aligned blocks). */
#define HUGE_MIN_PIECE OX_MiB

/* Pages moved in from another mapping stay a kernel mapping (VMA) of their
 * own, and mremap works within one: the header page records where each
 * piece ends.  Recorded pieces may be finer than the kernel's mappings
 * (it merges some), never coarser. */
typedef struct {
  uint64_t freed_seq;          /* order of frees: the cache evicts the oldest */
  uint32_t count;              /* 1 .. HUGE_MAX_PIECES */
  size_t end[HUGE_MAX_PIECES]; /* offsets from the base; end[count - 1] == map_size */
} huge_pieces_t;

#define HUGE_PIECES_AT ((sizeof(ox_segment_t) + sizeof(ox_page_t) + 15) & ~(size_t)15)
_Static_assert(HUGE_PIECES_AT + sizeof(huge_pieces_t) <= 4096,
               "the piece table fits the header page");

static ox_slot_t huge_cache[HUGE_CACHE_SLOTS];
/* The size of the mapping in each slot, stored before it is put there: a
 * request chooses by these without taking every slot (a race only makes
 * the choice worse: what is taken is then checked). */
static _Atomic size_t huge_cache_size[HUGE_CACHE_SLOTS];
static _Atomic size_t huge_cached_bytes;
static _Atomic uint64_t huge_free_count;

static huge_pieces_t *pieces_of(ox_segment_t *seg) {
  return (huge_pieces_t *)((uint8_t *)seg + HUGE_PIECES_AT);
}

static size_t piece_start(const huge_pieces_t *pieces, uint32_t i) {
  return i ? pieces->end[i - 1] : 0;
}

static size_t page_round(size_t n) {
  size_t ps = _ox_os_page_size();
  return (n + ps - 1) & ~(ps - 1);
}

/* The block's offset from the base: a multiple of `align`, past the header. */
static size_t huge_offset_for(size_t align) {
  size_t ps = _ox_os_page_size();
  if (align <= ps) return ps;
  return align <= OX_SEGMENT_SIZE ? align : OX_SEGMENT_SIZE;
}

/* Extra address space needed to place a 4 MiB-aligned base whose block
 * (base + offset) is aligned to `align`. */
static size_t huge_slack_for(size_t align) {
  return align <= OX_SEGMENT_SIZE ? OX_SEGMENT_SIZE : align;
}

static uint8_t *huge_base_in(uint8_t *raw, size_t offset, size_t align) {
  if (align <= OX_SEGMENT_SIZE)
    return (uint8_t *)(((uintptr_t)raw + OX_SEGMENT_MASK) & ~(uintptr_t)OX_SEGMENT_MASK);
  uintptr_t block = ((uintptr_t)raw + offset + align - 1) & ~(uintptr_t)(align - 1);
  return (uint8_t *)(block - offset);
}

/* Write the header of a mapping of `map_size` bytes made of `pieces` (NULL:
 * one fresh mapping) and enter it in the address map (prepared before). */
static void huge_init(ox_segment_t *seg, size_t map_size, size_t offset, size_t align,
                      const huge_pieces_t *pieces) {
  /* The page may hold a freed block's data (a split or assembled mapping). */
  _ox_checked_own_header(seg, HUGE_PIECES_AT + sizeof(huge_pieces_t));
  memset(seg, 0, HUGE_PIECES_AT);
  seg->kind = OX_KIND_HUGE;
  seg->page_shift = 63; /* every address maps to pages[0] */
  seg->page_count = 1;
  seg->pages_used = 1;
  seg->map_size = map_size;
  seg->huge_offset = offset;
  seg->huge_usable = map_size - offset;
  seg->huge_align = align;
  huge_pieces_t *own = pieces_of(seg);
  if (pieces) {
    *own = *pieces;
  } else {
    own->freed_seq = 0;
    own->count = 1;
    own->end[0] = map_size;
    _ox_os_advise_huge_pages(seg, map_size);
  }
  _ox_addr_map_set((uintptr_t)seg, map_size, seg);
}

/* Map `map_size` bytes at a base placed as above (the slack is needed only
 * when the plain mapping is misplaced: _ox_os_map_aligned). */
static ox_segment_t *huge_map(size_t map_size, size_t offset, size_t align) {
  uint8_t *base = align <= OX_SEGMENT_SIZE ? _ox_os_map_aligned(map_size, OX_SEGMENT_SIZE, 0)
                                           : _ox_os_map_aligned(map_size, align, offset);
  if (!base) return NULL;
  if (!_ox_addr_map_prepare((uintptr_t)base, map_size)) {
    _ox_os_unmap(base, map_size);
    return NULL;
  }
  huge_init((ox_segment_t *)base, map_size, offset, align, NULL);
  return (ox_segment_t *)base;
}

static void huge_unmap(ox_segment_t *seg) {
  size_t size = seg->map_size;
  _ox_addr_map_set((uintptr_t)seg, size, NULL);
  _ox_os_unmap(seg, size);
}

/* What ox_usable_size answers for the block (addr_map.c). */
static void huge_publish(ox_segment_t *seg) { _ox_addr_map_huge(seg); }

/* ---- resizing a mapping ---------------------------------------------------- */

/* Forget the address map's entries past `new_map`: before their pages go
 * (another thread may map that address space next). */
static void huge_forget_tail(ox_segment_t *seg, size_t new_map) {
  uintptr_t new_end = (uintptr_t)seg + new_map;
  uintptr_t keep_end = (new_end + OX_SEGMENT_MASK) & ~(uintptr_t)OX_SEGMENT_MASK;
  uintptr_t old_end = (uintptr_t)seg + seg->map_size;
  if (old_end > keep_end) _ox_addr_map_set(keep_end, old_end - keep_end, NULL);
  _ox_addr_map_set((uintptr_t)seg, new_map, seg); /* the last chunk kept ends sooner */
}

/* Record that `seg` keeps only its first `new_map` bytes. */
static void huge_truncate(ox_segment_t *seg, size_t new_map) {
  huge_pieces_t *pieces = pieces_of(seg);
  uint32_t i = 0;
  while (pieces->end[i] < new_map) i++;
  pieces->count = i + 1;
  pieces->end[i] = new_map;
  seg->map_size = new_map;
  seg->huge_usable = new_map - seg->huge_offset;
}

/* Move bytes [from, to) of `seg` to `dest`, one mremap per piece (the pages
 * stay resident), and append the pieces they become to `out` (offsets from
 * `out_base`).  On failure what was not moved yet is unmapped; `*moved`
 * tells how much was.  The records of `seg` are left for the caller: they
 * may have moved away. */
static bool move_range(ox_segment_t *seg, size_t from, size_t to, uint8_t *out_base, uint8_t *dest,
                       huge_pieces_t *out, size_t *moved) {
  huge_pieces_t src = *pieces_of(seg); /* the header may be among the moved pages */
  *moved = 0;
  for (uint32_t i = 0; i < src.count && from < to; i++) {
    if (src.end[i] <= from) continue;
    size_t len = (src.end[i] < to ? src.end[i] : to) - from;
    if (!_ox_os_remap_to((uint8_t *)seg + from, len, len, dest + *moved)) {
      _ox_os_unmap((uint8_t *)seg + from, to - from);
      return false;
    }
    *moved += len;
    out->end[out->count++] = (size_t)(dest + *moved - out_base);
    from += len;
  }
  return true;
}

static uint32_t pieces_in(ox_segment_t *seg, size_t from, size_t to) {
  huge_pieces_t *pieces = pieces_of(seg);
  uint32_t n = 0;
  for (uint32_t i = 0; i < pieces->count; i++)
    n += pieces->end[i] > from && piece_start(pieces, i) < to;
  return n;
}

/* Address space for `map_size` bytes at a base placed for `offset` and
 * `align`: the base, and in *raw / *total the whole reservation. */
static uint8_t *huge_reserve(size_t map_size, size_t offset, size_t align, uint8_t **raw,
                             size_t *total) {
  *total = map_size + huge_slack_for(align);
  *raw = _ox_os_reserve(*total);
  if (!*raw) return NULL;
  uint8_t *base = huge_base_in(*raw, offset, align);
  if (_ox_addr_map_prepare((uintptr_t)base, map_size)) return base;
  _ox_os_unreserve(*raw, *total);
  return NULL;
}

/* Give back the reservation around [dest, dest + used): all of it but the
 * used part, then (when `failed`) the used part too. */
static void huge_unreserve_around(uint8_t *raw, size_t total, uint8_t *dest, size_t used,
                                  bool failed) {
  if (dest > raw) _ox_os_unreserve(raw, (size_t)(dest - raw));
  if (raw + total > dest + used)
    _ox_os_unreserve(dest + used, (size_t)(raw + total - (dest + used)));
  if (failed && used) _ox_os_unmap(dest, used);
}

/* Grow the mapping's last piece to `new_map` where it is, if the address
 * space after it is free. */
static bool huge_grow_in_place(ox_segment_t *seg, size_t new_map) {
  huge_pieces_t *pieces = pieces_of(seg);
  size_t old_map = seg->map_size, last = piece_start(pieces, pieces->count - 1);
  if (!_ox_addr_map_prepare((uintptr_t)seg, new_map)) return false;
  if (!_ox_os_remap_inplace((uint8_t *)seg + last, old_map - last, new_map - last)) return false;
  pieces->end[pieces->count - 1] = new_map;
  seg->map_size = new_map;
  seg->huge_usable = new_map - seg->huge_offset;
  _ox_addr_map_set((uintptr_t)seg, new_map, seg);
  return true;
}

/* Resize the mapping to `new_map`; the segment may move.  NULL on failure
 * (the old mapping is then unchanged).  A mapping of several pieces grows
 * only in place: moving them one by one could fail half-way. */
static ox_segment_t *huge_resize(ox_segment_t *seg, size_t new_map) {
  size_t old_map = seg->map_size;
  if (new_map == old_map) return seg;
  if (new_map < old_map) {
    huge_forget_tail(seg, new_map);
    huge_truncate(seg, new_map);
    _ox_os_unmap((uint8_t *)seg + new_map, old_map - new_map);
    return seg;
  }
  if (huge_grow_in_place(seg, new_map)) return seg;
  if (pieces_of(seg)->count > 1) return NULL;
  uint8_t *raw;
  size_t total;
  uint8_t *dest = huge_reserve(new_map, seg->huge_offset, seg->huge_align, &raw, &total);
  if (!dest) return NULL;
  _ox_addr_map_set((uintptr_t)seg, old_map, NULL);
  if (!_ox_os_remap_to(seg, old_map, new_map, dest)) {
    _ox_addr_map_set((uintptr_t)seg, old_map, seg);
    _ox_os_unreserve(raw, total);
    return NULL;
  }
  huge_unreserve_around(raw, total, dest, new_map, false);
  ox_segment_t *moved = (ox_segment_t *)dest;
  moved->map_size = new_map;
  moved->huge_usable = new_map - moved->huge_offset;
  pieces_of(moved)->end[0] = new_map;
  _ox_addr_map_set((uintptr_t)moved, new_map, moved);
  return moved;
}

/* ---- the cache of freed mappings ------------------------------------------ */

/* Freed mappings are cached only while huge blocks are seen cycling, as
 * segment.c's cache grows only when it was too small: a program that frees
 * one big block and maps no other (sqlite3 grows a 2 MiB buffer and frees
 * it) keeps nothing resident, and one that churns big blocks maps fresh
 * once more, then reuses.  A cycle is a free while other huge blocks are
 * live, a cache miss within the purge delay after a free unmapped its block
 * for want of one, or a cache hit; caching stays on for HUGE_CYCLE_DELAYS
 * purge delays after the last. */
#define HUGE_CYCLE_DELAYS 4
static _Atomic uint64_t huge_uncached_ms; /* a free last unmapped its block uncached */
static _Atomic uint64_t huge_cycle_ms;    /* a cycle was last seen; 0: never */

static bool huge_cycling(uint64_t now) {
  uint64_t seen = atomic_load_explicit(&huge_cycle_ms, memory_order_relaxed);
  uint64_t keep = (uint64_t)_ox_option(OX_OPT_PURGE_DELAY_MS) * HUGE_CYCLE_DELAYS;
  return seen != 0 && now - seen < keep;
}

/* After a huge request: it was served from the cache (`hit`), or mapped
 * fresh for want of a cached mapping. */
static void huge_note_request(bool hit) {
  uint64_t now = _ox_os_now_ms();
  uint64_t uncached = atomic_load_explicit(&huge_uncached_ms, memory_order_relaxed);
  if (hit || (uncached != 0 && now - uncached < (uint64_t)_ox_option(OX_OPT_PURGE_DELAY_MS)))
    atomic_store_explicit(&huge_cycle_ms, now, memory_order_relaxed);
}

/* A cached mapping is cold once it has waited HUGE_COLD_SHARE of the purge
 * delay (15 ms by default): a churn of big blocks takes its mappings back
 * within microseconds. */
#define HUGE_COLD_SHARE 32
static bool huge_cold(const ox_segment_t *seg) {
  uint64_t cold = (uint64_t)_ox_option(OX_OPT_PURGE_DELAY_MS) / HUGE_COLD_SHARE;
  return _ox_os_now_ms() - seg->freed_at_ms >= cold;
}

/* Bytes the cache may hold: the option's floor, or a share of the live huge
 * bytes when that is more; 0 (nothing cached) when either option is 0. */
static size_t huge_cache_limit(void) {
  size_t floor = (size_t)_ox_option(OX_OPT_HUGE_CACHE_MB) * OX_MiB;
  if (floor == 0 || _ox_option(OX_OPT_PURGE_DELAY_MS) == 0) return 0;
  intptr_t live = atomic_load_explicit(&_ox_stat[OX_STAT_HUGE_BYTES], memory_order_relaxed);
  size_t share = live > 0 ? (size_t)live / HUGE_CACHE_LIVE_DIVISOR : 0;
  return share > floor ? share : floor;
}

static bool huge_cache_put(ox_segment_t *seg, size_t limit) {
  if (atomic_fetch_add(&huge_cached_bytes, seg->map_size) + seg->map_size > limit) {
    atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
    return false;
  }
  seg->freed_at_ms = _ox_os_now_ms();
  for (int i = 0; i < HUGE_CACHE_SLOTS; i++) {
    ox_segment_t *expected = NULL;
    if (atomic_load_explicit(&huge_cache[i], memory_order_relaxed) != NULL) continue;
    atomic_store_explicit(&huge_cache_size[i], seg->map_size, memory_order_relaxed);
    if (atomic_compare_exchange_strong(&huge_cache[i], &expected, seg)) return true;
  }
  atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
  return false;
}

static void huge_cache_put_or_unmap(ox_segment_t *seg, size_t limit) {
  if (!huge_cache_put(seg, limit)) huge_unmap(seg);
}

static void huge_cache_drop(ox_segment_t *seg) {
  atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
  huge_unmap(seg);
}

/* Take every cached mapping (they are then this thread's alone). */
static int huge_cache_take_all(ox_segment_t **out) {
  int n = 0, index = 0;
  ox_segment_t *seg;
  while ((seg = _ox_slots_take(huge_cache, HUGE_CACHE_SLOTS, &index)) != NULL) {
    atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
    out[n++] = seg;
  }
  return n;
}

/* Cache a freed mapping, evicting the oldest ones it would not fit beside
 * (when every slot is taken, it is unmapped instead). */
static void huge_cache_add(ox_segment_t *seg) {
  size_t limit = huge_cache_limit();
  if (seg->huge_offset > OX_SEGMENT_SIZE || seg->map_size > limit) {
    huge_unmap(seg);
    return;
  }
  uint64_t now = _ox_os_now_ms();
  /* Other huge blocks live: a working set of several, whose next is likely
   * mapped soon. */
  if (atomic_load_explicit(&_ox_stat[OX_STAT_HUGE_BLOCKS], memory_order_relaxed) > 0)
    atomic_store_explicit(&huge_cycle_ms, now, memory_order_relaxed);
  if (!huge_cycling(now)) {
    atomic_store_explicit(&huge_uncached_ms, now, memory_order_relaxed);
    huge_unmap(seg);
    return;
  }
  pieces_of(seg)->freed_seq = atomic_fetch_add(&huge_free_count, 1);
  if (huge_cache_put(seg, limit)) return;
  if (atomic_load(&huge_cached_bytes) + seg->map_size <= limit) { /* the slots are full */
    huge_unmap(seg);
    return;
  }
  ox_segment_t *all[HUGE_CACHE_SLOTS];
  int n = huge_cache_take_all(all);
  size_t cached = 0;
  for (int i = 0; i < n; i++) cached += all[i]->map_size;
  while (n > 0 && cached + seg->map_size > limit) {
    int oldest = 0;
    for (int i = 1; i < n; i++)
      if (pieces_of(all[i])->freed_seq < pieces_of(all[oldest])->freed_seq) oldest = i;
    cached -= all[oldest]->map_size;
    huge_unmap(all[oldest]);
    all[oldest] = all[--n];
  }
  if (n < HUGE_CACHE_SLOTS)
    all[n++] = seg;
  else
    huge_unmap(seg);
  for (int i = 0; i < n; i++) huge_cache_put_or_unmap(all[i], limit);
}

/* A block shrunk by realloc keeps its mapping when the excess is at most
 * 8 MiB or the new size: growing back then costs nothing. */
static size_t huge_keep_excess(size_t map_size) {
  return map_size > 8 * OX_MiB ? map_size : 8 * OX_MiB;
}

/* Is a cached mapping of `a` bytes better than one of `b` for `want`?
 * The smallest one that fits; failing that, the largest (growing it
 * reuses its pages). */
static bool better_fit(size_t a, size_t b, size_t want) {
  bool a_fits = a >= want, b_fits = b >= want;
  if (a_fits != b_fits) return a_fits;
  return a_fits ? a < b : a > b;
}

/* Take the best cached mapping for `want` bytes, chosen by the sizes. */
static ox_segment_t *huge_cache_take_best(size_t want) {
  for (int attempt = 0; attempt < 4; attempt++) { /* others may take it first */
    int best = -1;
    size_t best_size = 0;
    for (int i = 0; i < HUGE_CACHE_SLOTS; i++) {
      if (atomic_load_explicit(&huge_cache[i], memory_order_relaxed) == NULL) continue;
      size_t size = atomic_load_explicit(&huge_cache_size[i], memory_order_relaxed);
      if (best < 0 || better_fit(size, best_size, want)) {
        best = i;
        best_size = size;
        if (size == want) break; /* none fits better, and a scan keeps the first of equals */
      }
    }
    if (best < 0) return NULL;
    ox_segment_t *seg = atomic_exchange(&huge_cache[best], NULL);
    if (seg) {
      atomic_fetch_sub(&huge_cached_bytes, seg->map_size);
      return seg;
    }
  }
  return NULL;
}

/* Cut the cached `seg` at `cut` bytes; the pages after the cut become a
 * mapping of their own (returned, NULL if that failed: they are then
 * unmapped). */
static ox_segment_t *huge_split(ox_segment_t *seg, size_t cut) {
  size_t tail = seg->map_size - cut, ps = _ox_os_page_size(), moved = 0, total = 0;
  uint8_t *raw = NULL;
  uint8_t *dest = huge_reserve(tail, ps, ps, &raw, &total);
  huge_pieces_t out = {.freed_seq = pieces_of(seg)->freed_seq, .count = 0};
  huge_forget_tail(seg, cut);
  bool ok = dest && move_range(seg, cut, seg->map_size, dest, dest, &out, &moved);
  if (!dest) _ox_os_unmap((uint8_t *)seg + cut, tail);
  huge_truncate(seg, cut);
  if (!dest) return NULL;
  huge_unreserve_around(raw, total, dest, moved, !ok);
  if (!ok) return NULL;
  huge_init((ox_segment_t *)dest, tail, ps, ps, &out);
  return (ox_segment_t *)dest;
}

/* Build a mapping of `want` bytes from `best` (the largest cached one, too
 * small), moved and grown, and the tails of the `donors` moved in after it;
 * only what they lack is fresh.  The donors keep what they did not give
 * (*ndonors is updated).  NULL if a call failed: `best` is then gone. */
static ox_segment_t *huge_assemble(ox_segment_t *best, ox_segment_t **donors, int *ndonors,
                                   size_t want, size_t offset, size_t align) {
  size_t give[HUGE_CACHE_SLOTS] = {0}, need = want - best->map_size;
  bool seen[HUGE_CACHE_SLOTS] = {false};
  uint32_t count = pieces_of(best)->count + 1; /* + 1: the fresh part */
  /* The smallest donors first: they are used up whole, not left in bits. */
  while (need > 0) {
    int pick = -1;
    for (int i = 0; i < *ndonors; i++)
      if (!seen[i] && (pick < 0 || donors[i]->map_size < donors[pick]->map_size)) pick = i;
    if (pick < 0) break;
    seen[pick] = true;
    ox_segment_t *d = donors[pick];
    size_t g = d->map_size < need ? d->map_size : need;
    uint32_t extra = pieces_in(d, d->map_size - g, d->map_size);
    if (g < HUGE_MIN_PIECE || count + extra > HUGE_MAX_PIECES) continue;
    give[pick] = g;
    count += extra;
    need -= g;
  }
  if (count == pieces_of(best)->count + 1 && huge_grow_in_place(best, want)) {
    best->huge_offset = offset; /* no donor, and room after it */
    best->huge_align = align;
    return best;
  }
  if (count > HUGE_MAX_PIECES) { /* no room left for the fresh part's piece */
    huge_unmap(best);
    return NULL;
  }
  uint8_t *raw;
  size_t total, best_map = best->map_size, filled = 0, moved;
  uint8_t *dest = huge_reserve(want, offset, align, &raw, &total);
  if (!dest) {
    donors[(*ndonors)++] = best; /* back to the cache */
    return NULL;
  }
  huge_pieces_t out = {.count = 0};
  _ox_addr_map_set((uintptr_t)best, best_map, NULL);
  bool ok = move_range(best, 0, best_map, dest, dest, &out, &moved);
  filled += moved;
  /* The fresh part is mapped apart: one mremap that moves and grows is
   * right, but valgrind then takes the new pages for unmapped ones. */
  if (ok && need > 0 && (ok = _ox_os_commit_at(dest + filled, need))) {
    filled += need;
    out.end[out.count++] = filled;
  }
  for (int i = 0; ok && i < *ndonors; i++) {
    if (!give[i]) continue;
    ox_segment_t *d = donors[i];
    size_t g = give[i], keep = d->map_size - g;
    if (keep)
      huge_forget_tail(d, keep);
    else
      _ox_addr_map_set((uintptr_t)d, g, NULL);
    ok = move_range(d, keep, d->map_size, dest, dest + filled, &out, &moved);
    filled += moved;
    if (keep >= HUGE_MIN_PIECE) {
      huge_truncate(d, keep);
    } else if (keep) { /* too small to be worth a slot */
      huge_truncate(d, keep);
      huge_unmap(d);
      donors[i] = NULL;
    } else {
      donors[i] = NULL;
    }
  }
  int kept = 0;
  for (int i = 0; i < *ndonors; i++)
    if (donors[i]) donors[kept++] = donors[i];
  *ndonors = kept;
  huge_unreserve_around(raw, total, dest, filled, !ok);
  if (!ok) return NULL;
  huge_init((ox_segment_t *)dest, want, offset, align, &out);
  return (ox_segment_t *)dest;
}

/* A mapping of `map_size` bytes with the block at `offset`, made of cached
 * ones; NULL when the cache is empty or a call failed. */
static ox_segment_t *huge_cache_take(size_t map_size, size_t offset, size_t align) {
  ox_segment_t *best = huge_cache_take_best(map_size);
  if (!best) return NULL;
  ox_segment_t *all[HUGE_CACHE_SLOTS + 1], *seg = best; /* + 1: `best` may go back */
  int n = 0;
  if (best->map_size < map_size) { /* none fits: the others may give pages */
    n = huge_cache_take_all(all);
    seg = huge_assemble(best, all, &n, map_size, offset, align);
  } else {
    /* The base is 4 MiB-aligned: any block alignment up to that is an offset. */
    best->huge_offset = offset;
    best->huge_align = align;
    size_t excess = best->map_size - map_size;
    if (excess > HUGE_CACHE_KEEP_EXCESS) {
      ox_segment_t *rest = huge_split(best, map_size);
      if (rest) all[n++] = rest;
    } else if (excess > 3 * map_size && huge_cold(best)) {
      /* Taken whole for a block under a quarter of its size, after it
       * waited in the cache (no tight churn of big blocks that would need
       * those pages again soon): the excess stays mapped, for the block to
       * grow into, but not resident. */
      _ox_os_purge((uint8_t *)best + map_size, excess);
    }
  }
  size_t limit = huge_cache_limit();
  for (int i = 0; i < n; i++) huge_cache_put_or_unmap(all[i], limit);
  return seg;
}

void _ox_huge_cache_purge(uint64_t now, bool force) {
  _ox_slots_purge(huge_cache, HUGE_CACHE_SLOTS, now, force, huge_cache_drop);
}

size_t _ox_huge_cache_bytes(void) {
  return atomic_load_explicit(&huge_cached_bytes, memory_order_relaxed);
}

/* The calling thread's byte counters (stats.c): a huge block that grows
 * counts as allocated bytes, one that shrinks or goes as freed bytes. */
static void count_for_thread(intptr_t delta) {
  ox_heap_t *me = _ox_tl_heap;
  if (me == &_ox_empty_heap) return;
  if (delta > 0)
    OX_OWNER_ADD(me->huge_alloc_bytes, (uint64_t)delta);
  else
    OX_OWNER_ADD(me->huge_freed_bytes, (uint64_t)-delta);
}

/* ---- the huge API ----------------------------------------------------------- */

void *_ox_huge_alloc(size_t size, size_t align, bool zero) {
  _ox_process_init();
  if (size > OX_REQUEST_MAX || align > HUGE_MAX_ALIGN) {
    errno = ENOMEM;
    return NULL;
  }
  size_t offset = huge_offset_for(align);
  size_t map_size = offset + page_round(size ? size : 1);
  ox_segment_t *seg = NULL;
  if (align <= OX_SEGMENT_SIZE) { /* a cached base serves any such alignment */
    seg = huge_cache_take(map_size, offset, align);
    if (seg && zero) _ox_os_zero((uint8_t *)seg + offset, size); /* no page made resident */
    huge_note_request(seg != NULL);
  }
  if (!seg) seg = huge_map(map_size, offset, align); /* fresh: already zero */
  if (!seg) {
    errno = ENOMEM;
    return NULL;
  }
  seg->huge_align = align;
  /* The request, not the mapping: a cached one may be bigger. */
  seg->huge_usable = map_size - offset;
  seg->pages_used = 1; /* live */
  seg->arena = NULL;
  huge_publish(seg);
  _ox_stat_add(OX_STAT_HUGE_BLOCKS, 1);
  _ox_stat_add(OX_STAT_HUGE_BYTES, (intptr_t)seg->huge_usable);
  count_for_thread((intptr_t)seg->huge_usable);
  return (uint8_t *)seg + seg->huge_offset;
}

/* ---- huge blocks of first-class heaps (a short spin lock per heap) ---- */

static void arena_lock(ox_heap_t *arena) {
  while (atomic_flag_test_and_set_explicit(&arena->huge_lock, memory_order_acquire)) {
  }
}

static void arena_unlock(ox_heap_t *arena) {
  atomic_flag_clear_explicit(&arena->huge_lock, memory_order_release);
}

void _ox_huge_attach(ox_heap_t *arena, void *p) {
  ox_segment_t *seg = _ox_segment_lookup(p);
  arena_lock(arena);
  seg->arena = arena;
  _ox_segment_list_push(&arena->huge_blocks, seg);
  arena_unlock(arena);
}

static void huge_detach(ox_segment_t *seg) {
  ox_heap_t *arena = seg->arena;
  arena_lock(arena);
  _ox_segment_list_remove(&arena->huge_blocks, seg);
  seg->arena = NULL;
  arena_unlock(arena);
}

void _ox_huge_release_arena(ox_heap_t *arena) {
  arena_lock(arena);
  ox_segment_t *seg = arena->huge_blocks;
  arena->huge_blocks = NULL;
  arena_unlock(arena);
  while (seg) {
    ox_segment_t *next = seg->next;
    _ox_stat_add(OX_STAT_HUGE_BLOCKS, -1);
    _ox_stat_add(OX_STAT_HUGE_BYTES, -(intptr_t)seg->huge_usable);
    huge_unmap(seg);
    seg = next;
  }
}

void _ox_huge_free(ox_segment_t *seg) {
  count_for_thread(-(intptr_t)seg->huge_usable);
  if (OX_UNLIKELY(seg->prof_sampled)) { /* set by prof_sample.c when it records one */
    seg->prof_sampled = 0;
    _ox_prof_huge_free((uint8_t *)seg + seg->huge_offset);
  }
  if (seg->arena) huge_detach(seg);
  seg->pages_used = 0; /* not live: a second free is refused */
  huge_publish(seg);
  _ox_stat_add(OX_STAT_HUGE_BLOCKS, -1);
  _ox_stat_add(OX_STAT_HUGE_BYTES, -(intptr_t)seg->huge_usable);
  huge_cache_add(seg);
}

/* A block of several pieces that cannot grow in place grows by a copy:
 * moving its pieces one by one could fail half-way, the data then split
 * between two places.  `seg` is detached from its first-class heap. */
static void *huge_realloc_by_copy(ox_segment_t *seg, size_t new_size, ox_heap_t *arena) {
  void *q = _ox_huge_alloc(new_size, seg->huge_align, false);
  if (!q) return NULL;
  memcpy(q, (uint8_t *)seg + seg->huge_offset, seg->huge_usable);
  if (arena) _ox_huge_attach(arena, q);
  _ox_huge_free(seg);
  return q;
}

/* Resize a huge block to `new_size`, keeping its
 * alignment.  NULL/ENOMEM on failure, the block unchanged. */
void *_ox_huge_realloc(ox_segment_t *seg, size_t new_size) {
  if (new_size > OX_REQUEST_MAX) {
    errno = ENOMEM;
    return NULL;
  }
  size_t new_map = seg->huge_offset + page_round(new_size);
  /* A size that fits stays, unless that would keep much more than it uses. */
  if (new_map <= seg->map_size && seg->map_size - new_map <= huge_keep_excess(new_map)) {
    size_t usable = new_map - seg->huge_offset;
    _ox_stat_add(OX_STAT_HUGE_BYTES, (intptr_t)usable - (intptr_t)seg->huge_usable);
    count_for_thread((intptr_t)usable - (intptr_t)seg->huge_usable);
    seg->huge_usable = usable;
    huge_publish(seg);
    return (uint8_t *)seg + seg->huge_offset;
  }
  size_t old_usable = seg->huge_usable, offset = seg->huge_offset;
  ox_heap_t *arena = seg->arena; /* the list links must follow a move */
  if (arena) huge_detach(seg);
  ox_segment_t *resized = huge_resize(seg, new_map); /* `seg` is gone if it moved */
  if (!resized && pieces_of(seg)->count > 1) {
    void *q = huge_realloc_by_copy(seg, new_size, arena);
    if (q) return q;
  }
  if (arena) _ox_huge_attach(arena, (uint8_t *)(resized ? resized : seg) + offset);
  huge_publish(resized ? resized : seg); /* entries move, or come back, with the mapping */
  if (!resized) {
    errno = ENOMEM;
    return NULL;
  }
  _ox_stat_add(OX_STAT_HUGE_BYTES, (intptr_t)resized->huge_usable - (intptr_t)old_usable);
  count_for_thread((intptr_t)resized->huge_usable - (intptr_t)old_usable);
  return (uint8_t *)resized + resized->huge_offset;
}
