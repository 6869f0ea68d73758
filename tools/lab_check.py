"""Open every notebook in JupyterLab; run the notebooks that show a widget on JupyterLab's own kernel.

Starts `jupyter lab` (no browser, a random token, a free local port) on a scratch copy of `nbs/`, so that
`import vae_faces` finds the installed package and nothing is written into the project. Then, for each notebook:

1. **open** (every notebook): JupyterLab is loaded once in headless Chromium, and each notebook is opened in it as
   from the file browser (`docmanager:open`, through the app the server exposes as `window.jupyterapp`); JupyterLab
   must show a notebook panel holding the notebook's title (skipped, with a note, where Chromium is missing). For a
   widget notebook the page must also load the widget manager (`@jupyter-widgets/jupyterlab-manager`), which draws
   widgets in JupyterLab;
2. **run** (widget notebooks only): what nbdev's runner (tests/test_notebooks.py, which executes every notebook once
   per `make test`) cannot prove is that a widget really comes up on a Jupyter kernel: its runner has no front end
   and no comms. So a notebook is run here when it shows a widget, that is, when one of its code cells
   - has a stored output of the widget-view type (`application/vnd.jupyter.widget-view+json`), or
   - makes a widget as a statement of its own: a line that starts with a `…_widget(` call, assigned or not
     (`w = morph_widget(…)`; a `*_widget(` call inside a larger expression, such as 11_commands' table of calls
     that must keep a model's state, is ordinary code that nbdev's runner proves).
   For such a notebook a session is started through the server's REST API, as JupyterLab does when a notebook is
   opened, and its code cells up to and including the last widget cell are sent in order to the kernel over its
   websocket. Cells that nbdev's tests leave out are left out here by nbdev's own rule: `#| eval: false`, and
   `#| slow` unless `--slow`. An error stops the notebook and is printed with its traceback. Each widget cell must
   make the kernel open a widget comm (`comm_open`, target `jupyter.widget`) and display a widget view whose model
   is one of those comms (a display_data or execute_result with the widget-view type, on iopub).

    python tools/lab_check.py                 # every notebook; exit status 1 if any fails
    python tools/lab_check.py --only 07_results --slow
    python tools/lab_check.py --no-open       # run the widget notebooks only, without Chromium
"""
import argparse, json, os, re, shutil, signal, socket, struct, subprocess, sys, tempfile, time, uuid
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
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.expose_app_in_browser=True"] + (["--allow-root"] if os.geteuid() == 0 else [])
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
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager"

def _binary_msg(frame):
    "The JSON part of a message that the server sends as a binary frame (one with buffers: widget state, images)."
    n, = struct.unpack("!I", frame[:4]); offsets = struct.unpack(f"!{n}I", frame[4:4 + 4 * n])
    return json.loads(frame[offsets[0]:offsets[1] if n > 1 else None])

def _kept(m):
    "What `Kernel.request` keeps of an iopub message: the type and what identifies a widget, not the payloads."
    t, c = m["msg_type"], m["content"]
    if t == "comm_open": return dict(msg_type=t, comm_id=c.get("comm_id"), target_name=c.get("target_name"),
                                     model=c.get("data", {}).get("state", {}).get("_model_name"))
    if t in ("display_data", "execute_result", "update_display_data"):
        return dict(msg_type=t, mimes=sorted(c.get("data", {})), widget=c.get("data", {}).get(WIDGET_VIEW))
    if t == "error": return dict(msg_type=t, ename=c.get("ename"))
    return None

class Kernel:
    "A kernel started by the server for one notebook, driven over its websocket channels as JupyterLab does."
    def __init__(self, lab, nb_path):
        s = lab.api("POST", "sessions", dict(path=nb_path, type="notebook", name=Path(nb_path).name, kernel=dict(name="python3")))
        self.lab, self.session_id, self.session = lab, s["id"], uuid.uuid4().hex
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{lab.port}/api/kernels/{s['kernel']['id']}/channels?token={lab.token}",
                                              timeout=600)
        self.request("kernel_info_request", {})

    def request(self, msg_type, content, timeout=600):
        "Send a shell request; return its reply's content and what it published on iopub (see `_kept`), read until idle."
        mid = uuid.uuid4().hex
        self.ws.send(json.dumps(dict(channel="shell", content=content, metadata={}, parent_header={}, buffers=[],
            header=dict(msg_id=mid, msg_type=msg_type, session=self.session, username="lab_check", version="5.3",
                        date=datetime.now(timezone.utc).isoformat()))))
        end, reply, iopub, idle = time.time() + timeout, None, [], False
        while time.time() < end and not (reply is not None and idle):
            m = self.ws.recv()
            m = _binary_msg(m) if isinstance(m, bytes) else json.loads(m)
            if m.get("parent_header", {}).get("msg_id") != mid: continue
            if m.get("channel") == "shell": reply = m["content"]
            elif m.get("channel") == "iopub":
                if m["msg_type"] == "status": idle = m["content"].get("execution_state") == "idle"
                elif (k := _kept(m)) is not None: iopub.append(k)
        if reply is None or not idle: raise TimeoutError(f"no {'reply' if reply is None else 'idle status'} for {msg_type} within {timeout} s")
        return reply, iopub

    def run(self, code, timeout=600):
        "Execute `code`; raise with the traceback if it fails; return what it published on iopub."
        r, iopub = self.request("execute_request", dict(code=code, silent=False, store_history=True, user_expressions={},
                                                        allow_stdin=False, stop_on_error=True), timeout)
        if r["status"] != "ok": raise RuntimeError(_ANSI.sub("", "\n".join(r.get("traceback") or [f"{r.get('ename')}: {r.get('evalue')}"])))
        return iopub

    def close(self):
        self.ws.close(); self.lab.api("DELETE", f"sessions/{self.session_id}")

_MAKES_WIDGET = re.compile(r"^[ \t]*(?:\w+[ \t]*=[ \t]*)?[\w.]*_widget\(", re.M)

def is_widget_cell(cell):
    "Does this code cell show a widget: a stored widget-view output, or a line that starts with a `…_widget(` call?"
    return (any(WIDGET_VIEW in (o.get("data") or {}) for o in cell.get("outputs") or [])
            or bool(_MAKES_WIDGET.search(cell.get("source") or "")))

def cells_to_run(nb, slow=False):
    """The widget run of notebook `nb` (see the module's docstring): `[(source, is_widget_cell)]` for the code cells
    up to and including its last widget cell that nbdev's tests run (same rule and flags), in order; the number of
    code cells; and how many widget cells nbdev's rule leaves out. No widget cell: nothing to run."""
    skip_flags = get_config(Path(nb).parent).tst_flags.split()
    proc = NBProcessor(nb, rm_directives=False, process=True).nb
    leave_out = _skip_cell(proc, [f for f in skip_flags if not (slow and f == "slow")], ["slow"] if slow else [])
    code = [c for c in proc.cells if c.cell_type == "code"]
    widget = [i for i, c in enumerate(code) if is_widget_cell(c)]
    if not widget: return [], len(code), 0
    upto = code[:widget[-1] + 1]
    return ([(c.source, is_widget_cell(c)) for c in upto if not leave_out(c)], len(code),
            sum(1 for i in widget if leave_out(code[i])))

def check_widget(iopub):
    "The kernel opened a `jupyter.widget` comm and displayed a widget view of one of the comms it opened; its model name."
    opened = {m["comm_id"]: m["model"] for m in iopub if m["msg_type"] == "comm_open" and m["target_name"] == "jupyter.widget"}
    if not opened: raise RuntimeError("the widget cell opened no `jupyter.widget` comm on the kernel: no widget was made")
    views = [m["widget"] for m in iopub if m.get("widget")]
    if not views: raise RuntimeError(f"the widget cell displayed no {WIDGET_VIEW} output (it opened {len(opened)} widget comm(s))")
    shown = [v.get("model_id") for v in views if v.get("model_id") in opened]
    if not shown: raise RuntimeError(f"the widget view(s) displayed name model(s) {[v.get('model_id') for v in views]} that the kernel did not open")
    return opened[shown[-1]]

def title(nb):
    "The notebook's `# Title` (its first markdown cell's first line)."
    md = next(c for c in json.loads(Path(nb).read_text())["cells"] if c["cell_type"] == "markdown")
    return "".join(md["source"]).splitlines()[0].lstrip("# ").strip()

_OPEN_JS = """(async () => {
  const app = window.jupyterapp, rel = %s, heading = %s, t0 = Date.now();
  await app.started; await app.restored;
  const w = await app.commands.execute('docmanager:open', {path: rel});
  await w.context.ready; await w.revealed;
  const text = () => w.node.innerText || '';
  while (!text().includes(heading) && Date.now() - t0 < 30000) await new Promise(r => setTimeout(r, 100));
  const res = {panel: w.node.classList.contains('jp-NotebookPanel'), heading: text().includes(heading)};
  w.dispose();
  return res;
})()"""

class LabPage:
    """JupyterLab loaded once in headless Chromium (the server exposes the app as `window.jupyterapp`); each notebook is
    then opened in it as a user opens one from the file browser (`docmanager:open`), checked, and closed."""
    def __init__(self, lab):
        self.lab, self.browser = lab, dp.Browser()
        if not self.browser.load(f"{lab.url}/lab?reset&token={lab.token}", "window.jupyterapp", timeout=120):
            self.close(); raise RuntimeError("JupyterLab's page did not come up in Chromium within 120 s (no window.jupyterapp)")
        self.widget_manager = self.browser.eval(f"document.documentElement.outerHTML.includes({json.dumps(WIDGET_MANAGER)})")

    def check(self, rel, heading, widgets=False):
        "JupyterLab shows the notebook at `rel` in a notebook panel with its title heading (and loads the widget manager)."
        r = self.browser.eval(_OPEN_JS % (json.dumps(rel), json.dumps(heading)))
        self.lab.close_sessions()                               # the kernel that opening it started
        if not r["panel"]: raise RuntimeError(f"JupyterLab showed no notebook panel for {rel}")
        if not r["heading"]: raise RuntimeError(f"JupyterLab's panel for {rel} lacks its title {heading!r}")
        if widgets and not self.widget_manager: raise RuntimeError(f"JupyterLab's page does not load {WIDGET_MANAGER}: the widgets of {rel} would not show")

    def close(self): self.browser.close()

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slow", action="store_true", help="also run cells flagged `#| slow` (minutes of training)")
    ap.add_argument("--only", nargs="*", default=None, help="notebook names (stems) to check; default: all")
    ap.add_argument("--no-open", action="store_true", help="skip opening the notebooks in Chromium")
    a = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # stopped: still stop the server, remove the copy
    work = Path(tempfile.mkdtemp(prefix="lab_check-"))
    try:
        nbs = work/"nbs"
        shutil.copytree(ROOT/"nbs", nbs, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_proc", "_docs", ".quarto"))
        shutil.copy2(ROOT/"pyproject.toml", work/"pyproject.toml")  # nbdev's config: the test flags
        todo = [p for p in notebooks(nbs) if a.only is None or p.stem in a.only]
        browser = not a.no_open and dp.chromium(install=True)
        if not a.no_open and not browser: print("Chromium is missing and could not be installed: the widget notebooks are run, no notebook is opened")
        failed, opened, ran, t_all = [], 0, [], time.time()
        with open(work/"lab.log", "w") as log, Lab(nbs, log) as lab:
            print(f"JupyterLab {jupyterlab.__version__} serving a copy of nbs/ at {lab.url}; vae_faces from {_package_dir()}", flush=True)
            page = LabPage(lab) if browser else None
            try:
                for nb in todo:
                    rel, t0 = nb.relative_to(nbs).as_posix(), time.time()
                    try:
                        cells, n_code, left_out = cells_to_run(nb, a.slow)
                        if page: page.check(rel, title(nb), widgets=bool(cells) or bool(left_out)); opened += 1
                        done, shown = ["opened"] if browser else [], []
                        if cells:
                            k = Kernel(lab, rel)
                            try:
                                for src, widget in cells:
                                    iopub = k.run(src)
                                    if widget: shown.append(check_widget(iopub))
                            finally: k.close()
                            if shown: ran.append(rel)
                            done.append(f"ran {len(cells)} of {n_code} code cells (up to its last widget cell) on the kernel, which showed "
                                        + (", ".join(shown) if shown else "no widget: its widget cells were left out"))
                        if left_out: done.append(f"{left_out} widget cell(s) left out by nbdev's rule{'' if a.slow else ' (try --slow)'}")
                        print(f"  {rel}: {', '.join(done) or 'nothing to do'} in {time.time() - t0:.1f} s", flush=True)
                    except Exception as e:
                        failed.append(rel); print(f"  {rel}: FAILED\n{e}", flush=True)
            finally:
                if page: page.close()
        mins = f"{(time.time() - t_all) / 60:.1f} min"
        if failed: print(f"{len(failed)} of {len(todo)} notebooks failed in JupyterLab: {', '.join(failed)} ({mins})"); return 1
        print((f"opened {opened} of {len(todo)} notebooks in JupyterLab" if browser else f"opened none of {len(todo)} notebooks (--no-open or no Chromium)")
              + f"; ran the widget notebook(s) on its kernel and saw each widget come up: {', '.join(ran) or 'none'} ({mins})")
        return 0
    finally: shutil.rmtree(work, ignore_errors=True)

def _package_dir():
    r = subprocess.run([sys.executable, "-c", "import vae_faces, os; print(os.path.dirname(vae_faces.__file__))"],
                       capture_output=True, text=True, cwd=tempfile.gettempdir())
    return r.stdout.strip() or "(not importable)"

if __name__ == "__main__": sys.exit(main())
