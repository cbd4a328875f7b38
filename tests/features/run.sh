#!/usr/bin/env bash
# tests/features/run.sh BIN LIBSO - the in-process checks of BIN, then the
# environment's effect on options and OXALLOC_SHOW_STATS, in child processes.
set -u
bin=$1 so=$2
pass=0 fail=0
check() { # name, command that must succeed
  if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi
}
json=$(mktemp)
out=$(FEATURES_JSON=$json "$bin"); rc=$?
echo "$out" | grep -v '^features:' | tail -n 20
line=$(echo "$out" | tail -n 1)
p=$(echo "$line" | sed -nE 's/^features: ([0-9]+) passed, ([0-9]+) failed$/\1/p')
f=$(echo "$line" | sed -nE 's/^features: ([0-9]+) passed, ([0-9]+) failed$/\2/p')
pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
[ "$rc" -eq 0 ] || fail=$((fail + 1))
check "stats JSON parses" "python3 -c 'import json,sys; d=json.load(open(\"$json\")); assert d[\"allocated_blocks\"] > 0 and d[\"classes\"]'"
rm -f "$json"
check "OXALLOC_PURGE_DELAY=42 is read" '[ "$(OXALLOC_PURGE_DELAY=42 "$bin" env purge_delay)" = 42 ]'
check "malformed value keeps the default, one warning" \
  '[ "$(OXALLOC_PURGE_DELAY=abc "$bin" env purge_delay 2>/dev/null)" = 500 ] &&
   [ "$(OXALLOC_PURGE_DELAY=abc "$bin" env purge_delay 2>&1 >/dev/null | grep -c "ignoring OXALLOC_PURGE_DELAY=abc")" = 1 ]'
check "out-of-range value keeps the default" '[ "$(OXALLOC_VERBOSE=7 "$bin" env verbose 2>/dev/null)" = 0 ]'
check "unknown variable: one warning line" \
  '[ "$(OXALLOC_BOGUS=1 "$bin" env verbose 2>&1 >/dev/null)" = "oxalloc: unknown option variable ignored: OXALLOC_BOGUS" ]'
check "OXALLOC_SHOW_STATS=1 reports at exit" \
  'OXALLOC_SHOW_STATS=1 "$bin" env verbose 2>&1 >/dev/null | grep -q "^oxalloc .* statistics$"'
check "no report without OXALLOC_SHOW_STATS" '[ -z "$("$bin" env verbose 2>&1 >/dev/null)" ]'
# (python3, not coreutils: those close stderr in an atexit handler, before
# any library destructor can report.)
check "OXALLOC_SHOW_STATS=1 under LD_PRELOAD of a real program" \
  '[ "$(OXALLOC_SHOW_STATS=1 LD_PRELOAD=$so /usr/bin/python3 -c "print(\"hi\")" 2>&1 | grep -c "statistics$")" = 1 ] &&
   [ "$(OXALLOC_SHOW_STATS=1 LD_PRELOAD=$so /usr/bin/python3 -c "print(\"hi\")" 2>/dev/null)" = hi ]'
echo "features: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
