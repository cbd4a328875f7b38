# tests/cases.sh - sourced by the run.sh of a suite whose cases are
# programs (tests/addrmap, tests/lifecycle, tests/memory): one process a
# case under an outer timeout on top of its own watchdog, the counts, and
# the suite's closing line.
pass=0 fail=0 failed=()

ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); failed+=("$1"); echo "FAIL $1: $2"; }

# run NAME SECONDS CMD...: one case, passed when it exits 0.
run() {
  local name=$1 secs=$2
  shift 2
  echo "--- $name: $*"
  timeout -k 5 "$secs" "$@"
  local rc=$?
  if [ "$rc" -eq 0 ]; then ok "$name"; else ko "$name" "exit $rc, repro: $*"; fi
}

# finish SUITE: the closing line; the exit status says whether all passed.
finish() {
  [ "${#failed[@]}" -eq 0 ] || echo "$1 failures: ${failed[*]}"
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
