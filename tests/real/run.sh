#!/usr/bin/env bash
# tests/real/run.sh BUILD BIN_DIR - real programs under
# LD_PRELOAD=BUILD/liboxalloc.so, and again under the checked build's
# BUILD/checked/liboxalloc.so: python3 (a slice of its regression
# tests), sqlite3, git and gcc (tests/real/workloads.sh).  Each output must
# equal the output of the same workload without the preload, and a marker
# library (marker.c) must report from every process that oxalloc served
# its blocks.  Closing line: "real: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd) bins=$(cd "$2" && pwd)
marker=$bins/marker.so
work=$(mktemp -d /tmp/oxreal.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

result() { # NAME OK [DETAIL]
  if [ "$2" = 1 ]; then pass=$((pass + 1)); echo "ok   $1"
  else fail=$((fail + 1)); echo "FAIL $1${3:+: $3}"; fi
}

# workload NAME [PRELOAD]: run wl_NAME in a fresh directory, output + exit
# status to stdout.
workload() {
  local dir; dir=$(mktemp -d "$work/$1.XXXX")
  LD_PRELOAD=${2:-} timeout 300 bash -c "source '$here/workloads.sh'; wl_$1 '$dir'" 2>&1
  echo "exit status: $?"
}

# The compiler workload reads a snapshot of the sources, stable across runs.
mkdir -p "$work/src" && cp -r "$here/../../c_src" "$here/../../include" "$work/src/"
export REAL_GCC_SRC=$work/src

for w in python sqlite git gcc; do
  workload "$w" > "$work/$w.system"
  for variant in release checked; do
    lib=$build/liboxalloc.so
    [ "$variant" = checked ] && lib=$build/checked/liboxalloc.so
    out=$work/$w.$variant marks=$work/$w.$variant.marker
    OX_REAL_MARKER=$marks workload "$w" "$lib $marker" > "$out"
    if cmp -s "$work/$w.system" "$out"; then
      result "$w ($variant): output identical with and without oxalloc ($(wc -l < "$out") lines)" 1
    else
      result "$w ($variant): output identical with and without oxalloc" 0 "diff below"
      diff "$work/$w.system" "$out" | head -n 20
    fi
    served=$(grep -c '^served' "$marks" 2>/dev/null)
    notserved=$(grep -c '^NOT-served' "$marks" 2>/dev/null)
    result "$w ($variant): oxalloc served every process (${served:-0} processes)" \
      "$([ "${served:-0}" -gt 0 ] && [ "${notserved:-0}" -eq 0 ] && echo 1 || echo 0)"
  done
done

# Python's own objects: a large bytes object (its buffer is inline, at its
# address) and a bytearray's buffer both live in oxalloc's memory; the
# static None object does not (a negative control).
owns=$(LD_PRELOAD=$build/liboxalloc.so /usr/bin/python3 -c '
import ctypes
owns = ctypes.CDLL(None).ox_owns
owns.restype, owns.argtypes = ctypes.c_bool, [ctypes.c_void_p]
b = bytes(range(256)) * 4096
ba = bytearray(b)
buf = ctypes.addressof((ctypes.c_char * len(ba)).from_buffer(ba))
print(owns(id(b)), owns(buf), owns(id(None)))' 2>&1)
result "python: ox_owns(bytes object), ox_owns(bytearray buffer), not ox_owns(None)" \
  "$([ "$owns" = "True True False" ] && echo 1 || echo 0)" "$owns"

echo "real: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
