"""The README's commands, run as written from a fresh clone (tools/fresh_clone.py): `make demo` and the command blocks
after it (from a checkpoint, CelebAMask-HQ, CelebA), on inputs written in the real datasets' layouts.

It installs a new .venv (`make demo`'s install, the rule `make test` shares), trains the demo and runs the README's
blocks. The README's `make test` is not rerun in the clone: it is the command this suite is running (CI runs it from a
fresh clone), so the clone only shows that the suite starts from that clean install (it collects every test).
It is a background job (tests/_background.py): it runs beside the notebooks from the start of the session, with its
share of the cores as threads. `VAE_FACES_FRESH_CLONE=0` leaves it out, for quick local runs; CI always runs it.
"""
import os, sys
import pytest
from _project import ROOT
from _background import Job

NAME, TIMEOUT = "tools/fresh_clone.py", 4800

def _skip_reason():
    if os.environ.get("VAE_FACES_FRESH_CLONE") == "0" and os.environ.get("CI", "").lower() not in ("1", "true"):
        return "VAE_FACES_FRESH_CLONE=0: the README's commands were not rerun from a fresh clone"
    if not (ROOT/".git").exists(): return f"{ROOT} is not a git checkout, so there is nothing to clone"

def background_jobs(items, config):
    "The fresh clone, the longest run of the suite: it starts first (see tests/_background.py)."
    return [] if _skip_reason() else [Job(NAME, [sys.executable, "tools/fresh_clone.py"], str(ROOT), TIMEOUT, cost=600)]

def test_readme_commands_from_a_fresh_clone(background):
    if why := _skip_reason(): pytest.skip(why)
    r, secs = background.result(NAME)
    print(r.stdout)
    assert r.returncode == 0, f"tools/fresh_clone.py failed ({r.returncode}) after {secs:.0f} s:\n{r.stdout[-10000:]}\n{r.stderr[-4000:]}"
