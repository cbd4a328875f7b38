#!/usr/bin/env bash
# tests/aarch64/run.sh BUILD_DIR - `make test-aarch64`: the C core and its
# C test programs cross-built for aarch64 into BUILD_DIR (by the Makefile's
# own rules: `make BUILD=BUILD_DIR CC=aarch64-linux-gnu-gcc ...`), then run
# under qemu-aarch64 with the Debian cross sysroot, once with 4 KiB pages
# and once with 64 KiB pages (qemu's -p 65536; the two groups run side by
# side).  Each group runs:
#   core        tests/core, every test in its own process (the runner
#               re-executes itself through OX_TEST_EMULATOR)
#   misuse      tests/checked/misuse.c on the checked build
#   stress      tests/stress/stress (plain, purge-now, checked) and reuse,
#               scaled down for the emulator
#   forkloop    tests/stress/forkloop, where the emulator can run it
# Left out, because the emulator, not the allocator, fails them (each
# shown with the C library's malloc alone; see docs/rust-crate.md):
#   thread_exit_live_blocks (core), churn: qemu-user 7.2 keeps ~280 KiB per
#     thread that has exited (RSS grows 80 MiB over 300 create/join pairs
#     of an empty thread), and aborts on churn's thousands of threads
#     (plugins/core.c qemu_plugin_vcpu_init_hook assertion)
#   oom: RLIMIT_AS does not limit the guest's mappings inside qemu's
#     reserved address space, so nothing ever fails
#   forkloop where tests/aarch64/qemu_fork_probe.c fails (qemu 7.2: a child
#     forked from a multi-threaded guest aborts when it creates a thread)
# Environment: MAKE, AARCH64_CC (aarch64-linux-gnu-gcc), QEMU_AARCH64
# (qemu-aarch64), AARCH64_SYSROOT (/usr/aarch64-linux-gnu).
# Closing line: "aarch64: N passed, N failed".
set -u
B=${1:-build/aarch64}
MAKE=${MAKE:-make}
CC_A64=${AARCH64_CC:-aarch64-linux-gnu-gcc}
QEMU=${QEMU_AARCH64:-qemu-aarch64}
SYSROOT=${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
S=$B/tests/stress
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

# Core tests the emulator cannot pass (see above).
CORE_SKIP="thread_exit_live_blocks"

fail_early() {
    echo "FAIL $1"
    echo "aarch64: 0 passed, 1 failed"
    exit 1
}

command -v "$CC_A64" >/dev/null || fail_early "$CC_A64 not installed (Debian: gcc-aarch64-linux-gnu)"
command -v "$QEMU" >/dev/null || fail_early "$QEMU not installed (Debian: qemu-user)"
[ -d "$SYSROOT/lib" ] || fail_early "no $SYSROOT/lib (Debian: libc6-dev-arm64-cross)"

echo "--- building for aarch64 into $B"
BINS=("$B/tests/core/core_tests" "$B/checked/tests/misuse" "$S/stress" "$S/stress-checked"
      "$S/reuse" "$S/forkloop")
if ! log=$(nice "$MAKE" --no-print-directory -s BUILD="$B" CC="$CC_A64" "${BINS[@]}" 2>&1); then
    printf '%s\n' "$log" | tail -n 30
    fail_early "build: the C core and its tests with $CC_A64"
fi
mkdir -p "$B/probe"
"$CC_A64" -O2 -pthread tests/aarch64/qemu_fork_probe.c -o "$B/probe/qemu_fork_probe" ||
    fail_early "build: qemu_fork_probe"
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void){printf("%%ld\\n", sysconf(_SC_PAGESIZE));}\n' |
    "$CC_A64" -x c - -o "$B/probe/pagesize" || fail_early "build: pagesize probe"
echo "PASS build: core, checked and stress programs with $CC_A64"
file_ok=$(readelf -h "$B/tests/core/core_tests" | grep -c 'Machine:.*AArch64')
[ "$file_ok" = 1 ] || fail_early "build: core_tests is not an AArch64 executable"

# group PAGE_SIZE: every case with that page size; PASS/FAIL/SKIP lines,
# then "group: N passed, N failed".
group() {
    local page=$1 passed=0 failed=0
    local emu="$QEMU -L $SYSROOT -p $page"
    export OX_TEST_EMULATOR="$emu"
    # Emulated code runs 10-30 times slower: the core tests' watchdogs too.
    export OX_TEST_WATCHDOG_SCALE=6
    # case NAME SECONDS [VAR=VALUE...] PROGRAM ARGS...: one program under
    # the emulator, with those variables in its environment.
    case_() {
        local name="$1 [$page]" secs=$2 log rc vars=()
        shift 2
        while [[ $1 == *=* ]]; do vars+=("$1"); shift; done
        log=$(env "${vars[@]}" timeout -k 5 "$secs" nice $emu "$@" 2>&1)
        rc=$?
        if [ "$rc" -eq 0 ]; then
            passed=$((passed + 1))
            echo "PASS $name: $(printf '%s\n' "$log" | tail -n 1)"
        else
            failed=$((failed + 1))
            echo "FAIL $name (exit $rc): repro: ${vars[*]} OX_TEST_EMULATOR=\"$emu\" $emu $*"
            printf '%s\n' "$log" | grep -v '^PASS' | tail -n 20 | sed 's/^/    /'
        fi
    }
    local got
    got=$($emu "$B/probe/pagesize")
    if [ "$got" = "$page" ]; then
        passed=$((passed + 1))
        echo "PASS page size [$page]: sysconf(_SC_PAGESIZE) = $got"
    else
        failed=$((failed + 1))
        echo "FAIL page size [$page]: sysconf(_SC_PAGESIZE) = $got"
    fi
    local names=()
    for n in $($emu "$B/tests/core/core_tests" --list); do
        case " $CORE_SKIP " in *" $n "*) echo "SKIP core/$n [$page]: the emulator's own per-thread memory";; *) names+=("$n");; esac
    done
    case_ "core (${#names[@]} tests)" 600 "$B/tests/core/core_tests" "${names[@]}"
    case_ "checked misuse" 120 "$B/checked/tests/misuse"
    case_ "stress 4 threads" 300 "$S/stress" 4 2 4000 7 280
    case_ "stress 2 threads, purge now" 300 OXALLOC_PURGE_DELAY=0 "$S/stress" 2 2 4000 41 280
    case_ "stress-checked 2 threads" 300 "$S/stress-checked" 2 2 2000 88 280
    case_ "reuse" 300 "$S/reuse" 5 5 280
    if timeout 60 $emu "$B/probe/qemu_fork_probe" >/dev/null 2>&1; then
        case_ "forkloop" 300 "$S/forkloop" 20 2 280
    else
        echo "SKIP forkloop [$page]: this qemu aborts in a child forked from a threaded guest (qemu_fork_probe fails)"
    fi
    echo "group: $passed passed, $failed failed"
}

group 4096 >"$LOGS/4k" 2>&1 &
group 65536 >"$LOGS/64k" 2>&1 &
wait
passed=1 failed=0 # the build
for g in 4k 64k; do
    grep -v '^group:' "$LOGS/$g"
    p=$(sed -nE 's/^group: ([0-9]+) passed, ([0-9]+) failed$/\1/p' "$LOGS/$g")
    f=$(sed -nE 's/^group: ([0-9]+) passed, ([0-9]+) failed$/\2/p' "$LOGS/$g")
    [ -n "$p" ] || { p=0; f=1; echo "FAIL the $g group did not finish"; }
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "aarch64: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
