#!/usr/bin/env bash
# bench/prof_cost.sh OXBENCH LIBOXALLOC_SO [WORKLOAD...] - the heap
# profiler's cost in instructions: each C workload of make bench under
# callgrind at scale 0.05, with OXALLOC_PROF=0 and =1 (default rate), the
# library preloaded.  Threaded workloads vary with the interleaving: their
# figure is the median of 3 runs.  Run by `make bench-prof-cost`; prints a
# markdown table (docs/profiling.md, "Cost").
set -eu
oxbench=$1 lib=$2
shift 2
[ $# -gt 0 ] || set -- fifo-lifo-64 fifo-lifo-1024 threads-2 larson-like producer-consumer churn large-blocks
ir() { # workload prof -> total instructions of the process
  OXALLOC_PROF=$2 valgrind --tool=callgrind --callgrind-out-file=/dev/null --trace-children=yes \
    env LD_PRELOAD="$lib" "$oxbench" -s 0.05 "$1" 2>&1 >/dev/null |
    awk '/Collected/ {s += $4} END {print s}'
}
echo "| workload | off | on | on / off |"
echo "|---|---|---|---|"
for w in "$@"; do
  reps=1
  case $w in threads-* | larson-like | producer-consumer | xmalloc-* | rptest-*) reps=3 ;; esac
  off=() on=()
  for _ in $(seq $reps); do
    off+=("$(ir "$w" 0)")
    on+=("$(ir "$w" 1)")
  done
  python3 - "$w" "${off[*]}" "${on[*]}" <<'PY'
import statistics, sys
w, off, on = sys.argv[1], [int(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
a, b = statistics.median(off), statistics.median(on)
print(f"| {w} | {a / 1e6:.2f} M | {b / 1e6:.2f} M | {100 * (b / a - 1):+.1f} % |")
PY
done
