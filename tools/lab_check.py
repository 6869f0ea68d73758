"""Open every notebook in JupyterLab and run it top to bottom on JupyterLab's own kernel, with the installed package.

Starts `jupyter lab` (no browser, a random token, a free local port) on a scratch copy of `nbs/`, so that
`import vae_faces` finds the installed package and nothing is written into the project. Then, for each notebook:

1. **open**: headless Chromium loads `/lab/tree/<notebook>`; JupyterLab must show a notebook panel holding the
   notebook's title (skipped, with a note, where Chromium is missing);
2. **run**: a session is started through the server's REST API, as JupyterLab does when a notebook is opened, and
   every code cell is sent in order to its kernel over the kernel's websocket. Cells that nbdev's tests leave out are
   left out here by nbdev's own rule: `#| eval: false`, and `#| slow` unless `--slow`. An error stops the notebook and
   is printed with its traceback.

    python tools/lab_check.py                 # every notebook; exit status 1 if any fails
    python tools/lab_check.py --only 00_elbo --slow
"""
import argparse, json, os, re, shutil, socket, subprocess, sys, tempfile, time, uuid
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
import jupyterlab, websocket                           # websocket-client: a dependency of jupyter_server
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.test import _skip_cell

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/"tools"))
import docs_preview as dp

def notebooks(nbs):
    "The story's notebooks under `nbs` (scratch `_*` and hidden folders left out), in order."
    return sorted(p for p in Path(nbs).rglob("*.ipynb") if not any(s.startswith(("_", ".")) for s in p.relative_to(nbs).parts))

def _free_port():
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

class Lab:
    "A JupyterLab server on `root`, stopped on exit."
    def __init__(self, root, log):
        self.root, self.port, self.token = Path(root), _free_port(), uuid.uuid4().hex
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
               f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"] + (["--allow-root"] if os.geteuid() == 0 else [])
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        for _ in range(120):
            try: self.api("GET", "status"); return
            except OSError:
                if self.proc.poll() is not None: raise RuntimeError(f"jupyter lab exited with status {self.proc.returncode}; see {log.name}")
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within 60 s; see {log.name}")

    def api(self, method, path, body=None):
        req = urllib.request.Request(f"{self.url}/api/{path}", method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r: return json.loads(r.read() or b"null")

    def close_sessions(self):
        for s in self.api("GET", "sessions"): self.api("DELETE", f"sessions/{s['id']}")

    def __enter__(self): return self
    def __exit__(self, *exc):
        self.proc.terminate()
        try: self.proc.wait(20)
        except subprocess.TimeoutExpired: self.proc.kill()

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

class Kernel:
    "A kernel started by the server for one notebook, driven over its websocket channels as JupyterLab does."
    def __init__(self, lab, nb_path):
        s = lab.api("POST", "sessions", dict(path=nb_path, type="notebook", name=Path(nb_path).name, kernel=dict(name="python3")))
        self.lab, self.session_id, self.session = lab, s["id"], uuid.uuid4().hex
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{lab.port}/api/kernels/{s['kernel']['id']}/channels?token={lab.token}",
                                              timeout=600)
        self.request("kernel_info_request", {})

    def request(self, msg_type, content, timeout=600):
        "Send a shell request; return its reply's content (outputs on iopub are read and dropped)."
        mid = uuid.uuid4().hex
        self.ws.send(json.dumps(dict(channel="shell", content=content, metadata={}, parent_header={}, buffers=[],
            header=dict(msg_id=mid, msg_type=msg_type, session=self.session, username="lab_check", version="5.3",
                        date=datetime.now(timezone.utc).isoformat()))))
        end = time.time() + timeout
        while time.time() < end:
            m = self.ws.recv()
            if isinstance(m, bytes): continue                       # binary frames carry buffers (widgets); not needed
            m = json.loads(m)
            if m.get("channel") == "shell" and m.get("parent_header", {}).get("msg_id") == mid: return m["content"]
        raise TimeoutError(f"no reply to {msg_type} within {timeout} s")

    def run(self, code, timeout=600):
        r = self.request("execute_request", dict(code=code, silent=False, store_history=True, user_expressions={},
                                                 allow_stdin=False, stop_on_error=True), timeout)
        if r["status"] != "ok": raise RuntimeError(_ANSI.sub("", "\n".join(r.get("traceback") or [f"{r.get('ename')}: {r.get('evalue')}"])))

    def close(self):
        self.ws.close(); self.lab.api("DELETE", f"sessions/{self.session_id}")

def cells_to_run(nb, slow=False):
    "The code cells of notebook `nb` that nbdev's tests run (same rule and flags), in order."
    skip_flags = get_config(Path(nb).parent).tst_flags.split()
    proc = NBProcessor(nb, rm_directives=False, process=True).nb
    leave_out = _skip_cell(proc, [f for f in skip_flags if not (slow and f == "slow")], ["slow"] if slow else [])
    code = [c for c in proc.cells if c.cell_type == "code"]
    return [c.source for c in code if not leave_out(c)], len(code)

def title(nb):
    "The notebook's `# Title` (its first markdown cell's first line)."
    md = next(c for c in json.loads(Path(nb).read_text())["cells"] if c["cell_type"] == "markdown")
    return "".join(md["source"]).splitlines()[0].lstrip("# ").strip()

def check_open(lab, rel, heading):
    "JupyterLab, in headless Chromium, shows the notebook at `rel` with its title heading."
    dom = dp.dump_dom(f"{lab.url}/lab/tree/{rel}?reset&token={lab.token}", budget_ms=30000)
    lab.close_sessions()                                        # the kernel the page started
    if "jp-NotebookPanel" not in dom: raise RuntimeError(f"JupyterLab showed no notebook panel for {rel}")
    if heading not in re.sub(r"<[^>]+>", " ", dom): raise RuntimeError(f"JupyterLab's page for {rel} lacks its title {heading!r}")

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slow", action="store_true", help="also run cells flagged `#| slow` (minutes of training)")
    ap.add_argument("--only", nargs="*", default=None, help="notebook names (stems) to check; default: all")
    ap.add_argument("--no-open", action="store_true", help="skip opening the notebooks in Chromium")
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lab_check-"))
    try:
        nbs = work/"nbs"
        shutil.copytree(ROOT/"nbs", nbs, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_proc", "_docs", ".quarto"))
        shutil.copy2(ROOT/"pyproject.toml", work/"pyproject.toml")  # nbdev's config: the test flags
        todo = [p for p in notebooks(nbs) if a.only is None or p.stem in a.only]
        browser = not a.no_open and dp.chromium(install=True)
        if not a.no_open and not browser: print("Chromium is missing and could not be installed: notebooks are run, not opened")
        failed = []
        with open(work/"lab.log", "w") as log, Lab(nbs, log) as lab:
            print(f"JupyterLab {jupyterlab.__version__} serving a copy of nbs/ at {lab.url}; vae_faces from {_package_dir()}", flush=True)
            for nb in todo:
                rel, t0 = nb.relative_to(nbs).as_posix(), time.time()
                try:
                    if browser: check_open(lab, rel, title(nb))
                    cells, n_code = cells_to_run(nb, a.slow)
                    k = Kernel(lab, rel)
                    try:
                        for src in cells: k.run(src)
                    finally: k.close()
                    print(f"  {rel}: {'opened, ' if browser else ''}ran {len(cells)} of {n_code} code cells in {time.time() - t0:.1f} s", flush=True)
                except Exception as e:
                    failed.append(rel); print(f"  {rel}: FAILED\n{e}", flush=True)
        if failed: print(f"{len(failed)} of {len(todo)} notebooks failed in JupyterLab: {', '.join(failed)}"); return 1
        print(f"all {len(todo)} notebooks opened and ran top to bottom in JupyterLab")
        return 0
    finally: shutil.rmtree(work, ignore_errors=True)

def _package_dir():
    r = subprocess.run([sys.executable, "-c", "import vae_faces, os; print(os.path.dirname(vae_faces.__file__))"],
                       capture_output=True, text=True, cwd=tempfile.gettempdir())
    return r.stdout.strip() or "(not importable)"

if __name__ == "__main__": sys.exit(main())
