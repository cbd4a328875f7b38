/*
 * smoke.c - a short single-process tour of the whole oxalloc API, for the
 * sanitize suite (tests/sanitize): it is the program run under valgrind
 * memcheck, and the UBSan run's first test.  Every block is patterned and
 * verified; everything allocated is freed, so memcheck must see no leak.
 * Prints "smoke: N passed, N failed" (one per section) and exits 1 on failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oxalloc.h"
#include "rust_alloc.h"

static int section_failures;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "smoke: CHECK FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);               \
      section_failures++;                                                                          \
    }                                                                                              \
  } while (0)

static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

static int holds(const unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(seed + i * 7 + (i >> 8))) return 0;
  return 1;
}

static int is_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

static const size_t sizes[] = {0,    1,    8,    15,    16,     17,      100,
                               1000, 4096, 5000, 65536, 100000, 1 << 20, 3 << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void malloc_family(void) {
  for (size_t i = 0; i < NSIZES; i++) {
    size_t n = sizes[i];
    unsigned char *p = ox_malloc(n);
    CHECK(p && (uintptr_t)p % 16 == 0 && ox_owns(p));
    CHECK(ox_usable_size(p) >= n);
    fill(p, ox_usable_size(p), (unsigned)i);
    CHECK(holds(p, ox_usable_size(p), (unsigned)i));
    unsigned char *z = ox_calloc(n, 1);
    CHECK(z && is_zero(z, n));
    ox_free_sized(z, n);
    errno = 77;
    ox_free(p);
    CHECK(errno == 77);
  }
  ox_free(NULL);
  CHECK(ox_malloc(SIZE_MAX - 8) == NULL && errno == ENOMEM);
  CHECK(ox_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
}

static void realloc_chains(void) {
  unsigned char *p = ox_realloc(NULL, 1);
  size_t n = 1;
  CHECK(p != NULL);
  fill(p, n, 3);
  for (size_t m = 2; m < (4u << 20); m = m * 5 / 2 + 3) {
    p = ox_realloc(p, m);
    CHECK(p && holds(p, n, 3));
    fill(p, m, 3);
    n = m;
  }
  p = ox_realloc(p, 10);
  CHECK(p && holds(p, 10, 3));
  CHECK(ox_realloc(p, 0) == NULL);

  unsigned char *r = rust_alloc(24, 64);
  n = 24;
  CHECK(r && (uintptr_t)r % 64 == 0);
  fill(r, n, 9);
  for (size_t m = 100; m < (2u << 20); m *= 3) {
    r = rust_realloc(r, n, 64, m);
    CHECK(r && (uintptr_t)r % 64 == 0 && holds(r, n, 9));
    fill(r, m, 9);
    n = m;
  }
  CHECK(rust_realloc(r, n, 64, SIZE_MAX - 64) == NULL && holds(r, n, 9));
  rust_dealloc(r, n, 64);
}

static void aligned(void) {
  for (size_t a = 1; a <= ((size_t)1 << 22); a <<= 1) {
    size_t n = a * 3 / 2 + 1;
    unsigned char *p = ox_aligned_alloc(a, n);
    CHECK(p && (uintptr_t)p % a == 0);
    fill(p, n, 5);
    unsigned char *q = rust_alloc_zeroed(n, a);
    CHECK(q && (uintptr_t)q % a == 0 && is_zero(q, n));
    CHECK(holds(p, n, 5));
    rust_dealloc(q, n, a);
    ox_free_aligned_sized(p, a, n);
  }
  CHECK(ox_aligned_alloc(24, 100) == NULL && errno == EINVAL);
  CHECK(rust_alloc(100, 0) == NULL && rust_alloc(100, 48) == NULL);
}

static void foreign(void) {
  int local = 0;
  void *g = malloc(32);
  CHECK(!ox_owns(&local) && !ox_owns(g) && !ox_owns(NULL));
  CHECK(ox_usable_size(NULL) == 0);
  free(g);
  CHECK(ox_version() != NULL);
}

/* Blocks made here and freed by another thread, and the other way round. */
#define NREMOTE 2000
static void *remote_blocks[NREMOTE];

static void *remote_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < NREMOTE; i++) {
    unsigned char *p = remote_blocks[i];
    if (!holds(p, 40 + (size_t)i % 300, (unsigned)i)) return (void *)1;
    ox_free(p);
    remote_blocks[i] = ox_malloc(64);
  }
  return NULL;
}

static void remote(void) {
  for (int i = 0; i < NREMOTE; i++) {
    remote_blocks[i] = ox_malloc(40 + (size_t)i % 300);
    CHECK(remote_blocks[i] != NULL);
    fill(remote_blocks[i], 40 + (size_t)i % 300, (unsigned)i);
  }
  pthread_t t;
  void *res = (void *)1;
  CHECK(pthread_create(&t, NULL, remote_worker, NULL) == 0);
  CHECK(pthread_join(t, &res) == 0);
  CHECK(res == NULL);
  for (int i = 0; i < NREMOTE; i++) ox_free(remote_blocks[i]);
}

int main(void) {
  static const struct {
    const char *name;
    void (*fn)(void);
  } sections[] = {{"malloc_family", malloc_family},
                  {"realloc_chains", realloc_chains},
                  {"aligned", aligned},
                  {"foreign", foreign},
                  {"remote", remote}};
  int passed = 0, failed = 0;
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
    section_failures = 0;
    sections[i].fn();
    printf("%s %s\n", section_failures ? "FAIL" : "PASS", sections[i].name);
    section_failures ? failed++ : passed++;
  }
  printf("smoke: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
