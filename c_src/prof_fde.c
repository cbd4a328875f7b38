/*
 * prof_fde.c - the FDE (.eh_frame entry) that covers a code address, found
 * in the search table of the loaded object's .eh_frame_hdr, for the stack
 * walk of prof_unwind.c.  libgcc's _Unwind_Find_FDE answers the same
 * question, but a C program does not have libgcc_s loaded: loading it when
 * profiling starts cost every profiled C program a dlopen and its memory.
 *
 * Only the table the linker writes is read: version 1, a 4-byte FDE
 * count, entries of two 4-byte offsets from the header (datarel sdata4).
 * An object without one (a static executable whose unwind data crtbegin
 * registers at run time, or other encodings) gets NULL, and the walk asks
 * libgcc if the process has it.
 */
#include <link.h>
#include <string.h>

#include "internal.h"

#define DW_EH_PE_udata4  0x03
#define DW_EH_PE_sdata4  0x0b
#define DW_EH_PE_datarel 0x30
#define HDR_TABLE_ENC    (DW_EH_PE_datarel | DW_EH_PE_sdata4)
#define HDR_FIXED_BYTES  4 /* version and the three encodings */

static int32_t read_s32(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Bytes of the header's eh_frame_ptr field, 0 for an encoding not read here. */
static size_t pointer_bytes(uint8_t enc) {
  switch (enc & 0x0f) {
  case 0x03:
  case 0x0b:
    return 4;
  case 0x00:
  case 0x04:
  case 0x0c:
    return 8;
  default:
    return 0;
  }
}

/* The FDE of the table's last function starting at or below pc (the
 * caller checks that pc is inside its range); NULL without one. */
static const uint8_t *search(const uint8_t *hdr, uintptr_t pc, uintptr_t *fn_start) {
  if (hdr[0] != 1 || hdr[2] != DW_EH_PE_udata4 || hdr[3] != HDR_TABLE_ENC) return NULL;
  size_t ptr_bytes = pointer_bytes(hdr[1]);
  if (ptr_bytes == 0) return NULL;
  const uint8_t *count_at = hdr + HDR_FIXED_BYTES + ptr_bytes;
  uint32_t count;
  memcpy(&count, count_at, sizeof count);
  const uint8_t *table = count_at + 4; /* count pairs (function start, FDE) */
  uint32_t lo = 0, hi = count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if ((uintptr_t)(hdr + read_s32(table + 8 * (size_t)mid)) <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return NULL;
  const uint8_t *entry = table + 8 * (size_t)(lo - 1);
  *fn_start = (uintptr_t)(hdr + read_s32(entry));
  return hdr + read_s32(entry + 4);
}

typedef struct {
  uintptr_t pc, fn_start;
  const uint8_t *fde;
} lookup_t;

/* Searched here, under dl_iterate_phdr's lock: the object cannot go away
 * while its table is read. */
static int object_of(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  lookup_t *l = arg;
  const uint8_t *hdr = NULL;
  bool holds = false;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && l->pc - start < ph->p_memsz) holds = true;
    if (ph->p_type == PT_GNU_EH_FRAME) hdr = (const uint8_t *)start;
  }
  if (!holds) return 0;
  if (hdr) l->fde = search(hdr, l->pc, &l->fn_start);
  return 1;
}

const uint8_t *_ox_prof_fde_find(uintptr_t pc, uintptr_t *fn_start) {
  lookup_t l = {pc, 0, NULL};
  dl_iterate_phdr(object_of, &l);
  if (l.fde) *fn_start = l.fn_start;
  return l.fde;
}
