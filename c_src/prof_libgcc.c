/*
 * prof_libgcc.c - libgcc's unwinder, found at run time rather than linked:
 * a dependency on libgcc_s costs every process about 100 KB resident, and
 * only the heap profiler uses it.  The functions are taken from the
 * program when it has them (Rust and C++ programs link libgcc_s; static
 * links libgcc_eh).  On x86-64 Linux that is all: the walk there is
 * prof_unwind.c's, which asks libgcc only about frames it cannot decode.
 * Elsewhere libgcc_s is loaded, but only outside malloc: when the program
 * calls ox_prof_start, or at load time when an OXALLOC_PROF* variable asks
 * for profiling from the start.
 */
#include <dlfcn.h>
#include <string.h>
#include <unwind.h>

#include "internal.h"

/* Weak: a reference that is not needed makes no DT_NEEDED entry (the
 * linker adds libgcc_s --as-needed), and reads NULL when nothing defines it. */
#pragma weak _Unwind_Backtrace
#pragma weak _Unwind_GetIP
#pragma weak _Unwind_GetRegionStart
#pragma weak _Unwind_Find_FDE
extern const void *_Unwind_Find_FDE(void *pc, void *bases);

typedef _Unwind_Reason_Code (*backtrace_fn)(_Unwind_Trace_Fn, void *);
typedef _Unwind_Ptr (*context_fn)(struct _Unwind_Context *);
typedef const void *(*find_fde_fn)(void *, void *);

static backtrace_fn backtrace;
static context_fn get_ip, region_start;
static find_fde_fn find_fde;
static _Atomic bool ready;

bool _ox_libgcc_find(bool may_load) {
  if (atomic_load_explicit(&ready, memory_order_acquire)) return true;
  backtrace_fn bt = _Unwind_Backtrace;
  context_fn ip = _Unwind_GetIP, rs = _Unwind_GetRegionStart;
  find_fde_fn fde = _Unwind_Find_FDE;
  if (!(bt && ip && rs && fde) && may_load) {
    /* RTLD_NOLOAD first: no search of the file system when it is there. */
    void *lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (!lib) lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib) {
      bt = (backtrace_fn)dlsym(lib, "_Unwind_Backtrace");
      ip = (context_fn)dlsym(lib, "_Unwind_GetIP");
      rs = (context_fn)dlsym(lib, "_Unwind_GetRegionStart");
      fde = (find_fde_fn)dlsym(lib, "_Unwind_Find_FDE");
    }
  }
  if (!(bt && ip && rs && fde)) return false;
  backtrace = bt, get_ip = ip, region_start = rs, find_fde = fde;
  atomic_store_explicit(&ready, true, memory_order_release);
  return true;
}

const void *_ox_libgcc_find_fde(void *pc, void *bases) {
  if (!atomic_load_explicit(&ready, memory_order_acquire)) return NULL;
  return find_fde(pc, bases);
}

static _Unwind_Reason_Code trace_frame(struct _Unwind_Context *ctx, void *arg) {
  ox_prof_trace_t *t = arg;
  uintptr_t ip = get_ip(ctx);
  if (ip == 0 || t->n >= OX_PROF_CAPTURE_DEPTH) return _URC_END_OF_STACK;
  t->ip[t->n] = ip;
  t->fn[t->n] = region_start(ctx);
  t->n++;
  return _URC_NO_REASON;
}

/* Frame 0 is this function's own, unless it was a tail call. */
bool _ox_libgcc_backtrace(ox_prof_trace_t *t) {
  if (!atomic_load_explicit(&ready, memory_order_acquire)) return false;
  t->n = 0;
  backtrace(trace_frame, t);
  return true;
}

/* ---- loading at process start ---------------------------------------------
 * Profiling asked for by the environment starts inside the first
 * allocation, where nothing may be loaded; where the walk is libgcc's,
 * this constructor loads the unwinder before the program runs
 * (allocations made before it, by other libraries' constructors, are
 * sampled without a stack).  On x86-64 Linux nothing is loaded, and
 * nothing is done here: profiling starts with the first allocation. */
#if !OX_PROF_OWN_WALK
extern char **environ;

__attribute__((constructor)) static void libgcc_load_for_profiling(void) {
  bool asked = false;
  for (char **e = environ; e && *e && !asked; e++) asked = strncmp(*e, "OXALLOC_PROF", 12) == 0;
  if (!asked) return;
  _ox_process_init();
  if (_ox_prof_ever) _ox_libgcc_find(true);
}
#endif
