/*
 * prof_pprof.c - the heap profile in pprof's format: profile.proto,
 * encoded by hand, gzip-compressed as pprof writes it, into a file
 * descriptor.  Nothing here calls malloc: the message is built in memory
 * mapped through os.c and unmapped afterwards.
 *
 * Sample types alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 * inuse_space/bytes (those of Go's heap profiles), already scaled by the
 * sampling rate (each sample counts for 1/P, P = 1 - exp(-size/rate)), so
 * pprof shows estimates of the real totals.  Each live sampled block is a
 * sample of its own with labels bytes, align and thread; what each stack
 * allocated over time is one more sample.  The executable mappings of
 * /proc/self/maps, with the build id of each object that has one, let
 * `go tool pprof` symbolise the addresses itself.
 *
 * gzip: deflate "stored" blocks (no compression; a profile is small) with
 * the CRC-32 of RFC 1952.  No zlib: one dependency less, and nothing that
 * may allocate.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "internal.h"

/* ---- a growing buffer in mapped memory ------------------------------------ */

typedef struct {
  uint8_t *p;
  size_t len, cap;
  bool failed;
} buf_t;

static void buf_reserve(buf_t *b, size_t more) {
  if (b->failed || b->len + more <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64 * OX_KiB;
  while (cap < b->len + more) cap *= 2;
  uint8_t *p = _ox_os_map(cap);
  if (!p) {
    b->failed = true;
    return;
  }
  if (b->p) {
    memcpy(p, b->p, b->len);
    _ox_os_unmap(b->p, b->cap);
  }
  b->p = p;
  b->cap = cap;
}

static void buf_put(buf_t *b, const void *data, size_t n) {
  buf_reserve(b, n);
  if (b->failed) return;
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void buf_free(buf_t *b) {
  if (b->p) _ox_os_unmap(b->p, b->cap);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* ---- protobuf encoding ----------------------------------------------------- */

static void put_varint(buf_t *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  buf_put(b, tmp, n);
}

static void put_key(buf_t *b, unsigned field, unsigned wire) {
  put_varint(b, (uint64_t)field << 3 | wire);
}

static void put_uint(buf_t *b, unsigned field, uint64_t v) {
  put_key(b, field, 0);
  put_varint(b, v);
}

static void put_bytes(buf_t *b, unsigned field, const void *data, size_t n) {
  put_key(b, field, 2);
  put_varint(b, n);
  buf_put(b, data, n);
}

/* A nested message built in `inner` (reset afterwards). */
static void put_message(buf_t *b, unsigned field, buf_t *inner) {
  put_bytes(b, field, inner->p, inner->len);
  if (inner->failed) b->failed = true;
  inner->len = 0;
}

/* Profile fields. */
enum {
  P_SAMPLE_TYPE = 1,
  P_SAMPLE = 2,
  P_MAPPING = 3,
  P_LOCATION = 4,
  P_FUNCTION = 5,
  P_STRING = 6,
  P_PERIOD_TYPE = 11,
  P_PERIOD = 12,
  P_COMMENT = 13,
  P_DEFAULT_TYPE = 14
};

typedef struct {
  buf_t out, msg, sub;
  int64_t strings; /* entries written to string_table */
} writer_t;

static int64_t add_string(writer_t *w, const char *s) {
  put_bytes(&w->out, P_STRING, s, strlen(s));
  return w->strings++;
}

static void add_value_type(writer_t *w, unsigned field, const char *type, const char *unit) {
  int64_t t = add_string(w, type), u = add_string(w, unit);
  put_uint(&w->msg, 1, (uint64_t)t);
  put_uint(&w->msg, 2, (uint64_t)u);
  put_message(&w->out, field, &w->msg);
}

/* ---- mappings --------------------------------------------------------------- */

#define MAX_MAPPINGS 1024

typedef struct {
  uintptr_t start, limit, offset;
  char path[256];
  char build_id[41];
} mapping_t;

typedef struct {
  mapping_t *m;
  size_t n;
} mappings_t;

static uintptr_t parse_hex(const char **s) {
  uintptr_t v = 0;
  for (;; (*s)++) {
    char c = **s;
    if (c >= '0' && c <= '9')
      v = v * 16 + (uintptr_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v = v * 16 + (uintptr_t)(c - 'a' + 10);
    else
      return v;
  }
}

/* "start-limit perms offset dev inode   path": executable file mappings. */
static void parse_maps_line(mappings_t *ms, const char *line) {
  const char *s = line;
  uintptr_t start = parse_hex(&s);
  if (*s++ != '-') return;
  uintptr_t limit = parse_hex(&s);
  if (*s++ != ' ') return;
  if (strlen(s) < 4 || s[2] != 'x') return;
  s += 5;
  uintptr_t offset = parse_hex(&s);
  for (int field = 0; field < 2; field++) { /* dev, inode */
    while (*s == ' ') s++;
    while (*s && *s != ' ') s++;
  }
  while (*s == ' ') s++;
  if (*s != '/' || ms->n >= MAX_MAPPINGS) return;
  mapping_t *m = &ms->m[ms->n++];
  m->start = start;
  m->limit = limit;
  m->offset = offset;
  size_t i = 0;
  for (; s[i] && s[i] != '\n' && i + 1 < sizeof m->path; i++) m->path[i] = s[i];
  m->path[i] = 0;
  m->build_id[0] = 0;
}

static void read_maps(mappings_t *ms) {
  int fd = _ox_os_open_read("/proc/self/maps");
  if (fd < 0) return;
  char chunk[4096], line[1024];
  size_t used = 0;
  long r;
  while ((r = _ox_os_read(fd, chunk, sizeof chunk)) > 0) {
    for (long i = 0; i < r; i++) {
      if (chunk[i] == '\n') {
        line[used] = 0;
        parse_maps_line(ms, line);
        used = 0;
      } else if (used + 1 < sizeof line) {
        line[used++] = chunk[i];
      }
    }
  }
  _ox_os_close(fd);
}

/* Each loaded object's executable segment narrows the mapping that holds
 * it to the segment itself (start, limit and file offset of the segment):
 * where a segment's file offset and address differ by more than their
 * page offset (lld and newer ld layouts), pprof finds the segment of a
 * page-granular mapping ambiguous and symbolises a page off. */
static void narrow_to_segments(mappings_t *ms, struct dl_phdr_info *info) {
  for (int j = 0; j < info->dlpi_phnum; j++) {
    const ElfW(Phdr) *load = &info->dlpi_phdr[j];
    if (load->p_type != PT_LOAD || !(load->p_flags & PF_X)) continue;
    uintptr_t lo = info->dlpi_addr + load->p_vaddr, hi = lo + load->p_memsz;
    for (size_t k = 0; k < ms->n; k++) {
      mapping_t *m = &ms->m[k];
      if (lo < m->start || lo >= m->limit || m->offset > load->p_offset) continue;
      m->start = lo;
      if (hi < m->limit) m->limit = hi;
      m->offset = load->p_offset;
    }
  }
}

/* The GNU build id of each loaded object, put on its mappings. */
static int note_build_id(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  mappings_t *ms = arg;
  narrow_to_segments(ms, info);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE) continue;
    const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
      const uint8_t *name = p + sizeof *nh, *desc = name + ((nh->n_namesz + 3) & ~3u);
      p = desc + ((nh->n_descsz + 3) & ~3u);
      if (nh->n_type != NT_GNU_BUILD_ID || nh->n_namesz != 4 || memcmp(name, "GNU", 4) != 0)
        continue;
      char hex[41];
      size_t n = nh->n_descsz < 20 ? nh->n_descsz : 20;
      for (size_t k = 0; k < n; k++) {
        hex[2 * k] = "0123456789abcdef"[desc[k] >> 4];
        hex[2 * k + 1] = "0123456789abcdef"[desc[k] & 15];
      }
      hex[2 * n] = 0;
      /* Every executable mapping inside one of the object's loaded segments. */
      for (int j = 0; j < info->dlpi_phnum; j++) {
        const ElfW(Phdr) *load = &info->dlpi_phdr[j];
        if (load->p_type != PT_LOAD) continue;
        uintptr_t lo = info->dlpi_addr + load->p_vaddr, hi = lo + load->p_memsz;
        for (size_t k = 0; k < ms->n; k++)
          if (ms->m[k].start >= (lo & ~(uintptr_t)4095) && ms->m[k].start < hi)
            memcpy(ms->m[k].build_id, hex, 2 * n + 1);
      }
    }
  }
  return 0;
}

static size_t mapping_of(const mappings_t *ms, uintptr_t addr) {
  for (size_t k = 0; k < ms->n; k++)
    if (addr >= ms->m[k].start && addr < ms->m[k].limit) return k + 1;
  return 0;
}

/* ---- locations: one per distinct address ----------------------------------- */

typedef struct {
  uintptr_t *addr; /* open-addressed set; index + 1 is the location id */
  uintptr_t *fn;   /* the same for function starts (dladdr): function ids */
  size_t cap;
} locations_t;

static uint64_t location_id(locations_t *l, uintptr_t a, bool *is_new) {
  size_t i = (size_t)((a * 0x9E3779B97F4A7C15ull) >> 20) & (l->cap - 1);
  while (l->addr[i] && l->addr[i] != a) i = (i + 1) & (l->cap - 1);
  *is_new = l->addr[i] == 0;
  l->addr[i] = a;
  return i + 1;
}

/* ---- the profile -------------------------------------------------------------- */

static void add_label(writer_t *w, int64_t key, int64_t num, int64_t unit) {
  put_uint(&w->sub, 1, (uint64_t)key);
  put_uint(&w->sub, 3, (uint64_t)num);
  if (unit) put_uint(&w->sub, 4, (uint64_t)unit);
  put_message(&w->msg, 3, &w->sub);
}

/* Location ids of a stack (packed), writing new locations as they appear. */
/* The exported symbol holding `addr` (dladdr) as a Function of the
 * profile, written the first time: its id, or 0.  pprof replaces it with
 * what the binary's own symbols say when it has them; for stripped
 * binaries (distribution packages) the dynamic symbols are all there is. */
static uint64_t function_id(writer_t *w, locations_t *locs, uintptr_t addr) {
  Dl_info info;
  if (!dladdr((void *)addr, &info) || !info.dli_sname || !info.dli_saddr) return 0;
  uintptr_t start = (uintptr_t)info.dli_saddr;
  size_t i = (size_t)((start * 0x9E3779B97F4A7C15ull) >> 20) & (locs->cap - 1);
  while (locs->fn[i] && locs->fn[i] != start) i = (i + 1) & (locs->cap - 1);
  if (locs->fn[i]) return i + 1;
  locs->fn[i] = start;
  int64_t name = add_string(w, info.dli_sname);
  int64_t file = add_string(w, info.dli_fname ? info.dli_fname : "");
  put_uint(&w->sub, 1, i + 1);
  put_uint(&w->sub, 2, (uint64_t)name);
  put_uint(&w->sub, 3, (uint64_t)name);
  put_uint(&w->sub, 4, (uint64_t)file);
  put_message(&w->out, P_FUNCTION, &w->sub);
  return i + 1;
}

static void add_stack(writer_t *w, buf_t *ids, const ox_prof_stack_t *st, locations_t *locs,
                      const mappings_t *ms) {
  for (uint32_t i = 0; i < st->depth; i++) {
    bool is_new;
    uint64_t id = location_id(locs, st->frames[i], &is_new);
    if (is_new) {
      uint64_t fn = function_id(w, locs, st->frames[i]);
      buf_t loc = {0};
      put_uint(&loc, 1, id);
      size_t m = mapping_of(ms, st->frames[i]);
      if (m) put_uint(&loc, 2, m);
      put_uint(&loc, 3, st->frames[i]);
      if (fn) {
        buf_t line = {0};
        put_uint(&line, 1, fn);
        put_message(&loc, 4, &line);
        buf_free(&line);
      }
      put_message(&w->out, P_LOCATION, &loc);
      buf_free(&loc);
    }
    put_varint(ids, id);
  }
}

static void add_sample(writer_t *w, buf_t *ids, const int64_t values[4]) {
  put_bytes(&w->msg, 1, ids->p, ids->len);
  buf_t v = {0};
  for (int i = 0; i < 4; i++) put_varint(&v, (uint64_t)values[i]);
  put_bytes(&w->msg, 2, v.p, v.len);
  buf_free(&v);
}

static void build(writer_t *w, mappings_t *ms, locations_t *locs) {
  add_string(w, "");
  add_value_type(w, P_SAMPLE_TYPE, "alloc_objects", "count");
  add_value_type(w, P_SAMPLE_TYPE, "alloc_space", "bytes");
  add_value_type(w, P_SAMPLE_TYPE, "inuse_objects", "count");
  add_value_type(w, P_SAMPLE_TYPE, "inuse_space", "bytes");
  add_value_type(w, P_PERIOD_TYPE, "space", "bytes");
  put_uint(&w->out, P_PERIOD, (uint64_t)_ox_prof_rate());
  int64_t inuse_space = add_string(w, "inuse_space");
  put_uint(&w->out, P_DEFAULT_TYPE, (uint64_t)inuse_space);
  put_uint(&w->out, P_COMMENT, (uint64_t)add_string(w, "oxalloc heap profile"));
  int64_t l_bytes = add_string(w, "bytes"), l_align = add_string(w, "align"),
          l_thread = add_string(w, "thread");

  for (size_t k = 0; k < ms->n; k++) {
    const mapping_t *m = &ms->m[k];
    put_uint(&w->msg, 1, k + 1);
    put_uint(&w->msg, 2, m->start);
    put_uint(&w->msg, 3, m->limit);
    put_uint(&w->msg, 4, m->offset);
    put_uint(&w->msg, 5, (uint64_t)add_string(w, m->path));
    if (m->build_id[0]) put_uint(&w->msg, 6, (uint64_t)add_string(w, m->build_id));
    put_message(&w->out, P_MAPPING, &w->msg);
  }

  size_t nstacks, nsamples;
  ox_prof_stack_t *stacks = _ox_prof_stacks(&nstacks);
  ox_prof_sample_t *samples = _ox_prof_samples(&nsamples);
  buf_t ids = {0};
  /* What each stack allocated over time. */
  for (size_t i = 0; i < nstacks; i++) {
    ox_prof_stack_t *st = &stacks[i];
    if (!atomic_load_explicit(&st->ready, memory_order_acquire)) continue;
    uint64_t objects = atomic_load_explicit(&st->alloc_objects_fx, memory_order_relaxed);
    uint64_t bytes = atomic_load_explicit(&st->alloc_bytes, memory_order_relaxed);
    if (objects == 0) continue;
    ids.len = 0;
    add_stack(w, &ids, st, locs, ms);
    int64_t values[4] = {(int64_t)((objects + OX_PROF_FX / 2) / OX_PROF_FX), (int64_t)bytes, 0, 0};
    add_sample(w, &ids, values);
    put_message(&w->out, P_SAMPLE, &w->msg);
  }
  /* Each live sampled block. */
  for (size_t i = 0; i < nsamples; i++) {
    ox_prof_sample_t *s = &samples[i];
    if (!_ox_prof_sample_live(s)) continue;
    uint32_t si = s->stack < nstacks ? s->stack : 0;
    ids.len = 0;
    add_stack(w, &ids, &stacks[si], locs, ms);
    int64_t values[4] = {0, 0, (int64_t)_ox_prof_sample_objects(s),
                         (int64_t)_ox_prof_sample_bytes(s)};
    add_sample(w, &ids, values);
    add_label(w, l_bytes, (int64_t)s->size, l_bytes);
    add_label(w, l_align, (int64_t)s->align, 0);
    add_label(w, l_thread, s->tid, 0);
    put_message(&w->out, P_SAMPLE, &w->msg);
  }
  buf_free(&ids);
}

/* ---- gzip --------------------------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static bool write_gzip(int fd, const uint8_t *data, size_t len) {
  static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
  if (!_ox_os_write_all(fd, header, sizeof header)) return false;
  size_t pos = 0;
  do {
    size_t n = len - pos > 65535 ? 65535 : len - pos;
    bool last = pos + n == len;
    uint8_t block[5] = {last ? 1 : 0, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n,
                        (uint8_t)(~n >> 8)};
    if (!_ox_os_write_all(fd, block, sizeof block) || !_ox_os_write_all(fd, data + pos, n))
      return false;
    pos += n;
  } while (pos < len);
  uint32_t crc = crc32_update(0, data, len), size = (uint32_t)len;
  uint8_t trailer[8];
  for (int i = 0; i < 4; i++) {
    trailer[i] = (uint8_t)(crc >> (8 * i));
    trailer[4 + i] = (uint8_t)(size >> (8 * i));
  }
  return _ox_os_write_all(fd, trailer, sizeof trailer);
}

/* ---- entry ---------------------------------------------------------------------- */

int _ox_prof_write_fd(int fd) {
  static atomic_flag busy = ATOMIC_FLAG_INIT;
  if (atomic_flag_test_and_set_explicit(&busy, memory_order_acquire)) return EBUSY;
  static _Atomic int crc_ready;
  if (!atomic_load_explicit(&crc_ready, memory_order_acquire)) {
    crc_init();
    atomic_store_explicit(&crc_ready, 1, memory_order_release);
  }
  int err = ENOMEM;
  mappings_t ms = {_ox_os_map(MAX_MAPPINGS * sizeof(mapping_t)), 0};
  size_t nstacks, frames = 1;
  ox_prof_stack_t *stacks = _ox_prof_stacks(&nstacks);
  for (size_t i = 0; i < nstacks; i++)
    if (atomic_load_explicit(&stacks[i].ready, memory_order_acquire)) frames += stacks[i].depth;
  locations_t locs = {NULL, NULL, 1024};
  while (locs.cap < 2 * frames) locs.cap *= 2;
  locs.addr = _ox_os_map(locs.cap * sizeof(uintptr_t));
  locs.fn = _ox_os_map(locs.cap * sizeof(uintptr_t));
  writer_t w = {0};
  if (ms.m && locs.addr && locs.fn) {
    read_maps(&ms);
    dl_iterate_phdr(note_build_id, &ms);
    build(&w, &ms, &locs);
    if (!w.out.failed && !w.msg.failed && !w.sub.failed)
      err = write_gzip(fd, w.out.p, w.out.len) ? 0 : EIO;
  }
  buf_free(&w.out);
  buf_free(&w.msg);
  buf_free(&w.sub);
  if (ms.m) _ox_os_unmap(ms.m, MAX_MAPPINGS * sizeof(mapping_t));
  if (locs.addr) _ox_os_unmap(locs.addr, locs.cap * sizeof(uintptr_t));
  if (locs.fn) _ox_os_unmap(locs.fn, locs.cap * sizeof(uintptr_t));
  atomic_flag_clear_explicit(&busy, memory_order_release);
  return err;
}
