/*
 * prof_unwind.c - a cheaper stack walk for samples on x86-64: the same
 * .eh_frame rules libgcc's unwinder follows, but each return address's
 * rule (where the CFA is, where the caller's rbp is saved) is decoded
 * once and kept in a cache keyed by that address, so a walk costs a few
 * loads per frame instead of an FDE search and a CFA program run.
 *
 * It reads exactly the stack words the DWARF rules name (those libgcc
 * would read), and in addition stops at a CFA that is not above the frame
 * below it or more than OX_UNWIND_MAX_FRAME above it.  Whatever it does
 * not know for certain it leaves to libgcc (returns false): a frame whose
 * FDE is missing or uses expressions, signal frames, a CFA in rbp before
 * rbp's value is known, 64-bit DWARF.  The cache is dropped when a shared
 * object is unloaded (dl_iterate_phdr's dlpi_subs), since another may then
 * take the same addresses.  Other architectures use libgcc only.
 *
 * Each thread also remembers its last walk per place of recording (a
 * memo): a walk that retraces it frame for frame takes its rules without
 * a look-up and its interned stack without stripping and interning again
 * (see "the last walk of a thread" below for why that is exact).
 */
#include <link.h>
#include <string.h>
#include <unwind.h>

#include "internal.h"

#if OX_PROF_OWN_WALK

#define CACHE_SLOTS         4096
#define OX_UNWIND_MAX_FRAME ((uintptr_t)1 << 24)

/* A decoded rule (bits of `rule`): */
#define R_OK        (1ull << 48) /* decoded; otherwise the walk goes to libgcc */
#define R_CFA_RBP   (1ull << 49) /* CFA = rbp + off, else rsp + off */
#define R_RBP_SAVED (1ull << 50) /* caller's rbp at CFA + rbp_off */
#define R_END       (1ull << 51) /* return address undefined: the outermost frame */

typedef struct {
  _Atomic uint32_t seq; /* odd while being written */
  _Atomic uintptr_t pc;
  _Atomic uintptr_t fn;
  _Atomic uint64_t rule; /* cfa_off (int32) | rbp_off (int16) << 32 | flags */
} rule_slot_t;

static _Atomic(rule_slot_t *) cache;
static _Atomic unsigned long cache_subs; /* dlpi_subs the cache was filled under */

/* libgcc's (GCC_3.0) FDE search, with its struct dwarf_eh_bases
 * (prof_libgcc.c: NULL when the unwinder was not found). */
typedef struct {
  void *tbase, *dbase, *func;
} eh_bases_t;

static void memos_ready(void);

bool _ox_prof_unwind_ready(void) {
  memos_ready();
  if (atomic_load_explicit(&cache, memory_order_acquire)) return true;
  rule_slot_t *t = _ox_os_map(CACHE_SLOTS * sizeof(rule_slot_t));
  if (!t) return false;
  rule_slot_t *expected = NULL;
  if (!atomic_compare_exchange_strong(&cache, &expected, t))
    _ox_os_unmap(t, CACHE_SLOTS * sizeof(rule_slot_t));
  return true;
}

/* ---- decoding one rule from .eh_frame --------------------------------- */

typedef struct {
  const uint8_t *p, *end;
  bool bad;
} cursor_t;

static uint64_t uleb(cursor_t *c) {
  uint64_t v = 0;
  for (unsigned shift = 0; c->p < c->end; shift += 7) {
    uint8_t b = *c->p++;
    if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  c->bad = true;
  return 0;
}

static int64_t sleb(cursor_t *c) {
  uint64_t v = 0;
  unsigned shift = 0;
  uint8_t b = 0x80;
  while (c->p < c->end && (b & 0x80)) {
    b = *c->p++;
    if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
  }
  if (b & 0x80) c->bad = true;
  if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
  return (int64_t)v;
}

static void skip(cursor_t *c, size_t n) {
  if ((size_t)(c->end - c->p) < n)
    c->bad = true, c->p = c->end;
  else
    c->p += n;
}

/* Reads a value of encoding `enc`: its low four bits, the size and
 * signedness (what it is relative to is left to the caller). */
static uint64_t read_value(cursor_t *c, uint8_t enc) {
  size_t n;
  switch (enc & 0x0f) {
  case 0x01:
    return uleb(c);
  case 0x09:
    return (uint64_t)sleb(c);
  case 0x02:
  case 0x0a:
    n = 2;
    break;
  case 0x03:
  case 0x0b:
    n = 4;
    break;
  case 0x00: /* absptr */
  case 0x04:
  case 0x0c:
    n = 8;
    break;
  default:
    c->bad = true;
    return 0;
  }
  const uint8_t *at = c->p;
  skip(c, n);
  if (c->p != at + n) return 0; /* too short: skip marked the cursor bad */
  uint64_t v = 0;
  memcpy(&v, at, n); /* little-endian */
  return v;
}

/* Skips a pointer of encoding `enc` (only its size matters here). */
static void skip_encoded(cursor_t *c, uint8_t enc) {
  if (enc == 0xff) return; /* DW_EH_PE_omit */
  if ((enc & 0x70) == 0x50)
    c->bad = true; /* aligned: not handled */
  else
    read_value(c, enc);
}

typedef struct {
  uint8_t cfa_reg; /* 7 (rsp) or 6 (rbp) */
  int64_t cfa_off;
  uint8_t rbp_how; /* 0 same value, 1 saved at CFA + rbp_off */
  int64_t rbp_off;
  uint8_t ra_how; /* 0 unset, 1 at CFA + ra_off, 2 undefined */
  int64_t ra_off;
} state_t;

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA  16

/* Runs CFA instructions from `c` while the row's location is <= target.
 * `init` is the state after the CIE's instructions (for DW_CFA_restore). */
static bool run_cfa(cursor_t *c, state_t *s, const state_t *init, uintptr_t *loc, uintptr_t target,
                    uint64_t code_align, int64_t data_align) {
  state_t stack[8];
  int depth = 0;
  while (c->p < c->end && !c->bad) {
    uint8_t op = *c->p++;
    uint64_t reg = 0;
    int64_t off = 0;
    uintptr_t adv = 0;
    switch (op >> 6) {
    case 1:
      adv = (op & 0x3f) * code_align;
      goto advance;
    case 2:
      reg = op & 0x3f;
      off = (int64_t)uleb(c) * data_align;
      goto offset;
    case 3:
      reg = op & 0x3f;
      goto restore;
    default:
      break;
    }
    switch (op) {
    case 0x00:
      break; /* nop */
    case 0x02:
      if (c->p + 1 > c->end) return false;
      adv = c->p[0] * code_align;
      c->p += 1;
      goto advance;
    case 0x03: {
      uint16_t v;
      if (c->p + 2 > c->end) return false;
      memcpy(&v, c->p, 2);
      c->p += 2;
      adv = v * code_align;
      goto advance;
    }
    case 0x04: {
      uint32_t v;
      if (c->p + 4 > c->end) return false;
      memcpy(&v, c->p, 4);
      c->p += 4;
      adv = v * code_align;
      goto advance;
    }
    case 0x05:
      reg = uleb(c);
      off = (int64_t)uleb(c) * data_align;
      goto offset;
    case 0x11:
      reg = uleb(c);
      off = sleb(c) * data_align;
      goto offset;
    case 0x06:
      reg = uleb(c);
      goto restore;
    case 0x07: /* undefined */
      reg = uleb(c);
      if (reg == REG_RA)
        s->ra_how = 2;
      else if (reg == REG_RBP || reg == REG_RSP)
        return false;
      break;
    case 0x08: /* same value */
      reg = uleb(c);
      if (reg == REG_RBP)
        s->rbp_how = 0;
      else if (reg == REG_RA || reg == REG_RSP)
        return false;
      break;
    case 0x09: /* register */
      reg = uleb(c);
      uleb(c);
      if (reg == REG_RBP || reg == REG_RA || reg == REG_RSP) return false;
      break;
    case 0x0a:
      if (depth == 8) return false;
      stack[depth++] = *s;
      break;
    case 0x0b:
      if (depth == 0) return false;
      *s = stack[--depth]; /* the CFA rule too, as libgcc does */
      break;
    case 0x0c:
      s->cfa_reg = (uint8_t)uleb(c);
      s->cfa_off = (int64_t)uleb(c);
      break;
    case 0x12:
      s->cfa_reg = (uint8_t)uleb(c);
      s->cfa_off = sleb(c) * data_align;
      break;
    case 0x0d:
      s->cfa_reg = (uint8_t)uleb(c);
      break;
    case 0x0e:
      s->cfa_off = (int64_t)uleb(c);
      break;
    case 0x13:
      s->cfa_off = sleb(c) * data_align;
      break;
    case 0x10:
    case 0x16: /* (val_)expression: fine for other registers */
      reg = uleb(c);
      skip(c, uleb(c));
      if (reg == REG_RBP || reg == REG_RA || reg == REG_RSP) return false;
      break;
    case 0x14: /* val_offset */
      reg = uleb(c);
      uleb(c);
      if (reg == REG_RBP || reg == REG_RA || reg == REG_RSP) return false;
      break;
    case 0x15:
      reg = uleb(c);
      sleb(c);
      if (reg == REG_RBP || reg == REG_RA || reg == REG_RSP) return false;
      break;
    case 0x2e:
      uleb(c);
      break; /* GNU_args_size */
    case 0x2f:
      reg = uleb(c);
      off = -(int64_t)uleb(c) * data_align;
      goto offset;
    default:
      return false; /* set_loc, def_cfa_expression, vendor ops */
    }
    continue;
  advance:
    if (*loc + adv > target) return !c->bad;
    *loc += adv;
    continue;
  offset:
    if (reg == REG_RBP)
      s->rbp_how = 1, s->rbp_off = off;
    else if (reg == REG_RA)
      s->ra_how = 1, s->ra_off = off;
    else if (reg == REG_RSP)
      return false;
    continue;
  restore:
    if (reg == REG_RBP)
      s->rbp_how = init->rbp_how, s->rbp_off = init->rbp_off;
    else if (reg == REG_RA)
      s->ra_how = init->ra_how, s->ra_off = init->ra_off;
    else if (reg == REG_RSP)
      return false;
    continue;
  }
  return !c->bad;
}

static uint32_t read32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* The rule at `pc` (a return address - 1, or the first frame's own pc);
 * 0 when libgcc must decide. */
static uint64_t decode(uintptr_t pc, uintptr_t *fn) {
  *fn = 0;
  const uint8_t *fde = _ox_prof_fde_find(pc, fn);
  if (!fde) { /* no search table: libgcc's registered FDEs, if the process has libgcc */
    eh_bases_t bases;
    fde = _ox_libgcc_find_fde((void *)pc, &bases);
    if (!fde) return 0;
    *fn = (uintptr_t)bases.func;
  }
  uint32_t flen = read32(fde);
  if (flen == 0 || flen == 0xffffffffu) return 0;
  const uint8_t *cie = fde + 4 - read32(fde + 4);
  uint32_t clen = read32(cie);
  if (clen == 0 || clen == 0xffffffffu || read32(cie + 4) != 0) return 0;
  cursor_t c = {cie + 8, cie + 4 + clen, false};
  uint8_t version = *c.p++;
  if (version != 1 && version != 3) return 0;
  const char *aug = (const char *)c.p;
  size_t auglen = strnlen(aug, (size_t)(c.end - c.p));
  skip(&c, auglen + 1);
  if (aug[0] != 'z' && aug[0] != '\0') return 0;
  uint64_t code_align = uleb(&c);
  int64_t data_align = sleb(&c);
  uint64_t ra_reg = version == 1 ? (c.p < c.end ? *c.p++ : 0) : uleb(&c);
  if (ra_reg != REG_RA) return 0;
  uint8_t fde_enc = 0;
  bool fde_aug = false;
  if (aug[0] == 'z') {
    fde_aug = true;
    uint64_t n = uleb(&c);
    cursor_t a = {c.p, c.p + n, c.p + n > c.end};
    for (size_t i = 1; i < auglen && !a.bad; i++) {
      if (aug[i] == 'R')
        fde_enc = a.p < a.end ? *a.p++ : (a.bad = true, 0);
      else if (aug[i] == 'L')
        skip(&a, 1);
      else if (aug[i] == 'P') {
        uint8_t enc = a.p < a.end ? *a.p++ : (a.bad = true, 0);
        skip_encoded(&a, enc);
      } else
        return 0; /* 'S' (signal frame) and anything unknown */
    }
    if (a.bad) return 0;
    skip(&c, n);
  }
  if (c.bad) return 0;
  state_t init = {0}, s;
  uintptr_t loc = *fn;
  if (!run_cfa(&c, &init, &init, &loc, UINTPTR_MAX, code_align, data_align)) return 0;
  s = init;
  cursor_t f = {fde + 8, fde + 4 + flen, false};
  skip_encoded(&f, fde_enc);                       /* pc_begin */
  uint64_t range = read_value(&f, fde_enc & 0x0f); /* pc_range: a value, never relative */
  if (fde_aug) skip(&f, uleb(&f));
  if (f.bad || pc - *fn >= range) return 0; /* pc in no function's range: no rule */
  if (!run_cfa(&f, &s, &init, &loc, pc, code_align, data_align)) return 0;
  if (s.cfa_reg != REG_RSP && s.cfa_reg != REG_RBP) return 0;
  if (s.cfa_off < 0 || s.cfa_off > INT32_MAX || s.rbp_off < INT16_MIN || s.rbp_off > INT16_MAX)
    return 0;
  uint64_t rule = (uint32_t)s.cfa_off | (uint64_t)(uint16_t)(int16_t)s.rbp_off << 32 | R_OK;
  if (s.cfa_reg == REG_RBP) rule |= R_CFA_RBP;
  if (s.rbp_how == 1) rule |= R_RBP_SAVED;
  if (s.ra_how == 2)
    rule |= R_END;
  else if (s.ra_how != 1 || s.ra_off != -8)
    return 0;
  return rule;
}

/* ---- the cache ---------------------------------------------------------- */

static size_t slot_of(uintptr_t pc) {
  return (size_t)((pc * 0x9E3779B97F4A7C15ull) >> 52) & (CACHE_SLOTS - 1);
}

static uint64_t rule_for(rule_slot_t *t, uintptr_t pc, uintptr_t *fn) {
  rule_slot_t *e = &t[slot_of(pc)];
  uint32_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
  if (!(s1 & 1) && atomic_load_explicit(&e->pc, memory_order_relaxed) == pc) {
    uintptr_t f = atomic_load_explicit(&e->fn, memory_order_relaxed);
    uint64_t r = atomic_load_explicit(&e->rule, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&e->seq, memory_order_relaxed) == s1) {
      *fn = f;
      return r;
    }
  }
  uint64_t r = decode(pc, fn);
  if (!(s1 & 1) && atomic_compare_exchange_strong(&e->seq, &s1, s1 + 1)) {
    atomic_store_explicit(&e->pc, pc, memory_order_relaxed);
    atomic_store_explicit(&e->fn, *fn, memory_order_relaxed);
    atomic_store_explicit(&e->rule, r, memory_order_relaxed);
    atomic_store_explicit(&e->seq, s1 + 2, memory_order_release);
  }
  return r;
}

static int read_subs(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  *(unsigned long long *)arg = info->dlpi_subs;
  return 1;
}

/* Drops the cache if an object was unloaded since it was filled; *subs_out:
 * the count of unloads it is valid for. */
static rule_slot_t *cache_current(unsigned long long *subs_out) {
  rule_slot_t *t = atomic_load_explicit(&cache, memory_order_acquire);
  if (!t) return NULL;
  unsigned long long subs = 0;
  dl_iterate_phdr(read_subs, &subs);
  *subs_out = subs;
  if (atomic_load_explicit(&cache_subs, memory_order_relaxed) != subs) {
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
      uint32_t s = atomic_load_explicit(&t[i].seq, memory_order_relaxed);
      if (!(s & 1) && atomic_compare_exchange_strong(&t[i].seq, &s, s + 1)) {
        atomic_store_explicit(&t[i].pc, 0, memory_order_relaxed);
        atomic_store_explicit(&t[i].seq, s + 2, memory_order_release);
      }
    }
    atomic_store_explicit(&cache_subs, subs, memory_order_relaxed);
  }
  return t;
}

/* ---- the last walk of a thread ---------------------------------------------
 * Samples often come from one call site, through the same frames: a walk
 * remembers the frames it found (return address, function, rule) and the
 * stack they were interned as.  The next walk is the same walk, frame by
 * frame, reading the same stack words; while each frame's return address
 * is the one remembered at that depth it takes the remembered rule
 * instead of looking it up (a rule depends on the address alone, for as
 * long as no object was unloaded: `subs`), and when every frame matched
 * and the walk ended at the same depth, the raw trace is identical, so
 * its interned stack is too: the stripping and interning are skipped.
 * Nothing is trusted that the walk did not read again: two call paths
 * through the same return address differ in a frame further out, and a
 * walk that differs anywhere interns its own stack.
 * Memos are claimed whole (an exchange with NULL) by a slot chosen from
 * the thread's TLS address and the place in the allocator that records
 * the sample: a thread that finds its slot taken (another thread, or a
 * sample in a signal handler of its own) walks without. */

#define MEMO_SLOTS 64

typedef struct {
  unsigned long long subs; /* unloads when it was filled */
  int n;                   /* frames; 0: nothing remembered */
  uint32_t stack;          /* the interned stack of those frames */
  uintptr_t ip[OX_PROF_CAPTURE_DEPTH];
  uintptr_t fn[OX_PROF_CAPTURE_DEPTH];
  uint64_t rule[OX_PROF_CAPTURE_DEPTH];
} walk_memo_t;

/* Each thread exchanges its slot's pointer at every sample: one line each. */
static struct {
  _Atomic(walk_memo_t *) memo;
  char pad[64 - sizeof(void *)];
} __attribute__((aligned(64))) memos[MEMO_SLOTS];
static _Atomic(walk_memo_t *) memo_area;
static __thread char tl_memo_anchor __attribute__((tls_model("initial-exec")));

/* Maps the memos with the rule cache (called by _ox_prof_stacks_ready). */
static void memos_ready(void) {
  if (atomic_load_explicit(&memo_area, memory_order_acquire)) return;
  walk_memo_t *a = _ox_os_map(MEMO_SLOTS * sizeof(walk_memo_t));
  if (!a) return; /* walks go without */
  walk_memo_t *expected = NULL;
  if (!atomic_compare_exchange_strong(&memo_area, &expected, a)) {
    _ox_os_unmap(a, MEMO_SLOTS * sizeof(walk_memo_t));
    return;
  }
  for (size_t i = 0; i < MEMO_SLOTS; i++)
    atomic_store_explicit(&memos[i].memo, &a[i], memory_order_release);
}

/* The memo of this thread for samples recorded at `ip` (a thread samples
 * at a few places in the allocator: huge blocks, class blocks). */
static _Atomic(walk_memo_t *) *memo_slot(uintptr_t ip) {
  uint64_t h = ((uint64_t)(uintptr_t)&tl_memo_anchor ^ ip) * 0x9E3779B97F4A7C15ull;
  return &memos[h >> 58].memo; /* 64 slots */
}

/* ---- the walk ------------------------------------------------------------- */

/* The walk from (ip, sp, rbp); false when libgcc must walk instead.  With
 * a memo `m`: frames whose return addresses match it take its rules, and
 * the memo is rewritten with this walk's frames (m->n, m->stack are left
 * to the caller); *same: the walk was the memo's, frame for frame. */
static bool walk(rule_slot_t *cache_t, walk_memo_t *m, bool *same, ox_prof_trace_t *t, uintptr_t ip,
                 uintptr_t sp, uintptr_t rbp) {
  int known = m ? m->n : 0; /* the memo's frames [0, known) still match */
  if (m) m->n = 0;
  bool rbp_known = true; /* the first frame's registers are its own, all known */
  uintptr_t pc = ip;     /* the first frame's pc is exact, the others' are return addresses */
  t->n = 0;
  while (t->n < OX_PROF_CAPTURE_DEPTH) {
    int k = t->n;
    uintptr_t fn;
    uint64_t rule;
    if (k < known && m->ip[k] == ip) {
      rule = m->rule[k];
      fn = m->fn[k];
    } else {
      if (k < known) known = k; /* the walk left the memo's path here */
      rule = rule_for(cache_t, pc, &fn);
      if (!(rule & R_OK)) { /* what libgcc may walk on from; the frames so far otherwise */
        t->ip[k] = ip, t->fn[k] = 0, t->n++;
        return false;
      }
      if (m) m->ip[k] = ip, m->fn[k] = fn, m->rule[k] = rule;
    }
    t->ip[k] = ip;
    t->fn[k] = fn;
    t->n++;
    if (rule & R_END) break;
    if ((rule & R_CFA_RBP) && !rbp_known) return false;
    uintptr_t cfa = ((rule & R_CFA_RBP) ? rbp : sp) + (uint32_t)rule;
    if (cfa <= sp || cfa - sp > OX_UNWIND_MAX_FRAME || (cfa & 7)) break;
    if (rule & R_RBP_SAVED) {
      rbp = *(const uintptr_t *)(cfa + (int16_t)(rule >> 32));
      rbp_known = true;
    }
    ip = *(const uintptr_t *)(cfa - 8);
    sp = cfa;
    if (ip == 0) break;
    pc = ip - 1;
  }
  *same = known == t->n;
  return true;
}

bool _ox_prof_unwind(ox_prof_trace_t *t, uintptr_t ip, uintptr_t sp, uintptr_t rbp) {
  unsigned long long subs;
  rule_slot_t *cache_t = cache_current(&subs);
  bool same;
  return cache_t && walk(cache_t, NULL, &same, t, ip, sp, rbp);
}

bool _ox_prof_unwind_stack(ox_prof_trace_t *t, uintptr_t ip, uintptr_t sp, uintptr_t rbp,
                           uint32_t *stack) {
  unsigned long long subs;
  rule_slot_t *cache_t = cache_current(&subs);
  if (!cache_t) return false;
  _Atomic(walk_memo_t *) *slot = memo_slot(ip);
  walk_memo_t *m = atomic_exchange_explicit(slot, NULL, memory_order_acquire);
  if (m && m->subs != subs) m->n = 0; /* an object was unloaded: its rules may be stale */
  bool same = false;
  bool ok = walk(cache_t, m, &same, t, ip, sp, rbp);
  if (ok && same) {
    *stack = m->stack;
  } else if (ok) {
    *stack = _ox_prof_stack_of(t);
  }
  if (m) {
    if (ok && *stack != 0) { /* 0: not interned (table full), nothing to remember */
      m->stack = *stack;
      m->subs = subs;
      m->n = t->n;
    }
    atomic_store_explicit(slot, m, memory_order_release);
  }
  return ok;
}

#else

bool _ox_prof_unwind_ready(void) { return true; }

bool _ox_prof_unwind(ox_prof_trace_t *t, uintptr_t ip, uintptr_t sp, uintptr_t rbp) {
  (void)t, (void)ip, (void)sp, (void)rbp;
  return false;
}

bool _ox_prof_unwind_stack(ox_prof_trace_t *t, uintptr_t ip, uintptr_t sp, uintptr_t rbp,
                           uint32_t *stack) {
  (void)t, (void)ip, (void)sp, (void)rbp, (void)stack;
  return false;
}

#endif
