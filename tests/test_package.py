"The wheel installs into a clean venv, every module imports from it, and every console script answers --help."
import sys
from _project import ROOT
sys.path.insert(0, str(ROOT/"tools"))
import check_package

def test_wheel_installs_and_runs(tmp_path):
    res = check_package.check(tmp_path)
    assert res["modules"] >= 1 and "vae-faces-demo" in res["scripts"]
