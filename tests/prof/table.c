/*
 * tests/prof/table.c - the live-sample table's resident memory follows the
 * number of live samples, not the number ever taken (prof_table.c).  Four
 * threads each take over 100 000 samples (sampled every 4 KiB, blocks of
 * every class up to 16 KiB, so at many addresses) while keeping at most 8
 * blocks live each; then the table's mapping may have at
 * most 64 KiB resident (mincore).  Then 30 000 blocks live at once (the
 * table opens more levels): every sampled block is found, the live count
 * matches, and nothing stays live once all are freed; 60 000 made-up
 * keys all fit.  Prints "PASS name"
 * / "FAIL name: why" lines.  Linked with liboxalloc.a (-Ic_src).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "oxalloc.h"

#define THREADS      4
#define ROUNDS       40000
#define RING         8
#define MANY         30000
#define RESIDENT_MAX (64 * 1024)

static int failures;

static bool sampled(void *p) {
  ox_prof_sample_t *s = _ox_prof_sample_find((uintptr_t)p);
  return s && _ox_prof_sample_live(s);
}

static size_t live_slots(void) {
  size_t n, live = 0;
  ox_prof_sample_t *t = _ox_prof_samples(&n);
  for (size_t i = 0; i < n; i++) live += _ox_prof_sample_live(&t[i]);
  return live;
}

static void *churn(void *arg) {
  size_t *taken = arg;
  void *ring[RING] = {0};
  for (int i = 0; i < ROUNDS; i++) {
    ox_free(ring[i % RING]);
    ring[i % RING] = ox_malloc(16 + (size_t)(i * 7919 % 16384)); /* every class to 16 KiB */
    *taken += sampled(ring[i % RING]);
  }
  for (int i = 0; i < RING; i++) ox_free(ring[i]);
  return NULL;
}

int main(void) {
  alarm(60); /* a hang fails the test */
  if (ox_prof_start(4096) != 0) {
    puts("FAIL prof_start\n0 passed, 1 failed");
    return 1;
  }
  pthread_t th[THREADS];
  size_t taken[THREADS] = {0}, all = 0;
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, churn, &taken[i]);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL), all += taken[i];
  size_t n, bytes = _ox_prof_table_mapped(), page = (size_t)sysconf(_SC_PAGESIZE);
  uint8_t *base = (uint8_t *)_ox_prof_samples(&n);
  unsigned char *vec = malloc(bytes / page + 1);
  size_t resident = 0;
  if (!base || mincore(base, bytes, vec) != 0) {
    puts("FAIL table_mincore");
    failures++;
  } else {
    for (size_t i = 0; i < bytes / page; i++) resident += vec[i] & 1;
    resident *= page;
    if (all < 20000 || resident > RESIDENT_MAX)
      printf("FAIL table_resident_follows_live: %zu samples taken, at most %d live at once, "
             "%zu KiB of the table resident (want at most %d)\n",
             all, THREADS * RING, resident / 1024, RESIDENT_MAX / 1024),
          failures++;
    else
      printf("PASS table_resident_follows_live (%zu samples taken, %zu KiB resident)\n", all,
             resident / 1024);
  }
  free(vec);

  void **blocks = malloc(MANY * sizeof *blocks);
  size_t found = 0;
  for (int i = 0; i < MANY; i++) blocks[i] = ox_malloc(64 + (size_t)(i % 50) * 32);
  for (int i = 0; i < MANY; i++) found += sampled(blocks[i]);
  size_t live = live_slots();
  if (found < 1000 || found != live)
    printf("FAIL table_many_live_found: %zu of %d blocks found sampled, %zu live slots\n", found,
           MANY, live),
        failures++;
  else
    printf("PASS table_many_live_found (%zu sampled blocks, all found)\n", found);
  for (int i = 0; i < MANY; i++) ox_free(blocks[i]);
  free(blocks);
  if ((live = live_slots()) != 0)
    printf("FAIL table_nothing_live_after_freeing_all: %zu samples left\n", live), failures++;
  else
    puts("PASS table_nothing_live_after_freeing_all");
  /* The table holds close to its 65536 slots: 60 000 made-up keys (an
   * address range nothing maps) all go in and are all found. */
  enum { KEYS = 60000 };
  uintptr_t base_key = (uintptr_t)1 << 46;
  size_t in = 0, back = 0;
  for (size_t i = 0; i < KEYS; i++) {
    ox_prof_sample_t *s = _ox_prof_sample_add(base_key + i * 64);
    if (s) in++;
  }
  for (size_t i = 0; i < KEYS; i++) {
    ox_prof_sample_t *s = _ox_prof_sample_find(base_key + i * 64);
    if (s) back++, _ox_prof_sample_remove(s);
  }
  if (in != KEYS || back != KEYS)
    printf("FAIL table_holds_60000: %zu of %d keys went in, %zu found\n", in, KEYS, back),
        failures++;
  else
    puts("PASS table_holds_60000");
  ox_prof_stop();
  return failures != 0;
}
