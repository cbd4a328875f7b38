"""The benchmark report: from the runs of one invocation (runs.csv) to
latest.md, latest.csv, latest-time.png and latest-rss.png.

Per workload x row (an allocator, or an extra row such as
oxalloc+background or oxalloc+prof): median wall time and its min-max
spread, median CPU time, median peak RSS and its spread, the ratios to
oxalloc, workload metrics, and FAILED with the reason for any run that
failed; the heap profiler's cost (oxalloc+prof ÷ oxalloc, geometric
mean).  Ratios of
time are shown only for runs long enough to measure (MIN_MEASURABLE_S).
The statements of where each peer wins are generated from the same data.

    python3 bench/driver/report.py --runs DIR/runs.csv --meta DIR/meta.json --out DIR

regenerates a report from the raw runs.  Owned by bench/driver.
"""
import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from measure import Run  # noqa: E402
from workloads import (ALLOCATORS, ALL_WORKLOADS, PROF_ROW, REAL_WHAT, REAL_WORKLOADS,  # noqa: E402
                       THREAD_COUNT, language, rows)

TWO_CORES = ("The machine has 2 cores: thread counts above 2 measure contention "
             "and oversubscription, not parallel speed-up.")

# Shortest median wall time whose ratio is reported.  The timer
# (CLOCK_MONOTONIC in bench/c/launch.c) resolves 1 ns and is not the limit;
# the machine is: process start-up costs 1-5 ms, and on a shared 2-core VM
# a run waits for the scheduler in slices of ~3 ms, several times per run
# when the load is above 2.  Measured at load 14 (fifo-lifo-64, 12 runs per
# size): interquartile spread 158 % of the median at 6 ms, 35 % at 25 ms,
# 25-50 % from 80 ms to 0.5 s (the load's share).  Below 30 ms the fixed
# jitter alone exceeds any difference worth reporting.
MIN_MEASURABLE_S = 0.03

PEERS = [a for a in ALLOCATORS if a != "oxalloc"]


class Cell:
    """Everything reported for one (workload, row)."""

    def __init__(self, runs):
        good = [r for r in runs if r.ok]
        bad = [r for r in runs if not r.ok]
        self.runs, self.good = len(runs), len(good)
        self.failed = bool(bad) or not runs
        self.reason = bad[0].reason if bad else ("not run" if not runs else "")
        walls = [r.wall for r in good]
        rss = [r.maxrss_kib for r in good]
        self.wall = statistics.median(walls) if good else None
        self.wall_min = min(walls) if good else None
        self.wall_max = max(walls) if good else None
        self.cpu = statistics.median([r.cpu for r in good]) if good else None
        self.rss = statistics.median(rss) if good else None
        self.rss_min = min(rss) if good else None
        self.rss_max = max(rss) if good else None
        metrics = {}
        for r in good:
            for k, v in r.result.get("metrics", {}).items():
                metrics.setdefault(k, []).append(v)
        self.metrics = {k: statistics.median(v) for k, v in metrics.items()}
        self.measurable = self.wall is not None and self.wall >= MIN_MEASURABLE_S
        self.ratio = None      # wall / oxalloc's wall (both measurable)
        self.rss_ratio = None  # peak RSS / oxalloc's peak RSS

    def usable(self):
        return not self.failed and self.wall is not None

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


def build_cells(runs_by_cell, workloads, smoke=False):
    """Cells with their ratios to oxalloc; a smoke test gets none (its runs
    are a fraction of the size, repeated twice: not results)."""
    cells = {}
    for w in workloads:
        for row, _ in rows(w):
            cells[(w, row)] = Cell(runs_by_cell.get((w, row), []))
        base = cells[(w, "oxalloc")]
        for row, _ in rows(w):
            c = cells[(w, row)]
            if base.usable() and c.usable() and not smoke:
                if base.measurable and c.measurable:
                    c.ratio = c.wall / base.wall
                if base.rss and c.rss:
                    c.rss_ratio = c.rss / base.rss
    return cells


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def fmt(v, digits=3):
    return "–" if v is None else f"{v:.{digits}f}"


def mib(kib):
    return "–" if kib is None else f"{kib / 1024:.1f}"


def metric_value(name, value):
    """RSS metrics in MiB, counts as integers."""
    if name.endswith("_kib"):
        return f"{name[:-4]}={value / 1024:.1f} MiB"
    return f"{name}={value:.0f}" if float(value).is_integer() else f"{name}={value:g}"


def metric_text(metrics):
    return ", ".join(metric_value(k, v) for k, v in metrics.items() if k != "threads")


def threads_label(w):
    n = THREAD_COUNT.get(w, 1)
    return f"{n}{'*' if n > 2 else ''}"


# ---- who wins: decided by the spreads, not by the medians alone ---------

def compare(cells, w, peer, what):
    """'faster'/'slower' (time) or 'smaller'/'bigger' (RSS) when the peer's
    min-max range and oxalloc's do not overlap, 'level' when they do,
    None when either cannot be compared."""
    ox, c = cells[(w, "oxalloc")], cells[(w, peer)]
    if what == "time":
        if c.ratio is None:
            return None
        lo, hi, olo, ohi = c.wall_min, c.wall_max, ox.wall_min, ox.wall_max
        better, worse = "faster", "slower"
    else:
        if c.rss_ratio is None:
            return None
        lo, hi, olo, ohi = c.rss_min, c.rss_max, ox.rss_min, ox.rss_max
        better, worse = "smaller", "bigger"
    if hi < olo:
        return better
    if lo > ohi:
        return worse
    return "level"


def _listing(cells, items, attr):
    return ", ".join(f"{w} (×{getattr(cells[(w, p)], attr):.2f})" for w, p in items)


def win_statements(cells, workloads):
    """One paragraph per peer: where it beats oxalloc and where oxalloc
    beats it, in time and in peak RSS, beyond the min-max spread of both."""
    out = []
    for peer in PEERS:
        parts = []
        for what, attr, better, worse, noun in (
                ("time", "ratio", "faster", "slower", "faster than oxalloc"),
                ("rss", "rss_ratio", "smaller", "bigger", "a smaller peak RSS than oxalloc")):
            verdicts = {w: compare(cells, w, peer, what) for w in workloads}
            known = [w for w, v in verdicts.items() if v]
            wins = sorted((w for w in known if verdicts[w] == better),
                          key=lambda w: getattr(cells[(w, peer)], attr))
            losses = sorted((w for w in known if verdicts[w] == worse),
                            key=lambda w: -getattr(cells[(w, peer)], attr))
            level = len(known) - len(wins) - len(losses)
            if not known:
                parts.append(f"no {'time' if what == 'time' else 'RSS'} comparison possible "
                             f"(no pair of measurable successful runs)")
                continue
            verb = "is" if what == "time" else "has"
            text = (f"{verb} {noun} on {len(wins)} of {len(known)} workloads"
                    + (f": {_listing(cells, [(w, peer) for w in wins], attr)}" if wins else ""))
            text += (f"; oxalloc is ahead on {len(losses)}"
                     + (f": {_listing(cells, [(w, peer) for w in losses], attr)}" if losses else ""))
            text += f"; {level} within the spread"
            parts.append(text)
        out.append(f"- **{peer}** {parts[0]}.  It {parts[1]}.")
    return out


# ---- tables ---------------------------------------------------------------

def time_cell(c, is_base):
    if c.failed and c.wall is None:
        return "**FAILED**"
    text = f"{c.wall:.3f} s"
    if c.ratio is not None and not is_base:
        text += f" (×{c.ratio:.2f})"
    elif not c.measurable:
        text += " (short)"
    text += f" [{c.wall_min:.3f}–{c.wall_max:.3f}]"
    return ("**FAILED** " if c.failed else "") + text


def rss_cell(c, is_base):
    if c.failed and c.rss is None:
        return "**FAILED**"
    text = f"{c.rss / 1024:.1f}"
    if c.rss_ratio is not None and not is_base:
        text += f" (×{c.rss_ratio:.2f})"
    text += f" [{c.rss_min / 1024:.1f}–{c.rss_max / 1024:.1f}]"
    return ("**FAILED** " if c.failed else "") + text


def headline_table(cells, workloads):
    """Real programs: time and peak RSS of each allocator in one cell."""
    real = [w for w in workloads if w in REAL_WORKLOADS]
    if not real:
        return []
    lines = ["| program | what runs | " + " | ".join(ALLOCATORS) + " |",
             "|" + "---|" * (len(ALLOCATORS) + 2)]
    for w in real:
        row = []
        for a in ALLOCATORS:
            c = cells[(w, a)]
            if c.failed and c.wall is None:
                row.append("**FAILED**")
                continue
            if a == "oxalloc":
                t = f"{c.wall:.2f} s [{c.wall_min:.2f}–{c.wall_max:.2f}]"
                m = f"{c.rss / 1024:.1f} MiB [{c.rss_min / 1024:.1f}–{c.rss_max / 1024:.1f}]"
            else:
                t = (f"×{c.ratio:.2f} [{c.wall_min / cells[(w, 'oxalloc')].wall:.2f}–"
                     f"{c.wall_max / cells[(w, 'oxalloc')].wall:.2f}]" if c.ratio else f"{c.wall:.2f} s")
                m = (f"×{c.rss_ratio:.2f} [{c.rss_min / cells[(w, 'oxalloc')].rss:.2f}–"
                     f"{c.rss_max / cells[(w, 'oxalloc')].rss:.2f}]" if c.rss_ratio else mib(c.rss) + " MiB")
            row.append(("**FAILED** " if c.failed else "") + f"{t}<br>RSS {m}")
        lines.append(f"| {w} | {REAL_WHAT.get(w, '')} | " + " | ".join(row) + " |")
    return lines


def micro_summary(cells, workloads):
    """Per peer over the microbenchmarks: geometric means of the ratios
    and how many workloads it wins, loses or ties beyond the spread."""
    micro = [w for w in workloads if w not in REAL_WORKLOADS]
    lines = ["| peer | time ÷ oxalloc, geomean (workloads) | faster / level / slower than oxalloc "
             "| peak RSS ÷ oxalloc, geomean (workloads) | smaller / level / bigger |",
             "|---|---|---|---|---|"]
    for peer in PEERS:
        cols = []
        for what, attr in (("time", "ratio"), ("rss", "rss_ratio")):
            vals = [getattr(cells[(w, peer)], attr) for w in micro]
            vals = [v for v in vals if v]
            g = geomean(vals)
            cols.append("–" if g is None else f"{g:.2f} ({len(vals)})")
            verdicts = [compare(cells, w, peer, what) for w in micro]
            b, l, s = (verdicts.count(x) for x in (("faster", "level", "slower") if what == "time"
                                                 else ("smaller", "level", "bigger")))
            cols.append(f"{b} / {l} / {s}")
        lines.append(f"| {peer} | " + " | ".join(cols) + " |")
    return lines


def prof_cost(cells, workloads):
    """The heap profiler's cost, one line: geometric mean over the workloads
    of the oxalloc+prof row's median wall time ÷ oxalloc's (where both are
    measurable), the workloads counted, the lowest and highest ratio."""
    name = PROF_ROW[0]
    what = f"heap profiler on (`{name}`: `OXALLOC_PROF=1`, default rate) ÷ oxalloc, wall time"
    ratios = [(cells[(w, name)].ratio, w) for w in workloads
              if (w, name) in cells and cells[(w, name)].ratio]
    if not ratios:
        return [f"- {what}: – (no pair of measurable successful runs)"]
    g = geomean([r for r, _ in ratios])
    (lo, lo_w), (hi, hi_w) = min(ratios), max(ratios)
    return [f"- {what}, geometric mean over {len(ratios)} workloads: **×{g:.3f}** "
            f"({100 * (g - 1):+.1f} %); lowest ×{lo:.2f} ({lo_w}), highest ×{hi:.2f} ({hi_w})"]


def workload_table(cells, workloads, cell_fn, unit):
    lines = [f"| workload | threads | " + " | ".join(f"{a} ({unit})" for a in ALLOCATORS) + " |",
             "|" + "---|" * (len(ALLOCATORS) + 2)]
    for w in workloads:
        row = [cell_fn(cells[(w, a)], a == "oxalloc") for a in ALLOCATORS]
        lines.append(f"| {w} | {threads_label(w)} | " + " | ".join(row) + " |")
    return lines


def pairwise_table(cells, workloads, attr):
    """Geometric mean over workloads of value(row) / value(column)."""
    lines = ["| row ÷ column | " + " | ".join(ALLOCATORS) + " |",
             "|" + "---|" * (len(ALLOCATORS) + 1)]
    ok = lambda c: c.usable() and (c.measurable if attr == "wall" else c.rss)
    for a in ALLOCATORS:
        row = []
        for b in ALLOCATORS:
            ratios = [getattr(cells[(w, a)], attr) / getattr(cells[(w, b)], attr) for w in workloads
                      if ok(cells[(w, a)]) and ok(cells[(w, b)])]
            g = geomean(ratios)
            row.append("–" if g is None else f"{g:.2f} ({len(ratios)})")
        lines.append(f"| {a} | " + " | ".join(row) + " |")
    return lines


def detail_table(cells, workloads):
    lines = ["| workload | lang | row | status | median wall s | min–max s | median CPU s | "
             "median peak RSS MiB | min–max MiB | wall ÷ oxalloc | RSS ÷ oxalloc | metrics |",
             "|" + "---|" * 12]
    for w in workloads:
        for row, _ in rows(w):
            c = cells[(w, row)]
            spread = "–" if c.wall_min is None else f"{c.wall_min:.3f}–{c.wall_max:.3f}"
            rspread = "–" if c.rss_min is None else f"{c.rss_min / 1024:.1f}–{c.rss_max / 1024:.1f}"
            status = "ok" if not c.failed else f"**{c.status()}**"
            ratio = fmt(c.ratio, 2) if c.measurable or c.wall is None else "short"
            lines.append(f"| {w} | {language(w)} | {row} | {status} | {fmt(c.wall)} | {spread} | "
                         f"{fmt(c.cpu)} | {mib(c.rss)} | {rspread} | {ratio} | {fmt(c.rss_ratio, 2)} | "
                         f"{metric_text(c.metrics)} |")
    return lines


def size_label(size):
    if size >= 1 << 20:
        return f"{size >> 20} MiB"
    if size >= 1024:
        return f"{size >> 10} KiB"
    return f"{size} B"


def metric_table(cells, workload, names, title, intro):
    """Median metrics (MiB) of one workload, one line per row."""
    if (workload, "oxalloc") not in cells:
        return []
    lines = ["", f"## {title}", "", intro, "",
             "| row | peak RSS (ru_maxrss) | " + " | ".join(label for _, label in names) + " |",
             "|" + "---|" * (len(names) + 2)]
    for row, _ in rows(workload):
        c = cells[(workload, row)]
        vals = [f"{c.metrics[k] / 1024:.1f}" if k in c.metrics else "**FAILED**" for k, _ in names]
        lines.append(f"| {row} | {mib(c.rss)} | " + " | ".join(vals) + " |")
    return lines


def idle_table(cells):
    return metric_table(
        cells, "idle-memory",
        [("rss_peak_sampled_kib", "peak sampled"), ("rss_freed_kib", "all freed"),
         ("rss_idle_0.5s_kib", "idle 0.5 s"), ("rss_idle_1s_kib", "idle 1 s"),
         ("rss_idle_2s_kib", "idle 2 s")],
        "idle-memory: RSS while the program sits idle",
        "Median RSS (MiB, /proc/self/statm sampled every 100 ms by the main thread) of 4 threads that "
        "build 4.8 M strings (16–64 B), free them all and stay alive and idle for 2 s. "
        "`oxalloc+background` runs with `OXALLOC_BACKGROUND=1` (oxalloc's background purger; an "
        "oxalloc without one ignores the option).")


def rss_return_table(cells):
    return metric_table(
        cells, "rss-return",
        [("rss_full_kib", "1 GiB live"), ("rss_freed_now_kib", "right after freeing 99 %"),
         ("rss_after_1s_kib", "1 s later")],
        "rss-return: memory given back",
        "Median RSS of the process (MiB, /proc/self/statm) after allocating 1 GiB (times the scale) in "
        "16–512 B blocks and freeing all but the first 1 %.")


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


# ---- CSV ------------------------------------------------------------------

# "allocator" is the row's name (an extra row such as oxalloc+background
# has its own), "base_allocator" the allocator that row runs.
CSV_FIELDS = ["workload", "lang", "threads", "allocator", "base_allocator", "status", "runs_ok", "runs",
              "median_wall_s", "min_wall_s", "max_wall_s", "measurable", "median_cpu_s",
              "median_peak_rss_kib", "min_peak_rss_kib", "max_peak_rss_kib",
              "wall_ratio_to_oxalloc", "rss_ratio_to_oxalloc", "metrics", "instructions_per_pair"]


def write_csv(path, cells, workloads, cg_labels, cg_results, cg_sizes):
    num = lambda v, d=4: "" if v is None else f"{v:.{d}f}"
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(CSV_FIELDS)
        for w in workloads:
            for row, alloc in rows(w):
                c = cells[(w, row)]
                out.writerow([w, language(w), THREAD_COUNT.get(w, 1), row, alloc,
                              "ok" if not c.failed else c.status(), c.good, c.runs,
                              num(c.wall), num(c.wall_min), num(c.wall_max), int(c.measurable),
                              num(c.cpu), num(c.rss, 0), num(c.rss_min, 0), num(c.rss_max, 0),
                              num(c.ratio, 3), num(c.rss_ratio, 3),
                              ";".join(f"{k}={v:.10g}" for k, v in c.metrics.items()), ""])
        for label in cg_labels:
            for s in cg_sizes:
                value, reason = cg_results[(label, s)]
                out.writerow([f"fastpath-{s}", "C", 1, label, label.split(":")[0],
                              "ok" if value is not None else f"FAILED ({reason})"]
                             + [""] * 13 + ["" if value is None else f"{value:.1f}"])


# ---- charts -----------------------------------------------------------------

def chart_rows(cells, workloads, what):
    """[(workload, [(ratio, low, high) or None per allocator])]: every
    allocator's median and min-max relative to oxalloc's median, oxalloc
    included (1 and its own spread).  Workloads where oxalloc has no
    usable run, or (time) runs too short to measure, are left out."""
    out = []
    for w in workloads:
        ox = cells[(w, "oxalloc")]
        base = ox.wall if what == "time" else ox.rss
        if not ox.usable() or not base or (what == "time" and not ox.measurable):
            continue
        vals = []
        for a in ALLOCATORS:
            c = cells[(w, a)]
            if not c.usable() or (what == "time" and not c.measurable):
                vals.append(None)
            elif what == "time":
                vals.append((c.wall / base, c.wall_min / base, c.wall_max / base))
            else:
                vals.append((c.rss / base, c.rss_min / base, c.rss_max / base))
        out.append((w, vals))
    return out


def chart_range(data):
    """A log axis around 1 that shows every bar and its spread: at least
    0.5-2, widened to the data; never down to a floor no bar reaches."""
    lows = [v[1] for _, vals in data for v in vals if v]
    highs = [v[2] for _, vals in data for v in vals if v]
    lo = min([0.5] + [x / 1.15 for x in lows])
    hi = max([2.0] + [x * 1.15 for x in highs])
    return lo, hi


def write_chart(path, cells, workloads, what, ctx, tmp_dir):
    data = chart_rows(cells, workloads, what)
    label = "wall time" if what == "time" else "peak RSS"
    m = ctx["machine"]
    stamp = (f"{ctx['date']}, git {m['oxalloc_rev']}, nproc {m['nproc']}, {m['cpu']}, "
             f"command: {ctx['command']}")
    if not data:
        script = f"""
set terminal pngcairo size 1600,400 font ',14'
set output '{path}'
unset border; unset tics; unset key
set label 1 'No {label} ratios to draw (oxalloc has no measurable run): see latest.md' at screen 0.5,0.6 center
set label 2 '{stamp}' at screen 0.5,0.4 center
set yrange [0:1]
plot 2
"""
    else:
        dat = os.path.join(tmp_dir, f"{what}.dat")
        with open(dat, "w") as f:
            for w, vals in data:
                f.write(w + " " + " ".join("NaN NaN NaN" if v is None else "%.4f %.4f %.4f" % v
                                           for v in vals) + "\n")
        lo, hi = chart_range(data)
        plots = ", ".join(f"'{dat}' using {3 * i + 2}:{3 * i + 3}:{3 * i + 4}"
                          + (":xtic(1)" if i == 0 else "") + f" title '{a}'"
                          for i, a in enumerate(ALLOCATORS))
        note = " (runs under %g s left out)" % MIN_MEASURABLE_S if what == "time" else ""
        script = f"""
set terminal pngcairo size {max(1400, 60 * len(data) + 200)},800 font ',10'
set output '{path}'
set title "{'Wall time' if what == 'time' else 'Peak RSS'} relative to oxalloc's median: bar = median, whisker = min–max of the runs; > 1: more than oxalloc{note}\\n{stamp}"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set logscale y 2
set yrange [{lo:.3f}:{hi:.3f}]
set ytics (0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 4, 8, 16, 32)
set ylabel '{label} / oxalloc median (log scale)'
set xtics rotate by -45 scale 0
set grid ytics
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb 'black'
plot {plots}
"""
    proc = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("gnuplot: " + proc.stderr.strip()[:300])


# ---- the whole report -------------------------------------------------------

def machine_info(repo_dir):
    """Facts about where the numbers come from."""
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


def stamp_line(ctx):
    m = ctx["machine"]
    return (f"{ctx['date']}, oxalloc git {m['oxalloc_rev']}, `nproc` = {m['nproc']}, {m['cpu']}, "
            f"command `{ctx['command']}`")


def markdown(ctx, cells, workloads, launches, cg):
    """The whole report; ctx carries date, command, machine, reps, scale."""
    m = ctx["machine"]
    cg_labels, cg_results, cg_sizes = cg
    out = [f"# oxalloc benchmark results — {ctx['date']}", ""]
    if ctx.get("smoke"):
        out += [f"> **Smoke test, not results.** `{ctx['command']}` runs every workload at "
                f"{ctx['scale']:g} of its size, {ctx['reps']} times, to check that each one runs and "
                f"gives the same checksum under every allocator. Its runs are mostly shorter than "
                f"{MIN_MEASURABLE_S:g} s, the shortest this machine can time (see docs/benchmarks.md): "
                f"those get no ratio and count in no geometric mean. Use `make bench` for figures.", ""]
    out += [
        f"- command: `{ctx['command']}` (scale {ctx['scale']:g}, {ctx['reps']} repetitions per "
        f"workload × allocator, interleaved: every allocator once per workload, then the next "
        f"repetition; total time {ctx['elapsed'] / 60:.1f} min)",
        f"- machine: `nproc` = {m['nproc']}, CPU: {m['cpu']}, {m['mem_gib']:.0f} GiB RAM, "
        f"Linux {m['kernel']}",
        f"- load average (1/5/15 min) at start {'/'.join(f'{x:.1f}' for x in ctx['load'][0])}, "
        f"at end {'/'.join(f'{x:.1f}' for x in ctx['load'][1])} (other jobs on this shared "
        f"machine inflate wall times; CPU times are less affected)",
        f"- oxalloc: git {m['oxalloc_rev']}; others (Debian): {m['packages']}",
        "- Real programs and C workloads: the allocator given by `LD_PRELOAD` (none for glibc), "
        "checked in every process; Rust workloads and the Rust program: one binary per allocator "
        "with its `#[global_allocator]`.",
        f"- {TWO_CORES} Thread counts marked * are above 2.",
        "- Times are wall-clock seconds per process (median of the repetitions, [min–max]); peak "
        "RSS is `ru_maxrss` of the process (of its largest process for a real program). Ratios "
        "are ÷ oxalloc's median (> 1: more than oxalloc). A peer is said to win or lose only when "
        "its min–max range and oxalloc's do not overlap. "
        f"Runs with a median under {MIN_MEASURABLE_S:g} s are marked short and get no time ratio. "
        "A run that crashed, timed out, or failed its checks is **FAILED** with the reason, never "
        "dropped.",
        "",
        "## Real programs",
        "",
        f"{stamp_line(ctx)}. oxalloc: median wall time and peak RSS [min–max]; peers: ratio of "
        "their median to oxalloc's [their min and max ÷ oxalloc's median].",
        "",
    ]
    out += headline_table(cells, workloads) or ["(no real program in this invocation)"]
    if ctx.get("smoke"):
        out += ["", "## Per workload (smoke test: no ratios, no geometric means, no charts)", ""]
        out += workload_table(cells, workloads, time_cell, "s")
        out += ["", "## Details", ""]
        out += detail_table(cells, workloads)
        out += failed_section(cells, workloads, launches)
        return "\n".join(out) + "\n"
    out += ["", "## Microbenchmarks in summary", "",
            "Per peer over all other workloads: geometric mean of its ratios to oxalloc (workloads "
            "counted), and on how many workloads it is ahead of, level with, or behind oxalloc "
            "beyond the min–max spreads.", ""]
    out += micro_summary(cells, workloads)
    out += ["", "## Where each peer wins", "",
            "Generated from the runs above: a workload is listed when the two min–max ranges do "
            "not overlap (ratio of medians in brackets).", ""]
    out += win_statements(cells, workloads)
    out += ["", "## Charts", "",
            f"![wall time relative to oxalloc](latest-time.png)", "",
            f"![peak RSS relative to oxalloc](latest-rss.png)", "",
            "## Wall time per workload", "",
            "Median seconds (ratio to oxalloc) [min–max].", ""]
    out += workload_table(cells, workloads, time_cell, "s")
    out += ["", "## Peak RSS per workload", "", "Median MiB (ratio to oxalloc) [min–max].", ""]
    out += workload_table(cells, workloads, rss_cell, "MiB")
    out += idle_table(cells)
    out += rss_return_table(cells)
    out += ["", "## Geometric means over all workloads", "",
            "Each cell: geomean of value(row) ÷ value(column) over the workloads where both "
            "succeeded (and, for time, both ran long enough to measure); workloads counted in "
            "brackets.", "", "Wall time:", ""]
    out += pairwise_table(cells, workloads, "wall")
    out += ["", "Peak RSS:", ""]
    out += pairwise_table(cells, workloads, "rss")
    out += ["", "## Heap profiler cost", "",
            f"Every workload also runs oxalloc with `OXALLOC_PROF=1` (row `{PROF_ROW[0]}`, "
            "sampling every 512 KiB on average: docs/profiling.md); its ratio to oxalloc per "
            "workload is in the details below.", ""]
    out += prof_cost(cells, workloads)
    out += ["", "## Fast-path cost (callgrind)", "",
            "Instructions per alloc+free pair of one size, alignment 8, through the API a Rust "
            "user's `GlobalAlloc` calls: (Ir(2N) − Ir(N)) / N with N = 20000 (2000 for 1 MiB), "
            "`valgrind --tool=callgrind` (bench/c/fastpath.c). The same block is freed and "
            "reallocated every time: the best case of each allocator.", ""]
    out += callgrind_table(cg_labels, cg_results, cg_sizes)
    out += ["", "## Details", ""]
    out += detail_table(cells, workloads)
    out += failed_section(cells, workloads, launches)
    return "\n".join(out) + "\n"


def failed_section(cells, workloads, launches):
    failed = [(w, r) for w in workloads for r, _ in rows(w) if cells[(w, r)].failed]
    out = ["", "## Failed runs and how to reproduce them", ""]
    if not failed:
        out.append("None.")
    for w, r in failed:
        cmd = launches[(w, r)].command_line() if (w, r) in launches else "?"
        out.append(f"- {w} / {r}: {cells[(w, r)].status()} — `{cmd}`")
    return out


def summary_markdown(ctx, cells, workloads):
    """The short results section for the README (bench-publish writes it
    to bench/results/summary.md): real programs, then the microbenchmarks
    in summary, then where each peer wins."""
    out = [f"Results of {stamp_line(ctx)}; full report in "
           f"[bench/results/latest.md](bench/results/latest.md). {TWO_CORES}", ""]
    out += headline_table(cells, workloads)
    out += [""] + micro_summary(cells, workloads) + [""] + prof_cost(cells, workloads)
    out += [""] + win_statements(cells, workloads)
    out += ["", "![wall time relative to oxalloc](bench/results/latest-time.png)",
            "![peak RSS relative to oxalloc](bench/results/latest-rss.png)"]
    return "\n".join(out) + "\n"


def read_runs(path):
    """{(workload, row): [Run]} from runs.csv, in file order."""
    runs = {}
    with open(path, newline="") as f:
        for d in csv.DictReader(f):
            runs.setdefault((d["workload"], d["row"]), []).append(Run.from_row(d))
    return runs


def write_runs(path, runs_by_cell):
    with open(path, "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=Run.FIELDS)
        out.writeheader()
        for (w, row), runs in runs_by_cell.items():
            for i, r in enumerate(runs, 1):
                out.writerow(r.to_row(w, row, i))


def generate(out_dir, runs_by_cell, ctx, launches=None, cg=([], {}, [])):
    """Write latest.{md,csv}, latest-time.png, latest-rss.png and
    summary.md into out_dir (a smoke test: latest.{md,csv} only); return
    the cells."""
    workloads = [w for w in ctx.get("workloads") or ALL_WORKLOADS
                 if any(k[0] == w for k in runs_by_cell)]
    check_checksums(runs_by_cell)
    smoke = bool(ctx.get("smoke"))
    cells = build_cells(runs_by_cell, workloads, smoke)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "latest.md"), "w") as f:
        f.write(markdown(ctx, cells, workloads, launches or {}, cg))
    write_csv(os.path.join(out_dir, "latest.csv"), cells, workloads, *cg)
    if smoke:
        # No summary and no charts: remove those of an earlier run here.
        for name in ("summary.md", "latest-time.png", "latest-rss.png"):
            if os.path.exists(os.path.join(out_dir, name)):
                os.remove(os.path.join(out_dir, name))
        return cells, workloads
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(summary_markdown(ctx, cells, workloads))
    with tempfile.TemporaryDirectory() as tmp:
        for what in ("time", "rss"):
            try:
                write_chart(os.path.join(out_dir, f"latest-{what}.png"), cells, workloads, what, ctx, tmp)
            except (RuntimeError, OSError) as e:
                sys.stderr.write(f"chart {what} not drawn: {e}\n")
    return cells, workloads


def main():
    p = argparse.ArgumentParser(description="regenerate a report from runs.csv and meta.json")
    p.add_argument("--runs", required=True)
    p.add_argument("--meta", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    with open(args.meta) as f:
        ctx = json.load(f)
    generate(args.out, read_runs(args.runs), ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
