import os

import jax
import pytest

import diffecon  # noqa: F401  (float64 on before any test builds arrays)

from ._seed import SEED_VARIABLE, generator, run_seed

_CACHE_SWITCH = "JAX_ENABLE_COMPILATION_CACHE"


def pytest_configure(config):
    # Runs before pytest-xdist starts its workers, which inherit the environment.
    run_seed()
    # No persistent compilation cache in a test run (the workers, notebook kernels and example
    # scripts inherit the switch): in two fresh-clone runs a worker died of a segmentation fault
    # inside JAX's cache (once reading an entry, once serialising one), and the run then hung.
    # Set JAX_ENABLE_COMPILATION_CACHE=true to use one.
    os.environ.setdefault(_CACHE_SWITCH, "false")
    jax.config.update("jax_enable_compilation_cache", os.environ[_CACHE_SWITCH].lower() in ("1", "true"))


def pytest_report_header(config):
    return [
        f"diffecon random draws: {SEED_VARIABLE}={run_seed()} (set it to replay this run's draws)",
        f"persistent compilation cache: {jax.config.jax_enable_compilation_cache}",
    ]


@pytest.fixture
def rng(request):
    """A generator per test: fresh each run, reproducible from the run's seed and the test's id."""
    return generator(request.node.nodeid)
