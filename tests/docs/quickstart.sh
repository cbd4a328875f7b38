#!/usr/bin/env bash
# tests/docs/quickstart.sh rust|c - runs a quick start of README.md as a
# user would paste it: the first ```sh block under "## Quick start: Rust"
# (or "C"), with bash -e, from the top of the checkout, and checks what it
# prints against what the README promises.  Exit 0 when it does.
set -u
which=$1
case $which in
  rust) heading="## Quick start: Rust" ;;
  c) heading="## Quick start: C" ;;
  *) echo "usage: quickstart.sh rust|c"; exit 2 ;;
esac
script=$(awk -v h="$heading" '
  $0 == h { on = 1; next }
  on && /^## / { exit }
  on && /^```sh$/ { inblock = 1; next }
  inblock && /^```$/ { exit }
  inblock { print }' README.md)
[ -n "$script" ] || { echo "no sh block under \"$heading\" in README.md"; exit 1; }
export PATH=$HOME/.cargo/bin:$PATH
# The quick starts work in "$(mktemp -d)": keep those under one directory
# that goes away afterwards.
TMPDIR=$(mktemp -d)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
out=$(bash -e -c "$script" 2>&1)
rc=$?
echo "$out" | tail -n 15
[ "$rc" -eq 0 ] || { echo "exit $rc"; exit 1; }
case $which in
  rust) echo "$out" | grep -qx 'sum 500500; from oxalloc: true' ;;
  c) [ "$(echo "$out" | grep -c "^malloc's block is oxalloc's: ")" = 2 ] &&
     echo "$out" | grep -qx "malloc's block is oxalloc's: 1" &&
     echo "$out" | grep -qx "malloc's block is oxalloc's: 0" &&
     echo "$out" | grep -qx 'hello' &&
     echo "$out" | grep -q '^oxalloc .* statistics$' ;;
esac
