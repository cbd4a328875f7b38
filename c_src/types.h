/*
 * types.h - oxalloc's data structures and the constants that shape them.
 *
 * Memory comes from the OS in segments: 4 MiB regions aligned to 4 MiB, so
 * that the segment holding a class block is found by masking the pointer.
 * A segment's header (this file's ox_segment_t) sits at its start.
 *
 *   kind     page size  blocks          pages per segment
 *   SMALL    64 KiB     16 B .. 8 KiB   64 (page 0 holds the header)
 *   MEDIUM   128 KiB    .. 64 KiB       32 (page 0's data starts at +64 KiB)
 *   LARGE    4 MiB      .. 512 KiB      1  (data starts at +64 KiB)
 *   HUGE     one block per mapping, any size/alignment, 4 MiB-aligned base
 *
 * Every page serves one size class and belongs to the heap (thread) that
 * owns its segment.  Every 4 MiB chunk of address space that a segment
 * covers is recorded in the address map (addr_map.c), so any pointer can
 * be tested for ownership without touching memory that may not be mapped.
 */
#ifndef OX_TYPES_H
#define OX_TYPES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OX_LIKELY(x)   __builtin_expect(!!(x), 1)
#define OX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define OX_NOINLINE    __attribute__((noinline))
#define OX_COLD        __attribute__((cold, noinline))
#define OX_INLINE      static inline __attribute__((always_inline))
#define OX_PUBLIC      __attribute__((visibility("default")))

#define OX_KiB ((size_t)1 << 10)
#define OX_MiB ((size_t)1 << 20)

#define OX_SEGMENT_SHIFT  22
#define OX_SEGMENT_SIZE   ((size_t)1 << OX_SEGMENT_SHIFT)
#define OX_SEGMENT_MASK   (OX_SEGMENT_SIZE - 1)
#define OX_HEADER_RESERVE (64 * OX_KiB) /* segment header area; data after */

#define OX_SMALL_PAGE_SHIFT 16
/* 128 KiB: a page of 8-64 KiB blocks empties (and serves any class) often
 * enough that per-class high-water marks do not stay resident (PERF_LOG) */
#define OX_MEDIUM_PAGE_SHIFT 17
#define OX_LARGE_PAGE_SHIFT  OX_SEGMENT_SHIFT

#define OX_MIN_ALIGN  16             /* alignof(max_align_t) */
#define OX_SMALL_MAX  (8 * OX_KiB)   /* largest block in SMALL pages */
#define OX_MEDIUM_MAX (64 * OX_KiB)  /* largest block in MEDIUM pages */
#define OX_LARGE_MAX  (512 * OX_KiB) /* largest class block; above: HUGE */
/* Class blocks are aligned to any power of two up to this that divides
 * their size, because every page's data starts 64 KiB-aligned. */
#define OX_CLASS_ALIGN_MAX (64 * OX_KiB)
/* Zeroed blocks from this size on, in memory that may hold data, are
 * zeroed by giving their OS pages back rather than by memset (alloc.c,
 * page.c): a block the program writes sparsely stays sparse. */
#define OX_ZERO_BY_PURGE (16 * OX_KiB)
/* Requests above this fail at once (C: nothing may exceed PTRDIFF_MAX). */
#define OX_REQUEST_MAX ((size_t)PTRDIFF_MAX - 2 * OX_SEGMENT_SIZE)

/* Size classes: 16-byte steps up to 128 (class 0 serves size 0 too), then
 * eight classes per power of two (internal waste < 12.5 %) up to 512 KiB. */
#define OX_CLASS_COUNT 105 /* 9 + 8 * 12 */

/* Classes whose blocks a thread may keep when it frees them into another
 * heap (reuse.h): the first 65, blocks of up to 16 KiB. */
#define OX_REUSE_CLASSES 65

enum ox_kind { OX_KIND_SMALL, OX_KIND_MEDIUM, OX_KIND_LARGE, OX_KIND_HUGE };
#define OX_PAGED_KINDS 3

typedef struct ox_block_s {
  struct ox_block_s *next;
} ox_block_t;
typedef struct ox_heap_s ox_heap_t;
typedef struct ox_segment_s ox_segment_t;

/* One page: a run of blocks of one size class.  Only the owning heap's
 * thread touches it, but for `remote_free`, which other threads push the
 * blocks they free onto (remote.c).
 * 128 bytes, so that a page is found from its index by a shift; the first
 * 64-byte line holds everything the fast paths read. */
typedef struct ox_page_s {
  ox_block_t *free;       /* blocks ready for allocation (fast path pops) */
  ox_block_t *local_free; /* freed by the owner; becomes `free` when it runs dry */
  uint32_t used;          /* blocks handed out and not freed locally */
  /* A free calls the slow path when (int32_t)used <= free_trigger after
   * its decrement: 0 normally (the page became empty), INT32_MAX on the
   * full list (every free must move it back), -1 for a class's last page
   * that is kept even when empty.  One compare on the fast path. */
  int32_t free_trigger;
  /* "Is this offset the start of one of the page's blocks?" in one multiply
   * and one compare: see _ox_block_magic() in internal.h.  block_limit covers
   * the blocks carved so far (0 while the page is free), so no pointer to a
   * block never handed out passes. */
  uint64_t block_magic;
  uint64_t block_limit;
  uintptr_t start_bits; /* first block, via _ox_page_start() */
  uint32_t block_size;
  uint8_t class_idx;
  uint8_t in_full;   /* on the heap's full list (no free block) */
  uint8_t in_use;    /* assigned to a class */
  uint8_t dirty;     /* touched since last purged */
  uint32_t capacity; /* blocks carved from the page so far */
  uint32_t reserved; /* blocks that fit in the page */
  /* ---- second line: slow paths only ---- */
  _Alignas(64) struct ox_page_s *next; /* in a class queue or the full list */
  struct ox_page_s *prev;
  union {
    uint64_t freed_at_ms;          /* free or spare: when it last became unused (purge delay) */
    struct ox_page_s *remote_next; /* in use: next on heap->remote_pages (remote.c) */
  };
  uint32_t generation;   /* new each time the page gets a class */
  uint32_t live_counted; /* the part of `used` already in heap->live[] */
  uint32_t zero_from;    /* the page's memory read as zero from this offset on
                            when it got its class (segment.c's touched map) */
  uint8_t free_zero;     /* `free` holds never-used blocks past zero_from: zero but
                            for the words the free list wrote (zeroed allocation) */
  uint8_t kept;          /* counted in heap->kept_bytes (empty, kept for its class):
                            1 its class's last page, 2 a spare (page.c) */
  uint8_t was_kept;      /* kept empty at least once since it got its class (page.c) */
  /* Heap profiling (prof_sample.c, page.c).  A refill hands the fast path
   * blocks only up to the allocation where the next sampling point falls;
   * the rest waits in prof_held, and that allocation comes from the
   * class's prof_page instead.  While prof_live > 0 (a prof_page, or a
   * page that realloc moved a sampled block into) free_trigger sends every
   * free of the page to the slow path, which looks for it. */
  ox_block_t *prof_held;
  uint32_t prof_held_count;  /* blocks in prof_held */
  uint16_t prof_live;        /* live sampled blocks of the page */
  uint8_t prof_take_sampled; /* the slow path's next allocation is a sampled one */
  uint8_t prof_only;         /* holds sampled blocks only (heap->prof_page) */
  /* Blocks other threads freed into the page (remote.c): the list's head,
   * its length in the top 16 bits and two flags in the low 4 bits. */
  _Atomic uint64_t remote_free;
} ox_page_t;
_Static_assert(sizeof(ox_page_t) == 128, "a page is found by shifting its index");

typedef struct ox_page_queue_s {
  ox_page_t *first, *last;
} ox_page_queue_t;

/* The checked build keeps a page's first-block address scrambled, so that
 * valgrind's leak checker does not take it for a pointer to that block
 * (a leaked first block would otherwise look reachable). */
#if OX_CHECKED
#define OX_START_SCRAMBLE ((uintptr_t)0x5a5a000000000000ull)
#else
#define OX_START_SCRAMBLE ((uintptr_t)0)
#endif

static inline uint8_t *_ox_page_start(const ox_page_t *page) {
  return (uint8_t *)(page->start_bits ^ OX_START_SCRAMBLE);
}

/* A segment header.  `heap` never changes while a block of the segment is
 * live, which is what makes "is this block mine?" a plain compare. */
struct ox_segment_s {
  ox_heap_t *heap; /* owner; NULL for HUGE (freed by anyone) */
  uint8_t kind;
  uint8_t page_shift;
  uint8_t in_heap_list; /* on heap->segments[kind] (has a free page) */
  uint8_t prof_sampled; /* HUGE: the block may have a heap-profile sample (prof_sample.c) */
  uint32_t page_count;
  uint32_t pages_used;
  uint32_t free_hint;                /* paged kinds: no free page below this index */
  ox_segment_t *next, *prev;         /* heap list of segments with a free page;
                                        HUGE of a first-class heap: its huge list */
  ox_segment_t *all_next, *all_prev; /* every paged segment of the heap */
  ox_heap_t *arena;                  /* HUGE: the first-class heap it belongs to, or NULL */
  size_t map_size;                   /* bytes mapped from the segment's base */
  size_t huge_offset;                /* HUGE: block start - segment base */
  size_t huge_usable;                /* HUGE: usable bytes of the block */
  size_t huge_align;                 /* HUGE: alignment the block was asked for */
  size_t checked_size;               /* HUGE, checked build: requested size; 0 once freed */
  uint64_t freed_at_ms;              /* when it entered a cache */
  uint64_t touched;                  /* paged: 64 KiB granules that may hold data (segment.c) */
  ox_page_t pages[];                 /* page_count entries (64-byte aligned, as ox_page_t is) */
};

/* ACTIVE: a live thread's heap.  ABANDONED: its thread exited (adoptable).
 * COLLECTING: claimed for a moment by a thread freeing into it.
 * FIRST_CLASS: made by ox_heap_new.  DEAD: destroyed, reusable by ox_heap_new. */
enum ox_heap_state {
  OX_HEAP_ACTIVE = 1,
  OX_HEAP_ABANDONED,
  OX_HEAP_COLLECTING,
  OX_HEAP_FIRST_CLASS,
  OX_HEAP_DEAD
};

/* A heap: one per live thread, reused after the thread exits.  Heaps are
 * never unmapped, so other threads may always push onto `remote`. */
struct ox_heap_s {
  ox_page_t *direct[OX_CLASS_COUNT];     /* = queue[c].first or the empty page */
  ox_page_queue_t queue[OX_CLASS_COUNT]; /* pages with (maybe) free blocks */
  ox_page_queue_t full;
  ox_segment_t *segments[OX_PAGED_KINDS]; /* segments with a free page */
  ox_segment_t *all_segments;             /* every paged segment of the heap */
  /* Live blocks per class (statistics): the sum of its pages' `used`,
   * brought up to date on slow paths, not on every alloc and free
   * (_ox_heap_sync_live in page.c).  Written by the heap's owner only (or
   * the thread that claimed an abandoned heap), read by any thread's
   * ox_stats_get: relaxed atomics, updated with OX_OWNER_ADD. */
  _Atomic intptr_t live[OX_CLASS_COUNT];
  uint32_t slow_calls;
  uint32_t spare_pages;     /* empty MEDIUM pages kept beyond their class's last (page.c) */
  uint8_t last_slow_class;  /* class of the last page of < 4 blocks refilled (page.c) */
  size_t spare_budget;      /* bytes of such pages it may keep now (page.c) */
  size_t spare_bytes;       /* their part of kept_bytes (page.c) */
  uint64_t medium_released; /* 1 + next_purge_ms when it last handed one back (page.c) */
  uint64_t next_purge_ms;
  /* Non-zero while the owner is in the middle of changing the heap's
   * lists (heap.c, _ox_heap_enter): a forked child adopts the heap of a
   * thread that does not exist in it only when this reads 0 (the heap is
   * then consistent, whatever that thread was doing). */
  _Atomic uint32_t busy;
  /* Held by the owner while it changes which of its segments' pages are
   * in use or listed (segment.c), and by the background purger while it
   * purges this heap's free pages; freed in a forked child (fork.c). */
  atomic_flag purge_lock;
  /* The owning thread's token, or NULL.  Read by other threads, which only
   * compare it with their own token: relaxed is enough. */
  _Atomic(const void *) owner;
  /* A robust mutex the owning thread holds while it lives: should the
   * thread die without its exit hook, the kernel marks it (heap.c). */
  pthread_mutex_t alive;
  ox_heap_t *next_all;              /* list of every heap (push only) */
  _Atomic size_t remote_frees_sent; /* statistics: frees into other heaps (as live[]) */
  /* Statistics: bytes of empty pages kept for their class (page_retire),
   * as of the owner's last slow path; written by the heap's holder only. */
  _Atomic size_t kept_bytes;
  /* Bytes the heap's threads allocated and freed, for the per-thread and
   * cumulative figures of ox_stats_t (stats.c), counted on slow paths
   * only: what the fast paths did is derived from them and the pages'
   * counts.  Written by the owner, read by anyone (as live[]).  The
   * attach_* values are the derived totals when the current thread took
   * the heap. */
  _Atomic uint64_t granted_bytes;     /* class blocks handed to the fast path from own pages */
  _Atomic uint64_t ungranted_bytes;   /* ... of them still unused when their page was retired */
  _Atomic uint64_t collected_bytes;   /* own blocks freed by other threads, taken back */
  _Atomic uint64_t remote_sent_bytes; /* blocks of other heaps freed by this heap's thread */
  _Atomic uint64_t huge_alloc_bytes, huge_freed_bytes; /* huge blocks by this heap's thread */
  uint64_t attach_alloc, attach_dealloc;
  /* Blocks of other heaps this thread freed, kept for its own next
   * allocations (reuse.h): one page-shaped list per class, which
   * direct[c] points at while it holds blocks. */
  ox_page_t reuse[OX_REUSE_CLASSES];
  /* First-class heaps: their huge blocks, for ox_heap_destroy. */
  atomic_flag huge_lock;
  ox_segment_t *huge_blocks;
  /* Read by every remote free (remote.c), so on a line the owner's
   * frequent writes do not touch. */
  _Alignas(64) _Atomic int state;
  /* Full pages that a remote free made non-empty, for the owner's slow
   * path (remote.c); linked through page->remote_next. */
  _Atomic(ox_page_t *) remote_pages;
  _Atomic uint32_t remote_late;  /* a remote free found the heap claimed (remote.c) */
  _Atomic uint32_t remote_dirty; /* a page in a class queue got a remote list (remote.c) */
  _Atomic size_t remote_frees;   /* statistics: from threads without a heap */
  _Alignas(64) char pad_after_remote[1];
  /* Heap profiling: per class, the page that sampled blocks come from
   * (page.c); on the full list, every free of it goes to the slow path.
   * Last, and written only by profiling: the OS page the array ends in
   * stays untouched otherwise (4 KiB less resident per thread). */
  ox_page_t *prof_page[OX_CLASS_COUNT];
};

/* ---- heap profiling (prof_*.c) ----------------------------------------
 * Both tables are open-addressed arrays mapped from the OS when profiling
 * first starts, written without locks (a slot is claimed by a CAS on its
 * key, its fields are written, then `ready` is set). */
#define OX_PROF_MAX_FRAMES 64
#define OX_PROF_FX         256 /* fixed-point scale of the scaled object counts */

/* One distinct call stack, with what was sampled from it over all time. */
typedef struct {
  _Atomic uint64_t hash; /* 0: empty slot */
  _Atomic uint32_t ready;
  uint32_t depth;
  _Atomic uint64_t alloc_objects_fx;    /* sampled allocations scaled by 1/P, x OX_PROF_FX */
  _Atomic uint64_t alloc_bytes;         /* their requested bytes scaled by 1/P */
  uintptr_t frames[OX_PROF_MAX_FRAMES]; /* return addresses - 1, innermost first */
} ox_prof_stack_t;

/* A raw stack walk for a sample (prof_trace.h), before prof_stack.c cuts
 * off the allocator's frames. */
#define OX_PROF_CAPTURE_DEPTH (OX_PROF_MAX_FRAMES + 32)
typedef struct {
  uintptr_t ip[OX_PROF_CAPTURE_DEPTH];
  uintptr_t fn[OX_PROF_CAPTURE_DEPTH]; /* start of each frame's function */
  int n;
} ox_prof_trace_t;

/* One live sampled block. */
typedef struct {
  _Atomic uintptr_t key; /* the block's address; 0: empty, 1: removed */
  _Atomic uint32_t ready;
  uint32_t stack; /* index in the stack table (0: unknown) */
  uint64_t size;  /* requested bytes */
  uint64_t align; /* requested alignment */
  double weight;  /* 1 / probability that the block was sampled */
  int32_t tid;    /* the allocating thread */
  uint8_t moved;  /* realloc moved it away: left for the old block's free */
} ox_prof_sample_t;

/* A counter that any thread may write at any time, alone in its cache
 * line: beside read-mostly flags it would make every reader miss. */
typedef struct {
  _Atomic size_t value;
  char pad[64 - sizeof(size_t)];
} __attribute__((aligned(64))) ox_lone_counter_t;

#endif /* OX_TYPES_H */
