#!/usr/bin/env bash
# tests/link/callgrind.sh - instructions of one Box::new(0u64) + drop
# through OxAlloc versus one rust_alloc(8, 8) + rust_dealloc called from C,
# counted by callgrind: (Ir at N pairs - Ir at 0 pairs) / N for each
# program, so start-up cost cancels out.  A measurement, not a test.
# Run from the repository root after `make`:  bash tests/link/callgrind.sh
set -eu
BUILD=$(cd "${BUILD:-build}" && pwd)
CC=${CC:-cc}
N=${N:-200000}
export PATH="$HOME/.cargo/bin:$PATH" CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$BUILD/cargo}
OUT=$BUILD/link
mkdir -p "$OUT"
cargo build --quiet --release --manifest-path tests/link/crates/Cargo.toml -p callgrind_box
"$CC" -std=c11 -O2 -g -D_GNU_SOURCE -Iinclude -pthread tests/link/callgrind_c.c \
    "$BUILD/liboxalloc.a" -o "$OUT/callgrind_c"

# run_cg NAME PROGRAM ARGS...: callgrind profile in $OUT/NAME.cg.
run_cg() {
    local name=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.cg" "$@" >/dev/null 2>&1
}

total_ir() { awk '/^(summary|totals):/ { print $2; exit }' "$OUT/$1.cg"; }

# Instructions spent in rust_alloc and rust_dealloc themselves (self cost,
# all source lines inlined into them).
abi_ir() {
    callgrind_annotate --inclusive=no "$OUT/$1.cg" 2>/dev/null |
        awk '/^ *[0-9,]+ .*:rust_(alloc|dealloc)( \[|$)/ { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}

# per_pair NAME PROGRAM: "total abi" instructions per pair, from N pairs
# minus 0 pairs (start-up cancels out).
per_pair() {
    local name=$1 prog=$2
    run_cg "$name-0" "$prog" 0
    run_cg "$name-n" "$prog" "$N"
    awk -v t0="$(total_ir "$name-0")" -v tn="$(total_ir "$name-n")" \
        -v a0="$(abi_ir "$name-0")" -v an="$(abi_ir "$name-n")" -v n="$N" \
        'BEGIN { printf "%8.2f %8.2f", (tn - t0) / n, (an - a0) / n }'
}

rust=$(per_pair rust "$CARGO_TARGET_DIR/release/callgrind_box")
c=$(per_pair c "$OUT/callgrind_c")
echo "instructions per alloc+free pair (N=$N, valgrind --tool=callgrind):"
echo "                                                 total  in rust_alloc+rust_dealloc"
echo "  Rust: Box::new(0u64) + drop via OxAlloc     $rust"
echo "  C:    rust_alloc(8,8), store 0, rust_dealloc $c"
