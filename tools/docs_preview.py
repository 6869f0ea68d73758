"""Preview the docs site without Quarto: process the notebooks as `nbdev-proc-nbs` does, then render each page to HTML.

Usage: python tools/docs_preview.py      (pages land beside the processed notebooks in _proc/)
Quarto-only syntax shows as raw text here: this is a check of the pages, not the published site (built by CI with Quarto).
Math is typeset by a local MathJax 3 (the version Quarto's pages load), fetched once from the npm registry into the user's
cache (`mathjax`); without it the pages point at MathJax's CDN.
"""
import json, os, re, shutil, subprocess, sys, tempfile, threading, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PROC = """
import os
from nbdev.config import get_config
from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar
from nbdev.serve import proc_nbs
import nbdev.doclinks
refresh_quarto_yml()
nbdev.doclinks._build_modidx()
nbdev_sidebar.__wrapped__(path=get_config().nbs_path)
proc_nbs(n_workers=0)
"""

def process(proj=ROOT):
    "Run nbdev's notebook processing (the work of `nbdev-proc-nbs`, minus its Quarto install) into `proj/_proc`."
    r = subprocess.run([sys.executable, "-c", _PROC], cwd=proj, capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f"processing the notebooks failed:\n{r.stdout}\n{r.stderr}")
    return Path(proj)/"_proc"

def front_matter(nb):
    "The YAML front matter nbdev put in a processed notebook's first raw cell, as a dict of strings."
    c = nb["cells"][0] if nb["cells"] else {}
    src = "".join(c.get("source", ""))
    if c.get("cell_type") != "raw" or not src.startswith("---"): return {}
    import yaml
    return {k: str(v) for k, v in (yaml.safe_load(src.strip().strip("-")) or {}).items()}

# --- MathJax, from a local copy (nbconvert's default is a CDN, unreachable offline) ------------------------------------
MATHJAX_VERSION = "3.2.2"  # Quarto's pages load MathJax 3 (es5/tex-chtml-full.js); one npm package, fonts included
MATHJAX_CDN = f"https://cdn.jsdelivr.net/npm/mathjax@{MATHJAX_VERSION}/es5/tex-chtml-full.js"
_MATHJAX_JS = Path("node_modules", "mathjax", "es5", "tex-chtml-full.js")

def mathjax_dir():
    "Where the local MathJax lives: `$XDG_CACHE_HOME` (else `~/.cache`) / vae_faces-docs / mathjax-VERSION."
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home()/".cache")/"vae_faces-docs"/f"mathjax-{MATHJAX_VERSION}"

def mathjax(install=False):
    "Path of the local MathJax's `tex-chtml-full.js`; with `install`, fetch npm's `mathjax` package when missing. None if absent."
    d, js = mathjax_dir(), mathjax_dir()/_MATHJAX_JS
    if js.exists(): mathjax.error = None; return js
    if not install: mathjax.error = f"MathJax {MATHJAX_VERSION} is not in {d}"
    elif _npm_failed.get(d): mathjax.error = _npm_failed[d]  # tried once in this process: don't wait on npm again
    elif not (npm := shutil.which("npm")): mathjax.error = f"MathJax {MATHJAX_VERSION} is not in {d}, and npm is not installed"
    else:
        d.parent.mkdir(parents=True, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".mathjax-", dir=d.parent)  # installed aside, then moved in whole: never a half copy
        try:
            r = subprocess.run([npm, "install", "--prefix", tmp, "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
                                "--loglevel=error", "--fetch-retries=1", "--fetch-retry-maxtimeout=10000", f"mathjax@{MATHJAX_VERSION}"],
                               capture_output=True, text=True, timeout=300)
            if not r.returncode and (Path(tmp)/_MATHJAX_JS).exists():
                try: os.rename(tmp, d)
                except OSError: pass  # another run got there first
            else:
                why = [l for l in (r.stderr or r.stdout).splitlines() if re.match(r"npm error \S.*:", l)][:1]
                mathjax.error = f"`npm install mathjax@{MATHJAX_VERSION}` failed ({r.returncode}): " + (" / ".join(why) or r.stderr[-300:])
        except (OSError, subprocess.TimeoutExpired) as e: mathjax.error = f"`npm install mathjax@{MATHJAX_VERSION}` failed: {e}"
        finally: shutil.rmtree(tmp, ignore_errors=True)
        if js.exists(): return js
        _npm_failed[d] = mathjax.error
    return None
mathjax.error = None
_npm_failed = {}

def mathjax_url(install=True):
    "URL for the pages' MathJax script: the local copy (fetched with `install`), else MathJax's CDN."
    return js.as_uri() if (js := mathjax(install)) else MATHJAX_CDN

# The notebooks write `$…$` and `$$…$$` (Quarto reads them as inline and display math; `\$` is a dollar sign). An undefined
# macro is an error here (MathJax's `noundefined` would only colour it red). When MathJax is done, the page records what it
# typeset in <script id="mathjax-report">: {"version", "math": number typeset, "errors": [{"tex", "message"}], "failed"}.
_MATHJAX_HEAD = r"""<style>
/* MathJax's hidden copy of each formula as MathML (for screen readers) keeps its full size in Chromium, which renders
   MathML: lab's markdown cells (overflow: auto) then scroll. Clipped to 1px, as visually-hidden text usually is. */
mjx-container mjx-assistive-mml { width: 1px !important; height: 1px !important; }
</style>
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, packages: {'[-]': ['noundefined']}},
  startup: {pageReady: () => MathJax.startup.defaultPageReady().then(() => mathjaxReport(null), err => mathjaxReport(err))}
};
function mathjaxReport(failed) {
  const items = Array.from(MathJax.startup.document.math), errors = [];
  for (const item of items) item.root.walkTree(node => {
    if (node.isKind('merror')) errors.push({tex: item.math, message: String(node.attributes.get('data-mjx-error') || '')});
  });
  const el = document.createElement('script');
  el.type = 'application/json'; el.id = 'mathjax-report';
  el.textContent = JSON.stringify({version: MathJax.version, math: items.length, errors: errors,
                                   failed: failed && String(failed)}).replace(/</g, '\\u003c');
  document.body.appendChild(el);
}
</script>
<script src="{{ resources.mathjax_url }}" async></script>"""
_TEMPLATE = ("{%- extends 'index.html.j2' -%}\n{%- block html_head_js_mathjax -%}\n" + _MATHJAX_HEAD +
             "\n{%- endblock html_head_js_mathjax -%}\n")

def to_html(proc_nb, out_dir, math_url=MATHJAX_CDN):
    "Render one processed notebook to HTML (title and description as a heading), MathJax from `math_url`; returns the page path."
    from nbconvert import HTMLExporter
    import nbformat
    d = json.loads(Path(proc_nb).read_text())
    for c in d["cells"]: c.get("metadata", {}).pop("execution", None)  # nbconvert's schema check rejects it
    nb = nbformat.reads(json.dumps(d), as_version=4)
    fm = front_matter(nb)
    if fm: nb.cells = nb.cells[1:]
    title = fm.get("title", Path(proc_nb).stem)
    head = f"# {title}" + (f"\n\n> {fm['description']}" if fm.get("description") else "")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(head))
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab", mathjax_url=str(math_url))
    exporter.raw_template = _TEMPLATE  # lab's page with MathJax 3, configured as above, in place of its MathJax 2 block
    html, _ = exporter.from_notebook_node(nb)
    out = Path(out_dir)/(Path(proc_nb).stem + ".html")
    out.write_text(html)
    return out

def build(proj=ROOT, math_url=None):
    "Process the notebooks and render every page beside its processed notebook; MathJax from `math_url` (or `mathjax_url()`)."
    url = math_url or mathjax_url()
    if url == MATHJAX_CDN and not math_url: print(f"docs_preview: {mathjax.error}; pages load MathJax from its CDN", file=sys.stderr)
    proc = process(proj)
    return [to_html(p, p.parent, url) for p in sorted(proc.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]

# --- Looking at the pages in a real browser -------------------------------------------------------------------------
_CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

def chromium(install=False):
    "Path of a Chromium binary; with `install`, install Debian's `chromium` package when it is missing (needs root)."
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if p := shutil.which(name): return p
    if install and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True)
        return shutil.which("chromium")
    return None

def _chrome(args, timeout=60):
    with tempfile.TemporaryDirectory() as prof:
        r = subprocess.run([chromium(), *_CHROME_FLAGS, f"--user-data-dir={prof}", *args],
                           capture_output=True, text=True, timeout=timeout)
    return r

def _url(page): return page if str(page).startswith(("http://", "https://")) else Path(page).resolve().as_uri()

class Browser:
    """One headless Chromium for many pages, driven over the DevTools protocol (a websocket: websocket-client, which
    jupyter_server depends on). Starting Chromium costs seconds of CPU; a page load in a running one, a fraction."""
    def __init__(self, timeout=60):
        import websocket
        self.prof, self.timeout, self.n = tempfile.mkdtemp(prefix="chromium-"), timeout, 0
        self.proc = subprocess.Popen([chromium(), *_CHROME_FLAGS, f"--user-data-dir={self.prof}", "--remote-debugging-port=0",
                                      "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port, t0 = None, time.time()
        while port is None and time.time() - t0 < timeout:     # Chromium names its port on stderr when it is ready
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None: raise RuntimeError(f"chromium exited with status {self.proc.returncode}")
            if m := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line): port = int(m[1])
        if port is None: self.close(); raise RuntimeError(f"chromium did not open its DevTools port within {timeout} s")
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()     # keep draining its log
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as r:
            page = next(t for t in json.loads(r.read()) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True)

    def send(self, method, **params):
        "One DevTools command; its result (events that arrive meanwhile are dropped)."
        self.n += 1; self.ws.send(json.dumps(dict(id=self.n, method=method, params=params)))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                if "error" in m: raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]

    def eval(self, js):
        "The JSON value of the JavaScript expression `js` in the page (a promise is awaited); a thrown error is raised."
        r = self.send("Runtime.evaluate", expression=js, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]; raise RuntimeError(f"in the page: {d.get('exception', {}).get('description') or d.get('text')}")
        return r["result"].get("value")

    def load(self, page, ready="true", timeout=None):
        "Load `page` (a file or an http URL) and wait for its load event, then for the JavaScript `ready` to be truthy; False if it never was."
        self.send("Page.navigate", url=_url(page)); t0, timeout = time.time(), timeout or self.timeout
        while not self.eval(f"document.readyState === 'complete' && document.URL !== 'about:blank' && !!({ready})"):
            if time.time() - t0 > timeout: return False
            time.sleep(0.05)
        return True

    def dom(self, page, ready="true", timeout=None):
        "The DOM of `page` once it is loaded and `ready` (or, if it never is, after `timeout` seconds, as it is then)."
        self.load(page, ready, timeout)
        return self.eval("document.documentElement.outerHTML")

    def close(self):
        try: self.ws.close()
        except Exception: pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try: self.proc.wait(10)
            except subprocess.TimeoutExpired: self.proc.kill()
        shutil.rmtree(self.prof, ignore_errors=True)

    def __enter__(self): return self
    def __exit__(self, *exc): self.close()

def screenshot(page, png, size=(1100, 1400), budget_ms=3000):
    "Save a PNG screenshot of `page` (a file or an http URL) as Chromium shows it."
    _chrome([f"--window-size={size[0]},{size[1]}", f"--virtual-time-budget={budget_ms}", f"--screenshot={Path(png).resolve()}",
             _url(page)])
    return Path(png)

if __name__ == "__main__": print("\n".join(map(str, build())))
