# tests/link/suite.mk - `make test-link` runs the link matrix of
# docs/link-matrix.md (tests/link/run.sh, one test per row, each building the real
# artifact); `make test-rust` runs the rust_shim crate's tests with cargo,
# stable and nightly (tests/link/rust_tests.sh).  Both use one cargo target
# directory under $(BUILD), so `make clean` removes it.

LINK_CARGO_DIR := $(abspath $(BUILD))/cargo
LINK_LIBS      := $(BUILD)/liboxalloc.a $(BUILD)/liboxalloc_system.a \
                  $(BUILD)/oxalloc_override.o $(BUILD)/liboxalloc.so

TEST_SUITES += test-link test-rust
.PHONY: test-link test-rust

test-link: $(LINK_LIBS)
	@BUILD="$(BUILD)" CC="$(CC)" CARGO_TARGET_DIR="$(LINK_CARGO_DIR)" \
	  bash tests/link/run.sh

test-rust:
	@CC="$(CC)" CARGO_TARGET_DIR="$(LINK_CARGO_DIR)" bash tests/link/rust_tests.sh
