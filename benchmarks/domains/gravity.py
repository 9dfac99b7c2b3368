"""Full-domain random draws of the gravity models for the reliability harness
(`benchmarks/reliability.py`).

`Gravity` (N = 5 countries, K = 2 cost covariates): baseline flows X_ij log-uniform in
1e-3…1e3 (domestic flows always positive, 10% of the foreign ones exactly zero); σ − 1 in
1e-3…1e2; every pair's iceberg change τ̂_ij = (1 + t)^{±1} with t log-uniform in 1e-8…1e3 (a rise
or a cut with equal odds; 3% of the pairs exactly τ̂ = 1); coefficients b uniform in [−3, 3] and a
covariate change Δz uniform in [−1, 1] (a cost shift e^{b·Δz} of up to e^{±6}). Both closures.
`GravityGegravity`: reported output and expenditure log-uniform in 1e-3…1e3, baseline and
experiment covariates uniform in [−1, 1], the same σ, b and τ̂.
"""

from __future__ import annotations

import numpy as np

from diffecon.models import Gravity, GravityGegravity

__all__ = ["DRAWS", "draw", "draw_gegravity"]

N_COUNTRIES = 5
N_COVARIATES = 2


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, shape) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), shape))


def _sigma(rng: np.random.Generator, n: int) -> np.ndarray:
    return 1.0 + _log_uniform(rng, 1e-3, 1e2, n)


def _tau_change(rng: np.random.Generator, n: int) -> np.ndarray:
    shape = (n, N_COUNTRIES, N_COUNTRIES)
    tau = (1.0 + _log_uniform(rng, 1e-8, 1e3, shape)) ** rng.choice([-1.0, 1.0], shape)
    return np.where(rng.uniform(size=shape) < 0.03, 1.0, tau)


def _flows(rng: np.random.Generator, n: int) -> np.ndarray:
    shape = (n, N_COUNTRIES, N_COUNTRIES)
    flows = _log_uniform(rng, 1e-3, 1e3, shape)
    foreign = ~np.eye(N_COUNTRIES, dtype=bool)
    return np.where(foreign & (rng.uniform(size=shape) < 0.1), 0.0, flows)


def draw(rng: np.random.Generator, n: int,
         closure: str = "deficits") -> tuple[Gravity, dict[str, np.ndarray]]:
    """`n` full-domain draws of `Gravity(closure=closure)`.

    **Arguments:** `rng`, a NumPy generator; `n`, the number of draws; `closure`.

    **Returns:** `(base, over)` for `de.sweep(base, over)`: values of shape `(n, *parameter shape)`.
    """
    k, c = N_COVARIATES, N_COUNTRIES
    base = Gravity(np.eye(c) + 1.0, 5.0, coef=np.zeros(k), covariates=np.zeros((k, c, c)), closure=closure)
    over = {
        "flows": _flows(rng, n),
        "sigma": _sigma(rng, n),
        "coef": rng.uniform(-3.0, 3.0, (n, k)),
        "new_covariates": rng.uniform(-1.0, 1.0, (n, k, c, c)),
        "tau_change": _tau_change(rng, n),
    }
    return base, over


def draw_gegravity(rng: np.random.Generator, n: int) -> tuple[GravityGegravity, dict[str, np.ndarray]]:
    """`n` full-domain draws of `GravityGegravity` (arguments and returns as `draw`)."""
    k, c = N_COVARIATES, N_COUNTRIES
    base = GravityGegravity(np.ones(c), np.ones(c), 5.0, coef=np.zeros(k), covariates=np.zeros((k, c, c)))
    over = {
        "output": _log_uniform(rng, 1e-3, 1e3, (n, c)),
        "expenditure": _log_uniform(rng, 1e-3, 1e3, (n, c)),
        "sigma": _sigma(rng, n),
        "coef": rng.uniform(-3.0, 3.0, (n, k)),
        "covariates": rng.uniform(-1.0, 1.0, (n, k, c, c)),
        "new_covariates": rng.uniform(-1.0, 1.0, (n, k, c, c)),
        "tau_change": _tau_change(rng, n),
    }
    return base, over


DRAWS = {
    "Gravity": draw,
    "Gravity[proportional]": lambda rng, n: draw(rng, n, "proportional"),
    "GravityGegravity": draw_gegravity,
}
