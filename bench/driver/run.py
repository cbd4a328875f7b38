#!/usr/bin/env python3
"""Benchmark driver (`make bench`, `make bench-quick`, `make bench-callgrind`).

Runs every allocator on every workload, interleaved (for each repetition,
for each workload: oxalloc glibc jemalloc mimalloc tcmalloc), measures each
run with os.wait4, then writes the report (see report.py).  Owned by
bench/driver; documented in bench/README.md.
"""
import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import callgrind  # noqa: E402
import report  # noqa: E402
from measure import Run, measure  # noqa: E402
from workloads import ALLOCATORS, C_WORKLOADS, RUST_WORKLOADS, launch  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", required=True, help="directory of oxbench, rust-bench-*, fastpath-*")
    p.add_argument("--oxalloc-so", required=True, help="liboxalloc.so for LD_PRELOAD")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    p.add_argument("--out", required=True, help="directory for latest.{md,csv,png}")
    p.add_argument("--history", action="store_true", help="also keep a dated copy in OUT/history")
    p.add_argument("--readme", help="README whose latest-results section is replaced")
    p.add_argument("--callgrind", action="store_true", help="also measure the fast path")
    p.add_argument("--callgrind-only", action="store_true")
    p.add_argument("--only", help="comma-separated workloads (for development)")
    p.add_argument("--command", default="make bench", help="command named in the report")
    return p.parse_args()


def progress(text):
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


def run_matrix(args, workloads):
    """{(workload, allocator): [Run]}; a pair that timed out is not run
    again (its remaining repetitions are recorded as skipped)."""
    runs, launches, timed_out = {}, {}, set()
    launcher = os.path.join(args.build, "launch")
    total, done = args.reps * len(workloads) * len(ALLOCATORS), 0
    for rep in range(1, args.reps + 1):
        for w in workloads:
            for a in ALLOCATORS:
                done += 1
                l = launches.setdefault((w, a), launch(w, a, args.build, args.oxalloc_so, args.scale))
                if (w, a) in timed_out:
                    r = Run()
                    r.reason = "skipped: an earlier repetition timed out"
                else:
                    progress(f"[{done}/{total}] rep {rep}/{args.reps} {w} / {a} ...")
                    r = measure(l, args.timeout, launcher)
                    if r.reason.startswith("timeout"):
                        timed_out.add((w, a))
                    if not r.ok:
                        progress(f"    FAILED: {r.reason}")
                runs.setdefault((w, a), []).append(r)
    return runs, launches


def write_outputs(args, ctx, cells, workloads, launches, cg):
    os.makedirs(args.out, exist_ok=True)
    md = report.markdown(ctx, cells, workloads, launches, cg)
    paths = {ext: os.path.join(args.out, f"latest.{ext}") for ext in ("md", "csv", "png")}
    with open(paths["md"], "w") as f:
        f.write(md)
    report.write_csv(paths["csv"], cells, workloads, *cg)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            report.write_png(paths["png"], cells, workloads, tmp)
        except RuntimeError as e:
            progress(f"chart not drawn: {e}")
    if args.history:
        hist = os.path.join(args.out, "history")
        os.makedirs(hist, exist_ok=True)
        stamp = ctx["now"].strftime("%Y-%m-%d-%H%M")
        for ext in ("md", "csv"):
            shutil.copyfile(paths[ext], os.path.join(hist, f"{stamp}.{ext}"))
    if args.readme:
        summary = "\n".join(
            [f"Results of `{ctx['command']}` on {ctx['date']} (`nproc` = {ctx['machine']['nproc']}, "
             f"{ctx['machine']['cpu']}); median wall time (ratio to oxalloc), "
             f"full report in [results/latest.md](results/latest.md). {report.TWO_CORES}", ""]
            + report.summary_table(cells, workloads)
            + ["", "![wall time relative to oxalloc](results/latest.png)"])
        report.update_readme(args.readme, summary)
    print("\n".join(report.summary_table(cells, workloads)))
    progress(f"wrote {paths['md']}, {paths['csv']}, {paths['png']}")


def main():
    args = parse_args()
    start = time.time()
    load_start = os.getloadavg()
    cg = ([], {}, callgrind.SIZES)
    if args.callgrind or args.callgrind_only:
        labels, results = callgrind.measure_all(args.build, args.oxalloc_so, progress)
        cg = (labels, results, callgrind.SIZES)
    if args.callgrind_only:
        os.makedirs(args.out, exist_ok=True)
        table = "\n".join(report.callgrind_table(*cg))
        with open(os.path.join(args.out, "callgrind.md"), "w") as f:
            f.write(table + "\n")
        print(table)
        return 0
    workloads = C_WORKLOADS + RUST_WORKLOADS
    if args.only:
        workloads = [w for w in workloads if w in args.only.split(",")]
    runs, launches = run_matrix(args, workloads)
    report.check_checksums(runs)
    cells = report.build_cells(runs, workloads)
    now = datetime.datetime.now(datetime.timezone.utc)
    ctx = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "now": now, "command": args.command,
           "scale": args.scale, "reps": args.reps, "elapsed": time.time() - start,
           "load": (load_start, os.getloadavg()),
           "machine": report.machine_info(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))}
    write_outputs(args, ctx, cells, workloads, launches, cg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
