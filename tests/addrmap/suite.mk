# tests/addrmap/suite.mk - `make test-addrmap`: the address map
# (c_src/addr_map.c).  ox_owns / ox_usable_size on pointers being unmapped
# by another thread, in C and from Rust, release and checked builds (78 s
# of stress in all), pointers at and beyond 48 bits, the address space a
# process holds after its first allocation, and real programs under
# `ulimit -v 100000` with the preload library (tests/addrmap/run.sh).
# About 100 s.

ADDRMAP_DIR    := $(BUILD)/tests/addrmap
ADDRMAP_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
                  -Iinclude -Itests/core -pthread
ADDRMAP_DEPS   := tests/core/check.h $(wildcard include/*.h) $(BUILD)/liboxalloc.a

$(ADDRMAP_DIR)/dangling $(ADDRMAP_DIR)/high: $(ADDRMAP_DIR)/%: tests/addrmap/%.c $(ADDRMAP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ADDRMAP_CFLAGS) $< $(BUILD)/liboxalloc.a -o $@ -pthread

# The same against the checked build, whose ox_usable_size reads the
# block's trailer (or huge header) after the map look-up.
$(ADDRMAP_DIR)/dangling-checked: tests/addrmap/dangling.c $(ADDRMAP_DEPS) $(BUILD)/checked/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(ADDRMAP_CFLAGS) $< $(BUILD)/checked/liboxalloc.a -o $@ -pthread

# White-box: calls the map's own (hidden, statically linked) functions.
$(ADDRMAP_DIR)/map48 $(ADDRMAP_DIR)/bitmap_nohuge: $(ADDRMAP_DIR)/%: tests/addrmap/%.c $(ADDRMAP_DEPS) $(wildcard c_src/*.h)
	@mkdir -p $(@D)
	$(CC) $(ADDRMAP_CFLAGS) -Ic_src $< $(BUILD)/liboxalloc.a -o $@ -pthread

# The same small program with the system malloc (run under LD_PRELOAD) and
# with oxalloc linked in (the override object).
$(ADDRMAP_DIR)/vmsize: tests/addrmap/vmsize.c
	@mkdir -p $(@D)
	$(CC) $(ADDRMAP_CFLAGS) $< -o $@
$(ADDRMAP_DIR)/vmsize-linked: tests/addrmap/vmsize.c $(BUILD)/oxalloc_override.o $(BUILD)/liboxalloc.a
	@mkdir -p $(@D)
	$(CC) $(ADDRMAP_CFLAGS) $< $(BUILD)/oxalloc_override.o $(BUILD)/liboxalloc.a -o $@ -pthread

ADDRMAP_BINS := $(addprefix $(ADDRMAP_DIR)/,dangling dangling-checked high map48 bitmap_nohuge vmsize vmsize-linked)

TEST_SUITES += test-addrmap
.PHONY: test-addrmap
test-addrmap: $(ADDRMAP_BINS) $(BUILD)/liboxalloc.so
	@CARGO_TARGET_DIR="$(abspath $(BUILD))/cargo" bash tests/addrmap/run.sh $(BUILD) $(ADDRMAP_DIR)
