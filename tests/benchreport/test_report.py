#!/usr/bin/env python3
"""Unit tests of the benchmark report (bench/driver/report.py, publish.py,
bench/bench.mk) on synthetic runs: no benchmark is run.  Closing line
"N passed, N failed" (tests/run_all.sh)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "driver"))

import publish  # noqa: E402
import report  # noqa: E402
from measure import Run  # noqa: E402
from workloads import ALLOCATORS  # noqa: E402

MACHINE = {"nproc": 2, "cpu": "Test CPU", "kernel": "6.0", "mem_gib": 8.0,
           "packages": "libc6 2.36", "oxalloc_rev": "abc1234"}


def ctx(**kw):
    c = {"date": "2026-11-29 12:00 UTC", "stamp": "2026-11-29-1200", "command": "make bench",
         "scale": 1.0, "reps": 3, "smoke": False, "partial": False, "elapsed": 60.0,
         "load": [[1, 1, 1], [1, 1, 1]], "workloads": None, "machine": MACHINE}
    c.update(kw)
    return c


def run(wall, rss_kib=10240, ok=True, checksum="c0ffee", reason="", metrics=None):
    r = Run()
    r.ok, r.reason, r.wall, r.cpu, r.maxrss_kib = ok, reason, wall, wall, rss_kib
    r.result = {"checksum": checksum, "allocator": "x", "ok": ok, "metrics": metrics or {}}
    return r


def matrix(spec):
    """spec: {workload: {allocator: [(wall, rss_kib), ...]}}; allocators not
    named get oxalloc's runs."""
    runs = {}
    for w, per in spec.items():
        for a in ALLOCATORS:
            runs[(w, a)] = [run(t, m) for t, m in per.get(a, per["oxalloc"])]
    return runs


def cells_of(runs, workloads):
    report.check_checksums(runs)
    return report.build_cells(runs, workloads)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def short_runs_get_no_ratio_and_no_geomean():
    # bench-quick's case: 5-20 ms runs, a peer seemingly 3x slower.
    spec = {"fifo-lifo-64": {"oxalloc": [(0.005, 2000), (0.006, 2000)],
                             "glibc": [(0.018, 2000), (0.020, 2000)]}}
    runs = matrix(spec)
    cells = cells_of(runs, ["fifo-lifo-64"])
    assert cells[("fifo-lifo-64", "glibc")].ratio is None
    md = report.markdown(ctx(), cells, ["fifo-lifo-64"], {}, ([], {}, []))
    time_section = md.split("## Wall time per workload")[1].split("## Peak RSS per workload")[0]
    assert "×" not in time_section, time_section
    assert "(short)" in time_section
    wall_geo = md.split("Wall time:")[1].split("Peak RSS:")[0]
    assert re.search(r"\d\.\d\d \(\d+\)", wall_geo) is None, wall_geo
    summary = report.micro_summary(cells, ["fifo-lifo-64"])
    assert all(line.split("|")[2].strip() == "–" for line in summary[2:]), summary


@test
def smoke_test_has_no_ratio_geomean_or_chart():
    # Even runs long enough to time: a smoke test is not a result.
    spec = {"churn": {"oxalloc": [(0.5, 1000), (0.5, 1000)], "glibc": [(1.0, 2000), (1.0, 2000)]}}
    runs = matrix(spec)
    cells = report.build_cells(runs, ["churn"], smoke=True)
    assert cells[("churn", "glibc")].ratio is None and cells[("churn", "glibc")].rss_ratio is None
    with tempfile.TemporaryDirectory() as d:
        report.generate(d, runs, ctx(workloads=["churn"]))  # a full run's files, then a smoke test
        report.generate(d, runs, ctx(smoke=True, workloads=["churn"]))
        assert not os.path.exists(os.path.join(d, "summary.md"))
        md = open(os.path.join(d, "latest.md")).read().split("## Real programs")[1]
        assert "×" not in md and "geometric mean of" not in md.lower() and "Where each peer wins" not in md, md
        assert "Wall time:" not in md
        assert not os.path.exists(os.path.join(d, "latest-time.png"))


@test
def smoke_test_is_labelled():
    cells = cells_of(matrix({"churn": {"oxalloc": [(0.01, 1000)]}}), ["churn"])
    md = report.markdown(ctx(smoke=True, command="make bench-quick"), cells, ["churn"], {}, ([], {}, []))
    assert "Smoke test, not results" in md.split("## Real programs")[0]
    md = report.markdown(ctx(), cells, ["churn"], {}, ([], {}, []))
    assert "Smoke test" not in md


@test
def measurable_runs_get_ratios():
    spec = {"churn": {"oxalloc": [(0.50, 1000), (0.52, 1000), (0.51, 1000)],
                      "glibc": [(1.00, 1000), (1.04, 1000), (1.02, 1000)]}}
    cells = cells_of(matrix(spec), ["churn"])
    assert abs(cells[("churn", "glibc")].ratio - 2.0) < 1e-9
    line = [l for l in report.workload_table(cells, ["churn"], report.time_cell, "s") if l.startswith("| churn")][0]
    assert "1.020 s (×2.00) [1.000–1.040]" in line, line


@test
def wins_need_disjoint_spreads():
    spec = {
        # tcmalloc clearly faster; jemalloc faster by the medians but overlapping
        "larson-like": {"oxalloc": [(0.40, 9000), (0.42, 9000), (0.44, 9000)],
                        "tcmalloc": [(0.20, 9000), (0.21, 9000), (0.22, 9000)],
                        "jemalloc": [(0.30, 9000), (0.39, 9000), (0.45, 9000)]},
        # glibc clearly leaner
        "churn": {"oxalloc": [(0.50, 20000), (0.50, 20500), (0.50, 21000)],
                  "glibc": [(0.50, 10000), (0.50, 10100), (0.50, 10200)]},
    }
    cells = cells_of(matrix(spec), list(spec))
    text = "\n".join(report.win_statements(cells, list(spec)))
    tc = [l for l in text.splitlines() if l.startswith("- **tcmalloc**")][0]
    assert "faster than oxalloc on 1 of 2 workloads: larson-like (×0.50)" in tc, tc
    je = [l for l in text.splitlines() if l.startswith("- **jemalloc**")][0]
    assert "faster than oxalloc on 0 of 2" in je and "2 within the spread" in je, je
    gl = [l for l in text.splitlines() if l.startswith("- **glibc**")][0]
    assert "smaller peak RSS than oxalloc on 1 of 2 workloads: churn (×0.49)" in gl, gl
    assert report.compare(cells, "larson-like", "jemalloc", "time") == "level"


@test
def failed_runs_are_shown_with_their_reason():
    runs = matrix({"aligned": {"oxalloc": [(0.1, 1000), (0.1, 1000)]}})
    runs[("aligned", "mimalloc")] = [run(None, None, ok=False, reason="check failed (3 errors)")] * 2
    runs[("aligned", "jemalloc")][1].result["checksum"] = "bad"
    cells = cells_of(runs, ["aligned"])

    class L:
        def command_line(self):
            return "LD_PRELOAD=x oxbench aligned"
    launches = {("aligned", a): L() for a in ALLOCATORS}
    md = report.markdown(ctx(), cells, ["aligned"], launches, ([], {}, []))
    assert "aligned / mimalloc: FAILED (2/2: check failed (3 errors)) — `LD_PRELOAD=x oxbench aligned`" in md
    assert "aligned / jemalloc: FAILED (1/2: checksum bad != c0ffee)" in md
    assert cells[("aligned", "mimalloc")].ratio is None


@test
def chart_bars_carry_the_spread_relative_to_oxalloc():
    spec = {"churn": {"oxalloc": [(0.4, 1000), (0.5, 2000), (0.6, 3000)],
                      "glibc": [(0.9, 1000), (1.0, 1000), (1.1, 1000)]},
            "threads-1": {"oxalloc": [(0.01, 1000)] * 3}}
    cells = cells_of(matrix(spec), list(spec))
    t = dict(report.chart_rows(cells, list(spec), "time"))
    assert "threads-1" not in t  # too short to time
    ox, gl = t["churn"][0], t["churn"][1]
    assert [round(x, 3) for x in ox] == [1.0, 0.8, 1.2], ox
    assert [round(x, 3) for x in gl] == [2.0, 1.8, 2.2], gl
    r = dict(report.chart_rows(cells, list(spec), "rss"))
    assert "threads-1" in r and [round(x, 3) for x in r["churn"][1]] == [0.5, 0.5, 0.5]


@test
def chart_axis_is_around_one_and_fits_the_data():
    lo, hi = report.chart_range([("w", [(1.0, 0.9, 1.1), (0.85, 0.8, 0.9)])])
    assert (lo, hi) == (0.5, 2.0), (lo, hi)
    lo, hi = report.chart_range([("w", [(1.0, 0.9, 1.1), (15.0, 14.0, 16.0), (0.2, 0.1, 0.3)])])
    assert lo < 0.1 and hi > 16.0 and lo > 0.05, (lo, hi)


@test
def charts_and_report_files_are_written():
    spec = {"churn": {"oxalloc": [(0.5, 1000), (0.6, 1100)], "glibc": [(0.9, 1000), (1.0, 900)]},
            "idle-memory": {"oxalloc": [(2.5, 300000), (2.6, 300000)]}}
    runs = matrix(spec)
    runs[("idle-memory", "oxalloc+background")] = [
        run(2.5, 300000, metrics={"rss_idle_2s_kib": 4096}) for _ in range(2)]
    with tempfile.TemporaryDirectory() as d:
        cells, shown = report.generate(d, runs, ctx(workloads=list(spec)))
        for name in ("latest.md", "latest.csv", "summary.md"):
            assert os.path.getsize(os.path.join(d, name)) > 0, name
        if subprocess.run(["sh", "-c", "command -v gnuplot"], capture_output=True).returncode == 0:
            for name in ("latest-time.png", "latest-rss.png"):
                with open(os.path.join(d, name), "rb") as f:
                    assert f.read(8) == b"\x89PNG\r\n\x1a\n", name
        md = open(os.path.join(d, "latest.md")).read()
        assert "| oxalloc+background | 292.97 | " not in md  # MiB with one decimal
        assert re.search(r"\| oxalloc\+background \| 293\.0 \| [^|]*\| [^|]*\| [^|]*\| [^|]*\| 4\.0 \|", md), md
        assert "abc1234" in md and "Test CPU" in md and "`make bench`" in md
        csv_text = open(os.path.join(d, "latest.csv")).read()
        assert "idle-memory,C,4,oxalloc+background,oxalloc,ok" in csv_text, csv_text


@test
def prof_row_cost_is_the_geomean_of_measurable_ratios():
    # oxalloc+prof ÷ oxalloc: ×1.02 on churn, ×1.08 on aligned; fifo-lifo-64's
    # runs are too short to time and count in no mean.
    spec = {"churn": {"oxalloc": [(0.50, 1000), (0.50, 1000)]},
            "aligned": {"oxalloc": [(1.00, 1000), (1.00, 1000)]},
            "fifo-lifo-64": {"oxalloc": [(0.005, 1000), (0.005, 1000)]}}
    runs = matrix(spec)
    for w, t in (("churn", 0.51), ("aligned", 1.08), ("fifo-lifo-64", 0.02)):
        runs[(w, "oxalloc+prof")] = [run(t, 1100) for _ in range(2)]
    assert ("oxalloc+prof", "oxalloc") in report.rows("churn")
    cells = cells_of(runs, list(spec))
    want = (1.02 * 1.08) ** 0.5
    line = report.prof_cost(cells, list(spec))
    assert len(line) == 1 and f"**×{want:.3f}**" in line[0] and "over 2 workloads" in line[0], line
    assert f"({100 * (want - 1):+.1f} %)" in line[0], line
    assert "lowest ×1.02 (churn), highest ×1.08 (aligned)" in line[0], line
    with tempfile.TemporaryDirectory() as d:
        report.generate(d, runs, ctx(workloads=list(spec)))
        md = open(os.path.join(d, "latest.md")).read()
        assert line[0] in md.split("## Heap profiler cost")[1], md
        assert line[0] in open(os.path.join(d, "summary.md")).read()
        report.generate(d, runs, ctx(smoke=True, workloads=list(spec)))
        assert "geometric mean over" not in open(os.path.join(d, "latest.md")).read()
    # Without measurable pairs: said, not a made-up figure.
    none = report.prof_cost(cells_of(runs, ["fifo-lifo-64"]), ["fifo-lifo-64"])
    assert "no pair of measurable" in none[0], none


@test
def prof_row_runs_oxalloc_with_profiling_on():
    import workloads
    for w in ("churn", "rust-threads-2", "python3"):
        l = workloads.launch(w, "oxalloc+prof", "build/bench", "build/liboxalloc.so", 1.0)
        base = workloads.launch(w, "oxalloc", "build/bench", "build/liboxalloc.so", 1.0)
        assert l.env_extra.get("OXALLOC_PROF") == "1" and l.expect == "oxalloc", (w, l.env_extra)
        assert l.argv == base.argv, (l.argv, base.argv)
        assert {k: v for k, v in l.env_extra.items() if k != "OXALLOC_PROF"} == base.env_extra


@test
def runs_csv_round_trip():
    runs = matrix({"churn": {"oxalloc": [(0.5, 1000), (0.6, 1100)], "glibc": [(0.9, 1000), (1.0, 900)]}})
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "runs.csv")
        report.write_runs(path, runs)
        back = report.read_runs(path)
    a, b = cells_of(runs, ["churn"]), cells_of(back, ["churn"])
    for k in a:
        assert (a[k].wall, a[k].rss_max, a[k].ratio) == (b[k].wall, b[k].rss_max, b[k].ratio), k


@test
def publish_refuses_a_smoke_test_or_partial_run_and_copies_a_full_run():
    runs = matrix({"churn": {"oxalloc": [(0.5, 1000), (0.6, 1100)]}})
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "out"), os.path.join(d, "results")
        report.generate(src, runs, ctx(smoke=True, workloads=["churn"]))
        with open(os.path.join(src, "meta.json"), "w") as f:
            json.dump(ctx(smoke=True), f)
        try:
            publish.publish(src, dst)
            raise AssertionError("a smoke test was published")
        except ValueError as e:
            assert "smoke test" in str(e)
        assert not os.path.exists(dst)
        report.generate(src, runs, ctx(workloads=["churn"]))
        with open(os.path.join(src, "meta.json"), "w") as f:
            json.dump(ctx(partial=True), f)
        try:
            publish.publish(src, dst)
            raise AssertionError("a partial run (--only) was published")
        except ValueError as e:
            assert "partial" in str(e)
        with open(os.path.join(src, "meta.json"), "w") as f:
            json.dump(ctx(), f)
        os.makedirs(dst)
        with open(os.path.join(dst, "latest.png"), "w") as f:
            f.write("old chart")
        written = publish.publish(src, dst)
        assert not os.path.exists(os.path.join(dst, "latest.png"))
        assert os.path.exists(os.path.join(dst, "history", "2026-11-29-1200.md"))
        assert os.path.exists(os.path.join(dst, "latest.csv")) and len(written) == 7, written


@test
def make_bench_writes_only_under_build():
    # What `make bench` would run (-n), with a build directory of our own.
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run(["make", "-n", "--no-print-directory", "-C", ROOT, f"BUILD={d}", "bench"],
                             capture_output=True, text=True).stdout.replace("\\\n", " ")
        driver = [l for l in out.splitlines() if "bench/driver/run.py" in l]
        assert driver, out[-2000:]
        outdir = re.search(r"--out (\S+)", driver[-1]).group(1)
        assert outdir.startswith(d), driver[-1]
        assert "--readme" not in out and "--history" not in out and "publish.py" not in out
        quick = subprocess.run(["make", "-n", "--no-print-directory", "-C", ROOT, f"BUILD={d}",
                                "bench-quick"], capture_output=True, text=True).stdout.replace("\\\n", " ")
        q = [l for l in quick.splitlines() if "bench/driver/run.py" in l][-1]
        assert "--smoke" in q and re.search(r"--out " + re.escape(d), q), q


def main():
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
            passed += 1
            print(f"ok   {fn.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc(limit=3)
    print(f"benchreport: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
