#!/usr/bin/env bash
# tests/crate/run.sh - `make test-crate`: the oxalloc crate as
# people outside this repository get it.
#   package    `cargo package` writes the .crate without a warning; unpacked
#              in an empty directory outside the repository it builds, runs
#              its own tests (a subset) and serves a program as
#              #[global_allocator], offline
#   vendor     the repository as a git dependency (file:// URL), `cargo
#              vendor`, then an offline build and run from vendor/
#   features   a workspace of libraries and binaries asking for different
#              link rows (tests/crate/unify): the precedence rule decides,
#              never the library; --all-features, --no-default-features
#   docs       cargo doc (warnings denied) names every feature and the rule
#   build.rs   CC_<target>/CFLAGS_<target>, OPT_LEVEL, DEBUG,
#              CARGO_ENCODED_RUSTFLAGS and a cross TARGET reach the C build
# Environment: CARGO_TARGET_DIR (shared with the link suite), BUILD.
# Closing line: "crate: N passed, N failed".  Runs in about 2-3 minutes
# (each row or flag set compiles the C core once).
set -u
. tests/cases.sh
export PATH="$HOME/.cargo/bin:$PATH"
ROOT=$(pwd)
BUILD=$(mkdir -p "${BUILD:-build}" && cd "${BUILD:-build}" && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$BUILD/cargo}
TD=$CARGO_TARGET_DIR/debug
WORK=$(mktemp -d /tmp/oxalloc-crate-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
HOST=$(rustc -vV | sed -n 's/^host: //p')
VERSION=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)



# app_crate DIR DEP: a binary crate (tests/crate/app/main.rs) in DIR whose
# oxalloc dependency is the TOML value DEP.
app_crate() {
    mkdir -p "$1/src"
    cp "$ROOT/tests/crate/app/main.rs" "$1/src/main.rs"
    cat >"$1/Cargo.toml" <<EOF
[package]
name = "app"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
oxalloc = $2

[workspace]
EOF
}

# --- the packaged crate -------------------------------------------------------
# Every integration test file is a [[test]] of the manifest (autotests is
# off, since tests/ at the root holds the C suites).
tests_are_listed() {
    local f
    for f in rust_shim/tests/*.rs; do
        grep -qxF "path = \"$f\"" Cargo.toml || { echo "$f is not a [[test]] of Cargo.toml"; return 1; }
    done
}

# The crate's code asks for the row through the oxalloc_row cfg, which the
# precedence rule sets: `feature = "system"` may be on in a native build.
rows_by_cfg() {
    ! grep -rnE 'feature *= *"(native|system|override|unresolved)"' rust_shim/src rust_shim/tests
}

package() {
    local log
    log=$(cargo package -p oxalloc --offline --allow-dirty --no-verify \
        --target-dir "$WORK/pkg-target" 2>&1) || { echo "$log"; return 1; }
    echo "$log"
    ! grep -qi 'warning' <<<"$log" || { echo "cargo package warned"; return 1; }
    local crate=$WORK/pkg-target/package/oxalloc-$VERSION.crate
    [ -f "$crate" ] || { echo "no $crate"; return 1; }
    mkdir -p "$WORK/elsewhere" && tar -xzf "$crate" -C "$WORK/elsewhere"
    # The sources it compiles and the files a package needs.
    local f
    for f in c_src/alloc.c c_src/override.c c_src/system_shim.c include/oxalloc.h \
        include/rust_alloc.h rust_shim/build.rs LICENSE-MIT LICENSE-APACHE rust_shim/README.md; do
        [ -f "$WORK/elsewhere/oxalloc-$VERSION/$f" ] || { echo "$f missing from the package"; return 1; }
    done
}

# The unpacked crate, away from the repository, runs its own tests (the
# library, the heap and FFI-declaration tests: they read the shipped C
# headers and sources).
package_tests() {
    cd "$WORK/elsewhere/oxalloc-$VERSION" &&
        CARGO_TARGET_DIR=$WORK/target-elsewhere cargo test --offline --lib \
            --test heap --test ffi_decls --test realloc
}

package_serves_a_program() {
    app_crate "$WORK/user" "{ path = \"$WORK/elsewhere/oxalloc-$VERSION\" }"
    cd "$WORK/user" && CARGO_TARGET_DIR=$WORK/target-elsewhere cargo run --offline --quiet
}

# --- cargo vendor of a git dependency ---------------------------------------
# A git repository holding the working tree (tracked and new files, so a
# change under test is in it), used by URL as users do.
vendor_git_dependency() {
    local repo=$WORK/repo.git user=$WORK/vendoring
    mkdir -p "$repo"
    git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$repo" 2>/dev/null
    git -C "$repo" init -q && git -C "$repo" add -A &&
        git -C "$repo" -c user.name=test -c user.email=test@invalid commit -q -m snapshot || return 1
    app_crate "$user" "{ git = \"file://$repo\" }"
    cd "$user" || return 1
    # A fresh CARGO_HOME: nothing may come from an earlier checkout.
    export CARGO_HOME=$WORK/cargo-home
    mkdir -p .cargo
    cargo vendor vendor >.cargo/config.toml 2>vendor.log || { cat vendor.log; return 1; }
    cat .cargo/config.toml
    [ -f vendor/oxalloc/c_src/alloc.c ] || { echo "vendor/oxalloc has no c_src"; return 1; }
    # Offline, from vendor/ only: the git source is gone.
    rm -rf "$repo" "$CARGO_HOME/git"
    CARGO_TARGET_DIR=$WORK/target-vendor cargo run --offline --quiet
}

# --- feature unification ----------------------------------------------------
# unified BIN ROW [WARNING]: BIN built alone gets oxalloc's row ROW (and
# the build script's warning naming the overruled feature, if given).
unified() {
    local bin=$1 row=$2 warning=${3:-} log
    log=$(cargo build --manifest-path tests/crate/unify/Cargo.toml -p "$bin" 2>&1) ||
        { echo "$log"; return 1; }
    if [ -n "$warning" ]; then
        grep -q "$warning" <<<"$log" || { echo "$log"; echo "no warning '$warning'"; return 1; }
    fi
    "$TD/$bin" "$row"
}

all_features() {
    # On nightly every feature builds (the override row, checked + secure).
    cargo +nightly build --quiet -p oxalloc --all-features || return 1
    # On stable the only one that cannot is `nightly`: one line says so.
    local log
    if log=$(cargo +stable build --quiet -p oxalloc --all-features 2>&1); then
        echo "--all-features built on stable"
        return 1
    fi
    grep -q 'error: oxalloc build: feature `nightly` needs a nightly toolchain' <<<"$log" ||
        { echo "$log" | tail -n 5; return 1; }
}

no_default_features() {
    cargo build --quiet -p oxalloc --no-default-features &&
        grep -qx 'cargo:row=native' "$(ls -t "$TD"/build/oxalloc-*/output | head -n 1)"
}

# `cargo doc` (warnings are errors) documents every feature of the
# manifest and the precedence rule on the crate's front page.
docs_name_every_feature() {
    local td=$WORK/target-doc page f
    RUSTDOCFLAGS="-D warnings" cargo doc --quiet -p oxalloc --no-deps --target-dir "$td" || return 1
    page=$td/doc/oxalloc/index.html
    for f in $(sed -n '/^\[features\]/,/^\[/s/^\([a-z_-]*\) *=.*/\1/p' Cargo.toml | grep -v '^default$'); do
        grep -q "<code>$f</code>" "$page" || { echo "feature $f is not in $page"; return 1; }
    done
    grep -q 'Precedence' "$page" && grep -q 'override</code></strong>\|override</code> &gt; <code>native' "$page" ||
        { echo "no precedence rule in $page"; return 1; }
}

# --- build conventions --------------------------------------------------------
# has_switch SWITCH: readelf's listing of .GCC.command.line on stdin has
# SWITCH as a whole word.
has_switch() { grep -qE -- "(^|[[:space:]])$1([[:space:]]|\$)"; }

# The newest object of the build script's output directory NAME.o.
newest_obj() { ls -t "$1"/build/oxalloc-*/out/obj/"$2".o 2>/dev/null | head -n 1; }

# CC_<target> and CFLAGS_<target> win over CC/CFLAGS; the dev profile's
# OPT_LEVEL (0) and DEBUG give -O0 and -g; force-frame-pointers reaches C.
conventions_dev() {
    command -v clang >/dev/null || { echo "clang not installed"; return 1; }
    local td=$WORK/target-conv obj
    env "CC_$HOST=clang" CC=false "CFLAGS_$HOST=-frecord-gcc-switches -DOX_TARGET_FLAGS_PROBE=1" \
        CFLAGS=-DOX_NOT_THIS=1 RUSTFLAGS="-C force-frame-pointers=yes" \
        cargo build --quiet -p oxalloc --target-dir "$td" || return 1
    obj=$(newest_obj "$td/debug" alloc)
    [ -n "$obj" ] || { echo "no alloc.o under $td/debug"; return 1; }
    readelf -p .comment "$obj" | grep -q 'clang version' || { echo "not compiled by clang"; return 1; }
    local cmdline
    cmdline=$(readelf -p .GCC.command.line "$obj" | sed 's/-D /-D/g')
    echo "$cmdline"
    for want in -DOX_TARGET_FLAGS_PROBE=1 -O0 -g -fno-omit-frame-pointer; do
        has_switch "$want" <<<"$cmdline" || { echo "$want missing"; return 1; }
    done
    ! grep -q OX_NOT_THIS <<<"$cmdline" || { echo "CFLAGS used although CFLAGS_$HOST is set"; return 1; }
    readelf -S "$obj" | grep -q '\.debug_info' || { echo "no debug info in $obj"; return 1; }
}

# The release profile (no debug info): optimised, and no .debug_info in
# the C objects; `secure` and `checked` reach the compiler.
conventions_release() {
    local td=$WORK/target-conv obj cmdline
    CC=clang CFLAGS=-frecord-gcc-switches cargo build --quiet --release -p oxalloc \
        --features secure,checked --target-dir "$td" || return 1
    obj=$(newest_obj "$td/release" alloc)
    cmdline=$(readelf -p .GCC.command.line "$obj" | sed 's/-D /-D/g')
    for want in -O3 -DOX_SECURE=1 -DOX_CHECKED=1; do
        has_switch "$want" <<<"$cmdline" || { echo "$cmdline"; echo "$want missing"; return 1; }
    done
    ! readelf -S "$obj" | grep -q '\.debug_info' || { echo "debug info in a release object"; return 1; }
}

# A cross TARGET compiles the C core with the target's GNU compiler.  No
# Rust standard library for aarch64 is installed, so the crate itself does
# not build, but its build script (a host program) runs first.
conventions_cross() {
    command -v aarch64-linux-gnu-gcc >/dev/null || { echo "aarch64-linux-gnu-gcc not installed"; return 1; }
    local td=$WORK/target-cross obj
    env -u CC -u CFLAGS -u AR cargo build --quiet -p oxalloc --target aarch64-unknown-linux-gnu \
        --target-dir "$td" >/dev/null 2>&1
    obj=$(newest_obj "$td/aarch64-unknown-linux-gnu/debug" alloc)
    [ -n "$obj" ] || { echo "the build script did not compile for aarch64"; return 1; }
    readelf -h "$obj" | grep -q 'Machine:.*AArch64' || { readelf -h "$obj"; return 1; }
    readelf -h "$(ls -t "$td"/aarch64-unknown-linux-gnu/debug/build/oxalloc-*/out/liboxalloc_c.a | head -n 1)" |
        grep -q AArch64
}

# --- run ---------------------------------------------------------------------
check "manifest: every rust_shim/tests/*.rs is a [[test]]" tests_are_listed
check "manifest: rust_shim selects rows by the oxalloc_row cfg, not by features" rows_by_cfg
check "package: cargo package, no warning, C sources and licenses inside" package
check "package: unpacked elsewhere, its tests pass offline" package_tests
check "package: unpacked elsewhere, serves a program as #[global_allocator]" package_serves_a_program
check "vendor: git dependency (file://), cargo vendor, offline build and run" vendor_git_dependency
check "features: library asks system, binary default -> native, with a warning" \
    unified bin_default native 'features native and system are both enabled'
check "features: binary asks system, library default-features=false -> system" unified bin_system system
check "features: binary asks override, library asks system -> override" \
    unified bin_override override 'features override and system are both enabled'
check "features: --all-features (nightly builds; stable says what to do)" all_features
check "features: --no-default-features builds the native row" no_default_features
check "docs: cargo doc names every feature and the precedence rule" docs_name_every_feature
check "build.rs: CC_<target>, CFLAGS_<target>, OPT_LEVEL 0, DEBUG, frame pointers" conventions_dev
check "build.rs: release profile -O3 without debug info; secure, checked" conventions_release
check "build.rs: cross TARGET uses aarch64-linux-gnu-gcc" conventions_cross

finish crate
