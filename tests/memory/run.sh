#!/usr/bin/env bash
# tests/memory/run.sh BINDIR [LIBOXALLOC_SO] - runs the memory programs, one process each,
# with an outer timeout on top of their own watchdogs, and prints
# "memory: N passed, N failed".
set -u
dir=$1
so=${2:-}
source "$(dirname "${BASH_SOURCE[0]}")/../cases.sh"

# Segments unmapped as soon as they empty, so a read after the free faults.
run free_after_exit 40 env OXALLOC_SEGMENT_CACHE=0 OXALLOC_SEGMENT_CACHE_MAX=0 \
  OXALLOC_PURGE_DELAY=0 "$dir/free_after_exit"
# Resident memory of a sliding window of mixed medium blocks.
run medium_window 70 "$dir/medium_window"
# One empty LARGE page kept per heap, not one per class.
run large_kept_once 40 "$dir/large_kept_once"
# Zeroed blocks in reused memory stay as resident as the program writes them.
run zeroed_reuse 40 "$dir/zeroed_reuse"
# ... and cost one system call per page, none that gives back a page just written.
run zeroed_calls 30 "$dir/zeroed_calls"
# Emptied MEDIUM pages stay in their class (spares) without raising the peak.
run spare_pages 40 "$dir/spare_pages"
# Classes used once keep their last pages only within a small budget.
run kept_budget 40 env OXALLOC_PURGE_DELAY=0 "$dir/kept_budget"
# Refilling a class uses the memory it wrote before fresh memory.
run refill_touched 40 "$dir/refill_touched"
# Resident memory of the first allocation of the process and of a thread.
run thread_cost 40 "$dir/thread_cost"
# A buffer grown by realloc holds about its own size at its peak.
run realloc_growth 40 "$dir/realloc_growth"
# libgcc_s (the profiler's unwinder) loaded only when profiling starts.
run no_libgcc 40 "$dir/no_libgcc"
[ -n "$so" ] && run no_libgcc_preload 40 env LD_PRELOAD="$so" "$dir/no_libgcc" preload

# Another thread's freed blocks of any class serve the freeing thread's allocations.
run remote_reuse 40 "$dir/remote_reuse"

# A freed huge block is cached only once huge blocks cycle (a long delay:
# the test's steps must fall within it on a loaded machine).
run huge_cycle 30 env OXALLOC_PURGE_DELAY=10000 "$dir/huge_cycle"
# A cached huge mapping reused for a much smaller block after a wait: its
# excess not resident (purge delay 3.2 s: cold after 100 ms).
run huge_excess 30 env OXALLOC_PURGE_DELAY=3200 "$dir/huge_excess"

# A class's page being carved for the first time is carved to its end first.
run carve_first 40 "$dir/carve_first"
# Blocks of 2-16 KiB used now and then: two carved per class, four when one class cycles.
run carve_pairs 30 "$dir/carve_pairs"

finish memory
