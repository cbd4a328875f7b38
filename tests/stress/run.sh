#!/usr/bin/env bash
# tests/stress/run.sh BINDIR - runs the stress suite's cases, one process
# each (with an outer timeout on top of each program's own watchdog), and
# prints "stress: N passed, N failed".  Exit status non-zero on failure.
set -u
dir=$1
pass=0 fail=0 failed=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# run NAME SECONDS CMD...: one case.
run() {
  local name=$1 secs=$2
  shift 2
  echo "--- $name: $*"
  timeout -k 5 "$secs" "$@" | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then
    pass=$((pass + 1))
  else
    echo "FAIL $name (exit $rc): repro: $*"
    fail=$((fail + 1)); failed+=("$name")
  fi
}

# (a) random-operation stress: THREADS SCALE ITERATIONS SEED WATCHDOG.
# About the same number of operations at every thread count.
for t in 1 2 4 8 16 32; do
  run "stress-$t" 90 "$dir/stress" "$t" 4 $((160000 / t)) "$t" 80
done
# The same with memory returned at once and no caches: purge and unmap
# paths run concurrently with reuse.
run stress-4-purge-now 90 env OXALLOC_PURGE_DELAY=0 \
  "$dir/stress" 4 4 40000 41 80
run stress-8-no-caches 90 env OXALLOC_PURGE_DELAY=0 OXALLOC_SEGMENT_CACHE=0 \
  OXALLOC_HUGE_CACHE_MB=0 "$dir/stress" 8 4 20000 81 80
# The background purger (OXALLOC_BACKGROUND=1) purging every heap's free
# pages every 10 ms while their owners allocate and free.
run stress-4-background 90 env OXALLOC_BACKGROUND=1 OXALLOC_PURGE_DELAY=20 \
  "$dir/stress" 4 4 40000 43 80
# The checked build under the same load (no false reports on correct use).
run stress-8-checked 90 "$dir/stress-checked" 8 4 10000 88 80
# (b) thread churn: PHASES WAVES WATCHDOG (5 x 100 waves x 8 threads).
run churn 120 "$dir/churn" 5 100 100
# (b2) blocks freed into another heap and reused by the freeing thread,
# then freed by their owner or a third thread: ROUNDS WAVES WATCHDOG.
run reuse 120 "$dir/reuse" 20 20 100
run reuse-checked 120 "$dir/reuse-checked" 10 10 100
# (c) fork loop: FORKS WORKERS WATCHDOG.
run forkloop 120 "$dir/forkloop" 200 4 100
# (d) out of memory under RLIMIT_AS: every API in every range.
oom_cases=0
for api in rust_alloc rust_alloc_zeroed rust_realloc ox_malloc ox_calloc \
           ox_aligned_alloc; do
  for range in small medium large huge; do
    run "oom-$api-$range" 60 "$dir/oom" "$api" "$range" 50
    oom_cases=$((oom_cases + 1))
  done
done
# The first allocation of a process under a tight limit, then lifted.
for api in rust_alloc ox_malloc; do
  run "oom-$api-init" 60 "$dir/oom" "$api" init 50
  oom_cases=$((oom_cases + 1))
done
echo "oom: $oom_cases cases tried"
# (e) fault injection (faulty build): MAX_N WATCHDOG.
run faulty 170 "$dir/faulty" 400 160

# The figures the issue asks for, summed over the runs above.
ops=$(sed -nE 's/^stress: threads [0-9]+, operations ([0-9]+).*/\1/p' "$log" |
      awk '{s += $1} END {print s + 0}')
forks=$(sed -nE 's/^forkloop: ([0-9]+) forks survived.*/\1/p' "$log")
echo "stress totals: $ops random operations over 1..32 threads," \
     "${forks:-0} forks survived, $oom_cases OOM cases tried"
[ "${#failed[@]}" -eq 0 ] || echo "stress failures: ${failed[*]}"
echo "stress: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
