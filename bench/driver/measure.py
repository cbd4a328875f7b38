"""One measured run: wall time, CPU time (user+sys) and peak RSS of a child
process (wait4, in bench/c/launch.c); the workload's JSON line; and why it
failed, if it did.  Owned by bench/driver."""
import json
import os
import signal
import subprocess
import tempfile


class Run:
    def __init__(self):
        self.ok = False
        self.reason = ""       # why the run failed ("" when ok)
        self.wall = None       # seconds
        self.cpu = None        # user + sys seconds
        self.maxrss_kib = None
        self.result = {}       # the workload's JSON line

    # One line of runs.csv (every run of an invocation, the raw data the
    # report is made from: report.py --runs regenerates it).
    FIELDS = ["workload", "row", "rep", "ok", "reason", "wall_s", "cpu_s", "maxrss_kib", "result"]

    def to_row(self, workload, row, rep):
        num = lambda v: "" if v is None else f"{v:.6f}"
        return {"workload": workload, "row": row, "rep": rep, "ok": int(self.ok), "reason": self.reason,
                "wall_s": num(self.wall), "cpu_s": num(self.cpu),
                "maxrss_kib": "" if self.maxrss_kib is None else str(self.maxrss_kib),
                "result": json.dumps(self.result, sort_keys=True)}

    @classmethod
    def from_row(cls, d):
        r = cls()
        r.ok = d["ok"] in ("1", 1, True)
        r.reason = d["reason"]
        r.wall = float(d["wall_s"]) if d["wall_s"] else None
        r.cpu = float(d["cpu_s"]) if d["cpu_s"] else None
        r.maxrss_kib = int(d["maxrss_kib"]) if d["maxrss_kib"] else None
        r.result = json.loads(d["result"]) if d.get("result") else {}
        return r


def _describe_status(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"killed by {name}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def _read_costs(path):
    """wall, cpu, maxrss, status from bench/c/launch.c's output file."""
    try:
        with open(path) as f:
            wall, cpu, rss, status = f.read().split()
        return float(wall), float(cpu), int(rss), int(status)
    except (OSError, ValueError):
        return None


def measure(launch, timeout, launcher):
    """Run `launch` (workloads.Launch) once through `launcher`
    (bench/c/launch.c, which forks, execs and wait4s the workload)."""
    run = Run()
    if launch.missing:
        run.reason = launch.missing
        return run
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("LAUNCH_LD_PRELOAD", None)
    for key, value in launch.env_extra.items():
        # The launcher hands LD_PRELOAD to the workload only.
        env["LAUNCH_LD_PRELOAD" if key == "LD_PRELOAD" else key] = value
    with tempfile.TemporaryDirectory() as tmp:
        costs_file = os.path.join(tmp, "costs")
        out_file, err_file = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        with open(out_file, "wb") as out, open(err_file, "wb") as err:
            proc = subprocess.Popen([launcher, costs_file] + launch.argv, stdout=out,
                                    stderr=err, env=env, start_new_session=True)
            try:
                proc.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the workload
                proc.wait()
                timed_out = True
        costs = _read_costs(costs_file)
        with open(out_file, errors="replace") as f:
            stdout = f.read()
        with open(err_file, errors="replace") as f:
            stderr = f.read()
    result = _last_json(stdout)
    run.result = result or {}
    if timed_out:
        run.reason = f"timeout after {timeout:g} s"
        return run
    if costs is None:
        run.reason = f"launcher failed: {stderr.strip()[-100:]}"
        return run
    run.wall, run.cpu, run.maxrss_kib, status = costs
    if result is not None and not result.get("ok"):
        extra = "".join(f", {k}={v:g}" for k, v in result.get("metrics", {}).items()
                        if k == "misaligned")
        run.reason = f"check failed ({result.get('errors')} errors{extra})"
    elif status != 0:
        tail = stderr.strip().splitlines()[-1:] or [""]
        run.reason = f"{_describe_status(status)} {tail[0][:80]}".strip()
    elif result is None:
        run.reason = "no JSON result line"
    elif launch.expect and result.get("allocator") != launch.expect:
        run.reason = f"binary uses {result.get('allocator')}, not {launch.expect}"
    else:
        run.ok = True
    return run
