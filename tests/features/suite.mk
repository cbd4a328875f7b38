# tests/features/suite.mk - statistics, options and first-class heaps (C API).
FEATURES_BIN := $(BUILD)/tests/features/features

$(FEATURES_BIN): tests/features/features.c $(wildcard include/*.h) $(BUILD)/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude $< $(BUILD)/liboxalloc.a -o $@ -pthread

TEST_SUITES += test-features
.PHONY: test-features
test-features: $(FEATURES_BIN) $(BUILD)/liboxalloc.so
	@bash tests/features/run.sh $(FEATURES_BIN) $(abspath $(BUILD)/liboxalloc.so)
