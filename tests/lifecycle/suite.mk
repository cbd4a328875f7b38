# tests/lifecycle/suite.mk - fork, thread exit, abandoned heaps and memory
# return, statistics of unused memory: `make test-lifecycle`.
# One program per behaviour, each with its own watchdog; run.sh adds an
# outer timeout and prints the closing line.  LIFECYCLE_LIB may name
# another build of the core (e.g. an older one) to run the same programs.

LIFECYCLE_DIR    := $(BUILD)/tests/lifecycle
LIFECYCLE_LIB    ?= $(BUILD)/liboxalloc.a
LIFECYCLE_PROGS  := fork_huge_lock fork_first_alloc \
                    fork_child_reuses fork_states exited_threads_return tls_dtor_alloc \
                    tls_dtor_first_alloc key_exhaustion collect_now trim_override \
                    background_idle unused_stats free_path_purge
LIFECYCLE_BINS   := $(LIFECYCLE_PROGS:%=$(LIFECYCLE_DIR)/%)
LIFECYCLE_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
                    -Iinclude -Itests/core -Itests/lifecycle -pthread

# trim_override calls malloc_trim: linked without oxalloc, run under
# LD_PRELOAD.
$(LIFECYCLE_DIR)/trim_override: tests/lifecycle/trim_override.c tests/lifecycle/lc.h \
                                $(BUILD)/liboxalloc.so
	@mkdir -p $(@D)
	$(CC) $(LIFECYCLE_CFLAGS) $< -o $@ -pthread

$(filter-out %/trim_override,$(LIFECYCLE_BINS)): $(LIFECYCLE_DIR)/%: tests/lifecycle/%.c \
                      tests/lifecycle/lc.h tests/core/testutil.h $(LIFECYCLE_LIB)
	@mkdir -p $(@D)
	$(CC) $(LIFECYCLE_CFLAGS) $< $(LIFECYCLE_LIB) -o $@ -pthread

TEST_SUITES += test-lifecycle
.PHONY: test-lifecycle
test-lifecycle: $(LIFECYCLE_BINS) $(BUILD)/liboxalloc.so
	@bash tests/lifecycle/run.sh $(LIFECYCLE_DIR) $(BUILD)/liboxalloc.so
