/*
 * os.c - the operating-system layer: every system call oxalloc makes.
 *
 * Each function keeps errno as it found it (free() must preserve errno
 * even when munmap fails) and reports failure by its return value.  In
 * builds with OX_FAULT_INJECTION, ox_test_fail_os_after(n) makes the n-th
 * following map/remap call fail, so tests can reach every failure path.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#if OX_FAULT_INJECTION
static _Atomic long fail_countdown;

OX_PUBLIC void ox_test_fail_os_after(long n) { atomic_store(&fail_countdown, n); }

static bool injected_failure(void) {
  long n = atomic_load(&fail_countdown);
  while (n > 0) {
    if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1)) return n == 1;
  }
  return false;
}
#else
static inline bool injected_failure(void) { return false; }
#endif

size_t _ox_os_page_size(void) {
  /* Set by whichever thread asks first; every thread computes the same. */
  static _Atomic size_t page_size;
  size_t size = atomic_load_explicit(&page_size, memory_order_relaxed);
  if (size == 0) {
    size = (size_t)sysconf(_SC_PAGESIZE);
    atomic_store_explicit(&page_size, size, memory_order_relaxed);
  }
  return size;
}

static void *map_with(size_t size, int prot, int extra_flags) {
  if (injected_failure()) return NULL;
  int saved = errno;
  void *p =
      mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra_flags, -1, 0);
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
  return p == MAP_FAILED ? NULL : p;
}

void *_ox_os_map(size_t size) {
  int populate = _ox_option(OX_OPT_EAGER_COMMIT) ? MAP_POPULATE : 0;
  void *p = map_with(size, PROT_READ | PROT_WRITE, populate);
  if (p) _ox_stat_add(OX_STAT_COMMITTED, (intptr_t)size);
  return p;
}

void *_ox_os_reserve(size_t size) { return map_with(size, PROT_NONE, 0); }

/* Read-write, zeroed, never populated and not counted as committed: tables
 * of which only the entries written ever become resident. */
void *_ox_os_map_metadata(size_t size) { return map_with(size, PROT_READ | PROT_WRITE, 0); }

static bool unmap(void *p, size_t size);

void _ox_os_unmap_metadata(void *p, size_t size) { unmap(p, size); }

/* `size` bytes at a hint (NULL: anywhere), read-write, not counted. */
static uint8_t *map_hinted(void *hint, size_t size) {
  int saved = errno;
  int populate = _ox_option(OX_OPT_EAGER_COMMIT) ? MAP_POPULATE : 0;
  void *p = mmap(hint, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | populate, -1, 0);
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
  return p == MAP_FAILED ? NULL : p;
}

static bool placed(const uint8_t *p, size_t align, size_t offset) {
  return (((uintptr_t)p + offset) & (align - 1)) == 0;
}

/* Read-write, zeroed memory whose address + `offset` is a multiple of
 * `align` (a power of two, at least the page size).  Reserves no more
 * address space than `size` when it can: the plain mapping is often placed
 * right already (the kernel stacks mappings top-down, and segments are
 * multiples of their alignment); else the aligned address just below it,
 * as a hint; only then `size + align` bytes, trimmed. */
void *_ox_os_map_aligned(size_t size, size_t align, size_t offset) {
  if (injected_failure()) return NULL;
  uint8_t *p = map_hinted(NULL, size);
  if (!p) return NULL; /* more would not fit either */
  if (!placed(p, align, offset)) {
    uintptr_t below = (((uintptr_t)p + offset) & ~(uintptr_t)(align - 1)) - offset;
    unmap(p, size);
    p = below < (uintptr_t)p ? map_hinted((void *)below, size) : NULL;
    if (p && !placed(p, align, offset)) {
      unmap(p, size);
      p = NULL;
    }
  }
  if (!p) {
    size_t total = size + align;
    uint8_t *raw = total > size ? map_hinted(NULL, total) : NULL;
    if (!raw) return NULL;
    p = raw + ((align - (((uintptr_t)raw + offset) & (align - 1))) & (align - 1));
    if (p > raw) unmap(raw, (size_t)(p - raw));
    if (raw + total > p + size) unmap(p + size, (size_t)(raw + total - (p + size)));
  }
  _ox_stat_add(OX_STAT_COMMITTED, (intptr_t)size);
  return p;
}

size_t _ox_os_address_space_limit(void) {
  struct rlimit r;
  int saved = errno;
  bool known = getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY;
  errno = saved;
  return known && r.rlim_cur < SIZE_MAX ? (size_t)r.rlim_cur : SIZE_MAX;
}

/* Fresh read-write pages at `p`, replacing part of a reservation made with
 * _ox_os_reserve. */
bool _ox_os_commit_at(void *p, size_t size) {
  if (injected_failure()) return false;
  int saved = errno;
  void *q = mmap(p, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
  if (q == MAP_FAILED) return false;
  _ox_stat_add(OX_STAT_COMMITTED, (intptr_t)size);
  return true;
}

static bool unmap(void *p, size_t size) {
  int saved = errno;
  bool ok = munmap(p, size) == 0;
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
  return ok;
}

bool _ox_os_unmap(void *p, size_t size) {
  bool ok = unmap(p, size);
  if (ok) {
    _ox_stat_add(OX_STAT_COMMITTED, -(intptr_t)size);
    _ox_stat_add(OX_STAT_RETURNED, (intptr_t)size);
  }
  return ok;
}

void _ox_os_unreserve(void *p, size_t size) { unmap(p, size); }

void _ox_os_purge(void *p, size_t size) {
  int saved = errno;
  /* Callers count on purged memory reading as zero (zeroed allocation
   * skips it): should the kernel refuse, zero it by hand. */
  if (madvise(p, size, MADV_DONTNEED) != 0) memset(p, 0, size);
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
  _ox_stat_add(OX_STAT_RETURNED, (intptr_t)size);
}

/* The whole OS pages inside [p, p + size): [*start, *end), empty if
 * *end <= *start. */
static void whole_pages(void *p, size_t size, uintptr_t *start, uintptr_t *end) {
  size_t page = _ox_os_page_size();
  *start = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
  *end = ((uintptr_t)p + size) & ~(uintptr_t)(page - 1);
}

/* Zero [p, p + size): the whole OS pages inside are given back (they read
 * as zero and become resident again only where the program writes), the
 * edges are cleared by hand.  For big zeroed blocks in reused memory, where
 * memset would make resident every page the program may never touch. */
void _ox_os_zero(void *p, size_t size) {
  uintptr_t start, end;
  whole_pages(p, size, &start, &end);
  if (end <= start) {
    memset(p, 0, size);
    return;
  }
  memset(p, 0, start - (uintptr_t)p);
  _ox_os_purge((void *)start, end - start);
  memset((void *)end, 0, (uintptr_t)p + size - end);
}

/* Never back [p, p + size) (whole OS pages inside it) with transparent
 * huge pages, whatever the system's THP mode. */
void _ox_os_advise_no_huge_pages(void *p, size_t size) {
  uintptr_t start, end;
  whole_pages(p, size, &start, &end);
  if (end <= start) return;
  int saved = errno;
  madvise((void *)start, end - start, MADV_NOHUGEPAGE);
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
}

void _ox_os_advise_huge_pages(void *p, size_t size) {
  if (!_ox_option(OX_OPT_HUGE_PAGES)) return;
  int saved = errno;
  madvise(p, size, MADV_HUGEPAGE);
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
}

bool _ox_os_remap_inplace(void *p, size_t old_size, size_t new_size) {
  if (new_size > old_size && injected_failure()) return false;
  int saved = errno;
  void *q = mremap(p, old_size, new_size, 0);
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
  if (q == MAP_FAILED) return false;
  _ox_stat_add(OX_STAT_COMMITTED, (intptr_t)new_size - (intptr_t)old_size);
  if (new_size < old_size) _ox_stat_add(OX_STAT_RETURNED, (intptr_t)(old_size - new_size));
  return true;
}

/* Move the mapping to `dest`, replacing what is mapped there (a reservation
 * made with _ox_os_reserve).  The pages move without being copied. */
bool _ox_os_remap_to(void *p, size_t old_size, size_t new_size, void *dest) {
  if (injected_failure()) return false;
  int saved = errno;
  void *q = mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
  if (q == MAP_FAILED) return false;
  _ox_stat_add(OX_STAT_COMMITTED, (intptr_t)new_size - (intptr_t)old_size);
  return true;
}

/* A copy out of the process's own memory that cannot fault: the kernel
 * reads the source as a debugger would (process_vm_readv on our own pid)
 * and answers EFAULT where it is not mapped any more. */
int _ox_os_read_nofault(void *dst, const void *src, size_t n) {
  int saved = errno;
  struct iovec to = {dst, n}, from = {(void *)(uintptr_t)src, n};
  ssize_t got = process_vm_readv(getpid(), &to, 1, &from, 1, 0);
  int err = errno;
  errno = saved;
  _ox_stat_add(OX_STAT_OS_CALLS, 1);
  if (got == (ssize_t)n) return 1;
  return got >= 0 || err == EFAULT ? 0 : -1;
}

uint64_t _ox_os_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void _ox_os_write_stderr(const char *s, size_t n) {
  int saved = errno;
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w <= 0) break;
    s += w;
    n -= (size_t)w;
  }
  errno = saved;
}

_Noreturn void _ox_os_abort(void) { abort(); }

/* getenv reads environ in place and never allocates. */
const char *_ox_os_getenv(const char *name) { return getenv(name); }

/* ---- files and signals (the profiler's output) -------------------------- */

int _ox_os_open_write(const char *path) {
  int saved = errno;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  errno = saved;
  return fd;
}

int _ox_os_open_read(const char *path) {
  int saved = errno;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  errno = saved;
  return fd;
}

long _ox_os_read(int fd, void *buf, size_t n) {
  int saved = errno;
  ssize_t r;
  do {
    r = read(fd, buf, n);
  } while (r < 0 && errno == EINTR);
  errno = saved;
  return (long)r;
}

bool _ox_os_write_all(int fd, const void *buf, size_t n) {
  int saved = errno;
  const char *s = buf;
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    s += w;
    n -= (size_t)w;
  }
  errno = saved;
  return n == 0;
}

void _ox_os_close(int fd) {
  int saved = errno;
  close(fd);
  errno = saved;
}

long _ox_os_gettid(void) { return (long)syscall(SYS_gettid); }

bool _ox_os_on_signal(int sig, void (*handler)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  int saved = errno;
  bool ok = sigaction(sig, &sa, NULL) == 0;
  errno = saved;
  return ok;
}

long _ox_os_getpid(void) { return (long)getpid(); }
