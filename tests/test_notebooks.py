"""Every notebook runs top to bottom through nbdev's own runner, honouring `tst_flags` (slow cells skipped by default).

Each notebook runs once per `make test`, in a fresh interpreter of its own (no state leaks between notebooks). The
runs are background jobs (tests/_background.py): they start together with the fresh clone's at the beginning of the
session, one per core at a time, longest first, with a fair share of the cores as threads (OMP_NUM_THREADS); each
`test_notebook` waits for its own notebook, so a failure names it. Every notebook's wall time is printed (`-s`) and
listed in the terminal summary. `VAE_FACES_WORKERS=1` runs them one at a time.
"""
import sys, textwrap
import pytest
from _project import ROOT, NBS, notebooks, slow
from _background import Job

TIMEOUT, SLOW_TIMEOUT = 1800, 4 * 3600                   # seconds a notebook may take (with its slow cells: real training)

_RUNNER = textwrap.dedent("""
    import sys
    from nbdev.config import get_config
    from nbdev.test import test_nb
    nb, slow = sys.argv[1], sys.argv[2] == '1'
    flags = get_config().tst_flags.split()
    skip = [f for f in flags if not (slow and f == 'slow')]
    ok, secs = test_nb(nb, skip_flags=skip, force_flags=['slow'] if slow else [], cell_timeout=None if slow else 600)   # a slow cell may train for long
    print(f'{nb}: {secs:.1f}s')
    sys.exit(0 if ok else 1)
""")

# Wall seconds of the quick runs in a `make test` from a fresh clone on 2 cores (two at a time, beside the rest): they
# only order the runs, longest first; the last run's times, kept in pytest's cache, take precedence. Unlisted: 30 s.
COST = {"11_commands": 280, "08_evaluate": 200, "08a_quality": 70, "10_discretized": 135, "09_masked": 105, "06_train": 45, "06a_train_command": 50, "07a_watch": 25, "06b_distributed": 40, "05b_checkpoint": 12, "05a_device": 8, "02b_files": 6,
        "07_results": 40, "03b_celebamask": 36, "index": 34, "03c_celeba": 33, "02a_cli": 25, "03a_synthetic": 18,
        "00_elbo": 17, "03_data": 14, "03d_datasets": 13, "02_reparam": 13, "05_losses": 11, "03_prep": 11, "01_kl": 11,
        "04_model": 11, "12_recipe": 12, "13_rate_distortion": 60, "14_amortization": 60,
        "15_disentanglement": 25, "16_latent_arithmetic": 35, "17_sample_sweep": 30,
        "03e_align": 20, "18_real_faces": 15}

def _name(nb): return "nbs/" + nb.relative_to(NBS).as_posix()

def background_jobs(items, config):
    "One job per selected notebook test (see tests/_background.py)."
    nbs = [i.callspec.params["nb"] for i in items if hasattr(i, "callspec")]
    return [Job(_name(nb), [sys.executable, "-c", _RUNNER, str(nb), "1" if slow(config) else "0"], str(ROOT), SLOW_TIMEOUT if slow(config) else TIMEOUT,
                COST.get(nb.relative_to(NBS).with_suffix("").as_posix(), 30)) for nb in nbs]

@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: str(p.relative_to(NBS)))
def test_notebook(nb, background):
    "One notebook, in a fresh interpreter, through nbdev's runner: waits for its background run."
    r, secs = background.result(_name(nb))
    print(f"{nb.name}: {secs:.1f} s wall")
    assert r.returncode == 0, f"{nb.name} failed ({r.returncode}) after {secs:.0f} s:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"
