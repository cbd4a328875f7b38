# tests/checked/suite.mk - every misuse the checked build promises to catch
# aborts with exactly the documented line, address included.
CHECKED_MISUSE_BIN := $(BUILD)/checked/tests/misuse

$(CHECKED_MISUSE_BIN): tests/checked/misuse.c $(wildcard include/*.h) $(BUILD)/checked/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude $< $(BUILD)/checked/liboxalloc.a \
	    -o $@ -pthread

TEST_SUITES += test-checked
.PHONY: test-checked
test-checked: $(CHECKED_MISUSE_BIN)
	$(CHECKED_MISUSE_BIN)
