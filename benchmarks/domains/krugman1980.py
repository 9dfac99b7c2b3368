"""Full-domain random draws of the Krugman (1980) models, for `benchmarks/reliability.py`.

Each `draw(rng, n)` returns a base model and the `over` dict of `diffecon.sweep(base, over)`:
log-uniform over the whole documented domain: sizes 1e-3…1e3, σ − 1 from 1e-3 to 100,
τ − 1 from 1e-8 to 1e3 with 3% of the draws exactly at τ = 1 (where the model admits it), α
and β from 1e-3 to 1e3.
"""

from __future__ import annotations

import numpy as np

from diffecon.models import Krugman1980, Krugman1980HME, Krugman1980OutsideGood


def _log_uniform(rng, lo, hi, n):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _common(rng, n, *, free_trade=True):
    tau = 1 + _log_uniform(rng, 1e-8, 1e3, n)
    if free_trade:
        tau[rng.random(n) < 0.03] = 1.0
    return {
        "sigma": 1 + _log_uniform(rng, 1e-3, 100, n),
        "tau": tau,
        "fixed_cost": _log_uniform(rng, 1e-3, 1e3, n),
        "marginal_cost": _log_uniform(rng, 1e-3, 1e3, n),
    }


def krugman1980(rng: np.random.Generator, n: int):
    over = {"L1": _log_uniform(rng, 1e-3, 1e3, n), "L2": _log_uniform(rng, 1e-3, 1e3, n)}
    return Krugman1980(), {**over, **_common(rng, n)}


def krugman1980_hme(rng: np.random.Generator, n: int):
    # τ = 1 is outside this model's domain (industry location is indeterminate there).
    over = {k: _log_uniform(rng, 1e-3, 1e3, n) for k in ("La1", "Lb1", "La2", "Lb2")}
    return Krugman1980HME(), {**over, **_common(rng, n, free_trade=False)}


def krugman1980_outside_good(rng: np.random.Generator, n: int):
    # IRS spending La_i is at most income L_i: a share of it from 1e-3 to 1.
    L1, L2 = _log_uniform(rng, 1e-3, 1e3, n), _log_uniform(rng, 1e-3, 1e3, n)
    over = {"L1": L1, "L2": L2, "La1": L1 * _log_uniform(rng, 1e-3, 1, n),
            "La2": L2 * _log_uniform(rng, 1e-3, 1, n)}
    return Krugman1980OutsideGood(), {**over, **_common(rng, n)}


DRAWS = {
    "Krugman1980": krugman1980,
    "Krugman1980HME": krugman1980_hme,
    "Krugman1980OutsideGood": krugman1980_outside_good,
}
