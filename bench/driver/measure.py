"""One measured run: wall time, CPU time (user+sys) and peak RSS of a child
process, from os.wait4; the workload's JSON line; and why it failed, if it
did.  Owned by bench/driver."""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time


class Run:
    def __init__(self):
        self.ok = False
        self.reason = ""       # why the run failed ("" when ok)
        self.wall = None       # seconds
        self.cpu = None        # user + sys seconds
        self.maxrss_kib = None
        self.result = {}       # the workload's JSON line


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


def measure(launch, timeout):
    """Run `launch` (workloads.Launch) once."""
    run = Run()
    if launch.missing:
        run.reason = launch.missing
        return run
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.update(launch.env_extra)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(launch.argv, stdout=out, stderr=err, env=env)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        run.wall = time.perf_counter() - start
        timer.cancel()
        proc.returncode = status  # already reaped: keep Popen from waiting
        run.cpu = usage.ru_utime + usage.ru_stime
        run.maxrss_kib = usage.ru_maxrss
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    result = _last_json(stdout)
    if timed_out.is_set():
        run.reason = f"timeout after {timeout:g} s"
    elif result is not None and not result.get("ok"):
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
    run.result = result or {}
    return run
