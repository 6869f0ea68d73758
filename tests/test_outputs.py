"The notebooks stay small: at most 200 KB a notebook file, outputs included, and no progress-bar frames (`make export` runs `tools/compact_outputs.py`)."
import json, sys
from _project import ROOT, notebooks
sys.path.insert(0, str(ROOT/"tools"))
import compact_outputs as co

def test_stored_outputs_are_compact():
    big, bars = [], []
    for p in notebooks():
        nb = json.loads(p.read_text())
        if (n := p.stat().st_size) > co.LIMIT: big.append(f"{p.name}: {n / 1000:.0f} KB")
        if any("\r" in "".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])): bars.append(p.name)
    assert not big, f"notebooks over {co.LIMIT // 1000} KB (run `make export`): {big}"
    assert not bars, f"progress-bar frames stored in {bars} (run `make export`)"
