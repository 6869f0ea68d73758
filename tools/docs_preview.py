"""Preview the docs site without Quarto: process the notebooks as `nbdev-proc-nbs` does, then render each page to HTML.

Usage: python tools/docs_preview.py      (pages land beside the processed notebooks in _proc/)
Quarto-only syntax shows as raw text here: this is a check of the pages, not the published site (built by CI with Quarto).
"""
import json, re, subprocess, sys
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

def to_html(proc_nb, out_dir):
    "Render one processed notebook to HTML (title and description as a heading); returns the page path."
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
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    out = Path(out_dir)/(Path(proc_nb).stem + ".html")
    out.write_text(html)
    return out

def build(proj=ROOT):
    "Process the notebooks and render every page beside its processed notebook (so relative links resolve)."
    proc = process(proj)
    return [to_html(p, p.parent) for p in sorted(proc.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]

# --- Looking at the pages in a real browser -------------------------------------------------------------------------
import os, shutil, tempfile
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

def dump_dom(page, budget_ms=3000):
    "The DOM of `page` (a file or an http URL) after Chromium has loaded it and run its scripts for `budget_ms` (virtual time)."
    r = _chrome([f"--virtual-time-budget={budget_ms}", "--dump-dom", _url(page)])
    if r.returncode: raise RuntimeError(f"chromium failed on {page}: {r.stderr[-2000:]}")
    return r.stdout

def screenshot(page, png, size=(1100, 1400), budget_ms=3000):
    "Save a PNG screenshot of `page` (a file or an http URL) as Chromium shows it."
    _chrome([f"--window-size={size[0]},{size[1]}", f"--virtual-time-budget={budget_ms}", f"--screenshot={Path(png).resolve()}",
             _url(page)])
    return Path(png)

if __name__ == "__main__": print("\n".join(map(str, build())))
