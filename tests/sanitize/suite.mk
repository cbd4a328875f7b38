# tests/sanitize/suite.mk - sanitizer and valgrind runs (tests/sanitize).
#
#   make test-sanitize   (a) UBSan (gcc, -fno-sanitize-recover=all): smoke.c
#                            and the core suite (tests/core), core built with it
#                        (b) TSan (clang): tsan_threads.c and tsan_stats.c
#                            (statistics read during allocation) compiled with the core
#                        (c) valgrind memcheck: smoke.c and the quicker core
#                            tests linked against $(BUILD)/liboxalloc.a, and
#                            smoke.c and huge_split.c against the checked build
#                            (which reports its blocks to valgrind), must be
#                            clean; misuse
#                            (misuse.c) in the checked build must be reported
# The runs themselves are in run_sanitize.sh; closing line
# "sanitize: N passed, N failed".
SAN_DIR        := $(BUILD)/sanitize
SAN_GCC        ?= gcc
SAN_CLANG      ?= clang
SAN_UBSAN      := -fsanitize=undefined -fno-sanitize-recover=all
SAN_TSAN       := -fsanitize=thread -O1
SAN_TEST_FLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude \
                  -Itests/core -pthread
SAN_CORE_TESTS := $(sort $(wildcard tests/core/*.c))
SAN_CORE_HDRS  := $(wildcard tests/core/*.h)
SAN_UBSAN_OBJS := $(CORE_SRCS:c_src/%.c=$(SAN_DIR)/ubsan/obj/%.o)
SAN_TSAN_OBJS  := $(CORE_SRCS:c_src/%.c=$(SAN_DIR)/tsan/obj/%.o)

# The core, once per sanitizer, with the Makefile's flags plus the sanitizer.
$(SAN_DIR)/ubsan/obj/%.o: c_src/%.c $(C_HEADERS) tests/sanitize/suite.mk
	@mkdir -p $(@D)
	$(SAN_GCC) $(BASE_FLAGS) $(SAN_UBSAN) -c $< -o $@

# BASE_FLAGS are tuned for gcc: a warning only clang gives must not stop
# the TSan build (it is still printed).
$(SAN_DIR)/tsan/obj/%.o: c_src/%.c $(C_HEADERS) tests/sanitize/suite.mk
	@mkdir -p $(@D)
	$(SAN_CLANG) $(BASE_FLAGS) $(SAN_TSAN) -Wno-error -c $< -o $@

$(SAN_DIR)/ubsan_smoke: tests/sanitize/smoke.c $(SAN_UBSAN_OBJS)
	$(SAN_GCC) $(SAN_TEST_FLAGS) $(SAN_UBSAN) $^ -o $@ -pthread

$(SAN_DIR)/ubsan_core_tests: $(SAN_CORE_TESTS) $(SAN_CORE_HDRS) $(SAN_UBSAN_OBJS)
	$(SAN_GCC) $(SAN_TEST_FLAGS) $(SAN_UBSAN) $(SAN_CORE_TESTS) $(SAN_UBSAN_OBJS) \
	    -o $@ -pthread

$(SAN_DIR)/tsan_threads: tests/sanitize/tsan_threads.c $(SAN_TSAN_OBJS)
	$(SAN_CLANG) $(SAN_TEST_FLAGS) $(SAN_TSAN) $^ -o $@ -pthread

# Statistics read while other threads allocate.
$(SAN_DIR)/tsan_stats: tests/sanitize/tsan_stats.c $(SAN_TSAN_OBJS)
	$(SAN_CLANG) $(SAN_TEST_FLAGS) $(SAN_TSAN) $^ -o $@ -pthread

# valgrind runs use the release library as users link it.
$(SAN_DIR)/vg_%: tests/sanitize/%.c $(BUILD)/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(SAN_TEST_FLAGS) $^ -o $@ -pthread

# The checked build describes its blocks to valgrind (client requests).
$(SAN_DIR)/vgc_%: tests/sanitize/%.c $(BUILD)/checked/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(SAN_TEST_FLAGS) $^ -o $@ -pthread

$(SAN_DIR)/vg_core_tests: $(SAN_CORE_TESTS) $(SAN_CORE_HDRS) $(BUILD)/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(SAN_TEST_FLAGS) $(SAN_CORE_TESTS) $(BUILD)/liboxalloc.a -o $@ -pthread

SAN_BINS := $(SAN_DIR)/ubsan_smoke $(SAN_DIR)/tsan_threads $(SAN_DIR)/tsan_stats $(SAN_DIR)/vg_smoke \
            $(SAN_DIR)/vgc_smoke $(SAN_DIR)/vgc_misuse $(SAN_DIR)/vgc_huge_split
ifneq ($(SAN_CORE_TESTS),)
SAN_BINS += $(SAN_DIR)/ubsan_core_tests $(SAN_DIR)/vg_core_tests
endif

TEST_SUITES += test-sanitize
.PHONY: test-sanitize
test-sanitize: $(SAN_BINS)
	@bash tests/sanitize/run_sanitize.sh $(SAN_DIR)
