#!/usr/bin/env bash
# Runs each test suite (a make target) in turn, echoes its output, reads its
# closing "N passed, N failed" line, and prints the overall total last.
# Exit status is non-zero if any suite failed or printed no closing line.
set -u
total_pass=0 total_fail=0 bad_suites=()
for suite in "$@"; do
  echo "=== suite: $suite"
  log=$(mktemp)
  make --no-print-directory "$suite" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^([A-Za-z0-9_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "suite $suite: no closing line (exit $rc)"
    total_fail=$((total_fail + 1)); bad_suites+=("$suite"); continue
  fi
  p=$(echo "$line" | sed -E 's/^([A-Za-z0-9_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
  f=$(echo "$line" | sed -E 's/^([A-Za-z0-9_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then bad_suites+=("$suite"); fi
done
echo "=== suites with failures: ${bad_suites[*]:-none}"
echo "$total_pass passed, $total_fail failed"
[ "${#bad_suites[@]}" -eq 0 ]
