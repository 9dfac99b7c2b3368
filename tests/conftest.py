import pytest

import diffecon  # noqa: F401  (float64 on before any test builds arrays)

from ._seed import SEED_VARIABLE, generator, run_seed


def pytest_configure(config):
    # Draw the seed before pytest-xdist starts its workers: they inherit the environment.
    run_seed()


def pytest_report_header(config):
    return f"diffecon random draws: {SEED_VARIABLE}={run_seed()} (set it to replay this run's draws)"


@pytest.fixture
def rng(request):
    """A generator per test: fresh each run, reproducible from the run's seed and the test's id."""
    return generator(request.node.nodeid)
