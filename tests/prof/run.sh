#!/usr/bin/env bash
# tests/prof/run.sh BUILD OUT - the heap profiler's suite: the
# profiles oxalloc writes are read back with the real `go tool pprof`
# (Debian's golang-go), which also symbolises them from their mappings.
# About 30 s on the 2-core machine.  Ends with "N passed, N failed".
set -u
BUILD=$1
OUT=$2
SO=$(cd "$BUILD" && pwd)/liboxalloc.so
pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# go needs a writable home and cache; nothing is fetched.
export HOME=$OUT/home GOCACHE=$OUT/gocache GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
export PPROF_TMPDIR=$OUT/pprof
mkdir -p "$HOME" "$GOCACHE" "$PPROF_TMPDIR"
if ! command -v go >/dev/null; then
  echo "go is not installed (Debian package golang-go)"
  echo "0 passed, 1 failed"
  exit 1
fi

# Run with a watchdog: a hang fails the test, not CI.  The variables go
# through env, so that timeout itself is not profiled (it would write its
# own profile over the program's).
run() { timeout 60 env "$@"; }
# Runs the test program $OUT/NAME, which prints its own PASS/FAIL lines,
# and counts them (an exit without them counts as one failure).
run_counted() {
  run "$OUT/$1" >"$OUT/$1.txt" 2>&1 || echo "FAIL $1: exit $?" >>"$OUT/$1.txt"
  grep -E '^(PASS|FAIL)' "$OUT/$1.txt"
  pass=$((pass + $(grep -c '^PASS' "$OUT/$1.txt")))
  fail=$((fail + $(grep -c '^FAIL' "$OUT/$1.txt")))
}

# pprof -top: "<flat> <flat%> <sum%> <cum> <cum%> <name>"; the flat% of a function.
flat_pct() { awk -v f="$2" '$6 == f { sub("%", "", $2); print $2 }' "$1"; }
total_line() { grep -m1 'Showing nodes' "$1"; }
# |a - b| <= tol, on decimal numbers
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
top() { # binary profile index out
  run go tool pprof -top -sample_index="$3" "$1" "$2" >"$4" 2>"$4.err"
}

check_split() { # name index mode
  local name=$1 idx=$2 mode=$3 p=$OUT/$1.pb.gz
  rm -f "$p"
  if ! run OXALLOC_PROF_SAMPLE=65536 OXALLOC_PROF_DUMP="$p" LD_PRELOAD="$SO" "$OUT/split" $mode; then
    ko "$name" "split exited with $?"
    return
  fi
  [ -s "$p" ] || { ko "$name" "no profile written"; return; }
  top "$OUT/split" "$p" "$idx" "$OUT/$name.top" || { ko "$name" "pprof: $(tail -1 "$OUT/$name.top.err")"; return; }
  local a b
  a=$(flat_pct "$OUT/$name.top" alloc_three_quarters)
  b=$(flat_pct "$OUT/$name.top" alloc_one_quarter)
  if [ -n "$a" ] && [ -n "$b" ] && near "$a" 75 5 && near "$b" 25 5; then
    ok "$name ($idx: alloc_three_quarters $a%, alloc_one_quarter $b%)"
  else
    ko "$name" "$idx: alloc_three_quarters '${a}'%, alloc_one_quarter '${b}'% (want 75/25 +-5): $(cat "$OUT/$name.top")"
  fi
}

# 1-2. Live bytes split 75/25 by function; the same for all-time bytes of
# a program that frees everything (whose live profile is then empty).
check_split split_inuse inuse_space keep
check_split split_alloc alloc_space free
# The functions' blocks must have left the live profile; the C library's
# own blocks that are still live at exit may be sampled (a few % of runs,
# "stack unknown", e.g. 64007 bytes in 52 blocks), so the total need not
# be 0.
if top "$OUT/split" "$OUT/split_alloc.pb.gz" inuse_space "$OUT/split_free_inuse.top" &&
  grep -q 'Showing nodes accounting for' "$OUT/split_free_inuse.top" &&
  ! grep -qE ' alloc_(three_quarters|one_quarter)$' "$OUT/split_free_inuse.top"; then
  ok "split_freed_inuse_empty ($(total_line "$OUT/split_free_inuse.top"))"
else
  ko "split_freed_inuse_empty" "$(cat "$OUT/split_free_inuse.top")"
fi

# 3. The estimate of the live bytes is near the truth (120 MB + 40 MB).
if top "$OUT/split" "$OUT/split_inuse.pb.gz" inuse_space "$OUT/t.top" &&
  t=$(total_line "$OUT/t.top" | sed -E 's/.* of ([0-9.]+)MB total/\1/') && near "$t" 152.6 15; then
  ok "split_inuse_total ($t MB of 152.6)"
else
  ko "split_inuse_total" "$(total_line "$OUT/t.top")"
fi

# 4-10. The C API scenarios of live.c (linked with liboxalloc.a).
scenario() { # name want_total_regex(empty = some bytes at function) function
  local name=$1 fn=$2 p=$OUT/live_$1.pb.gz
  rm -f "$p"
  if ! run "$OUT/live" "$name" "$p" 2>"$OUT/live_$name.err"; then
    ko "live_$name" "exit $?: $(cat "$OUT/live_$name.err")"
    return 1
  fi
  top "$OUT/live" "$p" inuse_space "$OUT/live_$name.top" || { ko "live_$name" "pprof failed"; return 1; }
  if [ "${fn#!}" != "$fn" ]; then # "!f": no live bytes at f
    if [ -z "$(flat_pct "$OUT/live_$name.top" "${fn#!}")" ]; then ok "live_$name (nothing live at ${fn#!})"; else
      ko "live_$name" "live bytes at ${fn#!}: $(cat "$OUT/live_$name.top")"; return 1; fi
  elif [ "$fn" = "-" ]; then
    if grep -q 'of 0 total' "$OUT/live_$name.top"; then ok "live_$name (nothing live)"; else
      ko "live_$name" "live bytes left: $(total_line "$OUT/live_$name.top")"; return 1; fi
  else
    local pct
    pct=$(flat_pct "$OUT/live_$name.top" "$fn")
    if [ "$pct" = "100" ]; then ok "live_$name (all live bytes at $fn)"; else
      ko "live_$name" "$fn has '${pct}'%: $(cat "$OUT/live_$name.top")"; return 1; fi
  fi
}
scenario local -
scenario remote -
scenario remote_reuse !make_small
scenario heap -
# About 130 samples of 440 KB each: the total's standard deviation is
# about 5.5 MB (measured: 30 runs, sd 5.3 to 6.0 MB), so +-12 failed one
# run in 20; +-20 (3.5 sd) still fails a sample counted twice or left at
# its first size.
scenario realloc make_small &&
  if t=$(total_line "$OUT/live_realloc.top" | sed -E 's/.* of ([0-9.]+)MB total/\1/') && near "$t" 57.2 20; then
    ok "live_realloc_total ($t MB of 57.2: one sample per block, new size)"
  else ko "live_realloc_total" "$(total_line "$OUT/live_realloc.top")"; fi
scenario huge make_huge &&
  if grep -q 'of 64MB total' "$OUT/live_huge.top" || grep -qE 'of 6[0-9](\.[0-9]+)?MB total' "$OUT/live_huge.top"; then
    ok "live_huge_total ($(total_line "$OUT/live_huge.top"))"
  else ko "live_huge_total" "$(total_line "$OUT/live_huge.top")"; fi
scenario stopped make_small
scenario aligned make_aligned &&
  if run go tool pprof -tags "$OUT/live" "$OUT/live_aligned.pb.gz" >"$OUT/tags" 2>&1 &&
    grep -A1 '^ *align:' "$OUT/tags" | grep -q '(  100%): 4096$' &&
    grep -A1 '^ *bytes:' "$OUT/tags" | grep -q '(  100%): 2.93kB$' && grep -q '^ *thread:' "$OUT/tags"; then
    ok "live_aligned_labels (align 4096, bytes 3000, thread)"
  else
    ko "live_aligned_labels" "$(cat "$OUT/tags")"
  fi

# A forked child's samples carry its own thread id (the profiler keeps
# each thread's id: the child's must not be its parent thread's).
rm -f "$OUT/fork.pb.gz"
if child=$(run "$OUT/live" fork "$OUT/fork.pb.gz" 2>"$OUT/fork.err") && [ -s "$OUT/fork.pb.gz" ] &&
  run go tool pprof -tags -focus=make_in_child "$OUT/live" "$OUT/fork.pb.gz" >"$OUT/fork.tags" 2>&1 &&
  grep -A1 '^ *thread:' "$OUT/fork.tags" | grep -q "(  100%): $child\$"; then
  ok "live_fork_thread_id (the child's samples: thread $child)"
else
  ko "live_fork_thread_id" "child '$child': $(cat "$OUT/fork.err" "$OUT/fork.tags" 2>/dev/null)"
fi

# 11. The signal asks for a dump; it is written outside the handler.
rm -f "$OUT/sig.pb.gz.1"
if run OXALLOC_PROF_SIGNAL=USR2 OXALLOC_PROF_DUMP="$OUT/sig.pb.gz" "$OUT/live" signal "$OUT/unused" &&
  [ -s "$OUT/sig.pb.gz.1" ] && top "$OUT/live" "$OUT/sig.pb.gz.1" inuse_space "$OUT/sig.top" &&
  [ "$(flat_pct "$OUT/sig.top" make_small)" = "100" ]; then
  ok "signal_dump (sig.pb.gz.1 written after SIGUSR2)"
else
  ko "signal_dump" "$(ls "$OUT" | grep sig; cat "$OUT/sig.top" 2>/dev/null)"
fi

# 12. Leak report: live sampled blocks by stack, largest first, named.
if run OXALLOC_PROF_LEAKS=1 OXALLOC_PROF_SAMPLE=65536 LD_PRELOAD="$SO" "$OUT/split" keep 2>"$OUT/leaks.txt" &&
  grep -q '^oxalloc: leak report: .* bytes in .* blocks still live at exit' "$OUT/leaks.txt" &&
  first=$(grep -m1 -E '^  [0-9]+ bytes' "$OUT/leaks.txt" | awk '{print $1}') &&
  second=$(grep -E '^  [0-9]+ bytes' "$OUT/leaks.txt" | sed -n 2p | awk '{print $1}') &&
  awk -v a="$first" -v b="$second" 'BEGIN { r = a / b; exit !(r > 2.2 && r < 4) }' &&
  grep -q 'alloc_three_quarters+0x' "$OUT/leaks.txt" && grep -q '(.*split)' "$OUT/leaks.txt"; then
  ok "leak_report (largest first: $first then $second bytes, frames named)"
else
  ko "leak_report" "$(head -20 "$OUT/leaks.txt")"
fi

# 12b. A stack through a signal frame, which the walk of x86-64 does not
# decode, in a program without libgcc (C under LD_PRELOAD): the frames up
# to the signal frame, not an unknown stack.
if run OXALLOC_PROF_LEAKS=1 OXALLOC_PROF_SAMPLE=65536 LD_PRELOAD="$SO" "$OUT/split" signal \
  2>"$OUT/leaks_signal.txt" && grep -q 'alloc_in_signal_handler+0x' "$OUT/leaks_signal.txt"; then
  ok "leak_report_signal_frame (the handler's frames named)"
else
  ko "leak_report_signal_frame" "$(head -20 "$OUT/leaks_signal.txt")"
fi

# 13. Off: without OXALLOC_PROF* nothing is sampled (an empty profile).
if run LD_PRELOAD="$SO" "$OUT/split" free && run "$OUT/dump_off" "$OUT/off.pb.gz" &&
  top "$OUT/dump_off" "$OUT/off.pb.gz" alloc_space "$OUT/off.top" && grep -q 'of 0 total' "$OUT/off.top"; then
  ok "off_no_samples"
else
  ko "off_no_samples" "$(cat "$OUT/off.top" "$OUT/off.top.err" 2>/dev/null)"
fi

# 14. Per-thread and cumulative byte counters (counters.c); then frees
# into exited threads' heaps with segments unmapped at once.
run "$OUT/counters" >"$OUT/counters.txt" 2>&1
run OXALLOC_SEGMENT_CACHE=0 OXALLOC_PURGE_DELAY=0 "$OUT/counters" abandoned >>"$OUT/counters.txt" 2>&1 ||
  echo "FAIL counters abandoned: exit $?" >>"$OUT/counters.txt"
grep -E '^(PASS|FAIL)' "$OUT/counters.txt"
pass=$((pass + $(grep -c '^PASS' "$OUT/counters.txt")))
fail=$((fail + $(grep -c '^FAIL' "$OUT/counters.txt")))
[ "$(grep -c '^counters: [0-9]* passed, 0 failed' "$OUT/counters.txt")" = 2 ] ||
  ko counters "$(tail -3 "$OUT/counters.txt")"

# 15. The cached-rule stack walk (prof_unwind.c) gives libgcc's frames
# (unwind.c, linked with liboxalloc.a).
run_counted unwind

# 16. Only the frees of sampled blocks leave the fast path (pages.c,
# linked with liboxalloc.a).
run_counted pages

# 17. The live-sample table's resident memory follows the live samples
# (table.c, linked with liboxalloc.a).
run_counted table

# 18. A thread's exit leaves its current pages of sampled blocks to the
# thread that takes its heap over: no madvise for each (exit_pages.c).
run_counted exit_pages

echo "prof: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
