#!/usr/bin/env bash
# bench/secure_cost.sh OXBENCH RELEASE_SO SECURE_SO - the price of the secure
# build (make secure) on the C workloads of make bench: 5 interleaved runs
# of each build per workload, median of the in-process time, and the
# difference in percent.  Run by `make bench-secure`.
set -eu
oxbench=$1 release=$2 secure=$3
inner() { LD_PRELOAD=$1 "$oxbench" "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["inner_s"])'; }
echo "| workload | release (s) | secure (s) | cost |"
echo "|---|---|---|---|"
for w in fifo-lifo-64 fifo-lifo-256 threads-4 churn producer-consumer larson-like \
         false-sharing realloc-grow aligned large-blocks; do
  r=() s=()
  for _ in 1 2 3 4 5; do
    r+=("$(inner "$release" "$w")")
    s+=("$(inner "$secure" "$w")")
  done
  python3 - "$w" "${r[*]}" "${s[*]}" <<'PY'
import statistics, sys
w, r, s = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
mr, ms = statistics.median(r), statistics.median(s)
print(f"| {w} | {mr:.4f} | {ms:.4f} | {100 * (ms / mr - 1):+.1f} % |")
PY
done
