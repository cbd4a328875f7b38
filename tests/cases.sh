# tests/cases.sh - sourced by a suite's run.sh: the counts, the suite's
# closing line, and two ways to run a case - `run` for a case that is a
# program with its own watchdog (tests/addrmap, lifecycle, memory), showing
# its output, and `check` for a command whose output matters only when it
# fails (tests/crate, link, docs).
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

# check NAME CMD...: one case, passed when CMD exits 0; its output is shown
# (the last 40 lines) only when it fails.
check() {
  local name=$1 log
  shift
  if log=$("$@" 2>&1); then
    ok "$name"
  else
    ko "$name" "exit status $?"
    printf '%s\n' "$log" | tail -n 40 | sed 's/^/    /'
  fi
}

# finish SUITE: the closing line; the exit status says whether all passed.
finish() {
  [ "${#failed[@]}" -eq 0 ] || echo "$1 failures: ${failed[*]}"
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
