/*
 * internal.h - cross-file prototypes, grouped by the file that defines them.
 * Everything here is hidden (the library builds with -fvisibility=hidden).
 */
#ifndef OX_INTERNAL_H
#define OX_INTERNAL_H

#include "types.h"

/* Declared hidden, not only defined so: the compiler then addresses these
 * globals directly instead of through the GOT (one load less each). */
#pragma GCC visibility push(hidden)

/* ---- stats.c: process-wide counters (slow paths only) ------------------ */
typedef enum {
  OX_STAT_COMMITTED,   /* bytes mapped read-write */
  OX_STAT_NONRESIDENT, /* of those, pages known untouched or purged */
  OX_STAT_RETURNED,    /* bytes given back (madvise, munmap), cumulative */
  OX_STAT_OS_CALLS,
  OX_STAT_SEGMENTS,
  OX_STAT_PAGES,
  OX_STAT_HUGE_BLOCKS,
  OX_STAT_HUGE_BYTES,
  OX_STAT_THREADS,
  OX_STAT_PENDING_PURGE,   /* free pages of heaps' segments not purged yet */
  OX_STAT_CACHED_SEGMENT,  /* resident bytes of the empty-segment cache */
  OX_STAT_HUGE_BLOCKS_MAX, /* peaks of HUGE_BLOCKS/HUGE_BYTES (malloc_stats) */
  OX_STAT_HUGE_BYTES_MAX,
  OX_STAT_COMMITTED_MAX, /* peak of COMMITTED (ox_stats_t.peak_committed_bytes) */
  OX_STAT_COUNT
} ox_stat_id;
extern _Atomic intptr_t _ox_stat[OX_STAT_COUNT];
void _ox_stats_show_at_exit(void);
void _ox_stats_thread_attach(ox_heap_t *heap); /* the thread's byte counters start here */
void _ox_stat_raise(ox_stat_id id, intptr_t value);
void _ox_stats_huge_peaks(size_t *blocks, size_t *bytes);
OX_INLINE void _ox_stat_add(ox_stat_id id, intptr_t delta) {
  intptr_t now = atomic_fetch_add_explicit(&_ox_stat[id], delta, memory_order_relaxed) + delta;
  /* id is a constant at every call, so this test folds away elsewhere */
  if ((id == OX_STAT_HUGE_BLOCKS || id == OX_STAT_HUGE_BYTES) && delta > 0)
    _ox_stat_raise(id == OX_STAT_HUGE_BLOCKS ? OX_STAT_HUGE_BLOCKS_MAX : OX_STAT_HUGE_BYTES_MAX,
                   now);
  if (id == OX_STAT_COMMITTED && delta > 0) _ox_stat_raise(OX_STAT_COMMITTED_MAX, now);
}
/* Add to a counter that one thread at a time writes and any thread reads
 * (a heap's statistics): a relaxed load and store, no locked instruction. */
#define OX_OWNER_ADD(counter, delta)                                                               \
  atomic_store_explicit(&(counter),                                                                \
                        atomic_load_explicit(&(counter), memory_order_relaxed) + (delta),          \
                        memory_order_relaxed)

/* ---- os.c: the only file that makes system calls ---------------------- */
/* RW, zeroed, at an address + offset that is a multiple of align */
void *_ox_os_map_aligned(size_t size, size_t align, size_t offset);
void *_ox_os_map_metadata(size_t size); /* RW, zeroed, never populated nor counted */
void _ox_os_unmap_metadata(void *p, size_t size);
size_t _ox_os_address_space_limit(void); /* RLIMIT_AS now; SIZE_MAX if none */

size_t _ox_os_page_size(void);
void *_ox_os_map(size_t size);               /* RW, zeroed; NULL on failure */
void *_ox_os_reserve(size_t size);           /* PROT_NONE placeholder */
bool _ox_os_commit_at(void *p, size_t size); /* RW pages over part of one */
bool _ox_os_unmap(void *p, size_t size);     /* read-write memory */
void _ox_os_unreserve(void *p, size_t size); /* a PROT_NONE reservation */
void _ox_os_advise_huge_pages(void *p, size_t size);
void _ox_os_advise_no_huge_pages(void *p, size_t size);
void _ox_os_purge(void *p, size_t size); /* give pages back, keep mapping; reads as zero */
void _ox_os_zero(void *p, size_t size);  /* zero, whole pages by giving them back */
bool _ox_os_remap_inplace(void *p, size_t old_size, size_t new_size);
bool _ox_os_remap_to(void *p, size_t old_size, size_t new_size, void *dest);
uint64_t _ox_os_now_ms(void);
/* Copy n bytes of this process's memory without faulting: 1 copied, 0 not
 * (part of it is not mapped now), -1 the OS refuses such copies. */
int _ox_os_read_nofault(void *dst, const void *src, size_t n);
void _ox_os_write_stderr(const char *s, size_t n);
_Noreturn void _ox_os_abort(void);
const char *_ox_os_getenv(const char *name);
/* Files and signals for the profiler's output (prof_*.c): -1/false on failure. */
int _ox_os_open_write(const char *path); /* create or truncate, 0644 */
int _ox_os_open_read(const char *path);
long _ox_os_read(int fd, void *buf, size_t n);
bool _ox_os_write_all(int fd, const void *buf, size_t n);
void _ox_os_close(int fd);
long _ox_os_gettid(void);
long _ox_os_getpid(void);
bool _ox_os_on_signal(int sig, void (*handler)(int));

/* ---- diag.c: messages without allocating -------------------------------- */
/* One line on stderr: "oxalloc: <what> <ptr in hex>" (ptr omitted if NULL). */
void _ox_warn(const char *what, const void *ptr);
_Noreturn void _ox_fatal(const char *what, const void *ptr);
/* Format helpers for longer messages (checked build). */
size_t _ox_fmt_str(char *buf, size_t pos, size_t cap, const char *s);
size_t _ox_fmt_hex(char *buf, size_t pos, size_t cap, uintptr_t v);
size_t _ox_fmt_dec(char *buf, size_t pos, size_t cap, uintptr_t v);

/* ---- options.c ---------------------------------------------------------- */
typedef enum {
  OX_OPT_PURGE_DELAY_MS, /* delay before unused pages go back to the OS */
  OX_OPT_SEGMENT_CACHE,  /* empty 4 MiB segments kept for reuse */
  OX_OPT_HUGE_CACHE_MB,  /* bytes of freed huge blocks kept for reuse */
  OX_OPT_VERBOSE,        /* warnings on stderr */
  OX_OPT_SHOW_STATS,     /* statistics report on stderr at exit */
  OX_OPT_EAGER_COMMIT,   /* populate segments when they are mapped */
  OX_OPT_HUGE_PAGES,     /* ask for transparent huge pages */
  /* empty segments kept at most while a program reuses them in cycles */
  OX_OPT_SEGMENT_CACHE_MAX,
  OX_OPT_PROF,        /* heap profiling from the start (prof_*.c) */
  OX_OPT_PROF_SAMPLE, /* mean bytes between samples */
  OX_OPT_PROF_LEAKS,  /* leak report at exit */
  OX_OPT_PROF_DUMP,   /* text: pprof file written at exit */
  OX_OPT_PROF_SIGNAL, /* text: signal (number or name) that dumps the profile */
  OX_OPT_BACKGROUND,  /* a background thread purges on the delay */
  OX_OPT_COUNT
} ox_option_id;
void _ox_options_init(void);
long _ox_option(ox_option_id id);
const char *_ox_option_text(ox_option_id id); /* a text option's value, or NULL */
bool _ox_initialized(void);

/* ---- init.c ------------------------------------------------------------- */
/* Once per process, before the first segment; never calls malloc. */
void _ox_process_init(void);
void _ox_process_after_fork_child(void); /* an init cut short by fork runs again */
/* Per-process random value; a freed block's second word holds it. */
extern uintptr_t _ox_free_tag;

/* ---- segment.c ---------------------------------------------------------- */
ox_page_t *_ox_segment_page_alloc(ox_heap_t *heap, unsigned cls);
bool _ox_segment_next_page_touched(ox_heap_t *heap, enum ox_kind kind); /* its memory was written */
void _ox_segment_page_free(ox_heap_t *heap, ox_page_t *page);
void _ox_segment_purge(ox_heap_t *heap, uint64_t now, bool force);
bool _ox_segment_purge_try(ox_heap_t *heap, uint64_t now); /* from another thread */
void _ox_segment_cache_purge(uint64_t now, bool force);
void _ox_segment_release_all(ox_heap_t *heap); /* every segment, live blocks or not */

/* ---- slots.c: a lock-free cache of segments -------------------------- */
typedef _Atomic(ox_segment_t *) ox_slot_t;
/* Store `seg` (stamped with the time) in a free slot among the first `count`. */
bool _ox_slots_put(ox_slot_t *slots, int count, ox_segment_t *seg);
/* Take the next segment at or after *index (advanced past it), or NULL. */
ox_segment_t *_ox_slots_take(ox_slot_t *slots, int count, int *index);
/* `drop` every cached segment older than the purge delay (all if `force`). */
void _ox_slots_purge(ox_slot_t *slots, int count, uint64_t now, bool force,
                     void (*drop)(ox_segment_t *));

/* ---- page.c ------------------------------------------------------------- */
void *_ox_alloc_slow(ox_heap_t *heap, unsigned cls);
void *_ox_alloc_sampled_block(ox_heap_t *heap, size_t size); /* a sampled block moves there */
void _ox_page_after_free(ox_heap_t *heap, ox_page_t *page);
void _ox_page_free_block(ox_heap_t *heap, ox_segment_t *seg, void *p);
void *_ox_page_zero_block(ox_heap_t *heap, ox_page_t *page, void *block, size_t size); /* calloc */
/* Take the page's remote list into its local_free (all: even when that
 * means walking it), then move the page off the full list or retire it. */
void _ox_page_collect_remote(ox_heap_t *heap, ox_page_t *page, bool all);
void _ox_heap_collect_remote_pages(ox_heap_t *heap, bool all); /* every page's */
void _ox_heap_release_empty_pages(ox_heap_t *heap, bool keep_sampled);
void _ox_heap_sync_live(ox_heap_t *heap); /* bring heap->live[] up to date (owner only) */

/* ---- heap.c ------------------------------------------------------------- */
extern __thread ox_heap_t *_ox_tl_heap __attribute__((tls_model("initial-exec")));
/* Set when the thread's exit handler has run: later allocations of the
 * thread (other TLS destructors) borrow an abandoned heap for each call. */
extern __thread bool _ox_tl_exited __attribute__((tls_model("initial-exec")));
/* The owner brackets every change to its heap's lists with these, so that
 * a forked child can tell a consistent heap of a vanished thread (busy 0)
 * from one caught half-way.  No atomic read-modify-write: only the thread
 * that holds the heap writes `busy`; the fence keeps the mark ahead of the
 * changes it covers. */
OX_INLINE void _ox_heap_enter(ox_heap_t *heap) {
  atomic_store_explicit(&heap->busy, atomic_load_explicit(&heap->busy, memory_order_relaxed) + 1,
                        memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
}
OX_INLINE void _ox_heap_leave(ox_heap_t *heap) {
  atomic_store_explicit(&heap->busy, atomic_load_explicit(&heap->busy, memory_order_relaxed) - 1,
                        memory_order_release);
}
/* A heap's page queues, i < OX_HEAP_QUEUES: each class's, then the full
 * list - every page the heap holds. */
#define OX_HEAP_QUEUES (OX_CLASS_COUNT + 1)
OX_INLINE ox_page_queue_t *_ox_heap_queue(ox_heap_t *heap, unsigned i) {
  return i < OX_CLASS_COUNT ? &heap->queue[i] : &heap->full;
}
/* No thread owns the heap (its thread exited): nobody will reuse its free
 * pages soon, so they go back to the OS at once. */
OX_INLINE bool _ox_heap_unowned(ox_heap_t *heap) {
  return atomic_load_explicit(&heap->owner, memory_order_relaxed) == NULL;
}
ox_heap_t *_ox_heap_borrow(void);         /* an abandoned (or new) heap, claimed */
void _ox_heap_give_back(ox_heap_t *heap); /* ... and abandoned again */
void _ox_heaps_after_fork_child(void);    /* the child adopts the other threads' heaps */
/* Give back what abandoned heaps hold: their remote frees, their free
 * pages (purged); `all`: every abandoned heap, not only those with remote
 * frees waiting. */
void _ox_heap_collect_abandoned_all(bool all);
/* The calling thread's heap gives back its kept blocks, its empty pages
 * and (force: all, else those past the delay) its free pages. */
void _ox_heap_collect_own(bool force);
void _ox_heap_purge_others(uint64_t now); /* the background purger's round */
extern ox_heap_t _ox_empty_heap;
extern ox_page_t _ox_empty_page;
ox_heap_t *_ox_heap_for_thread(void); /* creates or adopts one */
ox_heap_t *_ox_heap_new_first_class(void);
void _ox_heap_clear(ox_heap_t *heap);
void _ox_heap_retire_first_class(ox_heap_t *heap);
typedef void (*ox_heap_visitor)(ox_heap_t *heap, void *arg);
void _ox_heap_visit_all(ox_heap_visitor visit, void *arg);
void _ox_heap_collect_abandoned(void);               /* those with remote frees waiting */
bool _ox_heap_claim(ox_heap_t *heap, int new_state); /* an ABANDONED heap, for this thread */
void _ox_heap_give_back_held(ox_heap_t *heap);       /* a held heap gives back what it can */

/* ---- remote.c: frees into other threads' heaps, per-page remote lists --
 * page->remote_free: the list's head (16-aligned, below 2^48), its length
 * in bits 48..63, and two flags: WATCH (the owner asks the next push to
 * queue the page on heap->remote_pages) and QUEUED (it is, or is about to
 * be, on that list: not to be given back to its segment). */
#define OX_RF_WATCH    ((uint64_t)1)
#define OX_RF_QUEUED   ((uint64_t)2)
#define OX_RF_ONE      ((uint64_t)1 << 48)
#define OX_RF_PTR_MASK ((OX_RF_ONE - 1) & ~(uint64_t)15)
OX_INLINE uint32_t _ox_remote_count(uint64_t w) { return (uint32_t)(w >> 48); }
OX_INLINE ox_block_t *_ox_remote_head(uint64_t w) {
  return (ox_block_t *)(uintptr_t)(w & OX_RF_PTR_MASK);
}
/* Owner: arm WATCH on a page with an empty list (a page going to the full
 * list); false if blocks wait (take them).  QUEUED: it will be looked at. */
OX_INLINE bool _ox_remote_watch(ox_page_t *page) {
  uint64_t w = atomic_load_explicit(&page->remote_free, memory_order_seq_cst);
  if (w & (OX_RF_QUEUED | OX_RF_WATCH)) return _ox_remote_count(w) == 0 || (w & OX_RF_QUEUED);
  if (_ox_remote_count(w) != 0) return false;
  return atomic_compare_exchange_strong_explicit(&page->remote_free, &w, w | OX_RF_WATCH,
                                                 memory_order_seq_cst, memory_order_seq_cst);
}
void _ox_free_remote(ox_segment_t *seg, void *p);
void _ox_remote_send(ox_heap_t *me, ox_block_t *b); /* a block of another heap, to its owner */
uint64_t _ox_remote_take(ox_page_t *page);          /* owner: the whole list (QUEUED stays) */
void _ox_remote_collect_queued(ox_heap_t *heap);    /* owner: the pages on heap->remote_pages */
void _ox_remote_abandon(ox_heap_t *heap);           /* let a held heap go (ABANDONED) */
void _ox_remote_after_fork_child(ox_heap_t *heap);  /* forget QUEUED marks of vanished pushers */

/* ---- reuse.c: blocks of other heaps reused by the thread that freed them
 * (the inline parts: reuse.h) */
void _ox_reuse_limit(ox_page_t *list, unsigned cls); /* set when the heap takes the class */
void _ox_reuse_flush(ox_heap_t *me);                 /* send every kept block to its owner */

/* ---- fork.c: the child handler (registered by init.c) ------------------ */
void _ox_fork_child(void);

/* ---- background.c: the optional background purger --------------------- */
void _ox_background_maybe_start(void); /* from a point where allocating is safe */
void _ox_background_after_fork_child(void);

/* ---- huge.c ------------------------------------------------------------- */
void *_ox_huge_alloc(size_t size, size_t align, bool zero);
void _ox_huge_attach(ox_heap_t *arena, void *p); /* first-class heap owns it */
void _ox_huge_free(ox_segment_t *seg);
void *_ox_huge_realloc(ox_segment_t *seg, size_t new_size);
void _ox_huge_cache_purge(uint64_t now, bool force);
size_t _ox_huge_cache_bytes(void);            /* mapped bytes of freed huge blocks kept */
void _ox_huge_release_arena(ox_heap_t *heap); /* every huge block of a first-class heap */

/* ---- prof_sample.c: heap-profile sampling, on slow paths only ----------
 * _ox_prof_on is read by the slow paths (never the fast paths); samples
 * are recorded in prof_table.c with stacks from prof_stack.c. */
extern _Atomic bool _ox_prof_on; /* sampling now */
extern bool _ox_prof_ever; /* sampling was started once: profiled slow path, reuse lists off */
OX_INLINE bool _ox_prof_sampling(void) {
  return atomic_load_explicit(&_ox_prof_on, memory_order_relaxed);
}
extern ox_lone_counter_t _ox_prof_nlive;          /* .value: live sampled blocks */
void _ox_prof_init(void);                         /* at process init: OXALLOC_PROF* options */
void _ox_prof_grant(ox_page_t *page, uint32_t n); /* page->free: a fresh run of n blocks */
void _ox_prof_take(ox_page_t *page, void *p);     /* a sampled block, from a prof_page */
void _ox_prof_page_free(ox_page_t *page, const void *p); /* owner frees in a sampled page */
void _ox_prof_huge_alloc(void *p, size_t size, size_t align);
void _ox_prof_huge_free(const void *p);
void _ox_prof_layout(void *p, size_t size, size_t align); /* generic path: the request */
/* The block the thread's last sample was recorded for, until the generic
 * path has given it the request's layout (_ox_prof_layout). */
extern __thread void *_ox_prof_tl_last __attribute__((tls_model("initial-exec")));
void _ox_prof_moved(void *old, void *moved, size_t size, bool old_is_class);
bool _ox_prof_rekey(const void *from, void *to); /* a huge block's sample follows it */
void _ox_prof_forget_heap(ox_heap_t *heap);      /* ox_heap_reset/destroy */
void _ox_prof_after_fork_child(void);            /* the child's thread id is new */
/* The thread's bytes to its next sampling point, valid while its epoch is
 * _ox_prof_epoch's: page.c's refill charges a run that stays short of the
 * point inline, and calls _ox_prof_grant otherwise. */
extern __thread int64_t _ox_prof_countdown __attribute__((tls_model("initial-exec")));
extern __thread uint32_t _ox_prof_tl_epoch __attribute__((tls_model("initial-exec")));
extern _Atomic uint32_t _ox_prof_epoch;
void _ox_prof_kick(void); /* every thread's next refill goes out of line (async-signal-safe) */
/* Charges `bytes` to the thread's countdown when they stay short of its
 * next sampling point and the epoch is the thread's (true); false: the
 * caller goes out of line, which charges them itself. */
OX_INLINE bool _ox_prof_charge_short(int64_t bytes) {
  if (OX_LIKELY(_ox_prof_tl_epoch == atomic_load_explicit(&_ox_prof_epoch, memory_order_relaxed) &&
                bytes < _ox_prof_countdown)) {
    _ox_prof_countdown -= bytes;
    return true;
  }
  return false;
}

/* ---- prof_table.c: the table of live sampled blocks --------------------- */
bool _ox_prof_table_ready(void);                      /* map it if not yet done */
ox_prof_sample_t *_ox_prof_sample_add(uintptr_t key); /* fill, then set ready; NULL if full */
ox_prof_sample_t *_ox_prof_sample_find(uintptr_t key);
void _ox_prof_sample_remove(ox_prof_sample_t *s);
ox_prof_sample_t *_ox_prof_samples(size_t *count); /* every slot in use, for readers */
size_t _ox_prof_table_mapped(void);                /* bytes of its mapping (tests) */

/* For readers of the table: a slot that holds a live block (not empty,
 * removed, half-written, or a block realloc moved away), and what its
 * block stands for once scaled by 1/P. */
OX_INLINE bool _ox_prof_sample_live(ox_prof_sample_t *s) {
  return atomic_load_explicit(&s->key, memory_order_acquire) > 1 &&
         atomic_load_explicit(&s->ready, memory_order_acquire) && !s->moved;
}
OX_INLINE uint64_t _ox_prof_sample_objects(const ox_prof_sample_t *s) {
  return (uint64_t)(s->weight + 0.5);
}
OX_INLINE uint64_t _ox_prof_sample_bytes(const ox_prof_sample_t *s) {
  return (uint64_t)(s->weight * (double)s->size + 0.5);
}

/* ---- prof_stack.c: call stacks, captured without allocating ------------- */
bool _ox_prof_stacks_ready(void);
uint32_t _ox_prof_stack_of(const ox_prof_trace_t *t); /* a walk's stack, interned: its index */
ox_prof_stack_t *_ox_prof_stacks(size_t *count);

/* Sample stacks: x86-64 Linux walks them itself (prof_unwind.c, with
 * prof_fde.c's FDE look-up) and needs libgcc only for the frames it cannot
 * decode, when the process has libgcc; elsewhere libgcc's unwinder walks
 * them, loaded when profiling starts. */
#if defined(__x86_64__) && defined(__linux__)
#define OX_PROF_OWN_WALK 1
#else
#define OX_PROF_OWN_WALK 0
#endif

/* ---- prof_libgcc.c: libgcc's unwinder, looked up at run time ------------ */
/* Usable now: linked into the process, or (may_load: never in malloc) loaded. */
bool _ox_libgcc_find(bool may_load);
bool _ox_libgcc_backtrace(ox_prof_trace_t *t);          /* false (t untouched) without it */
const void *_ox_libgcc_find_fde(void *pc, void *bases); /* NULL without it */

/* ---- prof_fde.c: a code address's FDE from its object's .eh_frame_hdr ---- */
const uint8_t *_ox_prof_fde_find(uintptr_t pc, uintptr_t *fn_start); /* NULL: none found */

/* ---- prof_unwind.c: cached .eh_frame rules for sample stacks (x86-64) ---- */
bool _ox_prof_unwind_ready(void);
bool _ox_prof_unwind(ox_prof_trace_t *t, uintptr_t ip, uintptr_t sp,
                     uintptr_t rbp); /* false: use libgcc */
/* The same walk, remembered per thread, and its interned stack in *stack
 * (false: use libgcc). */
bool _ox_prof_unwind_stack(ox_prof_trace_t *t, uintptr_t ip, uintptr_t sp, uintptr_t rbp,
                           uint32_t *stack);

/* ---- prof_pprof.c / prof_leaks.c / prof_api.c: output ---------------- */
int _ox_prof_write_fd(int fd); /* gzip-compressed profile.proto; 0 or an errno */
void _ox_prof_leak_report(void);
long _ox_prof_rate(void); /* mean bytes between samples now */
void _ox_prof_set_rate(long bytes);
void _ox_prof_poll_signal(void); /* a dump the signal asked for (prof_api.c) */

/* ---- alloc.c / free.c / realloc.c: out-of-line parts of the API --------- */
void *_ox_alloc_generic(size_t size, size_t align, bool zero);
void *_ox_alloc_in(ox_heap_t *heap, size_t size, size_t align, bool zero);
void *_ox_alloc_raw(ox_heap_t *heap, size_t size, size_t align, bool zero);
bool _ox_reclaim_address_space(ox_heap_t *heap, size_t size); /* after an OS refusal */
/* A block in a mapping of its own (huge.c), whatever its size.  Inline:
 * a sample's stack then has no frame more than before (prof_stack.c). */
OX_INLINE void *_ox_alloc_huge_in(ox_heap_t *heap, size_t size, size_t align, bool zero) {
  void *p = _ox_huge_alloc(size, align, zero);
  if (!p && _ox_reclaim_address_space(heap, size)) p = _ox_huge_alloc(size, align, zero);
  if (p && atomic_load_explicit(&heap->state, memory_order_relaxed) == OX_HEAP_FIRST_CLASS)
    _ox_huge_attach(heap, p);
  if (OX_UNLIKELY(_ox_prof_sampling()) && p && !_ox_prof_charge_short((int64_t)size))
    _ox_prof_huge_alloc(p, size, align);
  return p;
}
void _ox_free_generic(ox_segment_t *seg, void *p);
void _ox_free_foreign(const void *p);
void _ox_free_not_class(ox_segment_t *seg, void *p);
void _ox_free_sized_other(void *p, size_t size, size_t align);
_Noreturn void _ox_double_free(const void *p);
bool _ox_is_block_start(ox_segment_t *seg, const void *p);
bool _ox_is_freed_block(ox_segment_t *seg, const void *p);
void *_ox_realloc(void *p, size_t old_size, size_t new_size, size_t align);
void *_ox_realloc_in(ox_heap_t *heap, void *p, size_t old_size, size_t new_size, size_t align);
size_t _ox_usable_size_in(ox_segment_t *seg, const void *p);

/* ---- checked.c: verification in the checked build (no-ops otherwise) ----
 * The checked build allocates every class block 16 bytes larger and keeps
 * a trailer at its end (requested size, alignment, state); the bytes
 * between the requested size and the trailer hold a canary, and freed
 * blocks hold a pattern.  Every misuse found aborts with one line naming
 * the address. */
#if OX_CHECKED
#define OX_CHECK_TRAILER 16
void *_ox_checked_alloc(ox_heap_t *heap, size_t size, size_t align, bool zero);
void _ox_check_live(ox_segment_t *seg, const void *p);
void _ox_check_free(ox_segment_t *seg, const void *p);
void _ox_check_layout(ox_segment_t *seg, const void *p, size_t size, size_t align);
size_t _ox_checked_usable(ox_segment_t *seg, const void *p);
/* ox_usable_size of any pointer at which the address map has a block of
 * `block` bytes: the size asked for, read without faulting; 0 if freed. */
size_t _ox_checked_usable_any(const void *p, size_t block);
void _ox_checked_shrink(ox_segment_t *seg, void *p, size_t new_size, size_t align);
void _ox_checked_quiet(bool quiet);
/* `n` bytes at `p` are the allocator's own metadata from now on (a huge
 * header written where a freed block's pages were): valgrind is told. */
void _ox_checked_own_header(void *p, size_t n);
/* A free block's second word seals its first (the free-list link), so
 * that a program's write into either is found when the link is read. */
void _ox_checked_seal_link(ox_block_t *b);
void _ox_checked_verify_link(const ox_block_t *b);
#else
OX_INLINE void _ox_checked_quiet(bool quiet) { (void)quiet; }
OX_INLINE void _ox_checked_own_header(void *p, size_t n) {
  (void)p;
  (void)n;
}
OX_INLINE void _ox_check_live(ox_segment_t *seg, const void *p) {
  (void)seg;
  (void)p;
}
OX_INLINE void _ox_check_free(ox_segment_t *seg, const void *p) {
  (void)seg;
  (void)p;
}
OX_INLINE void _ox_check_layout(ox_segment_t *seg, const void *p, size_t size, size_t align) {
  (void)seg;
  (void)p;
  (void)size;
  (void)align;
}
#endif

/* ---- addr_map.c: which memory is oxalloc's, for any 48-bit address ------
 * Never unmapped.  The base bitmap has one bit per 4 MiB chunk, set where
 * a segment or huge mapping has its base; the chunk table (two levels,
 * leaves mapped on demand) says how much of each chunk is oxalloc's and,
 * at a base, which blocks start where: ox_owns and ox_usable_size answer
 * from it alone, so a segment unmapped meanwhile cannot make them fault. */
#define OX_MAP_ADDR_BITS 48
#define OX_MAP_CHUNKS    ((uintptr_t)1 << (OX_MAP_ADDR_BITS - OX_SEGMENT_SHIFT))
extern _Atomic uint64_t _ox_segment_bases[OX_MAP_CHUNKS / 64];
/* Make room to enter [start, start + size): false beyond 48 bits or when
 * the OS refuses a leaf (nothing is kept: the next call tries again). */
void _ox_addr_map_init(void); /* once, at process initialisation */
bool _ox_addr_map_prepare(uintptr_t start, size_t size);
/* Enter [start, start + size) as mapped by `seg` (prepared before), or
 * forget it (seg NULL) before its pages go. */
void _ox_addr_map_set(uintptr_t start, size_t size, ox_segment_t *seg);
void _ox_addr_map_class_segment(const ox_segment_t *seg); /* its kind; every page free */
void _ox_addr_map_page(const ox_segment_t *seg, const ox_page_t *page, bool in_use);
void _ox_addr_map_huge(const ox_segment_t *seg); /* its block: offset, size, live */
bool _ox_addr_map_owns(const void *p);
size_t _ox_addr_map_usable(const void *p); /* 0 unless a block starts at p */
/* A huge block started at `p` and its mapping went back to the OS (no
 * oxalloc mapping has been made there since): a free of `p` is a second. */
bool _ox_addr_map_huge_gone(const void *p);

/* The segment of the block that starts at `p`, or NULL when oxalloc does
 * not manage `p`: NULL, beyond 48 bits, or no base in the 4 MiB before it.
 * Every block starts after its segment's base and at most 4 MiB past it
 * (a huge block aligned to 4 MiB or more sits at +4 MiB), so the base is
 * the chunk of p - 1: one load of the bitmap, no bound to load.  For a
 * pointer that is not a block start the segment may be a neighbour's:
 * callers test the start (the page index is then at most page_count, an
 * entry inside the header that no block-start test passes). */
OX_INLINE bool _ox_segment_base_at(uintptr_t chunk) {
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
  /* One instruction: `bt` with the bitmap in memory takes the whole bit
   * offset and finds the word itself (a relaxed load, as below). */
  bool set;
  __asm__("btq %2, %1"
          : "=@ccc"(set)
          : "m"(*(const uint64_t(*)[OX_MAP_CHUNKS / 64]) _ox_segment_bases), "r"(chunk));
  return set;
#else
  uint64_t word = atomic_load_explicit(&_ox_segment_bases[chunk / 64], memory_order_relaxed);
  return (word >> (chunk % 64)) & 1;
#endif
}

OX_INLINE ox_segment_t *_ox_segment_lookup(const void *p) {
  uintptr_t q = (uintptr_t)p - 1, chunk = q >> OX_SEGMENT_SHIFT;
  if (OX_UNLIKELY(chunk >= OX_MAP_CHUNKS)) return NULL; /* also p == NULL */
  if (OX_UNLIKELY(!_ox_segment_base_at(chunk))) return NULL;
  ox_segment_t *seg = (ox_segment_t *)(q & ~(uintptr_t)OX_SEGMENT_MASK);
  if (seg == NULL) __builtin_unreachable(); /* no segment at address 0 */
  return seg;
}

/* The segment of a class block (SMALL/MEDIUM/LARGE): its aligned base. */
OX_INLINE ox_segment_t *_ox_segment_of_class_block(const void *p) {
  return (ox_segment_t *)((uintptr_t)p & ~(uintptr_t)OX_SEGMENT_MASK);
}

/* The lists of segments linked through next/prev: a heap's segments with
 * a free page (segment.c), a first-class heap's huge blocks (huge.c). */
OX_INLINE void _ox_segment_list_push(ox_segment_t **head, ox_segment_t *seg) {
  seg->prev = NULL;
  seg->next = *head;
  if (*head) (*head)->prev = seg;
  *head = seg;
}

OX_INLINE void _ox_segment_list_remove(ox_segment_t **head, ox_segment_t *seg) {
  if (seg->prev)
    seg->prev->next = seg->next;
  else
    *head = seg->next;
  if (seg->next) seg->next->prev = seg->prev;
  seg->next = seg->prev = NULL;
}

/* Written as one address computation: indexing seg->pages made the
 * compiler keep two forms of the page address on free's fast path. */
OX_INLINE ox_page_t *_ox_segment_page_of(ox_segment_t *seg, const void *p) {
  uintptr_t idx = ((uintptr_t)p - (uintptr_t)seg) >> seg->page_shift;
  return (ox_page_t *)((uintptr_t)seg->pages + idx * sizeof(ox_page_t));
}

/* Block-start test of a page (after Lemire, Kaser and Kurz, "Faster
 * remainder by direct computation").  With m = floor(2^64 / size) + 1 and
 * e = size * m - 2^64 (0 < e <= size), every 32-bit offset n gives
 * n * m mod 2^64 = k * e when n = k * size, and at least 2^64 / size
 * (>= 2^45, far above any page's limit) otherwise.  So "n * m < count * e"
 * holds exactly for the starts of the page's first `count` blocks; an
 * offset below the page start wraps to a large 32-bit n and fails too.
 * The limit covers the blocks carved so far: the owner raises it as it
 * carves more while other threads free into the page (hence the relaxed
 * atomic load). */
OX_INLINE uint64_t _ox_block_magic(uint32_t size) {
  uint64_t m = UINT64_MAX / size + 1;
  return (size & (size - 1)) == 0 ? m + 1 : m; /* 2^64 / size is exact for powers of two */
}

OX_INLINE uint64_t _ox_block_limit(uint64_t magic, uint32_t size, uint32_t count) {
  return (uint64_t)count * (magic * size);
}

OX_INLINE bool _ox_is_page_block(const ox_page_t *page, const void *p) {
  uint32_t off = (uint32_t)((uintptr_t)p - (uintptr_t)_ox_page_start(page));
  uint64_t n = (uint64_t)off * page->block_magic;
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
  /* The limit compared straight from memory (an aligned 8-byte load, as
   * the relaxed load below): one instruction less on every free. */
  bool below;
  __asm__("cmpq %2, %1" : "=@ccb"(below) : "r"(n), "m"(page->block_limit));
  return below;
#else
  return n < __atomic_load_n(&page->block_limit, __ATOMIC_RELAXED);
#endif
}

#pragma GCC visibility pop

#endif /* OX_INTERNAL_H */
