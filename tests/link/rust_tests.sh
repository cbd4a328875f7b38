#!/usr/bin/env bash
# tests/link/rust_tests.sh - `make test-rust`: the oxalloc crate's tests
# (rust_shim/tests, unit tests and doc examples) with cargo, in the rows
# a Rust program can be in:
#   cargo test                               default feature (native)
#   cargo +nightly test --features nightly   plus core::alloc::Allocator
#   cargo test --features system ...         the allocation-contract tests
#                                            on the polyfill
#   cargo test --features override ...       ownership, collections, threads
#                                            with malloc overridden too (C's
#                                            malloc must be oxalloc's there)
#   cargo +nightly test --features nightly,checked --tests
#                                            on the checked core, which
#                                            verifies every layout Rust (and
#                                            the Allocator impl) gives back
# Sums cargo's "test result:" lines into the closing line
# "rust: N passed, N failed"; a cargo run that fails without a failed test
# (a build error) counts as one failure.  Exit status 1 if anything failed.
set -u
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-build/cargo}

passed=0 failed=0

# run_cargo ARGS...: one cargo test run, its results added to the totals.
run_cargo() {
    local log rc p f
    log=$(mktemp)
    echo "--- cargo $*"
    cargo "$@" 2>&1 | tee "$log" | grep -E '^(test result|error|warning: unused)|FAILED|panicked'
    rc=${PIPESTATUS[0]}
    p=$(sed -nE 's/^test result: .* ([0-9]+) passed; ([0-9]+) failed.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
    f=$(sed -nE 's/^test result: .* ([0-9]+) passed; ([0-9]+) failed.*/\2/p' "$log" | awk '{s += $1} END {print s + 0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        tail -n 30 "$log"
    fi
    rm -f "$log"
    passed=$((passed + p))
    failed=$((failed + f))
}

run_cargo test -p oxalloc
run_cargo +nightly test -p oxalloc --features nightly
# The other rows run a subset: each test binary costs a link per row.
run_cargo test -p oxalloc --no-default-features --features system \
    --test aligned --test realloc --test zeroed --test refused --test ownership --test threads
run_cargo test -p oxalloc --no-default-features --features override \
    --test ownership --test collections --test threads
run_cargo +nightly test -p oxalloc --features nightly,checked --tests

echo "rust: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
