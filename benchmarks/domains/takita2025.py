"""Full-domain random draws of Takita (2025) for the reliability harness (`benchmarks/reliability.py`).

Log-uniform over the whole documented domain of `Takita2025`: the residents' share q with
logit(q) uniform on ±ln(999) (q from 1e-3 to 0.999), σ − 1 in 1e-3…1e2, τ − 1 in 1e-8…1e3 (3% of
the draws exactly τ = 1), β and Q in 1e-3…1e3, μ_f and μ_m in 1e-3…1e2, f and m in 1e-3…1e3.
The domain also asks |ln φ| ≤ 700 and |ln h| ≤ 700 (φ and h float64 numbers); the few draws
outside it are drawn again, so every draw is admissible.
"""

from __future__ import annotations

import numpy as np

from diffecon.models import Takita2025

__all__ = ["DRAWS", "draw"]


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _one_batch(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    logit_q = rng.uniform(-np.log(999.0), np.log(999.0), n)
    tau = 1.0 + _log_uniform(rng, 1e-8, 1e3, n)
    return {
        "q": 1.0 / (1.0 + np.exp(-logit_q)),
        "sigma": 1.0 + _log_uniform(rng, 1e-3, 1e2, n),
        "tau": np.where(rng.uniform(size=n) < 0.03, 1.0, tau),
        "beta": _log_uniform(rng, 1e-3, 1e3, n),
        "Q": _log_uniform(rng, 1e-3, 1e3, n),
        "mu_f": _log_uniform(rng, 1e-3, 1e2, n),
        "mu_m": _log_uniform(rng, 1e-3, 1e2, n),
        "f": _log_uniform(rng, 1e-3, 1e3, n),
        "m": _log_uniform(rng, 1e-3, 1e3, n),
    }


def _admissible(p: dict[str, np.ndarray]) -> np.ndarray:
    log_phi = (1 - p["sigma"]) * (np.log(p["tau"]) - np.log(p["beta"]))
    log_h = (p["mu_f"] + (p["sigma"] - 1) * (p["mu_m"] - 1)) * np.log(p["Q"])
    return (np.abs(log_phi) <= 700) & (np.abs(log_h) <= 700)


def draw(rng: np.random.Generator, n: int) -> tuple[Takita2025, dict[str, np.ndarray]]:
    """`n` full-domain parameter draws of `Takita2025`.

    **Arguments:** `rng`: a NumPy generator; `n`: number of draws.

    **Returns:** `(base, over)`: the base model and parameter name -> array of shape `(n,)`, for
    `de.sweep(base, over)`.
    """
    over = _one_batch(rng, n)
    while not (ok := _admissible(over)).all():
        again = _one_batch(rng, n)
        over = {k: np.where(ok, v, again[k]) for k, v in over.items()}
    return Takita2025(), over


DRAWS = {"Takita2025": draw}
