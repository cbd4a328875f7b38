/*
 * prof_table.c - the heap profiler's table of live sampled blocks, keyed
 * by address.
 *
 * One array mapped from the OS the first time profiling starts (no
 * malloc), cut into levels of 1024, 1024, 2048, ... 32768 slots (65536 in
 * all), each cut into buckets of four slots; a key has one bucket per
 * level, from its own hash of the key.  An address goes into the first
 * level whose bucket has a slot that is empty or removed (the last level
 * probes on past its bucket, up to 1024 slots, so that the table fills:
 * ~62 000 live samples before the first is dropped), and a level is
 * opened only when every earlier level's bucket was full: with few live
 * samples only level 0 (48 KiB) is used, so the resident memory follows
 * the number of live samples, not the number ever taken (one table hashed
 * over all 3 MiB touched a page per sample, up to 768 pages).
 *
 * Used without locks: a slot is claimed by a CAS of its key from empty or
 * removed to the block's address, filled, then marked ready; removal
 * marks it removed.  A slot never becomes empty again and an insertion
 * takes the first free slot of a bucket, so a look-up that meets an empty
 * slot knows the key is in no later slot nor level.  Only one thread at a
 * time adds or removes a given address (the block's owner, or whoever
 * frees a huge block).  Readers (the pprof writer, the leak report) take
 * slots that are ready as they find them: a dump taken while other
 * threads allocate is a snapshot of each slot, not of the whole table.
 */
#include "internal.h"

#define TABLE_SLOTS  ((size_t)1 << 16) /* live samples at most: 32 GiB live at the default rate */
#define LEVELS       7                 /* 1024, 1024, 2048, ... 32768 slots */
#define LEVEL0_SLOTS ((size_t)1024)
#define BUCKET       4
#define LAST_PROBE   1024 /* slots probed in the last level */
#define KEY_EMPTY    ((uintptr_t)0)
#define KEY_REMOVED  ((uintptr_t)1)

static _Atomic(ox_prof_sample_t *) table;
static _Atomic unsigned nlevels = 1; /* levels opened: only ever grows */

bool _ox_prof_table_ready(void) {
  if (atomic_load_explicit(&table, memory_order_acquire)) return true;
  ox_prof_sample_t *t = _ox_os_map(TABLE_SLOTS * sizeof(ox_prof_sample_t));
  if (!t) return false;
  ox_prof_sample_t *expected = NULL;
  if (!atomic_compare_exchange_strong(&table, &expected, t))
    _ox_os_unmap(t, TABLE_SLOTS * sizeof(ox_prof_sample_t)); /* another thread won */
  return true;
}

/* Level k: its first slot and its number of slots. */
static size_t level_start(unsigned k) { return k == 0 ? 0 : LEVEL0_SLOTS << (k - 1); }
static size_t level_slots(unsigned k) { return k == 0 ? LEVEL0_SLOTS : LEVEL0_SLOTS << (k - 1); }

/* The offset in level k of key's bucket: a hash of its own per level, so
 * that keys sharing a full bucket spread out in the next level. */
static size_t bucket(uintptr_t key, unsigned k) {
  uint64_t h = ((uint64_t)key + k * 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
  h ^= h >> 31;
  h *= 0x94D049BB133111EBull;
  return ((size_t)(h >> 32) & (level_slots(k) / BUCKET - 1)) * BUCKET;
}

/* Slots a key may take in level k, from its bucket on: the last level
 * probes on through the following buckets, so that the table fills up
 * (with 4 slots there too, the first sample dropped came at ~30 000 live). */
static int window(unsigned k) { return k == LEVELS - 1 ? LAST_PROBE : BUCKET; }

ox_prof_sample_t *_ox_prof_sample_add(uintptr_t key) {
  ox_prof_sample_t *t = atomic_load_explicit(&table, memory_order_acquire);
  if (!t) return NULL;
  for (unsigned k = 0; k < LEVELS; k++) {
    unsigned open = atomic_load_explicit(&nlevels, memory_order_acquire);
    while (open <= k && !atomic_compare_exchange_weak(&nlevels, &open, k + 1)) {
    }
    ox_prof_sample_t *l = &t[level_start(k)];
    size_t mask = level_slots(k) - 1, at = bucket(key, k);
    for (int i = 0; i < window(k); i++, at = (at + 1) & mask) {
      uintptr_t s = atomic_load_explicit(&l[at].key, memory_order_relaxed);
      if (s != KEY_EMPTY && s != KEY_REMOVED) continue;
      if (!atomic_compare_exchange_strong(&l[at].key, &s, key)) continue;
      atomic_store_explicit(&l[at].ready, 0, memory_order_relaxed);
      atomic_fetch_add_explicit(&_ox_prof_nlive.value, 1, memory_order_relaxed);
      return &l[at];
    }
  }
  return NULL; /* every place of the key taken: the sample is dropped */
}

ox_prof_sample_t *_ox_prof_sample_find(uintptr_t key) {
  ox_prof_sample_t *t = atomic_load_explicit(&table, memory_order_acquire);
  if (!t) return NULL;
  unsigned open = atomic_load_explicit(&nlevels, memory_order_acquire);
  for (unsigned k = 0; k < open; k++) {
    ox_prof_sample_t *l = &t[level_start(k)];
    size_t mask = level_slots(k) - 1, at = bucket(key, k);
    for (int i = 0; i < window(k); i++, at = (at + 1) & mask) {
      uintptr_t s = atomic_load_explicit(&l[at].key, memory_order_acquire);
      if (s == key) return &l[at];
      if (s == KEY_EMPTY) return NULL;
    }
  }
  return NULL;
}

void _ox_prof_sample_remove(ox_prof_sample_t *s) {
  atomic_store_explicit(&s->ready, 0, memory_order_relaxed);
  atomic_store_explicit(&s->key, KEY_REMOVED, memory_order_release);
  atomic_fetch_sub_explicit(&_ox_prof_nlive.value, 1, memory_order_relaxed);
}

/* The slots of the levels opened so far (a prefix of the array). */
ox_prof_sample_t *_ox_prof_samples(size_t *count) {
  ox_prof_sample_t *t = atomic_load_explicit(&table, memory_order_acquire);
  unsigned open = atomic_load_explicit(&nlevels, memory_order_acquire);
  *count = t ? level_start(open - 1) + level_slots(open - 1) : 0;
  return t;
}

size_t _ox_prof_table_mapped(void) { return TABLE_SLOTS * sizeof(ox_prof_sample_t); }
