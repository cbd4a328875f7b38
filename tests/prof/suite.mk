# tests/prof/suite.mk - `make test-prof`: the heap profiler's
# profiles checked with the real `go tool pprof` (golang-go), the leak
# report, the signal dump, the C API scenarios, which frees go to the
# slow path.  About 30 s.

PROF_DIR    := $(BUILD)/tests/prof
PROF_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -pthread

# split runs under LD_PRELOAD; -rdynamic lets the leak report's dladdr
# name its functions.
$(PROF_DIR)/split: tests/prof/split.c
	@mkdir -p $(@D)
	$(CC) $(PROF_CFLAGS) -rdynamic $< -o $@
$(PROF_DIR)/live: tests/prof/live.c $(BUILD)/liboxalloc.a include/oxalloc.h
	@mkdir -p $(@D)
	$(CC) $(PROF_CFLAGS) $< $(BUILD)/liboxalloc.a -o $@ -pthread
$(PROF_DIR)/counters: tests/prof/counters.c $(BUILD)/liboxalloc.a include/oxalloc.h
	@mkdir -p $(@D)
	$(CC) $(PROF_CFLAGS) $< $(BUILD)/liboxalloc.a -o $@ -pthread
$(PROF_DIR)/dump_off: tests/prof/dump_off.c $(BUILD)/liboxalloc.a include/oxalloc.h
	@mkdir -p $(@D)
	$(CC) $(PROF_CFLAGS) $< $(BUILD)/liboxalloc.a -o $@ -pthread
$(PROF_DIR)/pages: tests/prof/pages.c $(BUILD)/liboxalloc.a c_src/internal.h c_src/types.h
	@mkdir -p $(@D)
	$(CC) $(PROF_CFLAGS) -Ic_src $< $(BUILD)/liboxalloc.a -o $@ -pthread
$(PROF_DIR)/table: tests/prof/table.c $(BUILD)/liboxalloc.a c_src/internal.h c_src/types.h
	@mkdir -p $(@D)
	$(CC) $(PROF_CFLAGS) -Ic_src $< $(BUILD)/liboxalloc.a -o $@ -pthread
$(PROF_DIR)/exit_pages: tests/prof/exit_pages.c $(BUILD)/liboxalloc.a include/oxalloc.h
	@mkdir -p $(@D)
	$(CC) $(PROF_CFLAGS) $< $(BUILD)/liboxalloc.a -o $@ -pthread
$(PROF_DIR)/unwind: tests/prof/unwind.c $(BUILD)/liboxalloc.a c_src/internal.h c_src/types.h c_src/prof_trace.h
	@mkdir -p $(@D)
	$(CC) $(PROF_CFLAGS) -O2 -Ic_src $< $(BUILD)/liboxalloc.a -o $@ -pthread

TEST_SUITES += test-prof
.PHONY: test-prof
test-prof: $(BUILD)/liboxalloc.so $(PROF_DIR)/split $(PROF_DIR)/live $(PROF_DIR)/dump_off \
           $(PROF_DIR)/counters $(PROF_DIR)/unwind $(PROF_DIR)/pages \
           $(PROF_DIR)/table $(PROF_DIR)/exit_pages
	@bash tests/prof/run.sh $(BUILD) $(abspath $(PROF_DIR))
