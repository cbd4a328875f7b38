#!/usr/bin/env bash
# run_sanitize.sh - the runs of the sanitize suite (tests/sanitize/suite.mk).
#   run_sanitize.sh SAN_DIR
# Each check prints PASS/FAIL/SKIP, its programs' summary lines indented (so
# that only the closing "sanitize: N passed, N failed" line starts a line
# with a count) and, when it fails, the end of their output.  Exits non-zero when a check failed.  Skipped checks count in
# neither column.
set -u
dir=$1
passed=0 failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# result NAME OK [WHY]: records a check; on failure shows the end of the
# last run's output.
result() {
  if [ "$2" = 1 ]; then
    echo "PASS $1"; passed=$((passed + 1))
  else
    sed 's/^/    /' "$log" | tail -n 60
    echo "FAIL $1${3:+: $3}"; failed=$((failed + 1))
  fi
}

# run CMD...: runs with output in $log, shows its summary lines, sets rc.
run() {
  "$@" >"$log" 2>&1
  rc=$?
  grep -E 'passed, [0-9]+ failed|^tsan_threads:|^tsan_stats:|^SUMMARY:' "$log" | sed 's/^/    /'
}

# (a) UBSan: any "runtime error" aborts the program (no recovery).
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run "$dir/ubsan_smoke"
ok=0; [ "$rc" -eq 0 ] && ! grep -q 'runtime error' "$log" && ok=1
result ubsan-smoke "$ok" "exit $rc (repro: $dir/ubsan_smoke)"

if [ -x "$dir/ubsan_core_tests" ]; then
  run "$dir/ubsan_core_tests"
  ok=0; [ "$rc" -eq 0 ] && ! grep -q 'runtime error' "$log" && ok=1
  result ubsan-core "$ok" "exit $rc (repro: $dir/ubsan_core_tests, then --run NAME)"
else
  echo "SKIP ubsan-core: tests/core has no test sources"
fi

# (b) TSan: any report stops the program with exit 66.
run env TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$dir/tsan_threads" 2
ok=0; [ "$rc" -eq 0 ] && ! grep -q 'ThreadSanitizer' "$log" && ok=1
result tsan-threads "$ok" "exit $rc (repro: TSAN_OPTIONS='halt_on_error=1 exitcode=66' $dir/tsan_threads 2)"

# Statistics read while other threads allocate, free remotely and exit.
run env TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$dir/tsan_stats" 20
ok=0; [ "$rc" -eq 0 ] && ! grep -q 'ThreadSanitizer' "$log" && ok=1
result tsan-stats-read-during-allocation "$ok" "exit $rc (repro: TSAN_OPTIONS='halt_on_error=1 exitcode=66' $dir/tsan_stats 20)"

# A race in lazy initialisation shows in a fraction of fresh processes only.
tsan_cold_ok=1
for i in $(seq 30); do
  run env TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$dir/tsan_threads" cold
  if [ "$rc" -ne 0 ] || grep -q 'ThreadSanitizer' "$log"; then tsan_cold_ok=0; break; fi
done
result "tsan-cold-start (30 processes)" "$tsan_cold_ok" \
  "exit $rc in process $i (repro: for i in \$(seq 30); do TSAN_OPTIONS='halt_on_error=1 exitcode=66' $dir/tsan_threads cold || break; done)"

# (c) valgrind memcheck: the smoke test must be clean...
vg=(valgrind --tool=memcheck --error-exitcode=9 --leak-check=full
    --errors-for-leak-kinds=definite)
run "${vg[@]}" "$dir/vg_smoke"
result valgrind-clean "$([ "$rc" -eq 0 ] && echo 1)" "exit $rc (repro: ${vg[*]} $dir/vg_smoke)"

# ...and so must the core tests that take under ~2 s under memcheck (the
# others are slow there; rss_* measure RSS, which valgrind changes).
vg_core=(class_probe fixed_sizes size_zero bad_alignment huge_sizes_fail
         align_overflow_fail calloc_overflow_fail realloc_fail_keeps_block
         free_null_and_errno realloc_small_steps realloc_ox_semantics
         owns_ours owns_foreign remote_free_2)
if [ -x "$dir/vg_core_tests" ]; then
  known=" $("$dir/vg_core_tests" --list | tr '\n' ' ') "
  bad=() ran=0
  for t in "${vg_core[@]}"; do
    case $known in *" $t "*) ;; *) echo "    (core test $t no longer exists)"; continue ;; esac
    run "${vg[@]}" "$dir/vg_core_tests" --run "$t"
    ran=$((ran + 1))
    [ "$rc" -eq 0 ] || bad+=("$t(exit $rc)")
  done
  ok=0; [ "${#bad[@]}" -eq 0 ] && [ "$ran" -gt 0 ] && ok=1
  result "valgrind-core ($ran tests)" "$ok" \
    "${bad[*]} (repro: ${vg[*]} $dir/vg_core_tests --run NAME)"
else
  echo "SKIP valgrind-core: tests/core has no test sources"
fi

# The checked build reports its blocks through valgrind's client requests:
# with it, the smoke test must still be clean (no leak, no invalid access)...
if ! grep -q VALGRIND_MALLOCLIKE_BLOCK c_src/*.[ch] 2>/dev/null; then
  echo "SKIP valgrind-checked-*: the core has no valgrind client requests" \
       "(no VALGRIND_MALLOCLIKE_BLOCK in c_src)"
else
  run "${vg[@]}" "$dir/vgc_smoke"
  result valgrind-checked-clean "$([ "$rc" -eq 0 ] && echo 1)" \
    "exit $rc (repro: ${vg[*]} $dir/vgc_smoke)"
  # ...as must huge blocks whose cached mappings are split and assembled
  # (the cache's headers then lie in freed blocks' pages).
  run "${vg[@]}" "$dir/vgc_huge_split"
  result valgrind-checked-huge-cache-headers "$([ "$rc" -eq 0 ] && echo 1)" \
    "exit $rc (repro: ${vg[*]} $dir/vgc_huge_split)"
  # ...and misuse inside oxalloc blocks must be reported as for glibc's.
  for mode in leak rust-leak leak-large uaf rust-uaf overflow; do
    case $mode in
      *leak*) want='definitely lost: [0-9,]+ bytes in 1 blocks' ;;
      overflow) want='Invalid write of size 1' ;;
      *) want='Invalid read of size 1' ;;
    esac
    run "${vg[@]}" "$dir/vgc_misuse" "$mode"
    ok=0; [ "$rc" -eq 9 ] && grep -Eq "$want" "$log" && ok=1
    result "valgrind-checked-reports-$mode" "$ok" \
      "memcheck did not report it (exit $rc; repro: ${vg[*]} $dir/vgc_misuse $mode)"
  done
fi

echo "sanitize: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
