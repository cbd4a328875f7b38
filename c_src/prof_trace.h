/*
 * prof_trace.h - the walk of the calling thread's stack for a sample:
 * return addresses and function starts, as prof_unwind.c's cached rules
 * (or else libgcc's unwinder) find them, and the stack prof_stack.c
 * interns from them once the allocator's frames are stripped.
 *
 * Inlined into the function that records the sample, so that the walk
 * does not also have to step through a capture function's frame (and
 * record's): each frame costs libgcc about 1,500 instructions of FDE
 * search and CFA program, prof_unwind.c's cached rules a few loads.
 */
#ifndef OX_PROF_TRACE_H
#define OX_PROF_TRACE_H

#include "internal.h"

/* The calling point's instruction address and its stack and frame
 * registers, where a walk starts (x86-64). */
#define OX_PROF_HERE(ip, sp, fp)                                                                   \
  __asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"                            \
                   : "=r"(ip), "=r"(sp), "=r"(fp))

/* The interned stack (_ox_prof_stack_of's index) of the walk from this
 * very instruction, with its registers: the cached rules of prof_unwind.c
 * (the thread's last walk, when this one retraces it exactly, saves the
 * stripping and interning), or libgcc when they cannot tell; without
 * libgcc in the process, the frames up to the one they could not decode
 * (none elsewhere than x86-64 when libgcc_s could not be loaded). */
OX_INLINE uint32_t _ox_prof_capture(ox_prof_trace_t *t) {
  t->n = 0;
#if OX_PROF_OWN_WALK
  uintptr_t ip, sp, fp;
  uint32_t stack;
  OX_PROF_HERE(ip, sp, fp);
  if (_ox_prof_unwind_stack(t, ip, sp, fp, &stack)) return stack;
#endif
  _ox_libgcc_backtrace(t);
  return _ox_prof_stack_of(t);
}

#endif
