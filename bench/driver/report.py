"""Turns the runs into bench/results/latest.{md,csv,png}: per workload x
allocator the median wall time, min-max spread, median CPU time, median
peak RSS, ratio to oxalloc, workload metrics, and FAILED with the reason
for any run that failed.  Owned by bench/driver."""
import csv
import math
import os
import statistics
import subprocess

from workloads import ALLOCATORS, THREAD_COUNT, language

TWO_CORES = ("The machine has 2 cores: thread counts above 2 measure contention "
             "and oversubscription, not parallel speed-up.")


class Cell:
    """Everything reported for one (workload, allocator)."""

    def __init__(self, runs):
        good = [r for r in runs if r.ok]
        bad = [r for r in runs if not r.ok]
        self.runs, self.good = len(runs), len(good)
        self.failed = bool(bad) or not runs
        self.reason = bad[0].reason if bad else ("not run" if not runs else "")
        self.wall = statistics.median([r.wall for r in good]) if good else None
        self.wall_min = min(r.wall for r in good) if good else None
        self.wall_max = max(r.wall for r in good) if good else None
        self.cpu = statistics.median([r.cpu for r in good]) if good else None
        self.rss = statistics.median([r.maxrss_kib for r in good]) if good else None
        self.metrics = {}
        for r in good:
            for k, v in r.result.get("metrics", {}).items():
                self.metrics.setdefault(k, []).append(v)
        self.metrics = {k: statistics.median(v) for k, v in self.metrics.items()}
        self.ratio = None  # wall / oxalloc's wall, filled by attach_ratios

    def status(self):
        if not self.failed:
            return "ok"
        return f"FAILED ({self.runs - self.good}/{self.runs}: {self.reason})"


def check_checksums(runs_by_cell):
    """The checksum must agree across allocators (same seed, same work):
    a run whose checksum differs from the most common one fails."""
    by_workload = {}
    for (w, _), runs in runs_by_cell.items():
        by_workload.setdefault(w, []).extend(r for r in runs if r.ok)
    for w, runs in by_workload.items():
        sums = [r.result.get("checksum") for r in runs]
        if not sums:
            continue
        common = max(set(sums), key=sums.count)
        for r in runs:
            if r.result.get("checksum") != common:
                r.ok = False
                r.reason = f"checksum {r.result.get('checksum')} != {common}"


def build_cells(runs_by_cell, workloads):
    cells = {(w, a): Cell(runs_by_cell.get((w, a), [])) for w in workloads for a in ALLOCATORS}
    for w in workloads:
        base = cells[(w, "oxalloc")].wall
        for a in ALLOCATORS:
            c = cells[(w, a)]
            if base and c.wall:
                c.ratio = c.wall / base
    return cells


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def fmt(v, digits=3):
    return "–" if v is None else f"{v:.{digits}f}"


def metric_value(name, value):
    """RSS metrics in MiB, counts as integers."""
    if name.endswith("_kib"):
        return f"{name[:-4]}={value / 1024:.1f} MiB"
    return f"{name}={value:.0f}" if float(value).is_integer() else f"{name}={value:g}"


def metric_text(metrics):
    return ", ".join(metric_value(k, v) for k, v in metrics.items() if k != "threads")


def summary_table(cells, workloads):
    head = "| workload | threads | " + " | ".join(ALLOCATORS) + " |"
    lines = [head, "|" + "---|" * (len(ALLOCATORS) + 2)]
    for w in workloads:
        row = []
        for a in ALLOCATORS:
            c = cells[(w, a)]
            if c.failed and c.wall is None:
                row.append("**FAILED**")
                continue
            text = f"{c.wall:.3f} s"
            if c.ratio is not None and a != "oxalloc":
                text += f" (×{c.ratio:.2f})"
            if c.failed:
                text = "**FAILED** " + text
            row.append(text)
        threads = THREAD_COUNT.get(w, 1)
        lines.append(f"| {w} | {threads}{'*' if threads > 2 else ''} | " + " | ".join(row) + " |")
    return lines


def pairwise_table(cells, workloads):
    """Geometric mean over workloads of wall(row) / wall(column)."""
    lines = ["| row ÷ column | " + " | ".join(ALLOCATORS) + " |",
             "|" + "---|" * (len(ALLOCATORS) + 1)]
    for a in ALLOCATORS:
        row = []
        for b in ALLOCATORS:
            ratios = [cells[(w, a)].wall / cells[(w, b)].wall for w in workloads
                      if cells[(w, a)].wall and cells[(w, b)].wall
                      and not cells[(w, a)].failed and not cells[(w, b)].failed]
            g = geomean(ratios)
            row.append("–" if g is None else f"{g:.2f} ({len(ratios)})")
        lines.append(f"| {a} | " + " | ".join(row) + " |")
    return lines


def detail_table(cells, workloads, launches):
    lines = ["| workload | lang | allocator | status | median wall s | min–max s | "
             "median CPU s | median peak RSS MiB | wall ÷ oxalloc | metrics |",
             "|" + "---|" * 10]
    for w in workloads:
        for a in ALLOCATORS:
            c = cells[(w, a)]
            rss = None if c.rss is None else c.rss / 1024
            spread = "–" if c.wall_min is None else f"{c.wall_min:.3f}–{c.wall_max:.3f}"
            status = "ok" if not c.failed else f"**{c.status()}**"
            lines.append(f"| {w} | {language(w)} | {a} | {status} | {fmt(c.wall)} | {spread} | "
                         f"{fmt(c.cpu)} | {fmt(rss, 1)} | {fmt(c.ratio, 2)} | {metric_text(c.metrics)} |")
    return lines


def size_label(size):
    if size >= 1 << 20:
        return f"{size >> 20} MiB"
    if size >= 1024:
        return f"{size >> 10} KiB"
    return f"{size} B"


def rss_return_table(cells, workloads):
    """rss-return's memory figures side by side (medians, MiB)."""
    if "rss-return" not in workloads:
        return []
    names = [("rss_full_kib", "RSS with 1 GiB live"), ("rss_freed_now_kib", "right after freeing 99 %"),
             ("rss_after_1s_kib", "1 s later")]
    lines = ["", "## rss-return: memory given back", "",
             "Median RSS of the process (MiB, /proc/self/statm) after allocating 1 GiB (times the scale) in "
             "16–512 B blocks and freeing all but the first 1 %.", "",
             "| allocator | " + " | ".join(label for _, label in names) + " |",
             "|" + "---|" * (len(names) + 1)]
    for a in ALLOCATORS:
        m = cells[("rss-return", a)].metrics
        row = [f"{m[k] / 1024:.1f}" if k in m else "**FAILED**" for k, _ in names]
        lines.append(f"| {a} | " + " | ".join(row) + " |")
    return lines


def callgrind_table(labels, results, sizes):
    if not labels:
        return ["(not measured in this invocation: see `make bench-callgrind`)"]
    lines = ["| API (instructions per alloc+free pair) | " + " | ".join(size_label(s) for s in sizes) + " |",
             "|" + "---|" * (len(sizes) + 1)]
    for label in labels:
        row = []
        for s in sizes:
            value, reason = results[(label, s)]
            row.append(f"{value:.1f}" if value is not None else f"**FAILED** ({reason})")
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    return lines


def write_csv(path, cells, workloads, cg_labels, cg_results, cg_sizes):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["workload", "lang", "threads", "allocator", "status", "runs_ok", "runs",
                      "median_wall_s", "min_wall_s", "max_wall_s", "median_cpu_s",
                      "median_peak_rss_kib", "wall_ratio_to_oxalloc", "metrics",
                      "instructions_per_pair"])
        for w in workloads:
            for a in ALLOCATORS:
                c = cells[(w, a)]
                num = lambda v, d=4: "" if v is None else f"{v:.{d}f}"
                out.writerow([w, language(w), THREAD_COUNT.get(w, 1), a,
                              "ok" if not c.failed else c.status(), c.good, c.runs,
                              num(c.wall), num(c.wall_min), num(c.wall_max), num(c.cpu),
                              num(c.rss, 0), num(c.ratio, 3),
                              ";".join(f"{k}={v:.10g}" for k, v in c.metrics.items()), ""])
        for label in cg_labels:
            for s in cg_sizes:
                value, reason = cg_results[(label, s)]
                out.writerow([f"fastpath-{s}", "C", 1, label, "ok" if value is not None else
                              f"FAILED ({reason})", "", "", "", "", "", "", "", "", "",
                              "" if value is None else f"{value:.1f}"])


def write_png(path, cells, workloads, tmp_dir):
    """Clustered bars: wall time / oxalloc's, log scale, one per allocator."""
    data = os.path.join(tmp_dir, "ratios.dat")
    others = [a for a in ALLOCATORS if a != "oxalloc"]
    with open(data, "w") as f:
        for w in workloads:
            vals = []
            for a in others:
                c = cells[(w, a)]
                vals.append("NaN" if c.ratio is None or c.failed or cells[(w, "oxalloc")].failed
                            else f"{c.ratio:.4f}")
            f.write(f"{w} " + " ".join(vals) + "\n")
    if not any(c.ratio for (w, a), c in cells.items() if a != "oxalloc"):
        # No ratio at all (oxalloc failed everywhere): say so in the image.
        script = f"""
set terminal pngcairo size 1800,700 font ',14'
set output '{path}'
unset border
unset tics
unset key
set label 1 'No ratios to draw: oxalloc has no successful run (see latest.md)' at screen 0.5,0.5 center
set yrange [0:1]
plot 2
"""
        subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, check=True)
        return
    plots = ", ".join(f"'{data}' using {i + 2}:xtic(1) title '{a}'" for i, a in enumerate(others))
    script = f"""
set terminal pngcairo size 2200,750 font ',10'
set output '{path}'
set title 'Wall time relative to oxalloc (median of runs; > 1: slower than oxalloc; no bar: a FAILED run)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y 2
set yrange [0.05:20]
set ylabel 'wall time / oxalloc wall time'
set xtics rotate by -45 scale 0
set grid ytics
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb 'black'
plot {plots}
"""
    proc = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("gnuplot: " + proc.stderr.strip()[:200])


def machine_info(repo_dir):
    """Date-independent facts about where the numbers come from."""
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    pkgs = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}, ",
                           "libc6", "libjemalloc2", "libmimalloc2.0", "libtcmalloc-minimal4"],
                          capture_output=True, text=True).stdout.strip(", ")
    # OXALLOC_BENCH_REV: for runs from an exported snapshot (no .git).
    rev = os.environ.get("OXALLOC_BENCH_REV") or subprocess.run(
        ["git", "-C", repo_dir, "describe", "--always", "--dirty"],
        capture_output=True, text=True).stdout.strip() or "unknown"
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": os.uname().release,
            "mem_gib": mem_kib / (1 << 20), "packages": pkgs, "oxalloc_rev": rev}


def markdown(ctx, cells, workloads, launches, cg):
    """The whole report; ctx carries date, command, machine, reps, scale."""
    m = ctx["machine"]
    cg_labels, cg_results, cg_sizes = cg
    out = [
        f"# oxalloc benchmark results — {ctx['date']}",
        "",
        f"- command: `{ctx['command']}` (scale {ctx['scale']:g}, {ctx['reps']} repetitions per "
        f"workload × allocator, interleaved: every allocator once per workload, then the next "
        f"repetition; total time {ctx['elapsed'] / 60:.1f} min)",
        f"- machine: `nproc` = {m['nproc']}, CPU: {m['cpu']}, {m['mem_gib']:.0f} GiB RAM, "
        f"Linux {m['kernel']}",
        f"- load average (1/5/15 min) at start {'/'.join(f'{x:.1f}' for x in ctx['load'][0])}, "
        f"at end {'/'.join(f'{x:.1f}' for x in ctx['load'][1])} (other jobs on this shared "
        f"machine inflate wall times; CPU times are less affected)",
        f"- oxalloc: git {m['oxalloc_rev']}; others (Debian): {m['packages']}",
        f"- C workloads: one binary (`oxbench`), the allocator given by `LD_PRELOAD` (none for "
        f"glibc); Rust workloads: one binary per allocator with its `#[global_allocator]`.",
        f"- {TWO_CORES} Thread counts marked * are above 2.",
        "- Times are wall-clock seconds per process (median of the repetitions); ratios are "
        "wall time ÷ oxalloc's wall time (> 1: slower than oxalloc). A run that crashed, "
        "timed out, or failed its checks is shown as **FAILED** with the reason, never dropped.",
        "",
        "## Summary: median wall time (ratio to oxalloc)",
        "",
    ]
    out += summary_table(cells, workloads)
    out += ["", "![ratios to oxalloc](latest.png)", "",
            "## Geometric mean of wall-time ratios over all workloads",
            "",
            "Each cell: geomean over workloads where both succeeded of wall(row) ÷ wall(column) "
            "(number of workloads in brackets).", ""]
    out += pairwise_table(cells, workloads)
    out += rss_return_table(cells, workloads)
    out += ["", "## Fast-path cost (callgrind)", "",
            "Instructions per alloc+free pair of one size, alignment 8, through the API a Rust "
            "user's `GlobalAlloc` calls: (Ir(2N) − Ir(N)) / N with N = 20000 (2000 for 1 MiB), "
            "`valgrind --tool=callgrind` (bench/c/fastpath.c). The same block is freed and "
            "reallocated every time: the best case of each allocator.", ""]
    out += callgrind_table(cg_labels, cg_results, cg_sizes)
    out += ["", "## Details", ""]
    out += detail_table(cells, workloads, launches)
    failed = [(w, a) for w in workloads for a in ALLOCATORS if cells[(w, a)].failed]
    out += ["", "## Failed runs and how to reproduce them", ""]
    if not failed:
        out.append("None.")
    for w, a in failed:
        out.append(f"- {w} / {a}: {cells[(w, a)].status()} — `{launches[(w, a)].command_line()}`")
    return "\n".join(out) + "\n"


def update_readme(readme, summary_md):
    """Replace the text between the latest-results markers of the README."""
    begin, end = "<!-- latest-results:begin -->", "<!-- latest-results:end -->"
    with open(readme) as f:
        text = f.read()
    if begin not in text or end not in text:
        return False
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(readme, "w") as f:
        f.write(head + begin + "\n" + summary_md + "\n" + end + tail)
    return True
