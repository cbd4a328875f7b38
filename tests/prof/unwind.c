/*
 * tests/prof/unwind.c - the sample stack walk of prof_unwind.c (cached
 * .eh_frame rules) against libgcc's _Unwind_Backtrace from the same
 * point: the same return addresses and function starts, frame by frame,
 * through frames of every shape (rsp-based, rbp-based with alloca and
 * frame pointers, libc's qsort, deep recursion, threads, a signal
 * handler), first with an empty rule cache and then from the cache.
 * Prints "PASS name" / "FAIL name: why" lines.  Linked with liboxalloc.a.
 */
#include <alloca.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#include "oxalloc.h"
#include "prof_trace.h"

#if defined(__x86_64__)

static int failures;

/* Both walks from here; frame 0 differs (the asm point vs the return
 * from _Unwind_Backtrace), every other must match.  Returns 1 when the
 * fast walk answered, 0 when it left the walk to libgcc, -1 on mismatch. */
static __attribute__((noinline)) int compare(const char *name) {
  ox_prof_trace_t fast, slow;
  uintptr_t ip, sp, fp;
  OX_PROF_HERE(ip, sp, fp);
  bool answered = _ox_prof_unwind(&fast, ip, sp, fp);
  _ox_libgcc_backtrace(&slow);
  if (slow.n > 0 && slow.fn[0] == (uintptr_t)_ox_libgcc_backtrace) { /* its own frame */
    slow.n--;
    memmove(slow.ip, slow.ip + 1, sizeof(uintptr_t) * (size_t)slow.n);
    memmove(slow.fn, slow.fn + 1, sizeof(uintptr_t) * (size_t)slow.n);
  }
  if (!answered) return 0;
  if (fast.n != slow.n) {
    printf("FAIL %s: %d frames, libgcc %d\n", name, fast.n, slow.n);
    return -1;
  }
  for (int i = 1; i < fast.n; i++)
    if (fast.ip[i] != slow.ip[i] || fast.fn[i] != slow.fn[i]) {
      printf("FAIL %s: frame %d ip %#lx fn %#lx, libgcc ip %#lx fn %#lx\n", name, i,
             (unsigned long)fast.ip[i], (unsigned long)fast.fn[i], (unsigned long)slow.ip[i],
             (unsigned long)slow.fn[i]);
      return -1;
    }
  if (fast.n < 4) {
    printf("FAIL %s: only %d frames\n", name, fast.n);
    return -1;
  }
  return 1;
}

static int last;
static volatile int sink;

static __attribute__((noinline)) void leaf(const char *name) {
  last = compare(name);
  sink++;
}

/* CFA in rbp: a variable-sized frame. */
static __attribute__((noinline)) void with_alloca(const char *name, int n) {
  char *p = alloca((size_t)n);
  memset(p, 1, (size_t)n);
  leaf(name);
  sink += p[n - 1];
}

/* CFA in rbp: frame pointers kept. */
static __attribute__((noinline, optimize("no-omit-frame-pointer"))) void with_fp(const char *name,
                                                                                 int d) {
  volatile char buf[48];
  buf[d % 48] = 1;
  if (d > 0)
    with_fp(name, d - 1);
  else
    with_alloca(name, 100 + (int)sizeof buf);
  sink += buf[0];
}

static __attribute__((noinline)) void recurse(const char *name, int d) {
  volatile char buf[24];
  buf[d % 24] = 2;
  if (d > 0)
    recurse(name, d - 1);
  else
    leaf(name);
  sink += buf[0];
}

static const char *cmp_name;
static int cmp_done;
static int by_value(const void *a, const void *b) {
  if (!cmp_done) cmp_done = 1, leaf(cmp_name);
  return *(const int *)a - *(const int *)b;
}

static void check(const char *name, int result, bool must_answer) {
  if (result < 0)
    failures++;
  else if (result == 0 && must_answer)
    printf("FAIL %s: left to libgcc\n", name), failures++;
  else
    printf("PASS %s (%s)\n", name, result ? "same frames as libgcc" : "left to libgcc");
}

static void scenarios(const char *prefix) {
  char name[64];
  snprintf(name, sizeof name, "%s_plain", prefix);
  leaf(name);
  check(name, last, true);
  snprintf(name, sizeof name, "%s_recursion", prefix);
  recurse(name, 40);
  check(name, last, true);
  snprintf(name, sizeof name, "%s_alloca", prefix);
  with_alloca(name, 1000);
  check(name, last, true);
  snprintf(name, sizeof name, "%s_frame_pointers", prefix);
  with_fp(name, 5);
  check(name, last, true);
  snprintf(name, sizeof name, "%s_qsort", prefix);
  int v[64];
  for (int i = 0; i < 64; i++) v[i] = (i * 37) % 64;
  cmp_name = name, cmp_done = 0;
  qsort(v, 64, sizeof v[0], by_value);
  check(name, last, true);
}

/* ---- the thread's remembered walk (prof_unwind.c's memo) ---------------
 * Call paths that share their inner frames (the same return addresses, the
 * same stack depth) and part further out must each get their own stack,
 * however they alternate: the memo of the last walk may answer only for
 * a walk that retraces it entirely. */
static int memo_wrong, memo_walks;

/* The memo's stack against a walk without memo, interned the usual way. */
static __attribute__((noinline)) void memo_capture(void) {
  ox_prof_trace_t with, without;
  uintptr_t ip, sp, fp;
  uint32_t stack = 0;
  OX_PROF_HERE(ip, sp, fp);
  bool answered = _ox_prof_unwind_stack(&with, ip, sp, fp, &stack);
  bool plain = _ox_prof_unwind(&without, ip, sp, fp);
  memo_walks++;
  if (!answered || !plain) {
    memo_wrong++;
    return;
  }
  uint32_t want = _ox_prof_stack_of(&without);
  size_t n;
  ox_prof_stack_t *st = _ox_prof_stacks(&n);
  if (stack != want &&
      (stack >= n || want >= n || st[stack].depth != st[want].depth ||
       memcmp(st[stack].frames, st[want].frames, st[want].depth * sizeof(uintptr_t))))
    memo_wrong++;
  sink++;
}

static __attribute__((noinline)) void memo_chain(int d) {
  volatile char buf[16];
  buf[d % 16] = 3;
  if (d > 0)
    memo_chain(d - 1);
  else
    memo_capture();
  sink += buf[0];
}

/* Two outer functions of the same shape: only their return addresses differ. */
static __attribute__((noinline)) void memo_outer_a(int d) {
  memo_chain(d);
  sink++;
}
static __attribute__((noinline)) void memo_outer_b(int d) {
  memo_chain(d);
  sink++;
}

static void memo_scenarios(void) {
  for (int round = 0; round < 50; round++) {
    memo_outer_a(12);
    memo_outer_a(12); /* the same path again: the memo answers */
    memo_outer_b(12); /* parts at the 15th frame */
    memo_outer_a(13); /* one frame deeper */
    memo_outer_a(12);
    memo_outer_b(3);
  }
  if (memo_wrong == 0 && memo_walks == 300)
    printf("PASS memo_never_stale (%d walks through shared frames, each its own stack)\n",
           memo_walks);
  else
    printf("FAIL memo_never_stale: %d of %d walks got another path's stack\n", memo_wrong,
           memo_walks),
        failures++;
}

/* prof_fde.c's look-up in .eh_frame_hdr against libgcc's _Unwind_Find_FDE,
 * at every 5th byte of the first 4 KiB of functions of this program, of
 * liboxalloc.a and of libc: where libgcc finds an FDE, the same FDE and
 * function start. */
int main(void);

static void fde_lookup_matches_libgcc(void) {
  static const struct {
    const char *name;
    uintptr_t start;
  } code[] = {
      {"main", (uintptr_t)main},           {"compare", (uintptr_t)compare},
      {"ox_malloc", (uintptr_t)ox_malloc}, {"_ox_prof_fde_find", (uintptr_t)_ox_prof_fde_find},
      {"qsort", (uintptr_t)qsort},         {"pthread_create", (uintptr_t)pthread_create},
      {"fopen", (uintptr_t)fopen}};
  int checked = 0, wrong = 0;
  for (size_t f = 0; f < sizeof code / sizeof code[0]; f++)
    for (uintptr_t pc = code[f].start; pc < code[f].start + 4096; pc += 5) {
      struct {
        void *tbase, *dbase, *func;
      } bases;
      const void *theirs = _ox_libgcc_find_fde((void *)pc, &bases);
      if (!theirs) continue;
      uintptr_t fn = 0;
      const uint8_t *ours = _ox_prof_fde_find(pc, &fn);
      checked++;
      if (ours != theirs || fn != (uintptr_t)bases.func) {
        if (wrong++ < 3)
          printf("  %s+%#lx: FDE %p fn %#lx, libgcc %p fn %#lx\n", code[f].name,
                 (unsigned long)(pc - code[f].start), (const void *)ours, (unsigned long)fn, theirs,
                 (unsigned long)(uintptr_t)bases.func);
      }
    }
  if (wrong == 0 && checked > 1000)
    printf("PASS fde_lookup_matches_libgcc (%d addresses)\n", checked);
  else
    printf("FAIL fde_lookup_matches_libgcc: %d of %d addresses differ\n", wrong, checked),
        failures++;
}

static void *thread_main(void *arg) {
  (void)arg;
  recurse("thread_recursion", 10);
  check("thread_recursion", last, true);
  return NULL;
}

static void on_signal(int sig) {
  (void)sig;
  leaf("signal_handler");
}

int main(void) {
  alarm(60);
  if (!_ox_libgcc_find(true)) { /* this program does not link libgcc_s */
    printf("FAIL libgcc_find: no unwinder\n0 passed, 1 failed\n");
    return 1;
  }
  if (!_ox_prof_unwind_ready()) {
    printf("FAIL unwind_ready: no cache\n0 passed, 1 failed\n");
    return 1;
  }
  if (!_ox_prof_stacks_ready()) {
    printf("FAIL stacks_ready: no stack table\n0 passed, 1 failed\n");
    return 1;
  }
  fde_lookup_matches_libgcc();
  memo_scenarios();
  scenarios("cold");   /* rules decoded */
  scenarios("cached"); /* rules from the cache */
  pthread_t th;
  pthread_create(&th, NULL, thread_main, NULL);
  pthread_join(th, NULL);
  signal(SIGUSR1, on_signal);
  raise(SIGUSR1);
  check("signal_handler", last, false); /* a signal frame: libgcc's, or the same frames */
  return failures != 0;
}

#else /* the walk is libgcc's alone elsewhere */
int main(void) {
  puts("PASS unwind (not x86-64: libgcc's walk only)");
  return 0;
}
#endif
