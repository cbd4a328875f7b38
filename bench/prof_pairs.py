#!/usr/bin/env python3
"""bench/prof_pairs.py BUILD LIBOXALLOC_SO [--runs N] [WORKLOAD...] - the
heap profiler's wall-time cost measured in pairs: each workload runs N
times with profiling off and N times with OXALLOC_PROF=1 (default rate),
the two in turn (off first in odd pairs, on first in even ones), and the
cost is the median over the pairs of on / off.  A pair is seconds apart,
so the machine's drift and its other load touch both runs alike; this
sees costs of 1-2 % that the medians of `make bench` (its oxalloc+prof
row, five runs a few workloads apart) leave in the noise.  C workloads
run build/bench/oxbench under LD_PRELOAD, Rust ones rust-bench-oxalloc.
Run by `make bench-prof-pairs`; prints a markdown table and the
geometric mean (docs/profiling.md, "Cost").
"""
import argparse
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver"))
from workloads import C_WORKLOADS, RUST_WORKLOADS  # noqa: E402

# Workloads that sleep (idle-memory) or are paced by a timer (rss-return)
# measure the clock, not the allocator.
SKIPPED = {"idle-memory", "rss-return"}


def run(argv, env):
    """Wall seconds of one run (its output discarded); exits on failure."""
    start = time.perf_counter()
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    pid = os.posix_spawn(argv[0], argv, env, file_actions=devnull)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit(f"prof_pairs: {' '.join(argv)} failed (status {status})")
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("build", help="directory of oxbench and rust-bench-oxalloc")
    p.add_argument("so", help="liboxalloc.so for LD_PRELOAD")
    p.add_argument("--runs", type=int, default=11, help="pairs per workload")
    p.add_argument("workloads", nargs="*")
    args = p.parse_intermixed_args()
    workloads = args.workloads or [w for w in C_WORKLOADS + RUST_WORKLOADS if w not in SKIPPED]
    base = dict(os.environ)
    for k in [k for k in base if k.startswith("OXALLOC_")]:
        del base[k]
    print("| workload | off (ms) | on (ms) | on / off, median of pairs |")
    print("|---|---|---|---|")
    ratios = []
    for w in workloads:
        off_env, on_env = dict(base), dict(base, OXALLOC_PROF="1")
        if w in C_WORKLOADS:
            argv = [os.path.join(args.build, "oxbench"), "-s", "1", w]
            off_env["LD_PRELOAD"] = on_env["LD_PRELOAD"] = os.path.abspath(args.so)
        else:
            argv = [os.path.join(args.build, "rust-bench-oxalloc"), "-s", "1", w]
        off, on = [], []
        for i in range(args.runs):
            if i % 2:
                on.append(run(argv, on_env))
                off.append(run(argv, off_env))
            else:
                off.append(run(argv, off_env))
                on.append(run(argv, on_env))
        r = statistics.median(b / a for a, b in zip(off, on))
        ratios.append(r)
        print(f"| {w} | {1e3 * statistics.median(off):.1f} | {1e3 * statistics.median(on):.1f} | "
              f"×{r:.3f} |", flush=True)
    g = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    print(f"\ngeometric mean over {len(ratios)} workloads, {args.runs} pairs each: ×{g:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
