#!/usr/bin/env python3
"""Benchmark driver (`make bench`, `make bench-quick`, `make bench-callgrind`).

Runs every allocator on every workload, interleaved (for each repetition,
for each workload: oxalloc glibc jemalloc mimalloc tcmalloc, then the
workload's extra rows), measures each run with wait4 (bench/c/launch.c),
then writes into OUT: runs.csv (every run), meta.json (date, machine,
command), and the report (report.py).  It never writes outside OUT:
publishing into the repository is publish.py's job (`make bench-publish`).
Owned by bench/driver; documented in docs/benchmarks.md.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import callgrind  # noqa: E402
import report  # noqa: E402
from measure import Run, measure  # noqa: E402
from workloads import ALL_WORKLOADS, REAL_WORKLOADS, launch, rows  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", required=True, help="directory of oxbench, rust-bench-*, fastpath-*")
    p.add_argument("--oxalloc-so", required=True, help="liboxalloc.so for LD_PRELOAD")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    p.add_argument("--out", required=True, help="directory of the report (never the repository's)")
    p.add_argument("--smoke", action="store_true", help="label the report a smoke test (bench-quick)")
    p.add_argument("--callgrind", action="store_true", help="also measure the fast path")
    p.add_argument("--callgrind-only", action="store_true")
    p.add_argument("--only", help="comma-separated workloads (for development)")
    p.add_argument("--command", default="make bench", help="command named in the report")
    return p.parse_args()


def progress(text):
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


def prepare_real(args, workloads):
    """The real programs' inputs (a generated git repository), made once
    per build directory, outside any measured run."""
    if "git-gc" not in workloads:
        return
    real_dir = os.path.join(args.build, "real")
    if os.path.isdir(os.path.join(real_dir, "git-template", ".git", "objects", "pack")):
        return
    progress("preparing the git repository of git-gc (once) ...")
    os.makedirs(real_dir, exist_ok=True)
    subprocess.run(["bash", os.path.join(HERE, "..", "real", "real.sh"), "prepare", os.path.abspath(real_dir)],
                   check=False, stdout=subprocess.DEVNULL)


def run_matrix(args, workloads):
    """{(workload, row): [Run]}; a pair that timed out is not run again
    (its remaining repetitions are recorded as skipped)."""
    runs, launches, timed_out = {}, {}, set()
    launcher = os.path.join(args.build, "launch")
    total = args.reps * sum(len(rows(w)) for w in workloads)
    done = 0
    for rep in range(1, args.reps + 1):
        for w in workloads:
            for row, _ in rows(w):
                done += 1
                key = (w, row)
                l = launches.setdefault(key, launch(w, row, args.build, args.oxalloc_so, args.scale))
                if key in timed_out:
                    r = Run()
                    r.reason = "skipped: an earlier repetition timed out"
                else:
                    progress(f"[{done}/{total}] rep {rep}/{args.reps} {w} / {row} ...")
                    r = measure(l, args.timeout, launcher)
                    if r.reason.startswith("timeout"):
                        timed_out.add(key)
                    if not r.ok:
                        progress(f"    FAILED: {r.reason}")
                runs.setdefault(key, []).append(r)
    return runs, launches


def main():
    args = parse_args()
    start = time.time()
    load_start = os.getloadavg()
    cg = ([], {}, callgrind.SIZES)
    if args.callgrind or args.callgrind_only:
        labels, results = callgrind.measure_all(args.build, args.oxalloc_so, progress)
        cg = (labels, results, callgrind.SIZES)
    os.makedirs(args.out, exist_ok=True)
    if args.callgrind_only:
        table = "\n".join(report.callgrind_table(*cg))
        with open(os.path.join(args.out, "callgrind.md"), "w") as f:
            f.write(table + "\n")
        print(table)
        return 0
    workloads = ALL_WORKLOADS
    if args.only:
        workloads = [w for w in workloads if w in args.only.split(",")]
    prepare_real(args, workloads)
    runs, launches = run_matrix(args, workloads)
    now = datetime.datetime.now(datetime.timezone.utc)
    ctx = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "stamp": now.strftime("%Y-%m-%d-%H%M"),
           "command": args.command, "scale": args.scale, "reps": args.reps, "smoke": args.smoke,
           "partial": bool(args.only),
           "elapsed": time.time() - start, "load": [load_start, os.getloadavg()],
           "workloads": workloads,
           "machine": report.machine_info(os.path.dirname(os.path.dirname(HERE)))}
    report.write_runs(os.path.join(args.out, "runs.csv"), runs)
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(ctx, f, indent=1)
    cells, shown = report.generate(args.out, runs, ctx, launches, cg)
    print("\n".join(report.headline_table(cells, shown)))
    print()
    failed = sum(1 for c in cells.values() if c.failed)
    if args.smoke:
        print(f"SMOKE TEST (scale {args.scale:g}, {args.reps} runs each): checks that every workload "
              f"runs and agrees under every allocator; {failed} of {len(cells)} cells FAILED (see "
              f"{args.out}/latest.md). No ratios, no geometric means: these are not results.")
    else:
        print("\n".join(report.micro_summary(cells, shown)))
        print("\n".join(report.prof_cost(cells, shown)))
        print()
        print("\n".join(report.win_statements(cells, shown)))
    progress(f"wrote {args.out}/latest.md, latest.csv, runs.csv"
             + ("" if args.smoke else ", summary.md, latest-time.png, latest-rss.png")
             + f" ({(time.time() - start) / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
