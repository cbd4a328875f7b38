# tests/fuzz/suite.mk - the libFuzzer harness over the whole API (tests/fuzz).
#
#   make fuzz [FUZZ_SECONDS=N]   fuzz for N seconds (default 60)
#   make test-fuzz               the 60-second run that `make test` includes
#   FUZZ_VARIANT=checked         fuzz the checked build (-DOX_CHECKED=1)
#                                instead, in $(BUILD)/fuzz-checked/
#
# The harness is compiled with clang together with the core sources (so that
# libFuzzer's coverage reaches the allocator), with the core's flags plus
# -O1 and UBSan.  Seeds: tests/fuzz/corpus/ (written by make_corpus.py);
# saved crash inputs in tests/fuzz/crashes/ are replayed first.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_VARIANT ?= release
FUZZ_DIR     := $(BUILD)/fuzz$(if $(filter checked,$(FUZZ_VARIANT)),-checked)
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_ops
FUZZ_FLAGS   := $(BASE_FLAGS) -O1 -g -fsanitize=fuzzer,undefined -fno-sanitize-recover=undefined \
                $(if $(filter checked,$(FUZZ_VARIANT)),-DOX_CHECKED=1)
FUZZ_OBJS    := $(CORE_SRCS:c_src/%.c=$(FUZZ_DIR)/obj/%.o)

# BASE_FLAGS are tuned for gcc: a warning only clang gives must not stop
# the fuzzer from being built (it is still printed).
$(FUZZ_DIR)/obj/%.o: c_src/%.c $(C_HEADERS) tests/fuzz/suite.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Wno-error -c $< -o $@

$(FUZZ_BIN): tests/fuzz/fuzz_ops.c $(FUZZ_OBJS) $(C_HEADERS)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/fuzz_ops.c $(FUZZ_OBJS) -o $@ $(LDLIBS_OX)

.PHONY: fuzz test-fuzz
fuzz: $(FUZZ_BIN)
	@bash tests/fuzz/run_fuzz.sh $(FUZZ_BIN) $(FUZZ_SECONDS) $(FUZZ_DIR)/run

TEST_SUITES += test-fuzz
test-fuzz: $(FUZZ_BIN)
	@bash tests/fuzz/run_fuzz.sh $(FUZZ_BIN) 60 $(FUZZ_DIR)/run
