#!/usr/bin/env bash
# tests/install/run.sh - `make test-install` (tests/install/suite.mk).
# Installs oxalloc with `make install` into a temporary prefix and checks
# what a user gets (docs/install.md): the exact file list, the sonames and
# symlinks of both shared libraries, that liboxalloc-api.so exports no
# malloc; one program built with `pkg-config --cflags --libs oxalloc` and
# one with `oxalloc-override`, each started without LD_LIBRARY_PATH (the
# prefix is outside the loader's path: the .pc files give an rpath), a
# plain malloc NOT oxalloc's with the first and oxalloc's with the second;
# programs against the static archive, with the override object and with
# the polyfill; the one version shared by header, libraries, .pc files and
# Rust crate; a DESTDIR staged install; and that `make uninstall` removes
# exactly what was installed.
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
lib/liboxalloc-api.so
lib/liboxalloc-api.so.$major
lib/liboxalloc-api.so.$version
lib/liboxalloc.a
lib/liboxalloc.so
lib/liboxalloc.so.$major
lib/liboxalloc.so.$version
lib/liboxalloc_system.a
lib/oxalloc_override.o
lib/pkgconfig/oxalloc-override.pc
lib/pkgconfig/oxalloc.pc"
listing() { (cd "$1" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort); }
same_list() { [ "$(listing "$prefix")" = "$expected" ] || { listing "$prefix"; false; }; }
check "installed files are exactly the expected thirteen" same_list

for lib in liboxalloc liboxalloc-api; do
  links_ok() {
    [ "$(readlink "$prefix/lib/$lib.so")" = "$lib.so.$major" ] &&
    [ "$(readlink "$prefix/lib/$lib.so.$major")" = "$lib.so.$version" ] &&
    [ -f "$prefix/lib/$lib.so.$version" ] && [ ! -L "$prefix/lib/$lib.so.$version" ]
  }
  check "$lib.so -> .so.$major -> .so.$version" links_ok

  soname_ok() {
    local so
    so=$(readelf -d "$prefix/lib/$lib.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    echo "  soname: $so"
    [ "$so" = "$lib.so.$major" ]
  }
  check "readelf: SONAME of $lib is $lib.so.$major" soname_ok
done

# dynsyms FILE: the names a shared library exports.
dynsyms() { nm -D --defined-only "$1" | awk '{print $3}'; }
api_exports_no_malloc() {
  local so=$prefix/lib/liboxalloc-api.so.$version
  dynsyms "$so" | grep -qx ox_malloc && dynsyms "$so" | grep -qx rust_alloc &&
  ! dynsyms "$so" | grep -Ex 'malloc|free|calloc|realloc|posix_memalign|aligned_alloc|_Zn.*'
}
check "liboxalloc-api.so exports ox_/rust_ and no malloc family" api_exports_no_malloc
override_exports_malloc() {
  dynsyms "$prefix/lib/liboxalloc.so.$version" | grep -qx malloc
}
check "liboxalloc.so exports malloc" override_exports_malloc

# ---- pkg-config ----------------------------------------------------------------
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pc_ok() {
  [ "$(pkg-config --modversion oxalloc)" = "$version" ] &&
  [ "$(pkg-config --variable=prefix oxalloc)" = "$prefix" ]
}
check "pkg-config: version $version, prefix is the temporary one" pc_ok
pc_override_ok() {
  [ "$(pkg-config --modversion oxalloc-override)" = "$version" ] &&
  [ "$(pkg-config --variable=prefix oxalloc-override)" = "$prefix" ]
}
check "pkg-config oxalloc-override: version $version, same prefix" pc_override_ok

# pc_prog PC LIB EXPECT: a program built with `pkg-config --cflags --libs PC`
# needs LIB, starts without LD_LIBRARY_PATH (the prefix is in /tmp, outside
# the loader's path), and its plain malloc is oxalloc's iff EXPECT is 1.
pc_prog() {
  local pc=$1 lib=$2 expect=$3 exe=$tmp/use_$1
  # shellcheck disable=SC2046 # pkg-config output is a word list
  $CC $CFLAGS_T -DEXPECT_MALLOC_OWNED="$expect" "$HERE/use_oxalloc.c" -o "$exe" \
      $(pkg-config --cflags --libs "$pc") || return 1
  readelf -d "$exe" | grep -q "NEEDED.*\[$lib.so.$major\]" || { echo "  no NEEDED $lib.so.$major"; return 1; }
  local out
  out=$(env -u LD_LIBRARY_PATH -u LD_PRELOAD "$exe") || return 1
  echo "  $out"
  [ "$out" = "$version malloc-owned=$expect" ]
}
check "cc \$(pkg-config --cflags --libs oxalloc): NEEDED liboxalloc-api.so.$major, starts, malloc stays the system's" \
  pc_prog oxalloc liboxalloc-api 0
check "cc \$(pkg-config --cflags --libs oxalloc-override): NEEDED liboxalloc.so.$major, starts, malloc is oxalloc's" \
  pc_prog oxalloc-override liboxalloc 1

no_rpath_pc() {
  mk install PREFIX="$tmp/plain" RPATH=no &&
  ! grep -q -e '-rpath' "$tmp/plain/lib/pkgconfig/oxalloc.pc" "$tmp/plain/lib/pkgconfig/oxalloc-override.pc" &&
  grep -qxF 'Libs: -L${libdir} -loxalloc-api -pthread' "$tmp/plain/lib/pkgconfig/oxalloc.pc" &&
  mk uninstall PREFIX="$tmp/plain"
}
check "RPATH=no: .pc files without -rpath" no_rpath_pc

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
  crate=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
  echo "  Cargo.toml: $crate"
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
