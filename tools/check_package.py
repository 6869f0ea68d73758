"""Packaging check: build the wheel and sdist, install the wheel into a clean venv, import every module, run a command.

The clean venv gets the wheel alone (`--no-deps`); the third-party dependencies (torch, ...) come from the project's
`.venv` through a `.pth` path entry, so the check takes seconds instead of a multi-GB install. It verifies what the
wheel itself carries: modules, console scripts, metadata, and that no notebooks, data or checkpoints ride along.

Usage: python tools/check_package.py [WORK_DIR]
"""
import json, os, subprocess, sys, sysconfig, tempfile, zipfile, tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = (".ipynb", ".safetensors", ".npy", ".npz", ".gif", ".png", ".jpg", ".pt", ".pth")

def sh(*cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if r.returncode: raise SystemExit(f"FAILED: {' '.join(map(str, cmd))}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout

_HELPS = """
import contextlib, io, json, runpy, sys
out = {}
for path in sys.argv[1:]:       # each installed script as its own file runs it: `__main__`, `--help`
    buf, sys.argv = io.StringIO(), [path, '--help']
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try: runpy.run_path(path, run_name='__main__')
        except SystemExit: pass
    out[path.rsplit('/', 1)[-1]] = buf.getvalue()
print(json.dumps(out))
"""

def check(work):
    work = Path(work); dist = work/"dist"
    sh(sys.executable, "-m", "build", "--no-isolation", "--wheel", "--sdist", "--outdir", dist, ROOT)
    whl, = dist.glob("*.whl"); sdist, = dist.glob("*.tar.gz")
    names = zipfile.ZipFile(whl).namelist()
    bad = [n for n in names if n.endswith(FORBIDDEN) or n.startswith(("nbs/", "data/", "checkpoints/", "outputs/"))]
    assert not bad, f"the wheel carries files it should not: {bad}"
    mods = sorted(n[:-3].replace("/", ".") for n in names if n.startswith("vae_faces/") and n.endswith(".py"))
    ep = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = [l.split("=")[0].strip() for l in zipfile.ZipFile(whl).read(ep).decode().splitlines() if l.startswith("vae-faces-")]
    assert "vae-faces-demo" in scripts, f"vae-faces-demo is not a console script of the wheel: {scripts}"
    sbad = [n for n in tarfile.open(sdist).getnames() if n.endswith(FORBIDDEN)]
    assert not sbad, f"the sdist carries files it should not: {sbad}"
    env = work/"clean"
    sh(sys.executable, "-m", "venv", "--without-pip", env)
    site = next((env/"lib").glob("python*/site-packages"))
    (site/"_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    sh(sys.executable, "-m", "pip", "--python", env/"bin"/"python", "install", "-q", "--no-deps", "--no-index", whl)
    out = sh(env/"bin"/"python", "-c", "import importlib, vae_faces, sys; [importlib.import_module(m) for m in sys.argv[1:]];"
             " print(vae_faces.__file__)", *mods, cwd=work)
    assert str(site) in out, f"vae_faces was imported from {out.strip()}, not from the clean venv"
    pts = sh(env/"bin"/"python", "-c", "from vae_faces.align import frame_for; print(frame_for('celeba', 'face')['points'][0])", cwd=work)
    assert pts.strip().startswith("["), f"the wheel's vae_faces cannot read its frames (vae_faces/frames.json): {pts!r}"
    for s in scripts: assert (env/"bin"/s).is_file() and os.access(env/"bin"/s, os.X_OK), f"the wheel installed no script {s}"
    assert "usage" in sh(env/"bin"/"vae-faces-demo", "--help", cwd=work).lower(), "vae-faces-demo --help printed no usage"
    rest = [s for s in scripts if s != "vae-faces-demo"]                     # the others in one process: torch loads once
    helps = json.loads(sh(env/"bin"/"python", "-c", _HELPS, *[env/"bin"/s for s in rest], cwd=work, timeout=300))
    for s in rest: assert "usage" in helps.get(s, "").lower(), f"{s} --help printed no usage: {helps.get(s)!r}"
    return dict(wheel=whl.name, sdist=sdist.name, modules=len(mods), scripts=scripts)

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d: print(check(sys.argv[1] if len(sys.argv) > 1 else d))
