# tests/core/suite.mk - the core C suite: `make test-core`.
# One binary linked against the core library (no malloc override); each
# test runs in its own process (see tests/core/runner.c).
# CORE_TEST_LIB may point at another library with the same API.

CORE_TEST_LIB  ?= $(BUILD)/liboxalloc.a
CORE_TEST_BIN  := $(BUILD)/tests/core/core_tests
CORE_TEST_SRCS := $(sort $(wildcard tests/core/*.c))
CORE_CFLAGS    := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
                  -Iinclude -Itests/core -pthread

$(CORE_TEST_BIN): $(CORE_TEST_SRCS) $(wildcard tests/core/*.h) \
                  $(wildcard include/*.h) $(CORE_TEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(CORE_TEST_SRCS) $(CORE_TEST_LIB) -o $@ -pthread

TEST_SUITES += test-core
.PHONY: test-core
test-core: $(CORE_TEST_BIN)
	$(CORE_TEST_BIN)

# The same suite against the checked build: every check must also hold
# with trailers, canaries and freed patterns in place.
CORE_CHECKED_BIN := $(BUILD)/checked/tests/core/core_tests
$(CORE_CHECKED_BIN): $(CORE_TEST_SRCS) $(wildcard tests/core/*.h) \
                     $(wildcard include/*.h) $(BUILD)/checked/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(CORE_TEST_SRCS) $(BUILD)/checked/liboxalloc.a \
	    -o $@ -pthread

TEST_SUITES += test-core-checked
.PHONY: test-core-checked
test-core-checked: $(CORE_CHECKED_BIN)
	$(CORE_CHECKED_BIN)
