#!/usr/bin/env bash
# tests/link/run.sh - the link matrix (docs/link-matrix.md), run by
# `make test-link` from the repository root.
#
# Each row builds its real artifact (cargo for the Rust side, $CC for the C
# side) and checks which allocator served which pointer: at run time with
# ox_owns / oxalloc::owns and glibc's mallinfo2, and in the binary with nm.
#   row 1  Rust executable, oxalloc default         crates/exe_native
#   row 2  Rust executable, feature override        crates/exe_override
#   row 3  Rust staticlib in a C program, linked once with
#          liboxalloc_system.a and once with liboxalloc.a   crates/embed + host.c
#   row 4  Rust cdylib loaded by dlopen from C      crates/plugin + host.c
#   row 5  C program + liboxalloc.a + oxalloc_override.o   c_override.c
#   row 6  the row 4 program under LD_PRELOAD=liboxalloc.so
# Also: the polyfill's contract (polyfill_test.c) and the examples of
# README.md (same text as crates/example_*, built and run here).
#
# Environment: BUILD (the make build directory, with the libraries already
# built), CC, CARGO_TARGET_DIR.  Closing line: "link: N passed, N failed".
set -u
. tests/cases.sh

BUILD=$(cd "${BUILD:-build}" && pwd)
CC=${CC:-cc}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$BUILD/cargo}
export PATH="$HOME/.cargo/bin:$PATH"
OUT=$BUILD/link
CRATES=tests/link/crates
TD=$CARGO_TARGET_DIR/debug
CFLAGS_T=(-std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -pthread)
# What a Rust staticlib needs from the system (rustc --print native-static-libs).
RUST_SYSLIBS=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
mkdir -p "$OUT"



cargo_build() {
    cargo build --quiet --manifest-path "$CRATES/Cargo.toml" "$@"
}

# --- nm helpers: symbol names without @version ------------------------------
syms() { nm "$@" 2>/dev/null | awk 'NF >= 2 { sub(/@.*/, "", $NF); print $(NF-1), $NF }'; }
# defines FILE SYM: a text (or weak) definition of SYM, local or global.
defines() { syms --defined-only "$1" | grep -qE "^[TtWi] $2\$"; }
# exports FILE SYM: SYM is in the dynamic symbol table, defined.
exports() { syms -D --defined-only "$1" | grep -qE "^[TWi] $2\$"; }
# needs FILE SYM: SYM is undefined in FILE.
needs() { syms -u "$1" | grep -qE "^[Uw] $2\$"; }
# defines_ox_api FILE: any ox_ function defined.
defines_ox_api() { syms --defined-only "$1" | grep -qE '^[Tt] ox_'; }

all() { for c in "$@"; do eval "$c" || { echo "not true: $c"; return 1; }; done; }

# --- row 1: Rust executable, crate default -----------------------------------
row1() {
    local exe=$TD/exe_native
    "$exe" expect-malloc=system || return 1
    all "defines $exe rust_alloc" "defines $exe ox_owns" "needs $exe malloc" \
        "! defines $exe malloc"
}

# --- row 2: Rust executable, feature override ---------------------------------
row2() {
    local exe=$TD/exe_override
    "$exe" expect-malloc=oxalloc || return 1
    all "defines $exe rust_alloc" "exports $exe malloc" "exports $exe free" \
        "exports $exe realloc" "exports $exe posix_memalign"
}

# --- row 3: Rust staticlib linked into a C program ----------------------------
staticlib_leaves_rust_abi_undefined() {
    local lib=$TD/libembed.a
    all "needs $lib rust_alloc" "needs $lib rust_dealloc" "! defines $lib rust_alloc" \
        "! defines_ox_api $lib"
}

row3_system() {
    local exe=$OUT/host_embed_system
    "$CC" "${CFLAGS_T[@]}" tests/link/host.c "$TD/libembed.a" "$BUILD/liboxalloc_system.a" \
        "${RUST_SYSLIBS[@]}" -o "$exe" || return 1
    "$exe" rust=system malloc=system || return 1
    all "defines $exe rust_alloc" "! defines_ox_api $exe" "needs $exe malloc"
}

row3_oxalloc() {
    local exe=$OUT/host_embed_oxalloc
    "$CC" "${CFLAGS_T[@]}" -DHOST_LINKS_OXALLOC tests/link/host.c "$TD/libembed.a" \
        "$BUILD/liboxalloc.a" "${RUST_SYSLIBS[@]}" -o "$exe" || return 1
    "$exe" rust=oxalloc malloc=system || return 1
    all "defines $exe rust_alloc" "defines $exe ox_owns" "needs $exe malloc"
}

# --- row 4: Rust cdylib loaded by a C program ---------------------------------
build_dlopen_host() {
    "$CC" "${CFLAGS_T[@]}" -DHOST_DLOPEN tests/link/host.c -ldl -o "$OUT/host_dlopen"
}

row4() {
    local so=$TD/libplugin.so
    "$OUT/host_dlopen" rust=system malloc=system "$so" || return 1
    # The polyfill is inside the library, hidden: the host's malloc serves it,
    # and the library exports neither rust_* nor malloc.
    all "defines $so rust_alloc" "! exports $so rust_alloc" "! exports $so malloc" \
        "needs $so malloc" "needs $so posix_memalign" "! defines_ox_api $so" \
        "exports $so rs_make_buffer"
}

# --- row 5: C program with liboxalloc.a and the override object --------------
row5() {
    local exe=$OUT/c_override
    "$CC" "${CFLAGS_T[@]}" tests/link/c_override.c "$BUILD/oxalloc_override.o" \
        "$BUILD/liboxalloc.a" -o "$exe" || return 1
    "$exe" || return 1
    all "exports $exe malloc" "exports $exe free" "exports $exe calloc" "defines $exe ox_owns"
}

# --- row 6: LD_PRELOAD -------------------------------------------------------
row6() {
    LD_PRELOAD=$BUILD/liboxalloc.so "$OUT/host_dlopen" rust=oxalloc malloc=oxalloc \
        "$TD/libplugin.so" || return 1
    all "exports $BUILD/liboxalloc.so malloc" "exports $BUILD/liboxalloc.so ox_owns"
}

# --- the polyfill's own contract ---------------------------------------------
polyfill() {
    "$CC" "${CFLAGS_T[@]}" tests/link/polyfill_test.c "$BUILD/liboxalloc_system.a" \
        -o "$OUT/polyfill_test" && "$OUT/polyfill_test" &&
        all "! defines_ox_api $BUILD/liboxalloc_system.a" &&
        # Only the four rust_* are global in the polyfill.
        [ "$(syms --defined-only -g "$BUILD/liboxalloc_system.a" | awk '{print $2}' | sort | tr '\n' ' ')" \
            = "rust_alloc rust_alloc_zeroed rust_dealloc rust_realloc " ]
}

# --- README.md and docs/*.md: their Rust examples are the files of crates/example_*
# A fenced block right after "<!-- same as PATH -->" must equal PATH, with the
# doc's placeholder path to the crate replaced by the real relative one.
docs_blocks_match() {
    local doc="README.md docs/*.md" dir=$OUT/doc_blocks n=0 path
    rm -rf "$dir" && mkdir -p "$dir"
    awk -v dir="$dir" '
        /^<!-- same as [^ ]+ -->$/ { want = $4; next }
        /^```/ && want != "" && !inblock { inblock = 1; n++; f = dir "/" n; print want > (dir "/" n ".path"); next }
        /^```/ && inblock { inblock = 0; want = ""; close(f); next }
        inblock { print > f }
    ' $doc || return 1
    for p in "$dir"/*.path; do
        path=$(cat "$p")
        n=$((n + 1))
        sed -E 's#path/to/oxalloc(/rust_shim)?"#../../../.."#' "${p%.path}" |
            diff -u "$path" - || { echo "README.md block differs from $path"; return 1; }
    done
    [ "$n" -ge 5 ] || { echo "only $n example blocks found in README.md"; return 1; }
}

doc_example_exe() {
    "$TD/example_exe" | grep -q '^4 words; the first has [0-9]* usable bytes$'
}

doc_example_embed() {
    for lib in liboxalloc.a liboxalloc_system.a; do
        "$CC" "$CRATES/example_embed/main.c" "$TD/libgreeting.a" "$BUILD/$lib" \
            -lpthread -ldl -lm -o "$OUT/greet" || return 1
        [ "$("$OUT/greet")" = "hello, C!" ] || { echo "greet with $lib"; return 1; }
    done
}

# --- rust_shim/build.rs -------------------------------------------------------
# The build script asks to rerun for every C source and header (and their
# directories), so that editing the C side rebuilds Rust programs.
build_script_tracks_c_sources() {
    local out f
    out=$(ls -t "$TD"/build/oxalloc-*/output 2>/dev/null | head -n 1)
    [ -n "$out" ] || { echo "no build script output under $TD/build"; return 1; }
    for f in c_src include c_src/*.c c_src/*.h include/*.h; do
        grep -qxF "cargo:rerun-if-changed=$PWD/$f" "$out" || { echo "$out: $f not tracked"; return 1; }
    done
}

# CC and CFLAGS reach the C compiler: build the polyfill row with clang and
# a flag that records the command line in the object.
build_script_honours_cc_cflags() {
    command -v clang >/dev/null || { echo "clang not installed"; return 1; }
    CC=clang CFLAGS="-frecord-gcc-switches -DOX_CFLAGS_PROBE=1" cargo_build -p plugin || return 1
    local obj
    obj=$(ls -t "$TD"/build/oxalloc-*/out/obj/system_shim.o | head -n 1)
    readelf -p .comment "$obj" | grep -q 'clang version' &&
        readelf -p .GCC.command.line "$obj" | grep -q 'OX_CFLAGS_PROBE' &&
        readelf -p .GCC.command.line "$obj" | grep -q 'fvisibility=hidden' ||
        { echo "$obj was not compiled by clang with CFLAGS"; return 1; }
    cargo_build -p plugin # back to the default compiler for the next run
}

# Two link rows at once: the most oxalloc-ward one wins (override >
# native > unresolved > system) and the build script says so.  The
# feature-unification workspace of tests/crate checks the programs.
unified_rows_take_precedence() {
    local log
    log=$(cargo build -p oxalloc --no-default-features --features system,override 2>&1) ||
        { printf '%s\n' "$log" | tail -n 5; return 1; }
    grep -q 'features override and system are both enabled.*override wins' <<<"$log" ||
        { printf '%s\n' "$log" | tail -n 5; return 1; }
}

# --- run ---------------------------------------------------------------------
check "build: native crates (row 1, docs example)" cargo_build -p exe_native -p example_exe
check "row 1: Rust executable, default features" row1
check "docs: 'Using oxalloc from Rust' example runs" doc_example_exe
check "build: override crate (row 2)" cargo_build -p exe_override
check "row 2: Rust executable, feature override" row2
check "build: staticlib crates (row 3, docs example)" cargo_build -p embed -p greeting
check "row 3: staticlib leaves rust_* undefined" staticlib_leaves_rust_abi_undefined
check "row 3: staticlib + C + liboxalloc_system.a" row3_system
check "row 3: staticlib + C + liboxalloc.a" row3_oxalloc
check "docs: 'Embedding Rust in a C program' example links both ways" doc_example_embed
check "build: cdylib crate (row 4)" cargo_build -p plugin
check "build: dlopen host" build_dlopen_host
check "row 4: cdylib loaded by dlopen from C" row4
check "row 5: C program + liboxalloc.a + override object" row5
check "row 6: dlopen host and cdylib under LD_PRELOAD" row6
check "polyfill: rust_alloc.h contract over malloc" polyfill
check "docs: the Rust examples in README.md are the tested files" docs_blocks_match
check "build.rs: reruns when any C source or header changes" build_script_tracks_c_sources
check "build.rs: honours CC and CFLAGS" build_script_honours_cc_cflags
check "build.rs: two link-row features at once: the precedence rule, announced" unified_rows_take_precedence

finish link
