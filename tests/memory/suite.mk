# tests/memory/suite.mk - peak memory and the free paths that give memory
# back: `make test-memory`.  One program per behaviour, each with its own
# watchdog; run.sh adds an outer timeout and prints the closing line.
# MEMORY_LIB may name another build of the core to run the same programs.

MEMORY_DIR    := $(BUILD)/tests/memory
MEMORY_LIB    ?= $(BUILD)/liboxalloc.a
MEMORY_PROGS  := free_after_exit medium_window large_kept_once zeroed_reuse spare_pages \
                 remote_reuse carve_first
MEMORY_PROGS  += zeroed_calls huge_cycle
MEMORY_PROGS  += no_libgcc refill_touched thread_cost realloc_growth
MEMORY_PROGS  += huge_excess
MEMORY_PROGS  += kept_budget
MEMORY_PROGS  += carve_pairs
MEMORY_BINS   := $(MEMORY_PROGS:%=$(MEMORY_DIR)/%)
MEMORY_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
                 -Iinclude -Itests/core -Itests/lifecycle -pthread

$(MEMORY_BINS): $(MEMORY_DIR)/%: tests/memory/%.c tests/lifecycle/lc.h \
                tests/core/testutil.h $(MEMORY_LIB)
	@mkdir -p $(@D)
	$(CC) $(MEMORY_CFLAGS) $< $(MEMORY_LIB) -o $@ -pthread

TEST_SUITES += test-memory
.PHONY: test-memory
test-memory: $(MEMORY_BINS) $(BUILD)/liboxalloc.so
	@bash tests/memory/run.sh $(MEMORY_DIR) $(BUILD)/liboxalloc.so
