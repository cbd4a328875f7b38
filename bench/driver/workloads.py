"""The benchmark matrix: allocators, workloads, and how one run is launched.

Owned by bench/driver; docs/benchmarks.md says what each workload does.
"""
import os

ALLOCATORS = ["oxalloc", "glibc", "jemalloc", "mimalloc", "tcmalloc"]

# Extra rows for some workloads: (row name, allocator it is, environment).
# OXALLOC_BACKGROUND=1 starts oxalloc's background purger where it exists;
# an oxalloc without it ignores the unknown option, and the row then shows
# the same figures as plain oxalloc.
EXTRA_ROWS = {
    "idle-memory": [("oxalloc+background", "oxalloc", {"OXALLOC_BACKGROUND": "1"})],
}
# Every workload also runs oxalloc with its heap profiler on at the default
# rate (docs/profiling.md): the report gives its cost as the geometric mean
# of oxalloc+prof / oxalloc.  An oxalloc without a profiler ignores the
# option, and the row then shows plain oxalloc's figures.
PROF_ROW = ("oxalloc+prof", "oxalloc", {"OXALLOC_PROF": "1"})

# Debian's shared libraries, reached by LD_PRELOAD for the C workloads.
DEBIAN_LIBS = {
    "jemalloc": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "mimalloc": "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2",
    "tcmalloc": "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
}

SIZES = [16, 32, 64, 128, 256]
THREADS = [1, 2, 4, 8, 16]

# Real programs first: they head the report.  id -> argument of real.sh
# (None: the Rust program, one binary per allocator).
REAL_WORKLOADS = ["python3", "sqlite3", "git-gc", "rust-logproc"]
REAL_ARG = {"python3": "python", "sqlite3": "sqlite", "git-gc": "git", "rust-logproc": None}
REAL_WHAT = {
    "python3": "python3 running a fixed script: objects, dicts, json, re, sort",
    "sqlite3": "sqlite3: 60 000 rows, index, aggregates, join, sort, delete, VACUUM",
    "git-gc": "git gc --aggressive + fsck of a generated 5 840-object repository",
    "rust-logproc": "Rust log processor (Debian's regex, hashbrown, serde_json)",
}

C_WORKLOADS = (
    [f"fifo-lifo-{s}" for s in SIZES]
    + [f"threads-{n}" for n in THREADS]
    + ["large-blocks", "churn", "producer-consumer", "larson-like",
       "xmalloc-like-2", "xmalloc-like-4", "rptest-like-2", "rptest-like-4",
       "thread-replace-2", "thread-replace-4",
       "false-sharing", "realloc-grow", "aligned", "rss-return", "idle-memory"]
)

RUST_WORKLOADS = (
    ["vec-push-small-1", "vec-push-small-32", "vec-push-medium",
     "vec-push-large", "rust-collections"]
    + [f"rust-fifo-lifo-{s}" for s in SIZES]
    + [f"rust-threads-{n}" for n in THREADS]
)

ALL_WORKLOADS = REAL_WORKLOADS + C_WORKLOADS + RUST_WORKLOADS

# Thread counts, for the "2 cores" note beside the figures.
THREAD_COUNT = {f"threads-{n}": n for n in THREADS}
THREAD_COUNT.update({f"rust-threads-{n}": n for n in THREADS})
THREAD_COUNT.update({"vec-push-small-32": 32, "producer-consumer": 4,
                     "larson-like": 4, "false-sharing": 2, "idle-memory": 4,
                     "git-gc": 2})
for _n in (2, 4):
    for _w in ("xmalloc-like", "rptest-like", "thread-replace"):
        THREAD_COUNT[f"{_w}-{_n}"] = _n


def language(workload):
    if workload in REAL_WORKLOADS:
        return "real"
    return "C" if workload in C_WORKLOADS else "Rust"


def extra_rows(workload):
    """(row name, allocator, environment) of the workload's extra rows."""
    return EXTRA_ROWS.get(workload, []) + [PROF_ROW]


def rows(workload):
    """(row name, allocator) of every run of the workload: the five
    allocators, then its extra rows."""
    return [(a, a) for a in ALLOCATORS] + [(name, a) for name, a, _ in extra_rows(workload)]


class Launch:
    """How to start one (workload, row) run, or why it cannot start."""

    def __init__(self, argv, env_extra, missing=None, expect=None):
        self.argv = argv
        self.env_extra = env_extra
        self.missing = missing  # a reason string when a file is absent
        self.expect = expect    # the allocator the run must report

    def command_line(self):
        """The run as a shell line to repeat it from the checkout: paths
        inside the checkout are shown relative to it (the report is
        published, and a reader's checkout is elsewhere)."""
        env = " ".join(f"{k}='{v}'" if " " in v else f"{k}={_shown(v)}" for k, v in self.env_extra.items())
        return (env + " " if env else "") + " ".join(_shown(a) for a in self.argv)


def _shown(arg):
    here = os.getcwd() + os.sep
    return os.path.relpath(arg) if str(arg).startswith(here) else str(arg)


def _preload(allocator, oxalloc_so):
    return oxalloc_so if allocator == "oxalloc" else DEBIAN_LIBS.get(allocator)


def launch(workload, row, build_dir, oxalloc_so, scale):
    """The command of one run: C workloads and real programs share one
    binary and differ in LD_PRELOAD; Rust workloads have one binary per
    allocator.  Real programs also preload whoami.so, which reports the
    allocator of every process."""
    allocator = dict(rows(workload))[row]
    build_dir = os.path.abspath(build_dir)  # real programs change directory
    oxalloc_so = os.path.abspath(oxalloc_so)
    env = {}
    for name, _, extra in extra_rows(workload):
        if name == row:
            env.update(extra)
    lang = language(workload)
    lib = _preload(allocator, oxalloc_so)
    needed = []
    if lang == "C":
        binary = os.path.join(build_dir, "oxbench")
        argv = [binary, "-s", "{scale}", workload]
        needed = [binary] + ([lib] if lib else [])
        if lib:
            env["LD_PRELOAD"] = lib
    elif lang == "real" and REAL_ARG[workload]:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        whoami = os.path.join(build_dir, "whoami.so")
        argv = ["/bin/bash", os.path.join(here, "real", "real.sh"), "-s", "{scale}", REAL_ARG[workload]]
        needed = [whoami] + ([lib] if lib else [])
        env["LD_PRELOAD"] = f"{lib} {whoami}" if lib else whoami
        env["OXBENCH_REAL_DIR"] = os.path.join(build_dir, "real")
    else:
        prefix = "rust-logproc" if workload == "rust-logproc" else "rust-bench"
        binary = os.path.join(build_dir, f"{prefix}-{allocator}")
        argv = [binary, "-s", "{scale}", "logproc" if workload == "rust-logproc" else workload]
        needed = [binary]
    argv = [a.replace("{scale}", f"{scale:g}") for a in argv]
    missing = next((f"{p} missing (build failed?)" for p in needed if not os.path.exists(p)), None)
    return Launch(argv, env, missing, allocator)
