#!/usr/bin/env bash
# tests/addrmap/run.sh BUILD BINDIR - the address map's cases, one process
# each under an outer timeout (the programs have watchdogs of their own);
# prints "addrmap: N passed, N failed".
set -u
build=$1 dir=$2
so="$(cd "$build" && pwd)/liboxalloc.so"
export PATH="$HOME/.cargo/bin:$PATH"
source "$(dirname "${BASH_SOURCE[0]}")/../cases.sh"
# Pinned to one CPU the asking thread is often preempted between a look-up
# and a read, which is what made the old code fault.
pin=()
command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null && pin=(taskset -c 0)

# (a) ox_owns / ox_usable_size on pointers another thread is unmapping:
# 40 s here, 20 s from Rust below.
run owns-usable-dangling 100 env OXALLOC_HUGE_CACHE_MB=0 OXALLOC_SEGMENT_CACHE=0 \
  "${pin[@]}" "$dir/dangling" 40

# The checked build's ox_usable_size answers the size asked for, read from
# the block's trailer or the huge block's header: it must not fault (or
# stop) either when that memory goes away under it.  10 s.
run owns-usable-dangling-checked 70 env OXALLOC_HUGE_CACHE_MB=0 OXALLOC_SEGMENT_CACHE=0 \
  "${pin[@]}" "$dir/dangling-checked" 10

# (b) pointers at and beyond the map's 48 bits.
run high-pointers-refused 60 env OXALLOC_VERBOSE=1 "$dir/high"
run map-covers-48-bits 30 "$dir/map48"
# The base bitmap never gets transparent huge pages (THP "always").
run bitmap-no-huge-pages 30 "$dir/bitmap_nohuge"

# (c) address space after the first allocation: at most 32 MiB.  The other
# allocators' figures are printed for comparison (not checked).
limit_kb=32768
vmsize_of() { env "$@" | sed -nE 's/^VmSize ([0-9]+) kB$/\1/p'; }
check_vmsize() {
  local name=$1 kb
  shift
  kb=$(vmsize_of "$@")
  echo "--- $name: VmSize ${kb:-?} kB (limit $limit_kb kB)"
  if [ -n "$kb" ] && [ "$kb" -le "$limit_kb" ]; then ok "$name"; else ko "$name" "VmSize ${kb:-?} kB"; fi
}
check_vmsize vmsize-first-alloc-preload LD_PRELOAD="$so" "$dir/vmsize"
check_vmsize vmsize-first-alloc-linked "$dir/vmsize-linked"
for lib in glibc:"" jemalloc:libjemalloc.so.2 mimalloc:libmimalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
  name=${lib%%:*} file=${lib#*:} path=""
  if [ -n "$file" ]; then
    path=$(ls /usr/lib/*/"$file" 2>/dev/null | head -n 1)
    [ -n "$path" ] || continue
  fi
  echo "    for comparison, $name: VmSize $(vmsize_of LD_PRELOAD="$path" "$dir/vmsize") kB"
done

# (d) real programs under `ulimit -v 100000` (about 98 MiB of address
# space), every process of the pipeline with oxalloc preloaded: the same
# output as without the limit and the preload (the first case shows that
# the preload reaches every process of such a pipeline).
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
limited() {
  local name=$1 cmd=$2 want got err
  want=$(bash -c "$cmd" 2>/dev/null)
  err=$(mktemp)
  got=$(timeout -k 5 60 bash -c "ulimit -v 100000; export LD_PRELOAD='$so'; $cmd" 2>"$err")
  local rc=$?
  echo "--- $name: $cmd"
  if [ "$rc" -eq 0 ] && [ -n "$want" ] && [ "$got" = "$want" ]; then
    ok "$name"
  else
    ko "$name" "exit $rc, output '$(echo "$got" | head -c 80)', wanted '$(echo "$want" | head -c 80)'; stderr: $(grep -v '^ ' "$err" | head -n 5)"
  fi
  rm -f "$err"
}
n=$(bash -c "ulimit -v 100000; export LD_PRELOAD='$so'; dash -c 'seq 1 3 | grep -c liboxalloc /proc/self/maps'" 2>&1)
echo "--- ulimit-preload-reaches: liboxalloc mapped ${n}x in a process of the pipeline"
if [ "${n:-0}" -ge 1 ] 2>/dev/null; then ok ulimit-preload-reaches; else ko ulimit-preload-reaches "$n"; fi
limited ulimit-python3 "$py -c 'import json; d = [{\"k\": i, \"v\": str(i) * 3} for i in range(100000)]; print(len(json.dumps(d)))'"
limited ulimit-seq-sort "seq 1 200000 | sort -rn | head -n 1"
limited ulimit-dash "dash -c 'x=0; for i in \$(seq 1 2000); do x=\$((x + i)); done; echo \$x'"
limited ulimit-sort-words "$py -c 'import random; random.seed(7); print(\"\\n\".join(str(random.random()) for _ in range(300000)))' | sort | tail -n 1"

# (e) the Rust crate: oxalloc::owns / usable_size on freed blocks, 20 s.
echo "--- owns-usable-dangling-rust"
if command -v cargo >/dev/null; then
  if cargo test -q -p oxalloc --test owns_dangling --no-run 2>&1 | tail -n 20; then
    run owns-usable-dangling-rust 120 env OXTEST_SECONDS=20 OXALLOC_HUGE_CACHE_MB=0 \
      OXALLOC_SEGMENT_CACHE=0 "${pin[@]}" cargo test -q -p oxalloc --test owns_dangling -- \
      --ignored --nocapture
  else
    ko owns-usable-dangling-rust "build failed"
  fi
else
  ko owns-usable-dangling-rust "no cargo"
fi

# The same through the crate's `checked` feature (its usable_size is the
# checked build's ox_usable_size): 8 s.
echo "--- owns-usable-dangling-rust-checked"
if command -v cargo >/dev/null; then
  if cargo test -q -p oxalloc --features checked --test owns_dangling --no-run 2>&1 | tail -n 20; then
    run owns-usable-dangling-rust-checked 120 env OXTEST_SECONDS=8 OXALLOC_HUGE_CACHE_MB=0 \
      OXALLOC_SEGMENT_CACHE=0 "${pin[@]}" cargo test -q -p oxalloc --features checked \
      --test owns_dangling -- --ignored --nocapture
  else
    ko owns-usable-dangling-rust-checked "build failed"
  fi
else
  ko owns-usable-dangling-rust-checked "no cargo"
fi

finish addrmap
