"""Regenerate README.md from nbs/index.ipynb without Quarto (what `nbdev-readme` does with it).

Usage: python tools/readme.py [--check]   (--check: exit 1 if README.md is stale, write nothing)
"""
import re, sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parents[1]
_DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(.*)$")

def _directives(src):
    "The `#| ...` directives at the top of a code cell, as a dict, and the rest of the source."
    lines, d = src.splitlines(), {}
    while lines and (m := _DIRECTIVE.match(lines[0])):
        k, _, v = m.group(1).partition(":") if ":" in m.group(1) else (m.group(1), "", "true")
        d[k.strip()] = v.strip() or "true"
        lines = lines[1:]
    return d, "\n".join(lines).strip()

def _outputs(cell):
    "Text outputs of a code cell, as fenced blocks."
    res = []
    for o in cell.get("outputs", []):
        txt = o.get("text") or o.get("data", {}).get("text/markdown") or o.get("data", {}).get("text/plain")
        if txt: res.append("".join(txt) if o.get("data", {}).get("text/markdown") else "```\n" + "".join(txt).rstrip() + "\n```")
    return res

def _links(md, nbs_rel="nbs"):
    "Make relative image and page links (written from nbs/) work from the project root."
    fix = lambda m: f"{m.group(1)}({nbs_rel}/{m.group(2)})" if not re.match(r"[a-z]+:|/|#", m.group(2)) else m.group(0)
    return re.sub(r"(!?\[[^\]]*\])\(([^)\s]+)\)", fix, md)

def render(nb_path=ROOT/"nbs"/"index.ipynb"):
    "README text for the index notebook."
    nb, parts = nbformat.read(nb_path, as_version=4), []
    for i, c in enumerate(nb.cells):
        if c.cell_type == "markdown":
            src = c.source.strip()
            if i == 0 and src.startswith("# "):  # title cell: `# Title` and `> subtitle`
                parts.append(src)
                continue
            parts.append(_links(src))
        else:
            d, src = _directives(c.source)
            if d.keys() & {"hide", "export", "exporti", "default_exp"} or d.get("include") == "false": continue
            if src and d.get("echo") != "false": parts.append(f"```python\n{src}\n```")
            parts += _outputs(c)
    return "<!-- Generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file. -->\n\n" + "\n\n".join(p for p in parts if p) + "\n"

def main(check=False):
    txt, dst = render(), ROOT/"README.md"
    if check: return 0 if dst.exists() and dst.read_text() == txt else 1
    dst.write_text(txt)
    print(f"wrote {dst}")
    return 0

if __name__ == "__main__": sys.exit(main("--check" in sys.argv))
