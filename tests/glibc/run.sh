#!/usr/bin/env bash
# tests/glibc/run.sh BUILD - glibc's own malloc tests on oxalloc.
#
# Unpacks the malloc test sources of Debian's glibc-source package
# (/usr/src/glibc/glibc-*.tar.xz) into BUILD/glibc/src, compiles each one
# unmodified against oxalloc's stand-in for glibc's support/ headers
# (tests/glibc/stand-in, tests/glibc/support.c: no glibc code), runs it
# under LD_PRELOAD=BUILD/liboxalloc.so (the interposition tests: linked
# with BUILD/oxalloc_override.o, dynamically and statically), and prints
# one line per test, then "glibc: N passed, N failed".  A test passes when
# the driver judges it so (exit 0); each has a watchdog (the driver's
# timeout, and `timeout` around it).  Tests that only examine glibc's own
# malloc internals are listed with the reason and not run.
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$build/glibc
preload=$(cd "$build" && pwd)/liboxalloc.so
CC=${CC:-cc}
pass=0 fail=0

# Run with oxalloc under LD_PRELOAD.
TESTS_PRELOAD="mallocbug tst-malloc tst-valloc tst-calloc tst-obstack tst-malloc-check
  tst-mallocfork tst-trim1 tst-realloc tst-reallocarray tst-posix_memalign tst-pvalloc
  tst-pvalloc-fortify tst-memalign tst-malloc-thread-exit tst-malloc-thread-fail
  tst-malloc-fork-deadlock tst-mallocfork2 tst-mallocfork3 tst-free-errno
  tst-malloc-tcache-leak tst-malloc_info tst-mallinfo2 tst-malloc-too-large
  tst-malloc-stats-cancellation tst-tcfree1 tst-tcfree2 tst-tcfree3 tst-mallocalign1
  tst-mxfast"
# Linked with oxalloc's override object instead of the test's own malloc
# (tst-interpose-aux*.c): glibc's stdio, getline, fork and threads on an
# interposed malloc, which must never touch the brk heap.
TESTS_LINKED="tst-interpose-nothread tst-interpose-thread"
TESTS_STATIC="tst-interpose-static-nothread tst-interpose-static-thread"
# Not applicable: they examine glibc's malloc itself, not the contract of a
# malloc replacement.
declare -A NOT_APPLICABLE=(
  [tst-malloc-backtrace]="overwrites glibc's chunk header and expects glibc's abort with a backtrace"
  [tst-malloc-usable]="expects the exact usable size (7) of glibc's MALLOC_CHECK_=3 debug library"
  [tst-malloc-usable-tunables]="the same, with glibc.malloc.check=3 set through GLIBC_TUNABLES"
  [tst-mallopt]="sets M_* parameters of glibc's arenas (mallopt is not part of oxalloc)"
  [tst-mallocstate]="glibc's malloc_get_state/malloc_set_state compatibility symbols"
  [tst-compathooks-off]="glibc's __malloc_hook variables (libc_malloc_debug.so)"
  [tst-compathooks-on]="glibc's __malloc_hook variables (libc_malloc_debug.so)"
  [tst-safe-linking]="corrupts glibc's tcache/fastbin links and expects its safe-linking check"
  [tst-mtrace]="glibc's mtrace log (libc_malloc_debug.so) and its perl checker"
  [tst-alloc_buffer]="glibc's internal alloc_buffer helpers, not malloc"
  [tst-scratch_buffer]="glibc's internal scratch_buffer helpers, not malloc"
  [tst-dynarray]="glibc's internal dynarray helpers, not malloc"
  [tst-dynarray-fail]="glibc's internal dynarray helpers, not malloc"
  [tst-dynarray-at-fail]="glibc's internal dynarray helpers, not malloc"
)
# Environment glibc's malloc/Makefile gives a test (its -ENV variables that
# do not load glibc's debug library).
declare -A TEST_ENV=(
  [tst-mxfast]="GLIBC_TUNABLES=glibc.malloc.tcache_count=0:glibc.malloc.mxfast=0"
)

pending=" ${GLIBC_PENDING:-} "
result() { # result VERDICT NAME [DETAIL]
  local verdict=$1 detail=${3:-}
  case "$verdict:$pending" in
    FAIL*:*" $2 "*) verdict=XFAIL detail="pending, GLIBC_PENDING in suite.mk; $detail" ;;
    PASS:*" $2 "*) detail="was pending: remove it from GLIBC_PENDING; $detail" ;;
  esac
  printf '%-13s %s%s\n' "$verdict" "$2" "${detail:+  ($detail)}"
  case $verdict in PASS) pass=$((pass + 1)) ;; FAIL*) fail=$((fail + 1)) ;; esac
}

tarball=$(ls /usr/src/glibc/glibc-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
  echo "no /usr/src/glibc/glibc-*.tar.xz: install Debian's glibc-source package"
  echo "glibc: 0 passed, 1 failed"
  exit 1
fi
if [ ! -f "$preload" ]; then # ld.so would only warn and run the tests on glibc
  echo "no $preload"
  echo "glibc: 0 passed, 1 failed"
  exit 1
fi
src=$out/src
mkdir -p "$src" "$out/bin" "$out/log" "$out/tmp"
stamp=$src/.unpacked-$(basename "$tarball")
if [ ! -e "$stamp" ]; then
  rm -rf "$src" && mkdir -p "$src"
  # the malloc test sources only
  tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards \
    '*/malloc/tst-*' '*/malloc/mallocbug.c' || { echo "glibc: 0 passed, 1 failed"; exit 1; }
  touch "$stamp"
fi
# old-style tests include "../test-skeleton.c"
ln -sf "$here/stand-in/test-skeleton.c" "$src/test-skeleton.c"
echo "glibc malloc tests from $(basename "$tarball") on $preload"

CFLAGS_T="-std=gnu11 -O2 -g -w -fno-builtin -D_GNU_SOURCE -DTEST_NO_MALLOPT -I$here/stand-in -I$src -pthread"
"$CC" $CFLAGS_T -Wall -Wextra -Werror -c "$here/support.c" -o "$out/support.o" &&
  ar rcs "$out/libsupport.a" "$out/support.o" || { echo "glibc: 0 passed, 1 failed"; exit 1; }

# run NAME BINARY [ENV...]: one test under its watchdog, verdict by exit code.
run() {
  local name=$1 bin=$2; shift 2
  local log=$out/log/$name.out start=$SECONDS rc
  env TMPDIR="$out/tmp" "$@" timeout -k 5 300 "$bin" >"$log" 2>&1
  rc=$?
  local took="$((SECONDS - start)) s"
  if [ $rc -eq 0 ] && grep -q "ERROR: ld.so" "$log"; then rc=1; fi # preload not loaded
  case $rc in
    0) result PASS "$name" "$took" ;;
    77) result FAIL-UNSUP "$name" "reported unsupported; $took" ;;
    124|137) result FAIL "$name" "watchdog: no end after 300 s" ;;
    *) result FAIL "$name" "exit $rc, $took; log $log"; tail -n 15 "$log" | sed 's/^/    | /' ;;
  esac
}

compile() { # compile NAME OUTPUT EXTRA...
  local name=$1 bin=$2; shift 2
  if ! "$CC" $CFLAGS_T "$src/malloc/$name.c" "$@" -o "$bin" >"$out/log/$name.build" 2>&1; then
    result FAIL "$name" "does not compile; log $out/log/$name.build"
    sed 's/^/    | /' "$out/log/$name.build" | head -n 15
    return 1
  fi
}

for t in $TESTS_PRELOAD; do
  compile "$t" "$out/bin/$t" "$out/libsupport.a" -ldl || continue
  run "$t" "$out/bin/$t" LD_PRELOAD="$preload" ${TEST_ENV[$t]:-}
done
for t in $TESTS_LINKED; do
  compile "$t" "$out/bin/$t" "$build/oxalloc_override.o" "$build/liboxalloc.a" \
    "$out/libsupport.a" -ldl || continue
  run "$t" "$out/bin/$t"
done
for t in $TESTS_STATIC; do
  compile "$t" "$out/bin/$t" -static "$build/oxalloc_override.o" "$build/liboxalloc.a" \
    "$out/libsupport.a" || continue
  run "$t" "$out/bin/$t"
done
for t in $(printf '%s\n' "${!NOT_APPLICABLE[@]}" | sort); do
  result N/A "$t" "${NOT_APPLICABLE[$t]}"
done

echo "glibc: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
