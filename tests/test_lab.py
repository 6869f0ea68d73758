"Every notebook opens in JupyterLab and runs top to bottom on JupyterLab's own kernel, importing the installed package."
import os, subprocess, sys
import pytest
from _project import ROOT

def test_notebooks_open_and_run_in_jupyterlab(run_slow):
    if os.environ.get("VAE_FACES_IN_FRESH_CLONE") == "1": pytest.skip("the outer run opens and runs every notebook in JupyterLab")
    r = subprocess.run([sys.executable, "tools/lab_check.py", *(["--slow"] if run_slow else [])], cwd=ROOT,
                       capture_output=True, text=True, timeout=3600)
    print(r.stdout)
    assert r.returncode == 0, f"tools/lab_check.py failed:\n{r.stdout[-8000:]}\n{r.stderr[-4000:]}"
