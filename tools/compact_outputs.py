"""Keep the notebooks' stored outputs small: face grids and other photo-like pictures as JPEG, no progress-bar frames.

Usage: python tools/compact_outputs.py [NOTEBOOK ...]   (default: every notebook in nbs/; `make export` runs it)

In a notebook whose file would exceed LIMIT, a PNG output is stored as JPEG where that saves at least a fifth of it, which
is what happens for pictures of faces; line plots and text-like figures, which PNG stores compactly and JPEG would
blur, stay PNG. The JPEG quality is the highest of 85, 75, 65 and 55 that keeps the notebook's file under LIMIT. Text that fastprogress writes as
carriage-return frames is reduced to the lines that remain on a terminal, without the bars. Pictures already stored as
JPEG are left as they are, so running it again changes nothing.
"""
import base64, io, json, re, sys
from pathlib import Path
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 200_000  # bytes of a notebook file, outputs included
_BAR = re.compile(r"\|[█\-]*\|\s*[\d.]+% \[\d+/\d+")

def to_jpeg(b64:str, quality:int=85)->str|None:
    "The base64 JPEG of a base64 PNG, if it is at most four fifths of the size; else None."
    im = Image.open(io.BytesIO(base64.b64decode(b64)))
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA"); bg = Image.new("RGBA", im.size, (255, 255, 255, 255)); im = Image.alpha_composite(bg, im)
    buf = io.BytesIO(); im.convert("RGB").save(buf, "jpeg", quality=quality, optimize=True)
    out = base64.b64encode(buf.getvalue()).decode()
    return out if 5 * len(out) <= 4 * len(b64) else None

def clean_stream(text:str)->str:
    "What a terminal would keep of `text`: the part of each line after its last carriage return, progress bars dropped."
    lines = [l.rsplit("\r", 1)[-1] for l in text.split("\n")]
    return "\n".join(l for l in lines if not _BAR.search(l) and l.strip("█ "))  if "\r" in text else text

def compact(nb:dict)->int:
    "Compact the outputs of `nb` in place (see the module's docstring); the number of outputs changed."
    outs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    pngs = [o["data"] for o in outs if "image/png" in o.get("data", {})]
    for o in outs:
        if o.get("output_type") == "stream" and "\r" in "".join(o["text"]): o["text"] = clean_stream("".join(o["text"])).splitlines(keepends=True)
    budget = LIMIT - (file_bytes(nb) - stored_bytes(nb))  # what the outputs may take
    if stored_bytes(nb) <= budget: return 0
    b64 = ["".join(d["image/png"]).replace("\n", "") for d in pngs]
    for q in (85, 75, 65, 55):
        jpgs = [to_jpeg(b, q) for b in b64]
        rest = stored_bytes(nb) - sum(len(json.dumps(d["image/png"])) for d, j in zip(pngs, jpgs) if j)
        if rest + sum(len(j) + 2 for j in jpgs if j) <= budget: break
    for d, j in zip(pngs, jpgs):
        if j: d.pop("image/png"); d["image/jpeg"] = j
    return sum(j is not None for j in jpgs)

def stored_bytes(nb:dict)->int:
    "Bytes of a notebook's stored outputs, as JSON."
    return sum(len(json.dumps(c.get("outputs", []))) for c in nb["cells"])

def file_bytes(nb:dict)->int:
    "Bytes of the notebook file as it is saved (JSON, indent 1)."
    return len((json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode())

def notebooks(): return sorted(p for p in (ROOT/"nbs").rglob("*.ipynb") if not any(s.startswith(("_", ".")) for s in p.relative_to(ROOT/"nbs").parts))

if __name__ == "__main__":
    for p in map(Path, sys.argv[1:]) if len(sys.argv) > 1 else notebooks():
        nb = json.loads(p.read_text())
        before = json.dumps(nb)
        compact(nb)
        if json.dumps(nb) != before: p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        size = p.stat().st_size
        print(f"{p.name}: {size / 1000:.0f} KB, {stored_bytes(nb) / 1000:.0f} KB of it outputs" + (f"  (over {LIMIT // 1000} KB)" if size > LIMIT else ""))
