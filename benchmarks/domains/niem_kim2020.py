"""Full-domain random draws of Niem and Kim (2020) for the reliability harness
(`benchmarks/reliability.py`).

Log-uniform over the whole documented domain of `NiemKim2020` (N = 2, the paper's case): market
size Ψ in 1e-3…1e3; the unit cost a with logit(a) uniform on [−9, 7] (a from 1e-4 to 0.999, 3% of
the draws exactly a = 0); b − (2 − a) in 1e-3…1e3 (b > 2 − a, the bottom firm's margin); z − 1 in
1e-3…1e2. Much of this box lies beyond the covered-market bound on b (spec §4, b ≤ 4.36 at
a = 0.1, z = 2): there the model has no equilibrium, and the solve says so (`price_kink_up`).
"""

from __future__ import annotations

import numpy as np

from diffecon.models import NiemKim2020

__all__ = ["DRAWS", "draw"]


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def draw(rng: np.random.Generator, n: int) -> tuple[NiemKim2020, dict[str, np.ndarray]]:
    """`n` full-domain parameter draws of `NiemKim2020` (two firms).

    **Arguments:** `rng`: a NumPy generator; `n`: number of draws.

    **Returns:** `(base, over)`: the base model and parameter name -> array of shape `(n,)`, for
    `de.sweep(base, over)`.
    """
    a = 1.0 / (1.0 + np.exp(-rng.uniform(-9.0, 7.0, n)))
    a = np.where(rng.uniform(size=n) < 0.03, 0.0, a)
    over = {
        "size": _log_uniform(rng, 1e-3, 1e3, n),
        "a": a,
        "b": 2.0 - a + _log_uniform(rng, 1e-3, 1e3, n),
        "z": 1.0 + _log_uniform(rng, 1e-3, 1e2, n),
    }
    return NiemKim2020(), over


DRAWS = {"NiemKim2020": draw}
