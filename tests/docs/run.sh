#!/usr/bin/env bash
# tests/docs/run.sh BIN - `make test-docs` (tests/docs/suite.mk); BIN is
# tests/docs/options_rule.c built against the static library.  Runs the
# documentation checks of check_docs.py, the options' rule, and the
# README's two quick starts as pasted (quickstart.sh), one test each, and
# closes with "docs: N passed, N failed" (exit 1 on a failure).
set -u
. tests/cases.sh
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "README.md and docs/*.md: links, anchors and repository paths exist; tables render; the index lists every page" \
  timeout 60 python3 tests/docs/check_docs.py links
check "no file refers to a document outside the repository" \
  timeout 60 python3 tests/docs/check_docs.py outside
check "README.md's apt-get line installs exactly the packages of .ci/run" \
  timeout 60 python3 tests/docs/check_docs.py apt
check "README.md's results table is the one bench/results/ gives (tests/docs/readme_results.py)" \
  timeout 60 python3 tests/docs/readme_results.py --check
check "docs/internals.md's source layout names every file of c_src/ as its opening comment does" \
  timeout 60 python3 tests/docs/source_layout.py --check

list_options() { timeout 20 "$bin" list >"$tmp/options.txt" && cat "$tmp/options.txt"; }
check "the library lists its options (ox_option_info)" list_options
check "docs/options.md has every option's variable, name, default and range, as the library reports" \
  timeout 60 python3 tests/docs/check_docs.py options "$tmp/options.txt"

check "options: environment read at the start, API before it wins, any later change accepted and applied" \
  env OXALLOC_SEGMENT_CACHE=3 OXALLOC_HUGE_CACHE_MB=7 timeout 60 "$bin" rule

late_stats() {
  timeout 20 "$bin" late-stats 2>"$tmp/err" && grep -q '^oxalloc .* statistics$' "$tmp/err"
}
check "options: show_stats set after the start still prints the report at exit" late_stats

check "README.md's Rust quick start, pasted as it is: builds offline and runs on oxalloc" \
  timeout 300 bash tests/docs/quickstart.sh rust
check "README.md's C quick start, pasted as it is: link time, beside malloc, LD_PRELOAD" \
  timeout 120 bash tests/docs/quickstart.sh c

finish docs
