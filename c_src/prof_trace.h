/*
 * prof_trace.h - the raw walk of the calling thread's stack for a sample:
 * return addresses and function starts as libgcc's unwinder finds them,
 * before prof_stack.c strips the allocator's frames and interns the rest.
 *
 * Inlined into the function that records the sample, so that the unwinder
 * does not also have to step through a capture function's frame (and
 * record's): each frame costs it about 1,500 instructions of CFA program.
 */
#ifndef OX_PROF_TRACE_H
#define OX_PROF_TRACE_H

#include <unwind.h>

#include "internal.h"

static _Unwind_Reason_Code _ox_prof_trace_frame(struct _Unwind_Context *ctx, void *arg) {
  ox_prof_trace_t *t = arg;
  uintptr_t ip = _Unwind_GetIP(ctx);
  if (ip == 0 || t->n >= OX_PROF_CAPTURE_DEPTH) return _URC_END_OF_STACK;
  t->ip[t->n] = ip;
  t->fn[t->n] = _Unwind_GetRegionStart(ctx);
  t->n++;
  return _URC_NO_REASON;
}

OX_INLINE void _ox_prof_trace(ox_prof_trace_t *t) {
  t->n = 0;
  _Unwind_Backtrace(_ox_prof_trace_frame, t);
}

#endif
