/*
 * prof_leaks.c - the leak report at exit (OXALLOC_PROF_LEAKS=1): the
 * sampled blocks still live, grouped by stack, largest first, each frame
 * named with dladdr (function+offset and object file), on stderr.  The
 * figures are estimates scaled from the sampling rate, as in the pprof
 * output.  Nothing here allocates: the grouping is done in memory mapped
 * through os.c.
 */
#include <dlfcn.h>
#include <string.h>

#include "internal.h"

#define REPORT_STACKS 20 /* the largest groups printed in full */

typedef struct {
  uint32_t stack;
  uint64_t blocks, bytes; /* scaled */
  uint64_t samples;
} group_t;

static void out(const char *s, size_t n) { _ox_os_write_stderr(s, n); }

static void print_frame(size_t i, uintptr_t addr) {
  char line[512];
  size_t n = _ox_fmt_str(line, 0, sizeof line, "    #");
  n = _ox_fmt_dec(line, n, sizeof line, i);
  n = _ox_fmt_str(line, n, sizeof line, " ");
  n = _ox_fmt_hex(line, n, sizeof line, addr);
  Dl_info info;
  if (dladdr((void *)addr, &info)) {
    if (info.dli_sname) {
      n = _ox_fmt_str(line, n, sizeof line, " ");
      n = _ox_fmt_str(line, n, sizeof line, info.dli_sname);
      n = _ox_fmt_str(line, n, sizeof line, "+");
      n = _ox_fmt_hex(line, n, sizeof line, addr - (uintptr_t)info.dli_saddr);
    }
    if (info.dli_fname) {
      n = _ox_fmt_str(line, n, sizeof line, " (");
      n = _ox_fmt_str(line, n, sizeof line, info.dli_fname);
      n = _ox_fmt_str(line, n, sizeof line, ")");
    }
  }
  n = _ox_fmt_str(line, n, sizeof line, "\n");
  out(line, n);
}

void _ox_prof_leak_report(void) {
  size_t nstacks, nsamples;
  ox_prof_stack_t *stacks = _ox_prof_stacks(&nstacks);
  ox_prof_sample_t *samples = _ox_prof_samples(&nsamples);
  if (!stacks || !samples) return;
  /* Groups indexed by stack: one per stack slot (sparse, mapped lazily). */
  size_t bytes = nstacks * sizeof(group_t);
  group_t *g = _ox_os_map(bytes);
  if (!g) return;
  size_t ngroups = 0;
  uint64_t total_bytes = 0, total_blocks = 0;
  uint32_t *order = _ox_os_map(nstacks * sizeof(uint32_t));
  if (!order) {
    _ox_os_unmap(g, bytes);
    return;
  }
  for (size_t i = 0; i < nsamples; i++) {
    ox_prof_sample_t *s = &samples[i];
    if (!_ox_prof_sample_live(s)) continue;
    uint32_t si = s->stack < nstacks ? s->stack : 0;
    if (g[si].samples++ == 0) order[ngroups++] = si;
    uint64_t b = _ox_prof_sample_bytes(s), k = _ox_prof_sample_objects(s);
    g[si].bytes += b;
    g[si].blocks += k;
    total_bytes += b;
    total_blocks += k;
  }
  /* Largest first (insertion sort: a few hundred groups at most matter). */
  for (size_t i = 1; i < ngroups; i++) {
    uint32_t v = order[i];
    size_t j = i;
    for (; j > 0 && g[order[j - 1]].bytes < g[v].bytes; j--) order[j] = order[j - 1];
    order[j] = v;
  }
  char line[256];
  size_t n = _ox_fmt_str(line, 0, sizeof line, "oxalloc: leak report: ");
  n = _ox_fmt_dec(line, n, sizeof line, total_bytes);
  n = _ox_fmt_str(line, n, sizeof line, " bytes in ");
  n = _ox_fmt_dec(line, n, sizeof line, total_blocks);
  n = _ox_fmt_str(line, n, sizeof line, " blocks still live at exit (estimated from ");
  n = _ox_fmt_dec(line, n, sizeof line, ngroups);
  n = _ox_fmt_str(line, n, sizeof line, " stacks; sampling every ");
  n = _ox_fmt_dec(line, n, sizeof line, (uintptr_t)_ox_prof_rate());
  n = _ox_fmt_str(line, n, sizeof line, " bytes on average)\n");
  out(line, n);
  for (size_t k = 0; k < ngroups && k < REPORT_STACKS; k++) {
    group_t *gr = &g[order[k]];
    n = _ox_fmt_str(line, 0, sizeof line, "  ");
    n = _ox_fmt_dec(line, n, sizeof line, gr->bytes);
    n = _ox_fmt_str(line, n, sizeof line, " bytes in ");
    n = _ox_fmt_dec(line, n, sizeof line, gr->blocks);
    n = _ox_fmt_str(line, n, sizeof line, " blocks (");
    n = _ox_fmt_dec(line, n, sizeof line, gr->samples);
    n = _ox_fmt_str(line, n, sizeof line,
                    gr->samples == 1 ? " sample) from:\n" : " samples) from:\n");
    out(line, n);
    const ox_prof_stack_t *st = &stacks[order[k]];
    if (st->depth == 0) out("    (stack unknown)\n", 20);
    for (uint32_t f = 0; f < st->depth; f++) print_frame(f, st->frames[f]);
  }
  if (ngroups > REPORT_STACKS) out("  ... (smaller groups left out)\n", 32);
  _ox_os_unmap(order, nstacks * sizeof(uint32_t));
  _ox_os_unmap(g, bytes);
}
