"""Docs: every notebook processes as for the site (nbdev), renders to an HTML page, and loads in headless Chromium.

Quarto is not installable here, so pages are rendered with nbconvert (tools/docs_preview.py); the published site is
built by the GitHub Pages workflow with Quarto and `nbdev-docs`. The pages' math is typeset in Chromium by a local MathJax 3
(the version the published pages load), and any TeX that MathJax rejects, or leaves as raw text, fails the test.
"""
import html as htmllib, json, re, sys
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

def _prose(c): return re.sub(r"```.*?```|`[^`\n]*`", "", "".join(c["source"]), flags=re.S)  # a markdown cell without its code

def _has_math(nb): return any(c["cell_type"] == "markdown" and re.search(r"\$[^$\s][^$]*\$", _prose(c)) for c in nb["cells"])

def _split_displays(nb):
    "`$$…$$` with a blank line inside, in markdown cells: Pandoc (Quarto) ends the paragraph there and shows the TeX raw."
    md = [_prose(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    return [m.group() for s in md for m in re.finditer(r"\$\$.*?\$\$", s, re.S) if re.search(r"\n[ \t]*\n", m.group())]

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
    src = json.loads(nb.read_text())
    if _has_math(src): assert "MathJax" in html and ("$" in html or "\\(" in html), f"{page.name}: no MathJax input"
    assert not (bad := _split_displays(src)), f"{nb.name}: a blank line inside display math breaks it on the site: {bad[0][:200]!r}"

@pytest.fixture(scope="module")
def doms(site):
    "Each page's DOM once headless Chromium has run its scripts (MathJax's typesetting included): one load per page."
    if not dp.chromium(install=True): pytest.skip("Chromium is not installed and could not be installed (needs root and apt-get)")
    with dp.Browser() as b:  # one Chromium, every page in turn; a page is done when its MathJax reports (or has none)
        return {name: b.dom(page, MATHJAX_DONE, timeout=30) for name, (proc, page) in site.items()}

MATHJAX_DONE = "document.getElementById('mathjax-report') || !document.querySelector('script[src*=\"mathjax\"]')"

def test_pages_load_in_chromium(site, doms):
    for name, (proc, page) in site.items():
        dom = doms[name]
        title = dp.front_matter(json.loads(proc.read_text())).get("title")
        body = re.sub(r"<[^>]+>", " ", dom.split("<body", 1)[-1])
        assert title in dom, f"{page.name}: title {title!r} not in the rendered page"
        assert len(body.split()) > 20, f"{page.name}: the rendered page is (nearly) empty"

# What MathJax leaves alone, and what it made: dropped before looking for TeX that stayed raw text.
_NOT_TEXT = re.compile(r"<(head|script|style|pre|code|textarea|mjx-container)\b.*?</\1>", re.S | re.I)
# A `$$…$$`, or a `$…$` as Pandoc (Quarto) reads one: no space just inside the dollars, no digit right after the closing one.
_RAW_TEX = re.compile(r"\$\$[^$]+?\$\$|\$(?=[^\s$])[^$]*?(?<=[^\s$])\$(?!\d)")

def _report(dom):
    "What the page's MathJax recorded when it was done (tools/docs_preview.py), or None if it never finished."
    m = re.search(r'<script type="application/json" id="mathjax-report">(.*?)</script>', dom, re.S)
    return json.loads(m.group(1)) if m else None

def math_problems(name, dom, has_math):
    "What is wrong with the math of one rendered page, one line each: TeX errors, math not typeset, TeX left as raw text."
    rep, out = _report(dom), []
    if rep is None: return [f"{name}: MathJax did not finish typesetting (no mathjax-report in the page)"]
    if rep.get("failed"): out.append(f"{name}: MathJax failed: {rep['failed']}")
    out += [f"{name}: TeX error {e['message']!r} in ${e['tex']}$" for e in rep["errors"]]
    markup = re.sub(r"<(style|script)\b.*?</\1>", "", dom, flags=re.S)  # MathJax's stylesheet names mjx-merror too
    if not rep["errors"] and ("<mjx-merror" in markup or "data-mjx-error" in markup):
        out += [f"{name}: TeX error {htmllib.unescape(m)!r}" for m in re.findall(r'data-mjx-error="([^"]*)"', markup)] or [
                f"{name}: MathJax shows a TeX error (mjx-merror)"]
    if has_math and not (rep["math"] and "<mjx-container" in markup): out.append(f"{name}: the notebook has math but none was typeset")
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", _NOT_TEXT.sub(" ", dom.split("<body", 1)[-1])))
    out += [f"{name}: raw TeX left in the text: {m!r}" for m in _RAW_TEX.findall(text)]
    return out

def test_math_typesets(site, doms):
    "Every page's math is typeset by MathJax with no TeX error, and no `$…$` is left as raw text."
    if not dp.mathjax(install=True): pytest.skip(f"no local MathJax to typeset with (its CDN is unreachable here): {dp.mathjax.error}")
    problems = [p for name, (proc, page) in site.items()
                for p in math_problems(page.name, doms[name], _has_math(json.loads(proc.read_text())))]
    assert not problems, "math that does not render:\n" + "\n".join(problems)
