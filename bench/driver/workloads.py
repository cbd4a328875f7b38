"""The benchmark matrix: allocators, workloads, and how one run is launched.

Owned by bench/driver; see bench/README.md for what each workload does.
"""
import os

ALLOCATORS = ["oxalloc", "glibc", "jemalloc", "mimalloc", "tcmalloc"]

# Debian's shared libraries, reached by LD_PRELOAD for the C workloads.
DEBIAN_LIBS = {
    "jemalloc": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "mimalloc": "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2",
    "tcmalloc": "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
}

SIZES = [16, 32, 64, 128, 256]
THREADS = [1, 2, 4, 8, 16]

C_WORKLOADS = (
    [f"fifo-lifo-{s}" for s in SIZES]
    + [f"threads-{n}" for n in THREADS]
    + ["large-blocks", "churn", "producer-consumer", "larson-like",
       "false-sharing", "realloc-grow", "aligned", "rss-return"]
)

RUST_WORKLOADS = (
    ["vec-push-small-1", "vec-push-small-32", "vec-push-medium",
     "vec-push-large", "rust-collections"]
    + [f"rust-fifo-lifo-{s}" for s in SIZES]
    + [f"rust-threads-{n}" for n in THREADS]
)

# Thread counts, for the "2 cores" note beside the figures.
THREAD_COUNT = {f"threads-{n}": n for n in THREADS}
THREAD_COUNT.update({f"rust-threads-{n}": n for n in THREADS})
THREAD_COUNT.update({"vec-push-small-32": 32, "producer-consumer": 4,
                     "larson-like": 4, "false-sharing": 2})


def language(workload):
    return "C" if workload in C_WORKLOADS else "Rust"


class Launch:
    """How to start one (workload, allocator) run, or why it cannot start."""

    def __init__(self, argv, env_extra, missing=None, expect=None):
        self.argv = argv
        self.env_extra = env_extra
        self.missing = missing  # a reason string when a file is absent
        self.expect = expect    # the allocator a Rust binary must report

    def command_line(self):
        env = " ".join(f"{k}={v}" for k, v in self.env_extra.items())
        return (env + " " if env else "") + " ".join(self.argv)


def launch(workload, allocator, build_dir, oxalloc_so, scale):
    """The command of one run: C workloads share one binary and differ in
    LD_PRELOAD; Rust workloads have one binary per allocator."""
    if language(workload) == "C":
        binary = os.path.join(build_dir, "oxbench")
        env = {}
        lib = oxalloc_so if allocator == "oxalloc" else DEBIAN_LIBS.get(allocator)
        if lib is not None:
            env["LD_PRELOAD"] = lib
        missing = None
        if not os.path.exists(binary):
            missing = f"{binary} missing (build failed?)"
        elif lib is not None and not os.path.exists(lib):
            missing = f"{lib} missing (build failed?)"
    else:
        binary = os.path.join(build_dir, f"rust-bench-{allocator}")
        env = {}
        missing = None if os.path.exists(binary) else f"{binary} missing (cargo build failed?)"
    return Launch([binary, "-s", f"{scale:g}", workload], env, missing, allocator)
