/*
 * tsan_stats.c - statistics read while other threads allocate, under
 * ThreadSanitizer (compiled with the core sources, like tsan_threads.c).
 *
 * Worker threads allocate and free blocks of many classes, hand some to
 * each other (remote frees) and start short-lived threads that exit with
 * blocks still live (abandoned heaps); meanwhile reader threads call
 * ox_stats_get, ox_stats_print and ox_stats_json (what oxalloc::stats()
 * and its reports call) in a loop.  Any data race TSan sees is reported
 * by TSan (the suite runs this with halt_on_error=1).  The figures read
 * must stay sane: never more live blocks than were ever allocated.
 * Usage: tsan_stats [rounds].
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "oxalloc.h"
#include "rust_alloc.h"

#define NWORKERS 3
#define NREADERS 2
#define NSLOTS   256
#define OPS      20000

static _Atomic int stop;
static _Atomic int errors;
static _Atomic size_t allocated_ever;
static _Atomic(void *) mailbox[NSLOTS]; /* blocks handed between workers */

static void ignore_text(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static void *reader(void *arg) {
  (void)arg;
  unsigned long reads = 0;
  while (!atomic_load(&stop)) {
    ox_stats_t s;
    if (ox_stats_get(&s) != 0) atomic_fetch_add(&errors, 1);
    size_t ever = atomic_load(&allocated_ever);
    /* live blocks can't exceed what was ever allocated (plus the harness's) */
    if (s.allocated_blocks > ever + 10000) {
      fprintf(stderr, "tsan_stats: %zu live blocks, %zu ever allocated\n", s.allocated_blocks,
              ever);
      atomic_fetch_add(&errors, 1);
    }
    if (++reads % 16 == 0) {
      ox_stats_print(ignore_text, NULL);
      ox_stats_json(ignore_text, NULL);
    }
  }
  return NULL;
}

static unsigned next_rand(unsigned *x) {
  *x = *x * 1103515245u + 12345u;
  return *x >> 8;
}

static size_t pick_size(unsigned *r) {
  unsigned x = next_rand(r) % 100;
  if (x < 80) return 1 + next_rand(r) % 1024;
  if (x < 97) return 1024 + next_rand(r) % (60 * 1024);
  return 600 * 1024 + next_rand(r) % (1024 * 1024);
}

static void *short_lived(void *arg) {
  (void)arg;
  for (int i = 0; i < 40; i++) {
    void *p = ox_malloc(16 + (size_t)i * 24);
    atomic_fetch_add(&allocated_ever, 1);
    if (i % 2) ox_free(p);
    else { /* left live: freed later by a worker through the mailbox */
      void *old = atomic_exchange(&mailbox[i % NSLOTS], p);
      if (old) ox_free(old);
    }
  }
  return NULL;
}

static void *worker(void *arg) {
  unsigned r = (unsigned)(uintptr_t)arg * 7919u + 1;
  void *own[64] = {0};
  size_t own_size[64] = {0};
  for (int op = 0; op < OPS; op++) {
    unsigned i = next_rand(&r) % 64;
    if (own[i]) {
      if (next_rand(&r) % 2) {
        rust_dealloc(own[i], own_size[i], 8);
      } else { /* hand it to whoever takes this mailbox next */
        void *old = atomic_exchange(&mailbox[next_rand(&r) % NSLOTS], own[i]);
        if (old) ox_free(old);
      }
      own[i] = NULL;
    } else {
      own_size[i] = pick_size(&r);
      own[i] = rust_alloc(own_size[i], 8);
      if (!own[i]) atomic_fetch_add(&errors, 1);
      atomic_fetch_add(&allocated_ever, 1);
      ((char *)own[i])[0] = 1;
    }
    if (op % 5000 == 0) {
      pthread_t t;
      pthread_create(&t, NULL, short_lived, NULL);
      pthread_join(t, NULL);
    }
  }
  for (unsigned i = 0; i < 64; i++)
    if (own[i]) rust_dealloc(own[i], own_size[i], 8);
  return NULL;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 1;
  for (int round = 0; round < rounds; round++) {
    pthread_t w[NWORKERS], rd[NREADERS];
    atomic_store(&stop, 0);
    for (int i = 0; i < NREADERS; i++) pthread_create(&rd[i], NULL, reader, NULL);
    for (uintptr_t i = 0; i < NWORKERS; i++) pthread_create(&w[i], NULL, worker, (void *)(i + 1));
    for (int i = 0; i < NWORKERS; i++) pthread_join(w[i], NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < NREADERS; i++) pthread_join(rd[i], NULL);
  }
  for (unsigned i = 0; i < NSLOTS; i++) ox_free(atomic_exchange(&mailbox[i], NULL));
  ox_stats_t s;
  ox_stats_get(&s);
  int e = atomic_load(&errors);
  printf("tsan_stats: %d errors, %zu blocks allocated, %zu live at the end\n", e,
         atomic_load(&allocated_ever), s.allocated_blocks);
  return e ? 1 : 0;
}
