"""Every notebook opens in JupyterLab, and the notebooks that show a widget run on JupyterLab's own kernel, importing the
installed package, up to their last widget cell, and the kernel really makes the widget (tools/lab_check.py, whose
docstring gives the rule). Every notebook's full run is tests/test_notebooks.py's, through nbdev's runner."""
import subprocess, sys
from _project import ROOT

def test_notebooks_open_in_jupyterlab_and_widgets_come_up(run_slow):
    r = subprocess.run([sys.executable, "tools/lab_check.py", *(["--slow"] if run_slow else [])], cwd=ROOT,
                       capture_output=True, text=True, timeout=3600)
    print(r.stdout)
    assert r.returncode == 0, f"tools/lab_check.py failed:\n{r.stdout[-8000:]}\n{r.stderr[-4000:]}"
