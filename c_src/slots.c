/*
 * slots.c - a small lock-free cache of segments: an array of atomic slots
 * (the empty-segment cache of segment.c, the huge-block cache of huge.c).
 * A slot's segment is read only after it has been taken out of the slot,
 * since another thread may take and unmap it at any moment; with no lock,
 * fork can never inherit one held.
 */
#include "internal.h"

bool _ox_slots_put(ox_slot_t *slots, int count, ox_segment_t *seg) {
  seg->freed_at_ms = _ox_os_now_ms();
  for (int i = 0; i < count; i++) {
    ox_segment_t *expected = NULL;
    if (atomic_load_explicit(&slots[i], memory_order_relaxed) == NULL &&
        atomic_compare_exchange_strong(&slots[i], &expected, seg))
      return true;
  }
  return false;
}

ox_segment_t *_ox_slots_take(ox_slot_t *slots, int count, int *index) {
  for (; *index < count; (*index)++) {
    if (atomic_load_explicit(&slots[*index], memory_order_relaxed) == NULL) continue;
    ox_segment_t *seg = atomic_exchange(&slots[*index], NULL);
    if (seg) {
      (*index)++;
      return seg;
    }
  }
  return NULL;
}

void _ox_slots_purge(ox_slot_t *slots, int count, uint64_t now, bool force,
                     void (*drop)(ox_segment_t *)) {
  uint64_t delay = (uint64_t)_ox_option(OX_OPT_PURGE_DELAY_MS);
  int index = 0;
  ox_segment_t *seg;
  while ((seg = _ox_slots_take(slots, count, &index)) != NULL) {
    ox_segment_t *expected = NULL;
    if (!force && now - seg->freed_at_ms < delay &&
        atomic_compare_exchange_strong(&slots[index - 1], &expected, seg))
      continue; /* still young: back where it was */
    drop(seg);
  }
}
