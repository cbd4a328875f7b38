# tests/stress/suite.mk - stress, churn, fork, OOM and fault-injection
# tests: `make test-stress`.  Every program has its own watchdog;
# tests/stress/run.sh adds an outer timeout and prints the closing line.

STRESS_DIR    := $(BUILD)/tests/stress
STRESS_PROGS  := stress churn forkloop oom reuse
STRESS_BINS   := $(STRESS_PROGS:%=$(STRESS_DIR)/%) $(STRESS_DIR)/faulty \
                 $(STRESS_DIR)/stress-checked $(STRESS_DIR)/reuse-checked
STRESS_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
                 -Iinclude -Itests/core -pthread
STRESS_DEPS   := tests/core/check.h tests/core/testutil.h $(wildcard include/*.h)

$(STRESS_PROGS:%=$(STRESS_DIR)/%): $(STRESS_DIR)/%: tests/stress/%.c \
                                   $(STRESS_DEPS) $(BUILD)/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(STRESS_CFLAGS) $< $(BUILD)/liboxalloc.a -o $@ -pthread

# The fault-injection test links the faulty build of the core.
$(STRESS_DIR)/faulty: tests/stress/faulty.c $(STRESS_DEPS) \
                      $(BUILD)/faulty/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(STRESS_CFLAGS) $< $(BUILD)/faulty/liboxalloc.a -o $@ -pthread

# The random-operation stress against the checked build: its layout and
# double-free checks must not fire on correct use under concurrency.
$(STRESS_DIR)/stress-checked: tests/stress/stress.c $(STRESS_DEPS) \
                              $(BUILD)/checked/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(STRESS_CFLAGS) $< $(BUILD)/checked/liboxalloc.a -o $@ -pthread

# Blocks reused by a thread that does not own them, against the checked
# build too: its trailers catch a block handed out twice.
$(STRESS_DIR)/reuse-checked: tests/stress/reuse.c $(STRESS_DEPS) \
                             $(BUILD)/checked/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(STRESS_CFLAGS) $< $(BUILD)/checked/liboxalloc.a -o $@ -pthread

TEST_SUITES += test-stress
.PHONY: test-stress
test-stress: $(STRESS_BINS)
	@bash tests/stress/run.sh $(STRESS_DIR)
