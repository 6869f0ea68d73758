"""Run the README's commands as written, in a fresh clone, the way a new user meets them.

The commands are read from README.md's `sh` blocks, not copied here, so a change to the README is what gets run:

1. **from source**: `git clone … && cd vae_faces`, `make demo`, `make test`. The clone is made from this repository's
   last commit (GitHub may be out of reach; uncommitted changes are not in it, as they would not be for a user).
   `make demo` installs the package into the clone's new `.venv` (the Makefile's one install rule, which `make test`
   shares) and trains the demo. `make test` is not rerun there: it is the very command this check runs inside (CI
   runs it from a fresh clone, `.ci/run`), on the same commit, so every test has run once already. What a rerun
   would add, that the suite starts from a clean install, is proven directly: `make test`'s install prerequisite
   runs (`make install`, the same rule, already satisfied by `make demo`) and the clone's `.venv` collects the whole
   suite (`python -m pytest --collect-only`: pytest, the tests' configuration and every test module with the tools
   they import, nbdev among them);
2. **from a checkpoint**: the block after the demo, with two face pictures written first (`face_a.jpg`, `face_b.jpg`);
3. **CelebAMask-HQ**: the download, prep, train and morph block. Kaggle cannot be assumed reachable, so the download
   runs in the form the README gives beside it (`--source CelebAMask-HQ.zip`), on a zip of synthetic faces written in
   the dataset's exact layout at its real sizes; every other line runs as written;
4. **CelebA**: the prep, train and edit block, on synthetic faces written in the aligned-CelebA layout the README names;
5. **your own photos**: the `faces` extra's install and the reconstruct, morph and edit commands on two real photos
   (the public-domain `astronaut` of scikit-image and `grace_hopper` of Matplotlib, written as `photo_a.jpg` and
   `photo_b.jpg`), with the CelebA block's checkpoint: the faces are found, aligned to its frame and reconstructed.

Blocks and commands that are not run here are named with the reason: installing from PyPI before a release;
`jupyter lab`, which serves until stopped (`tools/lab_check.py` opens every notebook in JupyterLab instead and runs the
widget notebooks on its kernel; tests/test_notebooks.py runs every notebook); and `make test` (see 1.). An `sh` block
the script does not know is an error, so a new README command cannot go unchecked.

Every command runs in bash with a clean environment: a new empty HOME (no caches of earlier runs), no active virtual
environment, no VAE_FACES_* settings; only pip's and uv's download caches are shared, so that the install does not
fetch again, and thread counts given to this script (OMP_NUM_THREADS: `make test` gives it its share of the cores) pass through.
Each step's output goes to a log whose tail is printed if the step fails; the files each block promises are checked.

    python tools/fresh_clone.py            # about 5 minutes on 2 idle cores (install, demo, blocks); exit status 1 on any failure
    python tools/fresh_clone.py --keep     # leave the clone (and its logs) in place and print where it is
"""
import argparse, os, re, shlex, shutil, signal, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def sh_blocks(readme):
    "The README's ```sh blocks, each a list of its non-empty lines."
    return [[l for l in b.splitlines() if l.strip()] for b in re.findall(r"```sh\n(.*?)```", Path(readme).read_text(), re.S)]

def kind(block):
    "Which of the README's blocks this is (see the module's docstring)."
    text = "\n".join(block)
    if "git clone" in text: return "source"
    if "vae-faces-sample" in text: return "checkpoint"
    if "vae-faces-download" in text: return "celebamask"
    if "vae-faces-prep-celeba" in text: return "celeba"
    if "vae-faces-reconstruct" in text: return "photos"
    if re.fullmatch(r"pip install vae_faces", text.strip()): return "pypi"
    if "jupyter lab" in text: return "lab"
    raise ValueError(f"README.md has an sh block that tools/fresh_clone.py does not know how to run:\n{text}\n"
                     "teach `kind` (and `main`) about it, so that the README's commands stay checked")

SKIPPED = dict(pypi="not on PyPI before the first release; the packaging check installs the built wheel instead",
               lab="`jupyter lab` serves until stopped; tools/lab_check.py opens every notebook in JupyterLab and runs "
                   "the widget notebooks on its kernel, and tests/test_notebooks.py runs every notebook")

def clean_env(home):
    "os.environ as a new user has it: HOME empty, no virtual environment, no VAE_FACES_* settings; pip's and uv's caches kept."
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAE_FACES_", "PYTEST_", "PYTHON", "XDG_")) and k not in ("VIRTUAL_ENV", "MPLBACKEND")}
    venv_bin = str(Path(sys.prefix)/"bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p).resolve() != Path(venv_bin).resolve())
    cache = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True).stdout.strip()
    if cache and Path(cache).is_dir(): env["PIP_CACHE_DIR"] = cache
    uv = Path(sys.prefix)/"bin"/"uv"                     # the installer the Makefile uses, and its cache
    cache = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True).stdout.strip() if uv.exists() else ""
    if cache and Path(cache).is_dir(): env["UV_CACHE_DIR"] = cache
    env["HOME"] = str(home)
    return env

class Steps:
    "Runs bash scripts in a folder with the clean environment, logging each; remembers failures."
    def __init__(self, work, env):
        self.work, self.env, self.failed, self.n = Path(work), env, [], 0

    def run(self, name, lines, cwd, timeout=3600, extra_env=None):
        self.n += 1; log = self.work/f"{self.n:02d}-{name}.log"; self.t0 = t0 = time.time()
        script = "set -euo pipefail\n" + "".join(f"echo '$ '{shlex.quote(l)}\n{l}\n" for l in lines)
        print(f"[{name}] in {cwd}:\n" + "".join(f"    $ {l}\n" for l in lines), end="", flush=True)
        with open(log, "w") as f:
            try: rc = subprocess.run(["bash", "-c", script], cwd=cwd, env={**self.env, **(extra_env or {})}, stdout=f,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout).returncode
            except subprocess.TimeoutExpired: rc = f"timed out after {timeout} s"
        out = log.read_text(errors="replace")
        print(f"    -> {'ok' if rc == 0 else f'FAILED ({rc})'} in {time.time() - t0:.0f} s (log: {log})", flush=True)
        if rc != 0: self.fail(name, f"exit status {rc}; the end of its output:\n{out[-4000:]}")
        return rc == 0, out

    def fail(self, name, why):
        self.failed.append(name); print(f"    FAILED {name}: {why}", flush=True)

    def expect_files(self, name, base, paths, since):
        "Fail the step `name` unless every one of `paths` (relative to `base`) was written after `since` (and is not empty)."
        def fresh(p): return p.exists() and p.stat().st_mtime >= since and (p.is_dir() or p.stat().st_size > 0)
        if missing := [p for p in paths if not fresh(Path(base)/p)]: self.fail(name, f"not written by it (or empty): {', '.join(missing)}")
        else: print(f"    files there: {', '.join(paths)}", flush=True)

NOT_RERUN = {"make test": "it is the command this check runs inside (CI runs it from a fresh clone: .ci/run), on the "
                          "same commit, so every test has run once already; its install runs and the clone's .venv collects the suite instead"}

_MAKE_INPUTS = """
import sys, zipfile
from pathlib import Path
from PIL import Image
from vae_faces.synthetic import sample_factors, render_face
from vae_faces.datasets import write_celebamask_layout, write_celeba_layout
home, what = Path(sys.argv[1]), sys.argv[2]
if what == 'faces':        # two face pictures of the user's
    for name, f in zip(('face_a.jpg', 'face_b.jpg'), sample_factors(2, seed=7)):
        Image.fromarray(render_face(f, 256, supersample=2)[0]).save(name, quality=95)
elif what == 'celebamask': # an archive as Kaggle serves it: CelebAMask-HQ/{CelebA-HQ-img,CelebAMask-HQ-mask-anno}/...
    raw = write_celebamask_layout(home/'raw', 60)
    with zipfile.ZipFile('CelebAMask-HQ.zip', 'w', zipfile.ZIP_DEFLATED) as z:
        for p in sorted(raw.rglob('*')):
            if p.is_file(): z.write(p, p.relative_to(raw.parent).as_posix())
elif what == 'celeba':     # the folder the README asks for: img_align_celeba/ and the two .txt files
    write_celeba_layout('data/celeba', 60, layout='torchvision')
elif what == 'photos':     # two photos of real people (public domain, shipped in scikit-image and Matplotlib)
    import shutil, matplotlib.cbook as cbook
    from skimage import data
    Image.fromarray(data.astronaut()).save('photo_a.jpg', quality=95)
    shutil.copy(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False), 'photo_b.jpg')
"""

def make_inputs(steps, clone, what):
    "Write what a user brings to a block (pictures, an archive, a dataset folder), with the clone's own package."
    (d := steps.work/"inputs").mkdir(exist_ok=True)             # not beside the clone: its folder would shadow the package
    script = d/"make_inputs.py"; script.write_text(_MAKE_INPUTS)
    return steps.run(f"inputs-{what}", [f".venv/bin/python {shlex.quote(str(script))} {shlex.quote(str(steps.env['HOME']))} {what}"], clone)[0]

NEEDS_GIB = 8     # free disk the clone needs: its .venv (~5.6 GiB) and what pip unpacks on the way

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the clone and the logs (printed at the end)")
    ap.add_argument("--work", default=None, help="folder for the clone, HOME and logs (default: a new temporary folder)")
    a = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # stopped: still remove the clone (unless --keep)
    if not (ROOT/".git").exists(): print(f"{ROOT} is not a git checkout: nothing to clone"); return 1
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True).stdout
    if dirty: print("note: the working tree has uncommitted changes; the clone has the last commit only")
    blocks = {}
    for b in sh_blocks(ROOT/"README.md"): blocks.setdefault(kind(b), b)
    base = Path(a.work or tempfile.gettempdir()); base.mkdir(parents=True, exist_ok=True)
    if (free := shutil.disk_usage(base).free / 2**30) < NEEDS_GIB:
        print(f"error: {base} has {free:.1f} GiB free, and a fresh clone's .venv alone takes about 5.6 GiB (torch's CUDA"
              f" build): free {NEEDS_GIB - free:.1f} GiB more there, or pass --work DIR on a disk with {NEEDS_GIB} GiB free")
        return 1
    work = Path(a.work or tempfile.mkdtemp(prefix="fresh_clone-")); work.mkdir(parents=True, exist_ok=True)
    (home := work/"home").mkdir(exist_ok=True)
    steps, t0, clone = Steps(work, clean_env(home)), time.time(), None
    try:
        for k, why in SKIPPED.items():
            if k in blocks: print(f"[{k}] not run here: {why}:\n" + "".join(f"    $ {l}\n" for l in blocks[k]), end="")
        # 1. from source. The clone line names GitHub; the clone is made from this repository instead.
        src = blocks["source"]
        m = re.fullmatch(r"git clone (\S+) && cd (\S+)", src[0])
        if not m: raise ValueError(f"the README's first source line is not `git clone URL && cd DIR`: {src[0]!r}")
        url, name = m.groups(); clone = work/name
        print(f"[clone] {src[0]}\n    (cloned from {ROOT} instead of {url})")
        shutil.rmtree(clone, ignore_errors=True)
        ok, _ = steps.run("clone", [f"git clone -q {shlex.quote(str(ROOT))} {name}"], work)
        if not ok: return 1
        for line in src[1:]:
            cmd = line.split("#")[0].strip()
            if cmd in NOT_RERUN:
                print(f"[{cmd}] not rerun in the clone: {NOT_RERUN[cmd]}")
                ok, out = steps.run("collect-suite", ["make install", ".venv/bin/python -m pytest --collect-only -q -p no:cacheprovider"], clone)
                if ok and not (m := re.search(r"^(\d+) tests? collected", out, re.M)): steps.fail("collect-suite", "pytest named no tests collected")
                elif ok: print(f"    the clone's .venv collects {m[1]} tests")
            else:
                ok, out = steps.run(cmd.replace(" ", "-"), [cmd], clone)
                if cmd == "make demo" and ok:
                    steps.expect_files(cmd, clone, re.findall(r"`(outputs/[\w.]+)`", (ROOT/"README.md").read_text())[:5]
                                       + ["checkpoints/demo/best", "checkpoints/demo/last"], steps.t0)
            if not ok: return _end(steps, work, a.keep, t0)
        # 2. from the demo's checkpoint
        if make_inputs(steps, clone, "faces"):
            ok, _ = steps.run("checkpoint", blocks["checkpoint"], clone)
            if ok: steps.expect_files("checkpoint", clone, re.findall(r"--out (\S+)", "\n".join(blocks["checkpoint"])), steps.t0)
        # 3. CelebAMask-HQ: the download from the README's local-archive form, the rest as written
        cm = []
        for line in blocks["celebamask"]:
            if line.startswith("vae-faces-download") and (alt := re.search(r"# or: (.+)$", line)):
                print(f"[celebamask] `{line.split('#')[0].strip()}` needs Kaggle; running the README's other form: {alt[1]}")
                cm.append(alt[1].strip())
            else: cm.append(line)
        if make_inputs(steps, clone, "celebamask"):
            ok, _ = steps.run("celebamask", ["source .venv/bin/activate", *cm], clone)
            if ok: steps.expect_files("celebamask", clone, ["data/CelebAMask-HQ", "data/celebamask-64/index.json",
                                                             "checkpoints/celebamask/best", "outputs/morph.gif"], steps.t0)
        # 4. CelebA
        if make_inputs(steps, clone, "celeba"):
            ok, _ = steps.run("celeba", ["source .venv/bin/activate", *blocks["celeba"]], clone)
            if ok: steps.expect_files("celeba", clone, ["data/celeba-64/index.json", "checkpoints/celeba/best", "outputs/celeba_edit.gif"], steps.t0)
        # 5. your own photos, with the CelebA block's checkpoint
        if ok and make_inputs(steps, clone, "photos"):
            ok, _ = steps.run("photos", ["source .venv/bin/activate", *blocks["photos"]], clone)
            if ok: steps.expect_files("photos", clone, re.findall(r"--out (\S+)", "\n".join(blocks["photos"])), steps.t0)
        return _end(steps, work, a.keep, t0)
    except BaseException as e:
        if not isinstance(e, (SystemExit, KeyboardInterrupt)):   # a bug here: keep the logs to look at, not the 5.6 GiB .venv
            print(f"the logs are kept in {work}"); a.keep = True
            if clone: shutil.rmtree(clone/".venv", ignore_errors=True)
        raise
    finally:
        if not a.keep: shutil.rmtree(work, ignore_errors=True)

def _end(steps, work, keep, t0):
    mins = (time.time() - t0) / 60
    if steps.failed: print(f"FAILED: {', '.join(steps.failed)} ({mins:.1f} min" + (f"; logs in {work})" if keep else ")")); return 1
    print(f"every README command that can run here ran as written from a fresh clone: {steps.n} steps in {mins:.1f} min"
          + (f"; the clone is in {work}" if keep else ""))
    return 0

if __name__ == "__main__": sys.exit(main())
