"""Docs: every notebook processes as for the site (nbdev), renders to an HTML page, and loads in headless Chromium.

Quarto is not installable here, so pages are rendered with nbconvert (tools/docs_preview.py); the published site is
built by the GitHub Pages workflow with Quarto and `nbdev-docs`.
"""
import json, re, sys
from html.parser import HTMLParser
from pathlib import Path
import pytest
from _project import ROOT, NBS, copy_project, notebooks
sys.path.insert(0, str(ROOT/"tools"))
import docs_preview as dp

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "Process a copy of the project and render every page; maps page name → (processed notebook, HTML page)."
    proj = copy_project(tmp_path_factory.mktemp("proj"))
    return {p.stem: (p.with_suffix(".ipynb"), p) for p in dp.build(proj)}

class _Imgs(HTMLParser):
    def __init__(self): super().__init__(); self.srcs = []
    def handle_starttag(self, tag, attrs):
        if tag == "img": self.srcs += [v for k, v in attrs if k == "src"]

def _has_math(nb): return any(c["cell_type"] == "markdown" and re.search(r"\$[^$\s][^$]*\$", "".join(c["source"])) for c in nb["cells"])

@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: p.stem)
def test_page(nb, site):
    assert nb.stem in site, f"no page for {nb.name}"
    proc, page = site[nb.stem]
    title = dp.front_matter(json.loads(proc.read_text())).get("title")
    assert title, f"{nb.name}: the first cell must be `# Title` (nbdev turns it into the page title)"
    html = page.read_text()
    assert f"<title>{title}</title>" in html and f">{title}<" in html, f"{page.name} lacks its title {title!r}"
    parser = _Imgs(); parser.feed(html)
    for src in parser.srcs:
        if not src.startswith(("data:", "http:", "https:")): assert (page.parent/src).exists(), f"{page.name}: missing image {src}"
    if _has_math(json.loads(nb.read_text())): assert "MathJax" in html and ("$" in html or "\\(" in html), f"{page.name}: no MathJax input"

def test_pages_load_in_chromium(site):
    if not dp.chromium(install=True): pytest.skip("Chromium is not installed and could not be installed (needs root and apt-get)")
    for name, (proc, page) in site.items():
        dom = dp.dump_dom(page)
        title = dp.front_matter(json.loads(proc.read_text())).get("title")
        body = re.sub(r"<[^>]+>", " ", dom.split("<body", 1)[-1])
        assert title in dom, f"{page.name}: title {title!r} not in the rendered page"
        assert len(body.split()) > 20, f"{page.name}: the rendered page is (nearly) empty"
