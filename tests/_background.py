"""The suite's long runs, started together at the beginning of the session and run several at a time on the cores.

A test module may define `background_jobs(items, config)`: the `Job`s (subprocesses) that its selected `items` need.
tests/conftest.py collects them, runs the module's tests after every other test (so that those run meanwhile, in the
foreground), and starts every job at once in one pool of one worker per core (`VAE_FACES_WORKERS` to change it),
longest (by `cost`) first so that the short ones fill in at the end. Each job gets a fair share of the cores as its
thread count (OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS = cores // workers, at least 1), so that parallel
runs do not oversubscribe them. A test waits for its own job's result (`Background.result`), so a failure names it.
"""
import os, signal, subprocess, threading, time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

def cores():
    "The cores this process may use."
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

@dataclass
class Job:
    name: str                       # what the summary and the failures call it
    cmd: list                       # the subprocess
    cwd: str
    timeout: float                  # seconds; then it is killed
    cost: float = 30                # rough seconds: only the order matters, longest first
    env: dict = field(default_factory=dict)  # on top of os.environ and the thread counts

class Background:
    "Runs `jobs` in `workers` threads, each job a subprocess, longest first; `result(name)` waits for one."
    def __init__(self, jobs, workers=None):
        self.workers = max(1, min(workers or cores(), len(jobs) or 1))
        self.threads = max(1, cores() // self.workers)
        self.secs, self.procs, self.closing, self.lock = {}, {}, False, threading.Lock()
        self.t0 = self.last_end = time.monotonic()
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="background")
        self.futures = {j.name: self.pool.submit(self._run, j) for j in sorted(jobs, key=lambda j: -j.cost)}

    def _run(self, job):
        env = {**os.environ, **{v: str(self.threads) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}, **job.env}
        t0 = time.monotonic()
        with self.lock:
            if self.closing: return subprocess.CompletedProcess(job.cmd, "not run: the session ended first", "", "")
            p = self.procs[job.name] = subprocess.Popen(job.cmd, cwd=job.cwd, env=env, stdin=subprocess.DEVNULL,
                                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                                        start_new_session=True)   # its own process group: stopped whole
        try: out, err = p.communicate(timeout=job.timeout); rc = p.returncode
        except subprocess.TimeoutExpired:
            _kill(p); out, err = p.communicate(); rc = f"timed out after {job.timeout:.0f} s"
        with self.lock: self.secs[job.name], self.last_end = time.monotonic() - t0, time.monotonic()
        return subprocess.CompletedProcess(job.cmd, rc, out, err)

    def result(self, name):
        "Wait for job `name`: its completed process (`returncode` an int, or a string saying why it has none) and wall seconds."
        r = self.futures[name].result(); return r, self.secs.get(name, 0.0)

    def close(self):
        "Stop what still runs (the session ended early, e.g. `-x`); `wall`: seconds from the start to the last job's end."
        with self.lock:
            self.closing = True
            for name, p in self.procs.items():
                if p.poll() is None and name not in self.secs: _kill(p)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.wall = self.last_end - self.t0

def _kill(p):
    "Kill `p` and everything it started (its process group)."
    try: os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError: pass
