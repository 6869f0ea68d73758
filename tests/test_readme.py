"README.md is generated from nbs/index.ipynb: it must not be stale."
import subprocess, sys
from _project import ROOT

def test_readme_is_current():
    r = subprocess.run([sys.executable, "tools/readme.py", "--check"], cwd=ROOT)
    assert r.returncode == 0, "README.md is stale: run `make readme` and commit README.md"
