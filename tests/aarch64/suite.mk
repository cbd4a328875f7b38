# tests/aarch64/suite.mk - `make test-aarch64`: the C core
# cross-built for aarch64 (aarch64-linux-gnu-gcc, into $(BUILD)/aarch64 by
# this Makefile's own rules) and its C suites run under qemu-aarch64, with
# 4 KiB and 64 KiB pages (tests/aarch64/run.sh).  About 3-5 minutes.

AARCH64_CC     ?= aarch64-linux-gnu-gcc
AARCH64_BUILD  := $(BUILD)/aarch64

TEST_SUITES += test-aarch64
.PHONY: test-aarch64
test-aarch64:
	@MAKE="$(MAKE)" AARCH64_CC="$(AARCH64_CC)" bash tests/aarch64/run.sh $(AARCH64_BUILD)
