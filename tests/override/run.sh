#!/usr/bin/env bash
# tests/override/run.sh BUILD BIN_DIR - runs every override test program
# in both routes (static link, LD_PRELOAD), again under the checked
# build's LD_PRELOAD, and the checked-build foreign-pointer test; sums their "name: N passed, N failed" lines into
# the suite's closing line "override: N passed, N failed".
set -u
build=$1 bins=$2
preload=$build/liboxalloc.so
checked=$build/checked/liboxalloc.so
export OVERRIDE_EARLY_LIB=$bins/early_lib.so
pass=0 fail=0

# run LABEL COMMAND...: echo the output, add its closing line to the sums.
run() {
  local label=$1; shift
  local out line p f
  out=$(timeout 120 "$@" 2>&1); local rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  printf '%s\n' "$out" | grep -v -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$'
  if [ -z "$line" ]; then
    echo "[$label] no closing line (exit $rc)"; fail=$((fail + 1)); return 1
  fi
  p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
  echo "[$label] $p passed, $f failed (exit $rc)"
  if [ "$f" -eq 0 ] && [ "$rc" -ne 0 ]; then f=1; fi
  LAST_PASS=$p LAST_FAIL=$f
  return 0
}

tests="family life foreign contract"
[ -x "$bins/cxx_preload" ] && tests="$tests cxx" || echo "[cxx] skipped: no g++"
for t in $tests; do
  run "$t static" "$bins/${t}_static" && pass=$((pass + LAST_PASS)) fail=$((fail + LAST_FAIL))
  run "$t preload" env LD_PRELOAD="$preload" "$bins/${t}_preload" &&
    pass=$((pass + LAST_PASS)) fail=$((fail + LAST_FAIL))
  # the checked build keeps every rule too (foreign pointers aside: there
  # it must abort, tested below)
  [ "$t" = foreign ] || { run "$t checked" env LD_PRELOAD="$checked" "$bins/${t}_preload" &&
    pass=$((pass + LAST_PASS)) fail=$((fail + LAST_FAIL)); }
done

# The checked build must abort on a foreign pointer, naming it.
if run "foreign checked" env LD_PRELOAD="$checked" "$bins/foreign_preload" checked; then
  if [ "$LAST_FAIL" -ne 0 ] && [ "${OVERRIDE_CHECKED_PENDING:-0}" = 1 ]; then
    echo "[foreign checked] XFAIL: expected to fail until the checked build names foreign pointers"
    pass=$((pass + LAST_PASS))
  else
    pass=$((pass + LAST_PASS)) fail=$((fail + LAST_FAIL))
  fi
elif [ "${OVERRIDE_CHECKED_PENDING:-0}" = 1 ]; then
  fail=$((fail - 1))
  echo "[foreign checked] XFAIL: expected to fail until the checked build names foreign pointers"
fi

echo "override: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
