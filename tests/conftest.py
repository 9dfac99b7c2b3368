import os
import shutil
import tempfile

import jax
import pytest

import diffecon  # noqa: F401  (float64 on before any test builds arrays)

from ._seed import SEED_VARIABLE, generator, run_seed

_CACHE_VARIABLE = "JAX_COMPILATION_CACHE_DIR"
_OWN_CACHE = "_DIFFECON_TEST_OWNS_JAX_CACHE"


def pytest_configure(config):
    # Both run before pytest-xdist starts its workers, which inherit the environment.
    run_seed()
    # One persistent XLA cache per run, shared by the workers, the notebook kernels and the
    # example scripts: the same solve compiles once per run instead of once per process (the
    # suite's time is mostly compilation). A cache the user set is used as it is.
    if _CACHE_VARIABLE not in os.environ:
        os.environ[_CACHE_VARIABLE] = tempfile.mkdtemp(prefix="diffecon-test-xla-")
        os.environ[_OWN_CACHE] = "1"
    jax.config.update("jax_compilation_cache_dir", os.environ[_CACHE_VARIABLE])


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput") and os.environ.pop(_OWN_CACHE, None):
        shutil.rmtree(os.environ.pop(_CACHE_VARIABLE), ignore_errors=True)


def pytest_report_header(config):
    return [
        f"diffecon random draws: {SEED_VARIABLE}={run_seed()} (set it to replay this run's draws)",
        f"XLA compilation cache for this run: {os.environ[_CACHE_VARIABLE]}",
    ]


@pytest.fixture
def rng(request):
    """A generator per test: fresh each run, reproducible from the run's seed and the test's id."""
    return generator(request.node.nodeid)
