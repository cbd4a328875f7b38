# oxalloc - top-level build.
#
#   make            build/liboxalloc.a, build/liboxalloc.so (LD_PRELOAD),
#                   build/liboxalloc_system.a (polyfill), build/oxalloc_override.o
#   make test       every test suite (C, link matrix, Rust, real programs, ...)
#   make bench      the benchmark suite against glibc/jemalloc/mimalloc/tcmalloc
#   make checked    the checked build under build/checked/
#   make secure     the hardened build under build/secure/
#   make clean
#
# Test suites and benchmark targets live in fragments (tests/*/suite.mk,
# bench/bench.mk) that add themselves to TEST_SUITES.

BUILD      ?= build
CC         ?= cc
OPT        ?= -O2
CFLAGS     ?=
WARN       := -Wall -Wextra -Werror
BASE_FLAGS := -std=c11 $(OPT) -g $(WARN) -fPIC -fvisibility=hidden -pthread \
              -D_GNU_SOURCE -Iinclude -Ic_src $(CFLAGS)
LDLIBS_OX  := -pthread

CORE_SRCS  := $(sort $(filter-out c_src/override.c c_src/system_shim.c,$(wildcard c_src/*.c)))
C_HEADERS  := $(wildcard c_src/*.h include/*.h)

.PHONY: all test release checked faulty secure clean
all:

# variant NAME DIR EXTRA_FLAGS: objects and libraries of one build flavour.
define variant
$(2)/obj/%.o: c_src/%.c $$(C_HEADERS) Makefile
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_FLAGS) $(3) -c $$< -o $$@

$(2)/liboxalloc.a: $$(CORE_SRCS:c_src/%.c=$(2)/obj/%.o)
	@rm -f $$@
	ar rcs $$@ $$^

$(2)/liboxalloc.so: $$(CORE_SRCS:c_src/%.c=$(2)/obj/%.o) $(2)/obj/override.o
	$$(CC) -shared -Wl,-soname,liboxalloc.so.$$(OX_SOVERSION) -o $$@ $$^ $$(LDLIBS_OX)

$(2)/oxalloc_override.o: $(2)/obj/override.o
	cp $$< $$@

$(2)/liboxalloc_system.a: $(2)/obj/system_shim.o
	@rm -f $$@
	ar rcs $$@ $$^

$(1): $(2)/liboxalloc.a $(2)/liboxalloc.so $(2)/liboxalloc_system.a $(2)/oxalloc_override.o
endef

# The soname's number is the major version, read from include/oxalloc.h
# (the one place the version is written; packaging/install.mk reads it too).
OX_SOVERSION := $(shell sed -n 's/^.define OXALLOC_VERSION_MAJOR *\([0-9][0-9]*\).*/\1/p' include/oxalloc.h)
$(eval $(call variant,release,$(BUILD),))
$(eval $(call variant,checked,$(BUILD)/checked,-DOX_CHECKED=1))
$(eval $(call variant,faulty,$(BUILD)/faulty,-DOX_FAULT_INJECTION=1))
$(eval $(call variant,secure,$(BUILD)/secure,-DOX_SECURE=1))

all: release

TEST_SUITES :=
include $(sort $(wildcard tests/*/suite.mk))
-include bench/bench.mk
-include $(wildcard packaging/*.mk)

# The one test command: runs every suite, then prints the total line.
test: all
	@bash tests/run_all.sh $(TEST_SUITES)

clean:
	rm -rf $(BUILD) target
