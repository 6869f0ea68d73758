"Every notebook runs top to bottom through nbdev's own runner, honouring `tst_flags` (slow cells skipped by default)."
import os, subprocess, sys, textwrap
import pytest
from _project import ROOT, NBS, notebooks

_RUNNER = textwrap.dedent("""
    import sys
    from nbdev.config import get_config
    from nbdev.test import test_nb
    nb, slow = sys.argv[1], sys.argv[2] == '1'
    flags = get_config().tst_flags.split()
    skip = [f for f in flags if not (slow and f == 'slow')]
    ok, secs = test_nb(nb, skip_flags=skip, force_flags=['slow'] if slow else [])
    print(f'{nb}: {secs:.1f}s')
    sys.exit(0 if ok else 1)
""")

IN_CLONE_NB = "02a_cli.ipynb"  # the notebook the fresh clone's own `make test` runs: quick, and it calls an installed command

@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: str(p.relative_to(NBS)))
def test_notebook(nb, run_slow):
    "Run one notebook in a fresh interpreter so that no state leaks between notebooks."
    if os.environ.get("VAE_FACES_IN_FRESH_CLONE") == "1" and nb.name != IN_CLONE_NB:
        pytest.skip(f"in the fresh clone only {IN_CLONE_NB} runs, to prove the runner there; the outer run executes every notebook")
    r = subprocess.run([sys.executable, "-c", _RUNNER, str(nb), "1" if run_slow else "0"],
                       cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"{nb.name} failed:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"
