# tests/secure/suite.mk - the hardened build (make secure): the core suite
# must pass against it, and an overflow into a freed block must abort.
SECURE_CORE_BIN := $(BUILD)/secure/tests/core/core_tests
SECURE_OVERFLOW_BIN := $(BUILD)/secure/tests/overflow

$(SECURE_CORE_BIN): $(CORE_TEST_SRCS) $(wildcard tests/core/*.h) $(wildcard include/*.h) \
                    $(BUILD)/secure/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(CORE_TEST_SRCS) $(BUILD)/secure/liboxalloc.a -o $@ -pthread

$(SECURE_OVERFLOW_BIN): tests/secure/overflow.c include/oxalloc.h $(BUILD)/secure/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude $< $(BUILD)/secure/liboxalloc.a -o $@ -pthread

TEST_SUITES += test-secure
.PHONY: test-secure
test-secure: $(SECURE_CORE_BIN) $(SECURE_OVERFLOW_BIN)
	@bash tests/secure/run.sh $(SECURE_CORE_BIN) $(SECURE_OVERFLOW_BIN)
