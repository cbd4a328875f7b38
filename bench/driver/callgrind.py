"""Fast-path cost: instructions per alloc+free pair, counted by callgrind.

Each fastpath-* program (bench/c/fastpath.c) runs N and 2N pairs of one
size; (I(2N) - I(N)) / N is the cost of one pair, start-up cancelling out.
Owned by bench/driver."""
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

SIZES = [64, 4096, 1 << 20]
PAIRS = 20000
# 1 MiB pairs are slow under valgrind for some allocators (mimalloc maps
# and unmaps each time): fewer of them give the same per-pair figure.
PAIRS_BY_SIZE = {1 << 20: 2000}


def configurations(build_dir, oxalloc_so):
    """(row label, binary, extra environment) for each API measured."""
    b = lambda name: os.path.join(build_dir, name)
    return [
        ("oxalloc: rust_alloc/rust_dealloc", b("fastpath-oxalloc"), {}),
        ("oxalloc override: malloc/free (LD_PRELOAD)", b("fastpath-malloc"),
         {"LD_PRELOAD": oxalloc_so}),
        ("glibc: malloc/free", b("fastpath-malloc"), {}),
        ("jemalloc: malloc/sdallocx (tikv-jemallocator path)", b("fastpath-jemalloc"), {}),
        ("mimalloc: mi_malloc_aligned/mi_free_size_aligned", b("fastpath-mimalloc"), {}),
        ("tcmalloc: tc_malloc/tc_free", b("fastpath-tcmalloc"), {}),
    ]


def _instructions(binary, env_extra, pairs, size):
    """Total Ir of one callgrind run, or raise RuntimeError."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env.update(env_extra)
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
               binary, str(pairs), str(size)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or [""])[-1]
            raise RuntimeError(f"exit {proc.returncode}: {tail[:100]}")
        with open(out) as f:
            text = f.read()
    m = re.search(r"^(?:summary|totals):\s*(\d+)", text, re.M)
    if not m:
        raise RuntimeError("no totals in callgrind output")
    return int(m.group(1))


def _per_pair(binary, env_extra, size):
    for path in [binary] + [v for v in env_extra.values()]:
        if path.startswith("/") or path.startswith("build"):
            if not os.path.exists(path):
                return None, f"{path} missing"
    pairs = PAIRS_BY_SIZE.get(size, PAIRS)
    try:
        one = _instructions(binary, env_extra, pairs, size)
        two = _instructions(binary, env_extra, 2 * pairs, size)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    return (two - one) / pairs, ""


def measure_all(build_dir, oxalloc_so, progress, jobs=2):
    """{(label, size): (instructions per pair or None, failure reason)}."""
    configs = configurations(build_dir, oxalloc_so)
    tasks = [(label, binary, env, size) for label, binary, env in configs for size in SIZES]
    results = {}

    def work(task):
        label, binary, env, size = task
        results[(label, size)] = _per_pair(binary, env, size)
        progress(f"callgrind {label} {size} B done")

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(work, tasks))
    return [label for label, _, _ in configs], results
