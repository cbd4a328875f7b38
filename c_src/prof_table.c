/*
 * prof_table.c - the heap profiler's table of live sampled blocks, keyed
 * by address.
 *
 * An open-addressed array mapped from the OS the first time profiling
 * starts (no malloc), used without locks: a slot is claimed by a CAS of
 * its key from empty or removed to the block's address, filled, then
 * marked ready; removal marks it removed.  Only one thread at a time adds
 * or removes a given address (the block's owner, or whoever frees a huge
 * block), so a look-up probes from the address's home slot to the first
 * empty one.  Readers (the pprof writer, the leak report) take slots that
 * are ready as they find them: a dump taken while other threads allocate
 * is a snapshot of each slot, not of the whole table.
 */
#include "internal.h"

#define TABLE_SLOTS ((size_t)1 << 16) /* live samples at most: 32 GiB live at the default rate */
#define MAX_PROBE   1024              /* a full neighbourhood drops the sample */
#define KEY_EMPTY   ((uintptr_t)0)
#define KEY_REMOVED ((uintptr_t)1)

static _Atomic(ox_prof_sample_t *) table;

bool _ox_prof_table_ready(void) {
  if (atomic_load_explicit(&table, memory_order_acquire)) return true;
  ox_prof_sample_t *t = _ox_os_map(TABLE_SLOTS * sizeof(ox_prof_sample_t));
  if (!t) return false;
  ox_prof_sample_t *expected = NULL;
  if (!atomic_compare_exchange_strong(&table, &expected, t))
    _ox_os_unmap(t, TABLE_SLOTS * sizeof(ox_prof_sample_t)); /* another thread won */
  return true;
}

static size_t home(uintptr_t key) {
  uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 40) & (TABLE_SLOTS - 1);
}

ox_prof_sample_t *_ox_prof_sample_add(uintptr_t key) {
  ox_prof_sample_t *t = atomic_load_explicit(&table, memory_order_acquire);
  if (!t) return NULL;
  size_t i = home(key);
  for (int n = 0; n < MAX_PROBE; n++, i = (i + 1) & (TABLE_SLOTS - 1)) {
    uintptr_t k = atomic_load_explicit(&t[i].key, memory_order_relaxed);
    if (k != KEY_EMPTY && k != KEY_REMOVED) continue;
    if (!atomic_compare_exchange_strong(&t[i].key, &k, key)) continue;
    atomic_store_explicit(&t[i].ready, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&_ox_prof_nlive.value, 1, memory_order_relaxed);
    return &t[i];
  }
  return NULL;
}

ox_prof_sample_t *_ox_prof_sample_find(uintptr_t key) {
  ox_prof_sample_t *t = atomic_load_explicit(&table, memory_order_acquire);
  if (!t) return NULL;
  size_t i = home(key);
  for (int n = 0; n < MAX_PROBE; n++, i = (i + 1) & (TABLE_SLOTS - 1)) {
    uintptr_t k = atomic_load_explicit(&t[i].key, memory_order_acquire);
    if (k == key) return &t[i];
    if (k == KEY_EMPTY) return NULL;
  }
  return NULL;
}

void _ox_prof_sample_remove(ox_prof_sample_t *s) {
  atomic_store_explicit(&s->ready, 0, memory_order_relaxed);
  atomic_store_explicit(&s->key, KEY_REMOVED, memory_order_release);
  atomic_fetch_sub_explicit(&_ox_prof_nlive.value, 1, memory_order_relaxed);
}

ox_prof_sample_t *_ox_prof_samples(size_t *count) {
  ox_prof_sample_t *t = atomic_load_explicit(&table, memory_order_acquire);
  *count = t ? TABLE_SLOTS : 0;
  return t;
}
