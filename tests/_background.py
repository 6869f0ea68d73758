"""The suite's long runs, started together at the beginning of the session and run several at a time on the cores.

A test module may define `background_jobs(items, config)`: the `Job`s (subprocesses) that its selected `items` need.
tests/conftest.py collects them, runs the module's tests after every other test (so that those run meanwhile, in the
foreground), and hands every job at once to one pool of one worker per core (`VAE_FACES_WORKERS` to change it),
longest (by `cost`) first so that the short ones fill in at the end. At most one run per core goes at a time, the
foreground's included: while other tests run, the foreground holds one core (`reserve`) and the jobs share the rest;
once it only waits for them, the jobs have every core. Each job gets a fair share of the cores as its thread count
(OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS = cores // workers, at least 1), so that parallel runs do not
oversubscribe them (on 2 shared cores, a third busy process costs the others far more than its share).
A test waits for its own job's result (`Background.result`), so a failure names it.
Each job's wall and CPU seconds (its whole process tree's) are kept for the terminal summary. Each job runs in a
process group of its own: a session that ends early (`-x`, Ctrl-C, a SIGTERM to pytest) stops the jobs whole.
"""
import os, re, signal, subprocess, sys, threading, time
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

# Runs a command and reports the CPU seconds of its process tree on stderr's last line (taken off again by `_run`);
# its exit status is the command's (128 + N for a command ended by signal N, as in a shell).
_TIMED = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); u = resource.getrusage(resource.RUSAGE_CHILDREN);"
          " sys.stderr.write(f'\\n@cpu {u.ru_utime + u.ru_stime:.1f}\\n'); sys.exit(rc if rc >= 0 else 128 - rc)")
_CPU = re.compile(r"\n@cpu ([\d.]+)\n$")

class Background:
    "Runs `jobs` in `workers` threads, each job a subprocess, longest first; `result(name)` waits for one."
    def __init__(self, jobs, workers=None, reserve=False):
        self.workers = max(1, min(workers or cores(), len(jobs) or 1))
        self.threads = max(1, cores() // self.workers)
        self.secs, self.cpu, self.procs, self.closing, self.lock = {}, {}, {}, False, threading.Lock()
        self.t0 = self.last_end = time.monotonic()
        self.slots = threading.Semaphore(cores())          # runs at once, the foreground's included
        self.reserved = bool(reserve and jobs) and self.slots.acquire()
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="background")
        self._prev_term = None
        if jobs and threading.current_thread() is threading.main_thread():
            self._prev_term = signal.signal(signal.SIGTERM, self._on_term)
        self.futures = {j.name: self.pool.submit(self._run, j) for j in sorted(jobs, key=lambda j: -j.cost)}

    def release_reserved(self):
        "The foreground has no more tests of its own to run: its core goes to the jobs."
        if self.reserved: self.reserved = False; self.slots.release()

    def _run(self, job):
        with self.slots: return self._run1(job)

    def _run1(self, job):
        env = {**os.environ, **{v: str(self.threads) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}, **job.env}
        t0 = time.monotonic()
        with self.lock:
            if self.closing: return subprocess.CompletedProcess(job.cmd, "not run: the session ended first", "", "")
            p = self.procs[job.name] = subprocess.Popen([sys.executable, "-c", _TIMED, *job.cmd], cwd=job.cwd, env=env, stdin=subprocess.DEVNULL,
                                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                                        start_new_session=True)   # its own process group: stopped whole
        try: out, err = p.communicate(timeout=job.timeout); rc = p.returncode
        except subprocess.TimeoutExpired:
            _kill([p]); out, err = p.communicate(); rc = f"timed out after {job.timeout:.0f} s"
        if m := _CPU.search(err or ""): err, self.cpu[job.name] = err[:m.start()], float(m[1])
        with self.lock: self.secs[job.name], self.last_end = time.monotonic() - t0, time.monotonic()
        return subprocess.CompletedProcess(job.cmd, rc, out, err)

    def result(self, name):
        "Wait for job `name`: its completed process (`returncode` an int, or a string saying why it has none) and wall seconds."
        r = self.futures[name].result(); return r, self.secs.get(name, 0.0)

    def stop(self):
        "Stop every job still running, and start no other."
        with self.lock:
            self.closing = True
            running = [p for p in self.procs.values() if p.poll() is None]
        _kill(running); self.release_reserved()          # workers waiting for a core see `closing` and return

    def _on_term(self, signum, frame):
        "SIGTERM: stop the jobs, then do what the handler before would have done (by default: end)."
        self.stop(); signal.signal(signal.SIGTERM, self._prev_term or signal.SIG_DFL); signal.raise_signal(signal.SIGTERM)

    def close(self):
        "Stop what still runs (the session ended early, e.g. `-x`); `wall`: seconds from the start to the last job's end."
        self.stop()
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self._prev_term is not None: signal.signal(signal.SIGTERM, self._prev_term)
        self.wall = self.last_end - self.t0

def _signal_group(p, sig):
    try: os.killpg(p.pid, sig)
    except ProcessLookupError: pass                       # the group is gone

def _kill(procs, grace=10):
    "Stop each of `procs` and everything it started (its process group): SIGTERM, then SIGKILL what is left after `grace` s."
    for p in procs: _signal_group(p, signal.SIGTERM)
    end = time.monotonic() + grace
    for p in procs:
        try: p.wait(max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired: pass
    for p in procs: _signal_group(p, signal.SIGKILL)
