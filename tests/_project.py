"Helpers shared by the tests: where the project is, a scratch copy of it, and whether slow cells run."
import os, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/"nbs"
BIN = Path(sys.executable).parent

def notebooks():
    "Every notebook of the story: `nbs/**/*.ipynb`, skipping scratch (`_*`) and hidden folders."
    return sorted(p for p in NBS.rglob("*.ipynb") if not any(s.startswith(("_", ".")) for s in p.relative_to(NBS).parts))

def slow(config):
    "True when slow notebook cells should run: `--slow` (tests/conftest.py) or the environment variable VAE_FACES_SLOW=1."
    return config.getoption("--slow") or os.environ.get("VAE_FACES_SLOW", "") == "1"

_SKIP = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_proc", "_docs", ".quarto", "nbdev.yml", "sidebar.yml")

def copy_project(dest):
    "Copy what nbdev reads (config, notebooks, library, README) into `dest` and return it."
    dest = Path(dest)
    for name in ("pyproject.toml", "README.md"):
        if (ROOT/name).exists(): shutil.copy2(ROOT/name, dest/name)
    for name in ("nbs", "vae_faces"): shutil.copytree(ROOT/name, dest/name, ignore=_SKIP)
    return dest

def run(cmd, cwd, timeout=600):
    "Run `cmd` (a list) in `cwd`, returning the completed process; raises with its output if it fails."
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if r.returncode: raise AssertionError(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r

def tree_bytes(root, pattern):
    "Map of relative path → bytes for files under `root` matching `pattern`."
    root = Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob(pattern))
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
