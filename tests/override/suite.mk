# tests/override/suite.mk - `make test-override`: the malloc
# family override, run twice - statically linked with oxalloc_override.o
# and under LD_PRELOAD=liboxalloc.so - plus the foreign-pointer abort of
# the checked build.  run.sh sums the per-program closing lines.
# OVERRIDE_CHECKED_PENDING=1 would report a failing checked-build abort test
# as an expected failure (it was, until the checked build named foreign
# pointers); it passes now, so it counts.

OVR_DIR      := $(BUILD)/tests/override
OVR_CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fno-builtin \
                -D_GNU_SOURCE -Iinclude -pthread
OVR_CXXFLAGS := -std=c++17 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
                -fsized-deallocation
OVR_CXX      := $(shell command -v g++ 2>/dev/null)
OVR_C_TESTS  := family life foreign contract
OVR_STATIC   := $(BUILD)/oxalloc_override.o $(BUILD)/liboxalloc.a
OVERRIDE_CHECKED_PENDING ?= 0

OVR_BINS := $(foreach t,$(OVR_C_TESTS),$(OVR_DIR)/$(t)_preload $(OVR_DIR)/$(t)_static) \
            $(OVR_DIR)/early_lib.so
ifneq ($(OVR_CXX),)
OVR_BINS += $(OVR_DIR)/cxx_preload $(OVR_DIR)/cxx_static
endif

$(OVR_DIR)/%_preload: tests/override/test_%.c tests/override/check.h
	@mkdir -p $(@D)
	$(CC) $(OVR_CFLAGS) $< -o $@ -ldl

$(OVR_DIR)/%_static: tests/override/test_%.c tests/override/check.h $(OVR_STATIC)
	@mkdir -p $(@D)
	$(CC) $(OVR_CFLAGS) $< $(OVR_STATIC) -rdynamic -ldl -o $@

$(OVR_DIR)/early_lib.so: tests/override/early_lib.c
	@mkdir -p $(@D)
	$(CC) $(OVR_CFLAGS) -shared -fPIC $< -o $@

$(OVR_DIR)/cxx_preload: tests/override/test_cxx.cpp
	@mkdir -p $(@D)
	$(OVR_CXX) $(OVR_CXXFLAGS) $< -o $@ -ldl

$(OVR_DIR)/cxx_static: tests/override/test_cxx.cpp $(OVR_STATIC)
	@mkdir -p $(@D)
	$(OVR_CXX) $(OVR_CXXFLAGS) $< $(OVR_STATIC) -rdynamic -ldl -o $@

TEST_SUITES += test-override
.PHONY: test-override
test-override: $(OVR_BINS) $(BUILD)/liboxalloc.so $(BUILD)/checked/liboxalloc.so
	@OVERRIDE_CHECKED_PENDING=$(OVERRIDE_CHECKED_PENDING) \
	  bash tests/override/run.sh $(BUILD) $(OVR_DIR)
