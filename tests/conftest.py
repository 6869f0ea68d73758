import os, shutil, tempfile, pytest
from _background import Background
from _project import slow

def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run notebook cells flagged `#| slow` (same as VAE_FACES_SLOW=1)")

def pytest_configure(config):
    "Keep the tests' synthetic-faces caches out of the home folder: one scratch cache shared by the whole run."
    if "VAE_FACES_CACHE" not in os.environ:
        config._vae_cache = tempfile.mkdtemp(prefix="vae_faces_cache_")
        os.environ["VAE_FACES_CACHE"] = config._vae_cache

def pytest_unconfigure(config):
    if getattr(config, "_vae_cache", None): shutil.rmtree(config._vae_cache, ignore_errors=True)

@pytest.fixture(scope="session")
def run_slow(request): return slow(request.config)

def _waits(item): return hasattr(item.module, "background_jobs")

def pytest_collection_modifyitems(config, items):
    "The tests that wait for a background job (tests/_background.py) go last, so that every other test runs meanwhile."
    items[:] = [i for i in items if not _waits(i)] + [i for i in items if _waits(i)]

@pytest.fixture(scope="session", autouse=True)
def background(request):
    "Start every background job that the selected tests need, at once, before the first test (see tests/_background.py)."
    items, jobs, cache = request.session.items, [], getattr(request.config, "cache", None)
    for mod in dict.fromkeys(i.module for i in items if _waits(i)):
        jobs += mod.background_jobs([i for i in items if i.module is mod], request.config)
    last = (cache.get(_SECS, {}) if cache else None) or {}        # the last quick run's wall times order the jobs
    for j in jobs: j.cost = last.get(j.name, j.cost)
    others = any(not _waits(i) for i in items)
    bg = Background(jobs, int(os.environ.get("VAE_FACES_WORKERS") or 0) or None, reserve=others)
    if jobs: print(f"\nbackground: {len(jobs)} run(s), {bg.workers} at a time, {bg.threads} thread(s) each"
                   + (", one core kept for the other tests while they run" if bg.reserved else ""), flush=True)
    request.config._vae_background = bg
    yield bg
    bg.close()
    if cache and bg.secs and not slow(request.config): cache.set(_SECS, {**last, **{k: round(v, 1) for k, v in bg.secs.items()}})

_SECS = "vae_faces/background_secs"

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    "The first test that waits for a background job: the other tests are done, so their core goes to the jobs."
    if _waits(item) and (bg := getattr(item.config, "_vae_background", None)): bg.release_reserved()

def pytest_terminal_summary(terminalreporter, config):
    "Each background run's wall time (the notebooks, the fresh clone): what the README's timings rest on."
    bg = getattr(config, "_vae_background", None)
    if not bg or not bg.secs or not hasattr(bg, "wall"): return
    tr = terminalreporter
    tr.section(f"background runs ({bg.workers} at a time, {bg.threads} thread(s) each{', slow cells included' if slow(config) else ''})")
    tr.write_line(f"{'wall s':>8}  {'CPU s':>8}")
    cpu = lambda n: f"{bg.cpu[n]:8.1f}" if n in bg.cpu else f"{'?':>8}"
    for name, s in sorted(bg.secs.items(), key=lambda kv: -kv[1]): tr.write_line(f"{s:8.1f}  {cpu(name)}  {name}")
    tr.write_line(f"{sum(bg.secs.values()):8.1f}  {sum(bg.cpu.values()):8.1f}  in all; done {bg.wall:.1f} s after the first test started")
