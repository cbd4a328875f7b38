/*
 * override.c - the C library's malloc family (and C++ operator new/delete)
 * served by oxalloc.
 *
 * Owns: every allocation entry point a C or C++ program, or glibc itself,
 * may call - malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, malloc_usable_size, free_sized,
 * free_aligned_sized, cfree, glibc's __libc_* aliases, and the Itanium-ABI
 * operator new/delete family - written over the public ox_ API, except
 * the hot entry points (malloc, free, the sized frees, operator new and
 * delete), which inline the allocator's fast paths (fast_path.h): a call
 * through ox_malloc/ox_free would cost a PLT jump in the shared library
 * on the hottest path of every C and C++ program.
 * The semantic edge cases of the malloc family's contract that the ox_
 * API leaves to the caller (argument checks, rounding overflows, errno
 * conventions) are settled here, in the static helpers below.
 *
 * Only override builds compile this file: build/liboxalloc.so (used with
 * LD_PRELOAD) and build/oxalloc_override.o (linked into an executable).
 * The library is built with -fvisibility=hidden, so every replaced symbol
 * is marked OX_EXPORT.  A missing entry point would send its callers to
 * glibc's heap and mix two allocators, so the family is exported whole.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast_path.h"
#include "oxalloc.h"

#define OX_EXPORT __attribute__((visibility("default")))
/* A second exported name for a function defined in this file. */
#define OX_ALIAS(target) __attribute__((alias(#target), visibility("default")))

/* ------------------------------------------------------------------------
 * Shared checks
 * --------------------------------------------------------------------- */

/* NULL with errno = ENOMEM: how every entry point reports a size it cannot serve. */
static void *fail_nomem(void) {
  errno = ENOMEM;
  return NULL;
}

/* An aligned block, refusing sizes that could overflow once padded to
 * `align` (valloc(-4096), memalign(4096, -4096), aligned_alloc(1024,
 * -1024)) before the core sees them.  `align` is a power of two. */
static void *aligned_checked(size_t align, size_t size) {
  if (size > (size_t)PTRDIFF_MAX - align) return fail_nomem();
  return ox_aligned_alloc(align, size);
}

/* The smallest power of two >= x; x <= SIZE_MAX / 2 + 1. */
static size_t next_pow2(size_t x) {
  size_t p = 1;
  while (p < x) p <<= 1;
  return p;
}

/* glibc's memalign: an alignment up to 16 is plain malloc; one that is not
 * a power of two is rounded up to the next; one with no power of two above
 * it (memalign(-1, n)) is EINVAL. */
static void *memalign_glibc(size_t align, size_t size) {
  if (align <= _Alignof(max_align_t)) return ox_malloc(size);
  if (align > SIZE_MAX / 2 + 1) {
    errno = EINVAL;
    return NULL;
  }
  return aligned_checked(next_pow2(align), size);
}

/* pvalloc: the size rounded up to whole pages, at least one page. */
static void *pvalloc_rounded(size_t size) {
  size_t page = _ox_os_page_size();
  if (size > SIZE_MAX - (page - 1)) return fail_nomem();
  size_t rounded = (size + page - 1) & ~(page - 1);
  return aligned_checked(page, rounded ? rounded : page);
}

static bool mul_overflows(size_t a, size_t b, size_t *product) {
  return __builtin_mul_overflow(a, b, product);
}

/* ------------------------------------------------------------------------
 * The C library's malloc family
 * --------------------------------------------------------------------- */

OX_EXPORT void *malloc(size_t size) { return _ox_malloc(size); }

OX_EXPORT void free(void *ptr) { _ox_free(ptr); }

OX_EXPORT void *calloc(size_t count, size_t size) { return ox_calloc(count, size); }

/* realloc(NULL, n) is malloc(n).  realloc(p, 0) frees p and returns NULL,
 * as glibc does (C17 leaves it implementation-defined; C23 makes it
 * undefined); ox_realloc implements both rules. */
OX_EXPORT void *realloc(void *ptr, size_t size) { return ox_realloc(ptr, size); }

OX_EXPORT void *reallocarray(void *ptr, size_t count, size_t size) {
  size_t bytes;
  if (mul_overflows(count, size, &bytes)) return fail_nomem();
  return ox_realloc(ptr, bytes);
}

/* Returns the error code and writes *memptr only on success (POSIX).  The
 * alignment must be a power of two multiple of sizeof(void *); EINVAL
 * leaves errno alone, ENOMEM also sets it, as glibc does (programs written
 * against glibc read errno after a failed posix_memalign). */
OX_EXPORT int posix_memalign(void **memptr, size_t align, size_t size) {
  if (!_ox_is_pow2(align) || align % sizeof(void *) != 0) return EINVAL;
  void *p = aligned_checked(align, size);
  if (p == NULL) return ENOMEM; /* errno is ENOMEM too, as glibc leaves it */
  *memptr = p;
  return 0;
}

/* C11: the alignment must be a power of two (glibc >= 2.38 checks the
 * same), else NULL/EINVAL; the size need not be a multiple of it. */
OX_EXPORT void *aligned_alloc(size_t align, size_t size) {
  if (!_ox_is_pow2(align)) {
    errno = EINVAL;
    return NULL;
  }
  return aligned_checked(align, size);
}

OX_EXPORT void *memalign(size_t align, size_t size) { return memalign_glibc(align, size); }

OX_EXPORT void *valloc(size_t size) { return aligned_checked(_ox_os_page_size(), size); }

OX_EXPORT void *pvalloc(size_t size) { return pvalloc_rounded(size); }

/* Exact and writable: every byte up to the returned size may be used.
 * 0 for NULL. */
OX_EXPORT size_t malloc_usable_size(void *ptr) { return ptr ? ox_usable_size(ptr) : 0; }

/* glibc's meaning: give free memory back to the OS now.  `pad` (bytes to
 * keep at the top of glibc's heap) has no counterpart.  Returns 1 when
 * memory was returned, 0 otherwise, as glibc does. */
OX_EXPORT int malloc_trim(size_t pad) {
  (void)pad;
  ox_stats_t before, after;
  ox_stats_get(&before);
  ox_collect(true);
  ox_stats_get(&after);
  return after.returned_bytes > before.returned_bytes;
}

/* C23; like free, NULL does nothing. */
OX_EXPORT void free_sized(void *ptr, size_t size) {
  if (ptr) _ox_free_sized(ptr, size, OX_MIN_ALIGN);
}

OX_EXPORT void free_aligned_sized(void *ptr, size_t align, size_t size) {
  if (ptr) _ox_free_sized(ptr, size, align);
}

/* Old SunOS/glibc name for free. */
OX_EXPORT void cfree(void *ptr) { ox_free(ptr); }

/* glibc's internal names: glibc calls these from inside itself (and some
 * programs and debuggers call them directly), so they must land here too. */
OX_EXPORT void *__libc_malloc(size_t size) { return _ox_malloc(size); }
OX_EXPORT void __libc_free(void *ptr) { _ox_free(ptr); }
OX_EXPORT void *__libc_calloc(size_t count, size_t size) { return ox_calloc(count, size); }
OX_EXPORT void *__libc_realloc(void *ptr, size_t size) { return ox_realloc(ptr, size); }
OX_EXPORT void *__libc_memalign(size_t align, size_t size) { return memalign_glibc(align, size); }
OX_EXPORT void *__libc_valloc(size_t size) { return aligned_checked(_ox_os_page_size(), size); }
OX_EXPORT void *__libc_pvalloc(size_t size) { return pvalloc_rounded(size); }

/* ------------------------------------------------------------------------
 * glibc's statistics interface - mallinfo, mallinfo2, malloc_stats,
 * malloc_info - answered from ox_stats_get.  Without them a program would
 * read glibc's own, unused heap.  docs/c-contract.md gives the mapping:
 *   arena    bytes mapped by oxalloc outside live huge blocks (segments,
 *            caches, huge-block headers and rounding)
 *   uordblks bytes of live size-class blocks (block sizes)
 *   fordblks arena - uordblks: mapped and not in a live block
 *   keepcost resident but unused (free pages, kept pages, cached
 *            segments and huge blocks): what malloc_trim gives back now
 *   hblks, hblkhd  live huge blocks (own mappings) and their bytes
 *   ordblks, smblks, usmblks, fsmblks  0: no such bins in oxalloc
 * The structs are glibc's ABI, written out so that no <malloc.h> of a
 * particular glibc version is needed: ten ints, ten size_ts.
 * --------------------------------------------------------------------- */

struct ox_mallinfo2 {
  size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct ox_mallinfo {
  int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};

static size_t sub_or_zero(size_t a, size_t b) { return a > b ? a - b : 0; }

static struct ox_mallinfo2 info_now(void) {
  ox_stats_t s;
  ox_stats_get(&s);
  size_t in_use = sub_or_zero(s.allocated_bytes, s.huge_bytes);
  size_t arena = sub_or_zero(s.committed_bytes, s.huge_bytes);
  if (arena < in_use) arena = in_use; /* other threads' counts lag a little */
  struct ox_mallinfo2 mi = {0};
  mi.arena = arena;
  mi.hblks = s.huge_blocks;
  mi.hblkhd = s.huge_bytes;
  mi.uordblks = in_use;
  mi.fordblks = arena - in_use;
  mi.keepcost = s.pending_purge_bytes + s.kept_page_bytes + s.segment_cache_bytes +
                s.huge_cache_bytes; /* resident but unused: malloc_trim returns it */
  return mi;
}

OX_EXPORT struct ox_mallinfo2 mallinfo2(void) { return info_now(); }

/* The int fields saturate at INT_MAX (glibc truncates them modulo 2^32). */
static int saturate(size_t v) { return v > (size_t)INT_MAX ? INT_MAX : (int)v; }

OX_EXPORT struct ox_mallinfo mallinfo(void) {
  struct ox_mallinfo2 w = info_now();
  struct ox_mallinfo mi = {saturate(w.arena),   saturate(w.ordblks),  saturate(w.smblks),
                           saturate(w.hblks),   saturate(w.hblkhd),   saturate(w.usmblks),
                           saturate(w.fsmblks), saturate(w.uordblks), saturate(w.fordblks),
                           saturate(w.keepcost)};
  return mi;
}
OX_EXPORT struct ox_mallinfo __libc_mallinfo(void) OX_ALIAS(mallinfo);

static void to_stderr(const char *text, void *arg) {
  (void)arg;
  _ox_os_write_stderr(text, strlen(text));
}

/* "label = %10zu\n", glibc's layout. */
static void stats_line(const char *label, size_t value) {
  char line[80], digits[24];
  size_t len = _ox_fmt_dec(digits, 0, sizeof digits, value);
  size_t n = _ox_fmt_str(line, 0, sizeof line, label);
  n = _ox_fmt_str(line, n, sizeof line, " = ");
  while (len++ < 10) n = _ox_fmt_str(line, n, sizeof line, " ");
  n = _ox_fmt_str(line, n, sizeof line, digits);
  n = _ox_fmt_str(line, n, sizeof line, "\n");
  _ox_os_write_stderr(line, n);
}

/* glibc's summary lines first (scripts read "system bytes"/"in use bytes";
 * oxalloc has one arena), then oxalloc's own report.  Not a cancellation
 * point, like glibc's: the whole report is written or none of it. */
OX_EXPORT void malloc_stats(void) {
  int cancel_state;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
  struct ox_mallinfo2 mi = info_now();
  size_t peak_blocks, peak_bytes;
  _ox_stats_huge_peaks(&peak_blocks, &peak_bytes);
  to_stderr("Arena 0:\n", NULL);
  stats_line("system bytes    ", mi.arena);
  stats_line("in use bytes    ", mi.uordblks);
  to_stderr("Total (incl. mmap):\n", NULL);
  stats_line("system bytes    ", mi.arena + mi.hblkhd);
  stats_line("in use bytes    ", mi.uordblks + mi.hblkhd);
  stats_line("max mmap regions", peak_blocks);
  stats_line("max mmap bytes  ", peak_bytes);
  ox_stats_print(to_stderr, NULL);
  pthread_setcancelstate(cancel_state, NULL);
}

/* glibc's XML document (same elements, so its readers keep working), with
 * oxalloc's figures, then an <oxalloc> element holding the full snapshot.
 * glibc lists free chunk sizes under <sizes>; oxalloc keeps no such lists,
 * so <sizes/> is empty and the live blocks per class are listed instead.
 * stdio is fine here: nothing of the allocator is held while it runs. */
OX_EXPORT int malloc_info(int options, FILE *fp) {
  if (options != 0) {
    errno = EINVAL;
    return -1;
  }
  ox_stats_t s;
  ox_stats_get(&s);
  struct ox_mallinfo2 mi = info_now();
  fprintf(fp, "<malloc version=\"1\">\n<heap nr=\"0\">\n<sizes>\n</sizes>\n");
  fprintf(fp, "<total type=\"fast\" count=\"0\" size=\"0\"/>\n");
  fprintf(fp, "<total type=\"rest\" count=\"0\" size=\"%zu\"/>\n", mi.fordblks);
  fprintf(fp, "<system type=\"current\" size=\"%zu\"/>\n", mi.arena);
  fprintf(fp, "<aspace type=\"total\" size=\"%zu\"/>\n</heap>\n", mi.arena);
  fprintf(fp, "<total type=\"fast\" count=\"0\" size=\"0\"/>\n");
  fprintf(fp, "<total type=\"rest\" count=\"0\" size=\"%zu\"/>\n", mi.fordblks);
  fprintf(fp, "<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n", mi.hblks, mi.hblkhd);
  fprintf(fp, "<system type=\"current\" size=\"%zu\"/>\n", s.committed_bytes);
  fprintf(fp, "<aspace type=\"total\" size=\"%zu\"/>\n", s.committed_bytes);
  fprintf(fp, "<oxalloc version=\"%s\">\n", ox_version());
  const struct {
    const char *name;
    size_t value;
  } totals[] = {
      {"allocated_bytes", s.allocated_bytes}, {"allocated_blocks", s.allocated_blocks},
      {"huge_blocks", s.huge_blocks},         {"huge_bytes", s.huge_bytes},
      {"pages_in_use", s.pages_in_use},       {"segments_in_use", s.segments_in_use},
      {"committed_bytes", s.committed_bytes}, {"resident_bytes", s.resident_bytes},
      {"returned_bytes", s.returned_bytes},   {"os_calls", s.os_calls},
      {"remote_frees", s.remote_frees},       {"threads_seen", s.threads_seen},
  };
  for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++)
    fprintf(fp, "<stat name=\"%s\" value=\"%zu\"/>\n", totals[i].name, totals[i].value);
  for (size_t c = 0; c < s.class_count; c++)
    if (s.classes[c].live_blocks)
      fprintf(fp, "<class nr=\"%zu\" block_size=\"%zu\" live_blocks=\"%zu\"/>\n", c,
              s.classes[c].block_size, s.classes[c].live_blocks);
  fprintf(fp, "</oxalloc>\n</malloc>\n");
  return 0;
}

/* ------------------------------------------------------------------------
 * C++ operator new/delete, defined in C under their Itanium-ABI mangled
 * names so that no C++ compiler is needed.  std::align_val_t is passed as
 * a size_t and std::nothrow_t const& as a pointer.
 *
 * A throwing `new` that cannot allocate calls the installed new_handler
 * and retries, and with no handler installed throws std::bad_alloc through
 * libstdc++'s std::__throw_bad_alloc (the C++ standard, [new.delete]).
 * Both libstdc++ functions are weak references, so a C program links and
 * runs without libstdc++: no handler can be installed there, and a C
 * caller of a mangled name gets a message and abort instead.  The
 * exception unwinds through the C frames below, which needs only unwind
 * tables: GCC and Clang emit them for C by default on x86-64 and aarch64
 * Linux (-fasynchronous-unwind-tables); nothing here needs cleaning up.
 *
 * The nothrow forms return NULL where the throwing ones would throw, also
 * when the handler throws - which C cannot catch.  So when a handler is
 * installed they go through the C++ runtime's own nothrow operator (the
 * definition this file interposes, found with dlsym(RTLD_NEXT)), which is
 * `try { return ::operator new(n); } catch (...) { return nullptr; }` and
 * calls back into the throwing form here.  Without a runtime definition
 * (libstdc++ linked statically) they return NULL without calling it.
 * --------------------------------------------------------------------- */

typedef void (*new_handler_fn)(void);
/* std::get_new_handler() and std::__throw_bad_alloc(): NULL without libstdc++. */
extern new_handler_fn _ZSt15get_new_handlerv(void) __attribute__((weak));
extern void _ZSt17__throw_bad_allocv(void) __attribute__((weak, noreturn));

static new_handler_fn current_new_handler(void) {
  return _ZSt15get_new_handlerv ? _ZSt15get_new_handlerv() : NULL;
}

__attribute__((noreturn, cold)) static void new_failed(size_t size) {
  if (_ZSt17__throw_bad_allocv) _ZSt17__throw_bad_allocv();
  /* No C++ runtime: no stdio either, it may allocate. */
  char msg[96];
  size_t n = _ox_fmt_str(msg, 0, sizeof msg, "oxalloc: operator new: out of memory (");
  n = _ox_fmt_dec(msg, n, sizeof msg, size);
  n = _ox_fmt_str(msg, n, sizeof msg, " bytes), no C++ runtime to throw; aborting\n");
  _ox_os_write_stderr(msg, n);
  _ox_os_abort();
}

/* align 0 means "no alignment beyond malloc's". */
static void *new_try(size_t size, size_t align) {
  return align ? aligned_checked(align, size) : _ox_malloc(size);
}

__attribute__((noinline)) static void *new_slow(size_t size, size_t align) {
  for (;;) {
    new_handler_fn handler = current_new_handler();
    if (handler == NULL) new_failed(size);
    handler(); /* frees memory and returns, throws, or exits */
    void *p = new_try(size, align);
    if (p) return p;
  }
}

static void *new_throwing(size_t size, size_t align) {
  void *p = new_try(size, align);
  return p ? p : new_slow(size, align);
}

typedef void *(*nothrow_new_fn)(size_t, const void *);
typedef void *(*nothrow_new_aligned_fn)(size_t, size_t, const void *);

/* The C++ runtime's nothrow operator `name`, which catches what the
 * handler throws; NULL when there is no handler or no such runtime. */
__attribute__((noinline, cold)) static void *nothrow_slow(const char *name, size_t size,
                                                          size_t align, const void *tag) {
  if (current_new_handler() == NULL) return NULL;
  void *fn = dlsym(RTLD_NEXT, name);
  if (fn == NULL) return NULL;
  if (align) return ((nothrow_new_aligned_fn)fn)(size, align, tag);
  return ((nothrow_new_fn)fn)(size, tag);
}

static void *new_nothrow(const char *name, size_t size, size_t align, const void *tag) {
  void *p = new_try(size, align);
  return p ? p : nothrow_slow(name, size, align, tag);
}

/* operator new / new[] (size_t) */
OX_EXPORT void *_Znwm(size_t size) {
  void *p = _ox_malloc(size); /* the fast path inline, as in malloc */
  return OX_LIKELY(p != NULL) ? p : new_slow(size, 0);
}
OX_EXPORT void *_Znam(size_t size) OX_ALIAS(_Znwm);
/* (size_t, std::nothrow_t const&) */
OX_EXPORT void *_ZnwmRKSt9nothrow_t(size_t size, const void *tag) {
  return new_nothrow("_ZnwmRKSt9nothrow_t", size, 0, tag);
}
OX_EXPORT void *_ZnamRKSt9nothrow_t(size_t size, const void *tag) {
  return new_nothrow("_ZnamRKSt9nothrow_t", size, 0, tag);
}
/* (size_t, std::align_val_t) */
OX_EXPORT void *_ZnwmSt11align_val_t(size_t size, size_t align) {
  return new_throwing(size, align);
}
OX_EXPORT void *_ZnamSt11align_val_t(size_t size, size_t align) OX_ALIAS(_ZnwmSt11align_val_t);
/* (size_t, std::align_val_t, std::nothrow_t const&) */
OX_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t size, size_t align, const void *tag) {
  return new_nothrow("_ZnwmSt11align_val_tRKSt9nothrow_t", size, align, tag);
}
OX_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t size, size_t align, const void *tag) {
  return new_nothrow("_ZnamSt11align_val_tRKSt9nothrow_t", size, align, tag);
}

/* operator delete / delete[] (void *) and (void *, std::nothrow_t const&) */
OX_EXPORT void _ZdlPv(void *ptr) { _ox_free(ptr); }
OX_EXPORT void _ZdaPv(void *ptr) { _ox_free(ptr); }
OX_EXPORT void _ZdlPvRKSt9nothrow_t(void *ptr, const void *tag) {
  (void)tag;
  _ox_free(ptr);
}
OX_EXPORT void _ZdaPvRKSt9nothrow_t(void *ptr, const void *tag) OX_ALIAS(_ZdlPvRKSt9nothrow_t);
/* sized: (void *, size_t) - the size is the one given to new */
OX_EXPORT void _ZdlPvm(void *ptr, size_t size) OX_ALIAS(free_sized);
OX_EXPORT void _ZdaPvm(void *ptr, size_t size) OX_ALIAS(free_sized);
/* aligned: (void *, std::align_val_t) and its nothrow form */
OX_EXPORT void _ZdlPvSt11align_val_t(void *ptr, size_t align) {
  (void)align;
  _ox_free(ptr);
}
OX_EXPORT void _ZdaPvSt11align_val_t(void *ptr, size_t align) OX_ALIAS(_ZdlPvSt11align_val_t);
OX_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *ptr, size_t align, const void *tag) {
  (void)align;
  (void)tag;
  _ox_free(ptr);
}
OX_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *ptr, size_t align, const void *tag)
    OX_ALIAS(_ZdlPvSt11align_val_tRKSt9nothrow_t);
/* sized + aligned: (void *, size_t, std::align_val_t) */
OX_EXPORT void _ZdlPvmSt11align_val_t(void *ptr, size_t size, size_t align) {
  free_aligned_sized(ptr, align, size);
}
OX_EXPORT void _ZdaPvmSt11align_val_t(void *ptr, size_t size, size_t align)
    OX_ALIAS(_ZdlPvmSt11align_val_t);
