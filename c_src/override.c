/*
 * override.c - the C library's malloc family (and C++ operator new/delete)
 * served by oxalloc.
 *
 * Owns: every allocation entry point a C or C++ program, or glibc itself,
 * may call - malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, malloc_usable_size, free_sized,
 * free_aligned_sized, cfree, glibc's __libc_* aliases, and the Itanium-ABI
 * operator new/delete family - written over the public ox_ API, except
 * malloc and free themselves, which inline the allocator's fast paths
 * (fast_path.h): a call through ox_malloc/ox_free would cost a PLT jump
 * in the shared library on the hottest path of every C program.
 * The semantic edge cases of CONTRACT.md "The malloc family" that the ox_
 * API leaves to the caller (argument checks, rounding overflows, errno
 * conventions) are settled here, in the static helpers below.
 *
 * Only override builds compile this file: build/liboxalloc.so (used with
 * LD_PRELOAD) and build/oxalloc_override.o (linked into an executable).
 * The library is built with -fvisibility=hidden, so every replaced symbol
 * is marked OX_EXPORT.  A missing entry point would send its callers to
 * glibc's heap and mix two allocators, so the family is exported whole.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

/* Returns the error instead of setting errno, and writes *memptr only on
 * success (POSIX).  The alignment must be a power of two multiple of
 * sizeof(void *). */
OX_EXPORT int posix_memalign(void **memptr, size_t align, size_t size) {
  if (!_ox_is_pow2(align) || align % sizeof(void *) != 0) return EINVAL;
  int saved = errno;
  void *p = aligned_checked(align, size);
  if (p == NULL) {
    errno = saved;
    return ENOMEM;
  }
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
  if (ptr) ox_free_sized(ptr, size);
}

OX_EXPORT void free_aligned_sized(void *ptr, size_t align, size_t size) {
  if (ptr) ox_free_aligned_sized(ptr, align, size);
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
 * C++ operator new/delete, defined in C under their Itanium-ABI mangled
 * names so that no C++ compiler is needed.  std::align_val_t is passed as
 * a size_t and std::nothrow_t const& as a pointer.
 *
 * A throwing `new` that cannot allocate must call the installed
 * new_handler and retry, or throw std::bad_alloc.  C cannot throw, so when
 * no handler is installed this prints one line and aborts.  A handler that
 * throws unwinds through this C frame; that needs only the unwind tables
 * that x86-64 compilers emit by default for C, since nothing here needs
 * cleaning up.
 * --------------------------------------------------------------------- */

typedef void (*new_handler_fn)(void);
/* std::get_new_handler(), weak: absent (NULL) when libstdc++ is not
 * linked, in which case no handler can have been installed. */
extern new_handler_fn _ZSt15get_new_handlerv(void) __attribute__((weak));

static bool call_new_handler(void) {
  new_handler_fn handler = _ZSt15get_new_handlerv ? _ZSt15get_new_handlerv() : NULL;
  if (handler == NULL) return false;
  handler(); /* frees memory and returns, throws, or exits */
  return true;
}

__attribute__((noreturn, cold)) static void new_failed(size_t size) {
  /* No stdio: it may allocate. */
  char msg[96];
  size_t n = _ox_fmt_str(msg, 0, sizeof msg, "oxalloc: operator new: out of memory (");
  n = _ox_fmt_dec(msg, n, sizeof msg, size);
  n = _ox_fmt_str(msg, n, sizeof msg, " bytes), aborting\n");
  _ox_os_write_stderr(msg, n);
  _ox_os_abort();
}

/* align 0 means "no alignment beyond malloc's". */
static void *new_try(size_t size, size_t align) {
  return align ? aligned_checked(align, size) : ox_malloc(size);
}

__attribute__((noinline)) static void *new_slow(size_t size, size_t align) {
  for (;;) {
    if (!call_new_handler()) new_failed(size);
    void *p = new_try(size, align);
    if (p) return p;
  }
}

static void *new_throwing(size_t size, size_t align) {
  void *p = new_try(size, align);
  return p ? p : new_slow(size, align);
}

/* nothrow new: same retry loop, but NULL instead of aborting. */
static void *new_nothrow(size_t size, size_t align) {
  void *p = new_try(size, align);
  while (p == NULL && call_new_handler()) p = new_try(size, align);
  return p;
}

/* operator new / new[] (size_t) */
OX_EXPORT void *_Znwm(size_t size) { return new_throwing(size, 0); }
OX_EXPORT void *_Znam(size_t size) OX_ALIAS(_Znwm);
/* (size_t, std::nothrow_t const&) */
OX_EXPORT void *_ZnwmRKSt9nothrow_t(size_t size, const void *tag) {
  (void)tag;
  return new_nothrow(size, 0);
}
OX_EXPORT void *_ZnamRKSt9nothrow_t(size_t size, const void *tag) OX_ALIAS(_ZnwmRKSt9nothrow_t);
/* (size_t, std::align_val_t) */
OX_EXPORT void *_ZnwmSt11align_val_t(size_t size, size_t align) {
  return new_throwing(size, align);
}
OX_EXPORT void *_ZnamSt11align_val_t(size_t size, size_t align) OX_ALIAS(_ZnwmSt11align_val_t);
/* (size_t, std::align_val_t, std::nothrow_t const&) */
OX_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t size, size_t align, const void *tag) {
  (void)tag;
  return new_nothrow(size, align);
}
OX_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t size, size_t align, const void *tag)
    OX_ALIAS(_ZnwmSt11align_val_tRKSt9nothrow_t);

/* operator delete / delete[] (void *) and (void *, std::nothrow_t const&) */
OX_EXPORT void _ZdlPv(void *ptr) { ox_free(ptr); }
OX_EXPORT void _ZdaPv(void *ptr) { ox_free(ptr); }
OX_EXPORT void _ZdlPvRKSt9nothrow_t(void *ptr, const void *tag) {
  (void)tag;
  ox_free(ptr);
}
OX_EXPORT void _ZdaPvRKSt9nothrow_t(void *ptr, const void *tag) OX_ALIAS(_ZdlPvRKSt9nothrow_t);
/* sized: (void *, size_t) - the size is the one given to new */
OX_EXPORT void _ZdlPvm(void *ptr, size_t size) OX_ALIAS(free_sized);
OX_EXPORT void _ZdaPvm(void *ptr, size_t size) OX_ALIAS(free_sized);
/* aligned: (void *, std::align_val_t) and its nothrow form */
OX_EXPORT void _ZdlPvSt11align_val_t(void *ptr, size_t align) {
  (void)align;
  ox_free(ptr);
}
OX_EXPORT void _ZdaPvSt11align_val_t(void *ptr, size_t align) OX_ALIAS(_ZdlPvSt11align_val_t);
OX_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *ptr, size_t align, const void *tag) {
  (void)align;
  (void)tag;
  ox_free(ptr);
}
OX_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *ptr, size_t align, const void *tag)
    OX_ALIAS(_ZdlPvSt11align_val_tRKSt9nothrow_t);
/* sized + aligned: (void *, size_t, std::align_val_t) */
OX_EXPORT void _ZdlPvmSt11align_val_t(void *ptr, size_t size, size_t align) {
  free_aligned_sized(ptr, align, size);
}
OX_EXPORT void _ZdaPvmSt11align_val_t(void *ptr, size_t size, size_t align)
    OX_ALIAS(_ZdlPvmSt11align_val_t);
