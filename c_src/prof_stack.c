/*
 * prof_stack.c - the call stacks of sampled allocations: walked from the
 * .eh_frame unwind tables (prof_trace.h), stripped of the allocator's own
 * frames, and interned in a table of distinct stacks that also
 * accumulates what was allocated from each.
 *
 * Why the unwind tables and not a frame-pointer walk: oxalloc and most
 * distribution code are built without frame pointers, and a walk through
 * a frame that uses its frame-pointer register for data reads garbage.
 * The .eh_frame tables are present by default on x86-64 and aarch64 and
 * need no frame pointers; prof_unwind.c follows them from cached rules on
 * x86-64, libgcc's _Unwind_Backtrace elsewhere (with glibc >= 2.35 it
 * finds them through _dl_find_object, without locks and without malloc).
 * Code built without unwind tables (-fno-asynchronous-unwind-tables, no
 * C++ exceptions) ends the stack at its first frame: the sample keeps the
 * frames found up to there.
 *
 * The allocator's frames (the slow path, the entry point the program
 * called) are cut off by function: every frame up to the outermost one
 * whose function is an allocation entry point of oxalloc is dropped, so
 * the first frame kept is the program's caller of malloc / rust_alloc.
 */
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "oxalloc.h"
#include "rust_alloc.h"

#define STACK_SLOTS ((size_t)1 << 14) /* distinct stacks; more share slot 0 */
#define STACK_PROBE 256

static _Atomic(ox_prof_stack_t *) stacks;

static void entry_points_init(void);
static int find_own_code(struct dl_phdr_info *info, size_t size, void *arg);

/* Called by ox_prof_start before sampling is switched on (which publishes
 * what is set here to the sampling threads). */
bool _ox_prof_stacks_ready(void) {
  static atomic_flag entries_done = ATOMIC_FLAG_INIT;
  if (!atomic_flag_test_and_set(&entries_done)) entry_points_init();
  if (!_ox_prof_unwind_ready()) return false;
  if (atomic_load_explicit(&stacks, memory_order_acquire)) return true;
  ox_prof_stack_t *t = _ox_os_map(STACK_SLOTS * sizeof(ox_prof_stack_t));
  if (!t) return false;
  atomic_store_explicit(&t[0].ready, 1, memory_order_relaxed); /* slot 0: unknown stack */
  atomic_store_explicit(&t[0].hash, 1, memory_order_relaxed);
  ox_prof_stack_t *expected = NULL;
  if (!atomic_compare_exchange_strong(&stacks, &expected, t))
    _ox_os_unmap(t, STACK_SLOTS * sizeof(ox_prof_stack_t));
  return true;
}

ox_prof_stack_t *_ox_prof_stacks(size_t *count) {
  ox_prof_stack_t *t = atomic_load_explicit(&stacks, memory_order_acquire);
  *count = t ? STACK_SLOTS : 0;
  return t;
}

/* ---- which frames are the allocator's ----------------------------------- */

/* The override family, when this build or the program has it; weak, so
 * that a program without C++ or without the override still links. */
#pragma GCC visibility push(default)
extern void *_Znwm(size_t) __attribute__((weak));
extern void *_Znam(size_t) __attribute__((weak));
extern void *_ZnwmRKSt9nothrow_t(size_t, const void *) __attribute__((weak));
extern void *_ZnamRKSt9nothrow_t(size_t, const void *) __attribute__((weak));
extern void *_ZnwmSt11align_val_t(size_t, size_t) __attribute__((weak));
extern void *_ZnamSt11align_val_t(size_t, size_t) __attribute__((weak));
extern void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t, size_t, const void *) __attribute__((weak));
extern void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t, size_t, const void *) __attribute__((weak));
extern void *reallocarray(void *, size_t, size_t) __attribute__((weak));
extern void *memalign(size_t, size_t) __attribute__((weak));
extern void *valloc(size_t) __attribute__((weak));
extern void *pvalloc(size_t) __attribute__((weak));
extern void *__libc_malloc(size_t) __attribute__((weak));
extern void *__libc_calloc(size_t, size_t) __attribute__((weak));
extern void *__libc_realloc(void *, size_t) __attribute__((weak));
extern void *__libc_memalign(size_t, size_t) __attribute__((weak));
#pragma GCC visibility pop

typedef void (*any_fn)(void);
#define FN(f) ((any_fn)(uintptr_t)(f))

static uintptr_t entry_points[64];
static size_t entry_count;

static void entry_points_init(void) {
  const any_fn fns[] = {
    FN(_ox_alloc_slow),
    FN(_ox_alloc_raw),
    FN(_ox_alloc_in),
    FN(_ox_alloc_generic),
    FN(_ox_realloc),
    FN(_ox_huge_alloc),
    FN(_ox_huge_realloc),
    FN(ox_malloc),
    FN(ox_calloc),
    FN(ox_realloc),
    FN(ox_aligned_alloc),
    FN(ox_heap_malloc),
    FN(ox_heap_alloc_aligned),
    FN(rust_alloc),
    FN(rust_alloc_zeroed),
    FN(rust_realloc),
    FN(malloc),
    FN(calloc),
    FN(realloc),
    FN(posix_memalign),
    FN(aligned_alloc),
    FN(reallocarray),
    FN(memalign),
    FN(valloc),
    FN(pvalloc),
    FN(__libc_malloc),
    FN(__libc_calloc),
    FN(__libc_realloc),
    FN(__libc_memalign),
    FN(_Znwm),
    FN(_Znam),
    FN(_ZnwmRKSt9nothrow_t),
    FN(_ZnamRKSt9nothrow_t),
    FN(_ZnwmSt11align_val_t),
    FN(_ZnamSt11align_val_t),
    FN(_ZnwmSt11align_val_tRKSt9nothrow_t),
    FN(_ZnamSt11align_val_tRKSt9nothrow_t),
#if OX_CHECKED
    FN(_ox_checked_alloc),
#endif
  };
  size_t n = 0;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0] && n < 64; i++) {
    if (!fns[i]) continue;
    /* kept sorted for is_entry_point's binary search (every frame of
     * every sample is looked up) */
    size_t j = n++;
    for (; j > 0 && entry_points[j - 1] > (uintptr_t)fns[i]; j--)
      entry_points[j] = entry_points[j - 1];
    entry_points[j] = (uintptr_t)fns[i];
  }
  entry_count = n;
  int index = 0;
  dl_iterate_phdr(find_own_code, &index);
}

/* When oxalloc is a shared library (LD_PRELOAD, -loxalloc), its code is
 * that object's executable segment, and every frame there is its own:
 * this catches the frames of internal functions that a tail call left as
 * the outermost allocator frame.  Linked statically, the range stays
 * empty and the entry points alone decide. */
static uintptr_t own_lo, own_hi;

static int find_own_code(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  int *index = arg;
  uintptr_t me = (uintptr_t)FN(_ox_prof_stack_of);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (me < lo || me >= hi) continue;
    if (*index > 0) own_lo = lo, own_hi = hi; /* index 0 is the program itself */
    return 1;
  }
  (*index)++;
  return 0;
}

static bool is_entry_point(uintptr_t fn_start) {
  size_t lo = 0, hi = entry_count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (entry_points[mid] < fn_start)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < entry_count && entry_points[lo] == fn_start;
}

/* ---- capture --------------------------------------------------------- */

static uint64_t stack_hash(const uintptr_t *f, uint32_t depth) {
  uint64_t h = 0xcbf29ce484222325ull ^ depth;
  for (uint32_t i = 0; i < depth; i++) h = (h ^ f[i]) * 0x100000001b3ull;
  h ^= h >> 29;
  return h < 2 ? h + 2 : h; /* 0 is empty, 1 is slot 0's */
}

static uint32_t intern(const uintptr_t *f, uint32_t depth) {
  ox_prof_stack_t *t = atomic_load_explicit(&stacks, memory_order_acquire);
  if (!t) return 0;
  uint64_t h = stack_hash(f, depth);
  size_t i = (size_t)h & (STACK_SLOTS - 1);
  for (int n = 0; n < STACK_PROBE; n++, i = (i + 1) & (STACK_SLOTS - 1)) {
    if (i == 0) continue;
    uint64_t k = atomic_load_explicit(&t[i].hash, memory_order_acquire);
    if (k == 0) {
      if (!atomic_compare_exchange_strong(&t[i].hash, &k, h)) {
        n--, i = (i - 1) & (STACK_SLOTS - 1); /* look at this slot again */
        continue;
      }
      t[i].depth = depth;
      memcpy(t[i].frames, f, depth * sizeof *f);
      atomic_store_explicit(&t[i].ready, 1, memory_order_release);
      return (uint32_t)i;
    }
    /* A slot being written by another thread is passed over: the stack
     * may then be stored twice, which pprof merges. */
    if (k == h && atomic_load_explicit(&t[i].ready, memory_order_acquire) && t[i].depth == depth &&
        memcmp(t[i].frames, f, depth * sizeof *f) == 0)
      return (uint32_t)i;
  }
  return 0;
}

/* The allocator's frames of a raw trace cut off, the rest interned. */
uint32_t _ox_prof_stack_of(const ox_prof_trace_t *t) {
  int first = 0;
  while (first < t->n && t->ip[first] >= own_lo && t->ip[first] < own_hi) first++;
  for (int i = first; i < t->n; i++)
    if (is_entry_point(t->fn[i])) first = i + 1;
  uintptr_t frames[OX_PROF_MAX_FRAMES];
  uint32_t depth = 0;
  for (int i = first; i < t->n && depth < OX_PROF_MAX_FRAMES; i++)
    frames[depth++] = t->ip[i] - 1; /* the call instruction, not the return address */
  return intern(frames, depth);
}
