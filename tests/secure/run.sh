#!/usr/bin/env bash
# tests/secure/run.sh CORE_TESTS OVERFLOW - the core suite against the
# secure build, then its overflow cases; one closing line for both.
set -u
pass=0 fail=0
for prog in "$@"; do
  out=$("$prog" 2>&1); rc=$?
  echo "$out" | tail -n 40
  line=$(echo "$out" | grep -E '([0-9]+) passed, ([0-9]+) failed' | tail -n 1)
  p=$(echo "$line" | sed -E 's/.*\b([0-9]+) passed, ([0-9]+) failed.*/\1/')
  f=$(echo "$line" | sed -E 's/.*\b([0-9]+) passed, ([0-9]+) failed.*/\2/')
  [ -n "$line" ] || { p=0; f=1; }
  [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
  pass=$((pass + p)); fail=$((fail + f))
done
echo "secure: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
