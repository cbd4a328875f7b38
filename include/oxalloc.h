/*
 * oxalloc.h - the extended oxalloc API.
 *
 * The malloc family under `ox_` names (usable beside the system malloc in
 * any program), plus queries that only an allocator can answer.  These
 * functions are always oxalloc, whatever the program's `malloc` is.
 *
 * Failure follows the C library: NULL with errno set to ENOMEM (or EINVAL
 * for an invalid alignment), and no existing block is changed.
 */
#ifndef OXALLOC_H
#define OXALLOC_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OXALLOC_VERSION_MAJOR 0
#define OXALLOC_VERSION_MINOR 1
#define OXALLOC_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH". */
const char *ox_version(void);

/* Allocate `size` bytes aligned to 16 (alignof(max_align_t)).  size 0
 * returns a unique freeable pointer.  NULL/ENOMEM when it cannot be
 * served, including every size above PTRDIFF_MAX. */
void *ox_malloc(size_t size);

/* Allocate `count * size` zeroed bytes.  NULL/ENOMEM when the product
 * overflows, in either argument order. */
void *ox_calloc(size_t count, size_t size);

/* Resize `ptr` to `size` bytes, keeping min(old, new) bytes and the
 * 16-byte alignment.  realloc(NULL, n) is malloc(n); realloc(p, 0) frees p
 * and returns NULL (glibc's behaviour).  On failure returns NULL, sets
 * errno to ENOMEM and leaves `ptr` valid and unchanged.  Growing within the
 * block's usable size never moves it (realloc(p, ox_usable_size(p)) returns
 * p); a shrink may move it to a smaller block when it would use less than a
 * quarter of its block, or a huge block shrinks to 512 KiB or less. */
void *ox_realloc(void *ptr, size_t size);

/* Release a block from any ox_ or rust_ allocation function.  NULL does
 * nothing; errno is preserved.  A pointer oxalloc does not manage is
 * ignored (with a warning when OXALLOC_VERBOSE=1); the checked build
 * aborts naming it instead.  A block freed already (through any entry
 * point, by any thread) and not handed out again since is a double free:
 * every build aborts with "oxalloc: double free of 0x...". */
void ox_free(void *ptr);

/* ox_free for a caller that knows the requested size (C23 free_sized).
 * `size` must be the size given at allocation; the checked build
 * verifies it. */
void ox_free_sized(void *ptr, size_t size);

/* ox_free for a block from ox_aligned_alloc (C23 free_aligned_sized). */
void ox_free_aligned_sized(void *ptr, size_t alignment, size_t size);

/* Allocate `size` bytes aligned to `alignment`, which must be a power of
 * two (else NULL/EINVAL).  `size` need not be a multiple of it.  Any
 * alignment up to 2^26 and beyond is served; the padding costs address
 * space, not resident memory. */
void *ox_aligned_alloc(size_t alignment, size_t size);

/* The number of bytes usable in the block `ptr` (>= the size requested;
 * every one of them may be written).  0 for NULL, for pointers that
 * oxalloc does not manage and for pointers that are not the start of a
 * block.  Never faults, whatever the pointer, even while another thread
 * frees and unmaps the memory it points to: the answer comes from
 * oxalloc's address map, never from the block or its segment.  For a
 * dangling pointer (its block freed) the answer is 0, or the size of
 * whatever block starts at that address now (the memory may have been
 * reused); it says nothing about the freed block. */
size_t ox_usable_size(const void *ptr);

/* True when `ptr` points into memory that oxalloc manages (a block it
 * handed out, its own metadata, or memory it keeps mapped for reuse);
 * false for stack, static, and other allocators' memory, and for every
 * address at or above 2^48.  Never faults, whatever the pointer, even
 * while another thread frees and unmaps that memory.  A dangling pointer
 * answers true while oxalloc still holds the memory it points to (kept
 * for reuse, or reused), false once that memory went back to the OS. */
bool ox_owns(const void *ptr);

/* ---- giving memory back ----------------------------------------------------- */

/* Give memory that oxalloc holds unused back to the OS now, instead of
 * after the purge delay: the calling thread's kept blocks of other threads
 * go home, its empty pages are released, and its free pages and the
 * process's caches of empty segments and freed huge blocks are purged -
 * all of them with `force`, only those unused for the purge delay
 * without.  With `force`, the heaps of exited threads are collected and
 * purged too.  Other live threads' heaps give back theirs on their own
 * slow paths, or through the background purger (OXALLOC_BACKGROUND=1).
 * Never allocates; blocks stay valid (only unused memory is returned). */
void ox_collect(bool force);

/* ---- statistics ---------------------------------------------------------- */

#define OX_STATS_MAX_CLASSES 128

/* A snapshot of the allocator, merged over every thread.  The calling
 * thread's own live blocks are exact.  Other threads are read without
 * stopping them: their live-block counts are as of their last allocation
 * slow path (a page running out of blocks, a page becoming empty) or their
 * exit, so a snapshot taken while they run is approximate.  A block
 * freed by a thread other than its owner counts as live until the owning
 * heap collects it (on its next allocation slow path, or when its thread
 * exits); blocks of up to 1 KiB that the freeing thread keeps for its own
 * allocations of the class (at most 8 KiB per class) count as live until
 * it allocates them, purges or exits. */
typedef struct ox_stats {
  size_t allocated_bytes;  /* bytes in live blocks (block sizes, huge included) */
  size_t allocated_blocks; /* live blocks */
  size_t huge_blocks;      /* live blocks above the largest size class */
  size_t huge_bytes;
  size_t pages_in_use;    /* class pages holding blocks */
  size_t segments_in_use; /* 4 MiB segments held by heaps */
  size_t committed_bytes; /* mapped read-write by oxalloc now */
  size_t resident_bytes;  /* committed minus what was given back and not reused */
  size_t returned_bytes;  /* given back to the OS so far (madvise, munmap) */
  size_t os_calls;        /* mmap, munmap, madvise and mremap calls so far */
  size_t remote_frees;    /* frees of blocks owned by another thread's heap */
  size_t threads_seen;    /* thread heaps set up (created or adopted) */
  size_t class_count;     /* entries used in `classes` */
  struct {
    size_t block_size;
    size_t live_blocks;
  } classes[OX_STATS_MAX_CLASSES];
  /* Byte counters (block sizes), kept on slow paths and derived, never on
   * the fast paths.  The calling thread's are exact for its own heap
   * (first-class heaps not included) since the thread started, as
   * jemalloc's thread.allocated / thread.deallocated; the process totals
   * add every heap, other threads' as of their last slow path (blocks
   * handed to their caches and not yet used count as allocated). */
  size_t thread_allocated_bytes;   /* allocated by the calling thread */
  size_t thread_deallocated_bytes; /* freed by the calling thread, whoever allocated */
  size_t total_allocated_bytes;    /* allocated by the process so far (cumulative) */
  size_t total_deallocated_bytes;  /* freed by the process so far */
  size_t peak_committed_bytes;     /* the most committed_bytes has ever been */
  /* Resident but unused: memory that counts in resident_bytes without
   * holding a live block, by kind (a cache is not a leak).  Each goes back
   * to the OS after the purge delay, or now with ox_collect. */
  size_t pending_purge_bytes; /* free pages of heaps, waiting for the purge delay */
  size_t kept_page_bytes;     /* empty pages kept for their size class (one per class
                                 and thread; as of the owner's last slow path) */
  size_t segment_cache_bytes; /* empty 4 MiB segments cached for reuse: touched pages */
  size_t huge_cache_bytes;    /* freed huge blocks cached for reuse (their mappings) */
} ox_stats_t;

/* Fill `*out`.  Returns 0, or EINVAL for NULL.  Never allocates. */
int ox_stats_get(ox_stats_t *out);

/* Write a readable report (totals, then a table per size class) through
 * `out`, called once per line with NUL-terminated text.  Never allocates:
 * `out` may write(2) but must not call malloc if malloc is oxalloc. */
void ox_stats_print(void (*out)(const char *text, void *arg), void *arg);

/* The same snapshot as one JSON object, through `out` in pieces. */
void ox_stats_json(void (*out)(const char *text, void *arg), void *arg);

/* ---- options ---------------------------------------------------------------- */

/* Options are tunables with a lower-case name ("purge_delay"), a default
 * and a range; docs/options.md describes each one.  When a change takes
 * effect, the one rule:
 *   - the environment variables OXALLOC_<NAME> (upper case, e.g.
 *     OXALLOC_PURGE_DELAY=100) are read once, when the allocator starts
 *     (the process's first allocation from oxalloc); an unknown OXALLOC_
 *     variable or a malformed value gets one warning line on stderr and
 *     changes nothing;
 *   - ox_option_set may be called at any time, from any thread: every
 *     option is read at the moments it governs (docs/options.md lists
 *     them) and never copied, so the new value applies from the next of
 *     those moments (at once for most; eager_commit to mappings made from
 *     then on; show_stats at exit; the profiler's start-up options only
 *     before the start).  Set before the start, it takes the place of the
 *     environment variable.
 * ox_option_set returns 0, or EINVAL for an unknown name or a value out of
 * range; it never refuses a change for being late. */
int ox_option_set(const char *name, long value);

/* The current value of an option, or -1 for an unknown name. */
long ox_option_get(const char *name);

/* One option's description, filled by ox_option_info. */
typedef struct ox_option_info {
  char name[32];      /* lower-case name, as ox_option_set takes it */
  const char *env;    /* its environment variable, "OXALLOC_" + NAME */
  const char *doc;    /* one line on what it does */
  long default_value; /* the value when nothing sets it (this build's) */
  long min, max;      /* the accepted range, both included */
  long value;         /* the value in use now */
} ox_option_info_t;

/* Describe option number `index` (0, 1, ... in a fixed order) in `*out`:
 * returns 0, ENOENT when `index` is past the last option (so a loop from 0
 * until ENOENT lists them all), or EINVAL for a NULL `out`.  Never
 * allocates and may be called before the allocator starts. */
int ox_option_info(size_t index, ox_option_info_t *out);

/* ---- heap profiling ---------------------------------------------------------
 * Sampled heap profiles in pprof's format (docs/profiling.md).  An
 * allocation is sampled when a point of a Poisson process over the bytes
 * each thread allocates falls in it (mean interval `sample_bytes`, 512 KiB
 * by default, OXALLOC_PROF_SAMPLE), with its size, alignment, thread and
 * call stack (64 frames).  Sampled blocks stay in the live profile until
 * freed.  With profiling off the allocation and free fast paths run no
 * extra instruction.  The environment can do the same: OXALLOC_PROF=1
 * (start at process start), OXALLOC_PROF_DUMP=<path> (write the profile at
 * exit), OXALLOC_PROF_SIGNAL=<signal> (dump to "<path>.<n>" on each
 * signal, e.g. USR2), OXALLOC_PROF_LEAKS=1 (report live sampled blocks on
 * stderr at exit); each of them starts profiling at process start. */

/* Start sampling with a mean interval of `sample_bytes` (0: the option's
 * value).  Returns 0, ENOMEM if the tables cannot be mapped, EINVAL for an
 * interval above 2^40.  Calling it again changes the interval. */
int ox_prof_start(size_t sample_bytes);

/* Stop sampling.  Blocks sampled so far stay in the live profile until
 * they are freed. */
void ox_prof_stop(void);

/* Write the profile (gzip-compressed profile.proto, read by `go tool
 * pprof`) to `path`, created or truncated, or to the open descriptor
 * `fd`.  Returns 0 or an errno value.  Never calls malloc. */
int ox_prof_dump(const char *path);
int ox_prof_write(int fd);

/* ---- first-class heaps ---------------------------------------------------- */

/* A heap of its own: blocks allocated from it can be freed one by one
 * (ox_heap_free or ox_free, from any thread), or all at once with
 * ox_heap_destroy / ox_heap_reset - the arena use case.  A heap allocates
 * only on the thread that created it. */
typedef struct ox_heap_s ox_heap_t;

/* A new, empty heap owned by the calling thread; NULL/ENOMEM on failure. */
ox_heap_t *ox_heap_new(void);

/* Allocate from `heap` (as ox_malloc / ox_aligned_alloc, same failures). */
void *ox_heap_malloc(ox_heap_t *heap, size_t size);
void *ox_heap_alloc_aligned(ox_heap_t *heap, size_t size, size_t alignment);

/* Resize `ptr`, a block of `heap` (or NULL: then as ox_heap_malloc /
 * ox_heap_alloc_aligned), keeping min(old, new) bytes.  As ox_realloc it
 * grows in place whenever the block's usable size or, for huge blocks, the
 * mapping allows, and a block that has to move is allocated from `heap`,
 * so the heap's reset and destroy still release it.  The _aligned form
 * keeps `alignment` (a power of two, the one `ptr` was allocated with;
 * otherwise NULL/EINVAL).  `size` 0 frees `ptr` and returns NULL.  On
 * failure NULL/ENOMEM and `ptr` stays valid and unchanged.  Only on the
 * heap's thread, like every allocation from it. */
void *ox_heap_realloc(ox_heap_t *heap, void *ptr, size_t size);
void *ox_heap_realloc_aligned(ox_heap_t *heap, void *ptr, size_t size, size_t alignment);

/* Free one block of any heap (the same as ox_free). */
void ox_heap_free(void *ptr);

/* Free every block of `heap` at once; the heap stays usable. */
void ox_heap_reset(ox_heap_t *heap);

/* Free every block of `heap` and the heap itself. */
void ox_heap_destroy(ox_heap_t *heap);

#ifdef __cplusplus
}
#endif

#endif /* OXALLOC_H */
