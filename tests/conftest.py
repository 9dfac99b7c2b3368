import gc
import os
import shutil
import tempfile
from pathlib import Path

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


def _mapped_regions() -> int | None:
    try:
        with open(f"/proc/{os.getpid()}/maps") as maps:
            return sum(1 for _ in maps)
    except OSError:  # not Linux
        return None


def _map_limit() -> int:
    try:
        return int(Path("/proc/sys/vm/max_map_count").read_text())
    except (OSError, ValueError):
        return 65530  # Linux's default


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # Linux lets a process map at most vm.max_map_count memory regions (65,530 by default), and
    # every XLA CPU program JAX keeps in memory holds 4 to 30 of them. A worker that runs half the
    # suite compiles thousands of programs: CI's workers reached 65,019 regions and then aborted
    # inside XLA (compiling, or serialising for the cache) when the next mapping failed. So at a
    # module boundary, once the process maps more than half the limit, JAX's in-memory caches are
    # dropped; the next module reloads what it needs from the run's persistent cache.
    yield
    if nextitem is not None and nextitem.path == item.path:  # (notebook items have no .module)
        return
    regions = _mapped_regions()
    if regions is not None and regions > _map_limit() // 2:
        jax.clear_caches()
        gc.collect()


@pytest.fixture
def rng(request):
    """A generator per test: fresh each run, reproducible from the run's seed and the test's id."""
    return generator(request.node.nodeid)
