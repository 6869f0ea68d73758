import os, shutil, tempfile, pytest

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
def run_slow(request):
    "True when slow notebook cells should run: `--slow` or the environment variable VAE_FACES_SLOW=1."
    return request.config.getoption("--slow") or os.environ.get("VAE_FACES_SLOW", "") == "1"
