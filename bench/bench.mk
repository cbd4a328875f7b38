# bench/bench.mk - the benchmark suite (docs/benchmarks.md), included by
# the top Makefile.
#
#   make bench            full run (5 repetitions), report in $(BENCH_OUT)
#   make bench-publish    copy that report into bench/results/ (+ history/)
#                         and the README's results section from it
#   make bench-quick      a smoke test in about a minute (build/bench/quick/)
#   make bench-callgrind  instructions per alloc+free pair only
#   make bench-prof-cost  the heap profiler's cost in instructions, per workload
#   make bench-prof-pairs the heap profiler's cost in wall time, from paired runs
#
# Only bench-publish writes into the checkout.  Nothing here stops when
# oxalloc fails to build: its rows become FAILED.

BENCH_BUILD   ?= $(BUILD)/bench
BENCH_TARGET  ?= $(BENCH_BUILD)/target
BENCH_REPS    ?= 5
BENCH_TIMEOUT ?= 60
BENCH_OUT     ?= $(BENCH_BUILD)/results
BENCH_CC_FLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -Iinclude
BENCH_ALLOCS  := oxalloc glibc jemalloc mimalloc tcmalloc
BENCH_OX_SO   := $(abspath $(BUILD)/liboxalloc.so)
BENCH_DRIVER  := python3 bench/driver/run.py --build $(BENCH_BUILD) --oxalloc-so $(BENCH_OX_SO)
BENCH_C_SRCS  := bench/c/main.c $(wildcard bench/c/wl_*.c)
CARGO         ?= $(shell command -v cargo || echo $(HOME)/.cargo/bin/cargo)

.PHONY: bench bench-quick bench-publish bench-callgrind bench-build bench-build-ox bench-rust

$(BENCH_BUILD)/oxbench: $(BENCH_C_SRCS) bench/c/common.h bench/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CC_FLAGS) $(BENCH_C_SRCS) -o $@

# launch: forks, execs and wait4s one run (bench/c/launch.c).
$(BENCH_BUILD)/launch: bench/c/launch.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CC_FLAGS) $< -o $@

# whoami.so: preloaded into the real programs, names their allocator.
$(BENCH_BUILD)/whoami.so: bench/c/whoami.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CC_FLAGS) -shared -fPIC $< -o $@

# fastpath-API: bench/c/fastpath.c against one allocator's Rust-facing API.
$(BENCH_BUILD)/fastpath-malloc: bench/c/fastpath.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CC_FLAGS) -DFP_API=5 $< -o $@
$(BENCH_BUILD)/fastpath-jemalloc: bench/c/fastpath.c
	$(CC) $(BENCH_CC_FLAGS) -DFP_API=2 $< -o $@ -ljemalloc
$(BENCH_BUILD)/fastpath-mimalloc: bench/c/fastpath.c
	$(CC) $(BENCH_CC_FLAGS) -DFP_API=3 $< -o $@ -lmimalloc
$(BENCH_BUILD)/fastpath-tcmalloc: bench/c/fastpath.c
	$(CC) $(BENCH_CC_FLAGS) -DFP_API=4 $< -o $@ -ltcmalloc_minimal
$(BENCH_BUILD)/fastpath-oxalloc: bench/c/fastpath.c $(BUILD)/liboxalloc.a
	$(CC) $(BENCH_CC_FLAGS) -DFP_API=1 $< $(BUILD)/liboxalloc.a -o $@

BENCH_FASTPATH := $(BENCH_BUILD)/fastpath-malloc $(BENCH_BUILD)/fastpath-jemalloc \
                  $(BENCH_BUILD)/fastpath-mimalloc $(BENCH_BUILD)/fastpath-tcmalloc

# One Rust binary per allocator: the same crate built with one alloc-*
# feature.  A failed build leaves no binary, and the driver reports FAILED.
# rust-logproc-*: the Rust real program (bench/realrust, its own workspace)
# from Debian's crates in /usr/share/cargo/registry, a directory source
# given on the command line, offline.
BENCH_REAL_CARGO := --offline --config 'source.crates-io.replace-with="debian"' \
  --config 'source.debian.directory="/usr/share/cargo/registry"'
bench-rust:
	@mkdir -p $(BENCH_BUILD)
	@for a in $(BENCH_ALLOCS); do \
	  rm -f $(BENCH_BUILD)/rust-bench-$$a $(BENCH_BUILD)/rust-logproc-$$a; \
	  echo "cargo build oxalloc-bench and oxalloc-logproc --features alloc-$$a"; \
	  CARGO_TARGET_DIR=$(abspath $(BENCH_TARGET)) $(CARGO) build --release -q \
	    -p oxalloc-bench --features alloc-$$a \
	  && cp $(BENCH_TARGET)/release/oxalloc-bench $(BENCH_BUILD)/rust-bench-$$a \
	  || echo "bench: the Rust benchmark for $$a did not build" >&2; \
	  CARGO_TARGET_DIR=$(abspath $(BENCH_TARGET))-real $(CARGO) build --release -q \
	    $(BENCH_REAL_CARGO) --manifest-path bench/realrust/Cargo.toml --features alloc-$$a \
	  && cp $(BENCH_TARGET)-real/release/oxalloc-logproc $(BENCH_BUILD)/rust-logproc-$$a \
	  || echo "bench: the Rust real program for $$a did not build" >&2; \
	done

# oxalloc's own libraries, allowed to fail (FAILED rows, not a stop).
bench-build-ox:
	-@rm -f $(BENCH_BUILD)/fastpath-oxalloc
	-$(MAKE) --no-print-directory release
	-$(MAKE) --no-print-directory $(BENCH_BUILD)/fastpath-oxalloc

bench-build: $(BENCH_BUILD)/oxbench $(BENCH_BUILD)/launch $(BENCH_BUILD)/whoami.so \
             $(BENCH_FASTPATH) bench-build-ox bench-rust

bench: bench-build
	$(BENCH_DRIVER) --reps $(BENCH_REPS) --timeout $(BENCH_TIMEOUT) --callgrind \
	  --out $(BENCH_OUT) --command "make bench"

# Copies the report of the last `make bench` (in BENCH_OUT) into
# bench/results/: the one target that changes the checkout.
bench-publish:
	python3 bench/driver/publish.py --from $(BENCH_OUT) --to bench/results
	python3 tests/docs/readme_results.py --write

bench-quick: bench-build
	$(BENCH_DRIVER) --reps 2 --scale 0.03 --timeout 20 --smoke \
	  --out $(BENCH_BUILD)/quick --command "make bench-quick"

bench-callgrind: $(BENCH_FASTPATH) bench-build-ox
	$(BENCH_DRIVER) --callgrind-only --out $(BENCH_BUILD)

# The heap profiler's cost in instructions (callgrind), on and off, per C
# workload (docs/profiling.md, "Cost").
.PHONY: bench-prof-cost
bench-prof-cost: $(BENCH_BUILD)/oxbench release
	bash bench/prof_cost.sh $(BENCH_BUILD)/oxbench $(abspath $(BUILD)/liboxalloc.so)

# The heap profiler's cost in wall time, from pairs of runs on and off
# per workload (docs/profiling.md, "Cost").
.PHONY: bench-prof-pairs
bench-prof-pairs: $(BENCH_BUILD)/oxbench release bench-rust
	python3 bench/prof_pairs.py $(BENCH_BUILD) $(abspath $(BUILD)/liboxalloc.so)

# The cost of the secure build (make secure) against the release build.
.PHONY: bench-secure
bench-secure: $(BENCH_BUILD)/oxbench release secure
	bash bench/secure_cost.sh $(BENCH_BUILD)/oxbench $(abspath $(BUILD)/liboxalloc.so) \
	  $(abspath $(BUILD)/secure/liboxalloc.so)
