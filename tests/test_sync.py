"The library is exactly what the notebooks export, and the notebooks are clean (no execution counts or stray metadata)."
from _project import ROOT, BIN, copy_project, run, tree_bytes

def _diff(a, b):
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))

def test_library_matches_notebooks(tmp_path):
    proj = copy_project(tmp_path)
    run([BIN/"nbdev-export"], cwd=proj)
    changed = _diff(tree_bytes(ROOT/"vae_faces", "*.py"), tree_bytes(proj/"vae_faces", "*.py"))
    assert not changed, f"nbdev-export changes {changed}: run `nbdev-export` and commit the library"

def test_notebooks_are_clean(tmp_path):
    proj = copy_project(tmp_path)
    run([BIN/"nbdev-clean"], cwd=proj)
    changed = _diff(tree_bytes(ROOT/"nbs", "*.ipynb"), tree_bytes(proj/"nbs", "*.ipynb"))
    assert not changed, f"nbdev-clean changes {changed}: run `nbdev-clean` and commit the notebooks"
