#!/usr/bin/env bash
# run_fuzz.sh - runs the fuzz_ops harness (tests/fuzz) for a fixed time on a
# fresh copy of the seed corpus (plus any saved crash inputs, which act as
# regression tests), then prints the executions and the closing line
# "fuzz: 1 passed, 0 failed" or "fuzz: 0 passed, 1 failed".
#   run_fuzz.sh BINARY SECONDS WORKDIR
# A crashing input is written to WORKDIR/crashes/ (libFuzzer's artifact);
# copy it to tests/fuzz/crashes/ to keep it as a regression input.
set -u
bin=$1 secs=$2 work=$3
here=$(dirname "$0")
rm -rf "$work/corpus" "$work/crashes"
mkdir -p "$work/corpus" "$work/crashes"
cp "$here"/corpus/* "$work/corpus/"
if compgen -G "$here/crashes/*" >/dev/null; then
  cp "$here"/crashes/* "$work/corpus/"
fi
log="$work/fuzz.log"
# -rss_limit_mb: the harness keeps up to ~100 MiB live, oxalloc caches more.
"$bin" -max_total_time="$secs" -max_len=4096 -timeout=60 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" >"$log" 2>&1
rc=$?
runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
[ -n "$runs" ] || runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -n 1)
cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
echo "fuzz: ${runs:-0} executions in $secs s (${cov:-no stats}; exit $rc; log $log)"
if [ "$rc" -ne 0 ]; then
  grep -E 'fuzz_ops: FAIL|runtime error|ERROR: libFuzzer|SUMMARY|^    #[0-9]+ .*(c_src/|tests/fuzz/)' "$log" | head -n 30
  for f in "$work"/crashes/*; do
    [ -e "$f" ] && echo "fuzz: crashing input saved as $f (reproduce: $bin $f)"
  done
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi
echo "fuzz: 1 passed, 0 failed"
