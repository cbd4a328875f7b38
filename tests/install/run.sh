#!/usr/bin/env bash
# tests/install/run.sh - `make test-install` (tests/install/suite.mk).
# Installs oxalloc with `make install` into a temporary prefix and checks
# what a user gets: the exact file list, the soname and symlinks, programs
# built with `pkg-config --cflags --libs oxalloc` (shared), against the
# static archive, with the override object and with the polyfill; the one
# version shared by header, library, .pc and Rust crate; a DESTDIR staged
# install; and that `make uninstall` removes exactly what was installed.
# Closing line "install: N passed, N failed"; exit 1 if anything failed.
set -u
BUILD=${BUILD:-build}
CC=${CC:-cc}
MAKE=${MAKE:-make}
CFLAGS_T="-std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread"
HERE=tests/install

passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
# check NAME COMMAND...: one test, passing when COMMAND succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
mkdir -p "$prefix"

mk() { $MAKE --no-print-directory BUILD="$BUILD" "$@" >"$tmp/make.log" 2>&1 || { tail -n 20 "$tmp/make.log"; return 1; }; }

header_part() { sed -n "s/^#define OXALLOC_VERSION_$1 *\([0-9][0-9]*\).*/\1/p" include/oxalloc.h; }
major=$(header_part MAJOR)
version=$major.$(header_part MINOR).$(header_part PATCH)
echo "header version: $version"

# ---- install into a fresh prefix ------------------------------------------
check "make install PREFIX=<tmp>" mk install PREFIX="$prefix"

expected="include/oxalloc.h
include/rust_alloc.h
lib/liboxalloc.a
lib/liboxalloc.so
lib/liboxalloc.so.$major
lib/liboxalloc.so.$version
lib/liboxalloc_system.a
lib/oxalloc_override.o
lib/pkgconfig/oxalloc.pc"
listing() { (cd "$1" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort); }
same_list() { [ "$(listing "$prefix")" = "$expected" ] || { listing "$prefix"; false; }; }
check "installed files are exactly the expected nine" same_list

links_ok() {
  [ "$(readlink "$prefix/lib/liboxalloc.so")" = "liboxalloc.so.$major" ] &&
  [ "$(readlink "$prefix/lib/liboxalloc.so.$major")" = "liboxalloc.so.$version" ] &&
  [ -f "$prefix/lib/liboxalloc.so.$version" ] && [ ! -L "$prefix/lib/liboxalloc.so.$version" ]
}
check "liboxalloc.so -> .so.$major -> .so.$version" links_ok

soname_ok() {
  local so
  so=$(readelf -d "$prefix/lib/liboxalloc.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  echo "  soname: $so"
  [ "$so" = "liboxalloc.so.$major" ]
}
check "readelf: SONAME is liboxalloc.so.$major" soname_ok

# ---- pkg-config ----------------------------------------------------------------
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pc_ok() {
  [ "$(pkg-config --modversion oxalloc)" = "$version" ] &&
  [ "$(pkg-config --variable=prefix oxalloc)" = "$prefix" ]
}
check "pkg-config: version $version, prefix is the temporary one" pc_ok

shared_prog() {
  # shellcheck disable=SC2046 # pkg-config output is a word list
  $CC $CFLAGS_T "$HERE/use_oxalloc.c" -o "$tmp/use_shared" $(pkg-config --cflags --libs oxalloc) &&
  readelf -d "$tmp/use_shared" | grep -q "NEEDED.*\[liboxalloc.so.$major\]" &&
  [ "$(LD_LIBRARY_PATH=$prefix/lib "$tmp/use_shared")" = "$version" ]
}
check "cc \$(pkg-config --cflags --libs oxalloc): builds, NEEDED liboxalloc.so.$major, runs" shared_prog

static_prog() {
  # shellcheck disable=SC2046
  $CC $CFLAGS_T "$HERE/use_oxalloc.c" -o "$tmp/use_static" $(pkg-config --cflags oxalloc) \
      "$(pkg-config --variable=libdir oxalloc)/liboxalloc.a" -pthread &&
  ! readelf -d "$tmp/use_static" | grep -q 'NEEDED.*liboxalloc' &&
  [ "$("$tmp/use_static")" = "$version" ]
}
check "static link with the installed liboxalloc.a runs" static_prog

override_prog() {
  local lib
  lib=$(pkg-config --variable=libdir oxalloc)
  # shellcheck disable=SC2046
  $CC $CFLAGS_T -DWANT_OVERRIDE "$HERE/use_oxalloc.c" -o "$tmp/use_override" \
      $(pkg-config --cflags oxalloc) "$lib/oxalloc_override.o" "$lib/liboxalloc.a" -pthread &&
  "$tmp/use_override" >/dev/null
}
check "installed oxalloc_override.o makes malloc oxalloc's" override_prog

polyfill_prog() {
  # shellcheck disable=SC2046
  $CC $CFLAGS_T "$HERE/use_polyfill.c" -o "$tmp/use_polyfill" $(pkg-config --cflags oxalloc) \
      "$(pkg-config --variable=libdir oxalloc)/liboxalloc_system.a" &&
  "$tmp/use_polyfill"
}
check "installed liboxalloc_system.a serves rust_alloc" polyfill_prog

crate_version_ok() {
  local crate
  crate=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' rust_shim/Cargo.toml)
  echo "  rust_shim/Cargo.toml: $crate"
  [ "$crate" = "$version" ]
}
check "Rust crate version == header version" crate_version_ok

# ---- uninstall -------------------------------------------------------------------
uninstall_empty() { mk uninstall PREFIX="$prefix" && [ -z "$(ls -A "$prefix")" ]; }
check "make uninstall leaves the prefix empty" uninstall_empty

# ---- DESTDIR staging, and uninstall sparing files it did not install -------
stage=$tmp/stage
staged_ok() {
  mk install DESTDIR="$stage" PREFIX=/opt/oxalloc-test &&
  [ -f "$stage/opt/oxalloc-test/lib/liboxalloc.so.$version" ] &&
  [ ! -e /opt/oxalloc-test ] &&
  grep -qx 'prefix=/opt/oxalloc-test' "$stage/opt/oxalloc-test/lib/pkgconfig/oxalloc.pc"
}
check "DESTDIR install stages under DESTDIR, .pc names the final prefix" staged_ok

spares_foreign() {
  touch "$stage/opt/oxalloc-test/lib/libother.so" &&
  mk uninstall DESTDIR="$stage" PREFIX=/opt/oxalloc-test &&
  [ "$(listing "$stage/opt/oxalloc-test")" = "lib/libother.so" ]
}
check "uninstall removes only oxalloc's files" spares_foreign

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
