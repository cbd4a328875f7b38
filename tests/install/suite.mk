# tests/install/suite.mk - `make test-install`: packaging/install.mk end to
# end (tests/install/run.sh): install into a temporary prefix, build and run
# programs with pkg-config, check the soname, the version agreement of
# header / library / .pc / Rust crate, and that uninstall leaves nothing.

TEST_SUITES += test-install
.PHONY: test-install

test-install: $(BUILD)/liboxalloc.a $(BUILD)/liboxalloc.so $(BUILD)/oxalloc_override.o \
              $(BUILD)/liboxalloc_system.a
	@BUILD="$(BUILD)" CC="$(CC)" MAKE="$(MAKE)" bash tests/install/run.sh
