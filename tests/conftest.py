import numpy as np
import pytest

import diffecon  # noqa: F401  (float64 on before any test builds arrays)


@pytest.fixture
def rng(request):
    """A fresh, reproducible generator per test (seeded by the test's name)."""
    seed = abs(hash(request.node.nodeid)) % (2**32)
    return np.random.default_rng(seed)
