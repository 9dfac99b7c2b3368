"""Full-domain random draws of Fajgelbaum, Grossman and Helpman (2011) for the reliability
harness (`benchmarks/reliability.py`).

Two countries, two qualities, log-uniform over the documented domain of `FGH2011`: quality
levels q_L in 1e-3…1e3 and q_H/q_L − 1 in 1e-3…1e2; θ_L in 1e-3…1 and θ_H anywhere in [θ_L, 1]
(10% of the draws exactly θ_H = θ_L, as in the paper's Figure 2, 3% θ_H = 1); fixed costs f,
marginal costs c (3% exactly 0) and populations N in 1e-3…1e3; per-unit transport costs τ with
τ q/θ = −ln ρ in 1e-6…1e3 (the documented edge 1e-6; 3% of the draws with no trade in a
quality, ρ_q = 0); incomes y − y_min
exponential with scale in 1e-3…1e3 and the lowest income y_min a factor 1 + (1e-6…1e2) above
the dearest local price c_q + θ_q/q (3% exactly at it, the affordability edge). The income
distribution of each country is set through `income_shift` and `income_spread` of a unit
exponential (`y_min = 1`, scale 1): spread λ = scale, shift δ = y_min − 2 + scale.
The general scenario also draws tariffs (half the draws: specific t in 1e-4…1e1 times the
dearest price and ad-valorem a in 1e-4…1, each country independently).
"""

from __future__ import annotations

import numpy as np

from diffecon.models import FGH2011, tau_from_rho
from diffecon.models.income import ShiftedExponential

__all__ = ["DRAWS", "draw"]


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, shape) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), shape))


def _some(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    return rng.uniform(size=n) < share


def draw(rng: np.random.Generator, n: int, scenario: str = "autarky"
         ) -> tuple[FGH2011, dict[str, np.ndarray]]:
    """`n` full-domain parameter draws of `FGH2011(scenario=scenario)` (K = Q = 2).

    **Arguments:**
    - `rng`: a NumPy generator;
    - `n`: number of draws;
    - `scenario`: `"autarky"`, `"trade"`, `"general"` or `"integrated"`.

    **Returns:** `(base, over)`: the base model and parameter name -> array of shape `(n, 2)`,
    for `de.sweep(base, over)`.
    """
    q_low = _log_uniform(rng, 1e-3, 1e3, n)
    q = np.stack([q_low, q_low * (1.0 + _log_uniform(rng, 1e-3, 1e2, n))], -1)
    theta_low = _log_uniform(rng, 1e-3, 1.0, n)
    theta_high = theta_low + (1.0 - theta_low) * rng.uniform(size=n)
    theta_high = np.where(_some(rng, n, 0.10), theta_low, theta_high)
    theta_high = np.where(_some(rng, n, 0.03), 1.0, theta_high)
    theta = np.stack([theta_low, theta_high], -1)
    c = np.where(rng.uniform(size=(n, 2)) < 0.03, 0.0, _log_uniform(rng, 1e-3, 1e3, (n, 2)))
    top_price = np.max(c + theta / q, axis=-1, keepdims=True)
    y_min = top_price * (1.0 + _log_uniform(rng, 1e-6, 1e2, (n, 2)))
    # at the edge up to the rounding of shift and spread (a few ulps above the price)
    y_min = np.where(rng.uniform(size=(n, 2)) < 0.03, top_price * (1 + 1e-12), y_min)
    scale = _log_uniform(rng, 1e-3, 1e3, (n, 2))
    over = {
        "q": q,
        "theta": theta,
        "f": _log_uniform(rng, 1e-3, 1e3, (n, 2)),
        "c": c,
        "N": _log_uniform(rng, 1e-3, 1e3, (n, 2)),
        "income_spread": scale,
        # y_min of the unit exponential moved by the spread about its mean 2, then shifted
        "income_shift": y_min - 2.0 + scale,
    }
    if scenario in ("trade", "general"):
        # the import discount ρ = exp(−τ q/θ) from 1 − 1e-6 (the domain's edge) to 0
        exponent = _log_uniform(rng, 1e-6, 1e3, (n, 2))
        no_trade = rng.uniform(size=(n, 2)) < 0.03
        over["tau"] = np.where(no_trade, tau_from_rho(0.0, q, theta), exponent * theta / q)
    if scenario == "general":
        taxed = _some(rng, n, 0.5)[:, None]
        over["tariff"] = np.where(taxed, top_price * _log_uniform(rng, 1e-4, 1e1, (n, 2)), 0.0)
        over["ad_valorem"] = np.where(taxed, _log_uniform(rng, 1e-4, 1.0, (n, 2)), 0.0)
    unit = ShiftedExponential(1.0, 1.0)
    base = FGH2011(scenario=scenario, income=(unit, unit), tau=(1.0, 1.0))
    return base, over


DRAWS = {
    "FGH2011": draw,
    "FGH2011[trade]": lambda rng, n: draw(rng, n, "trade"),
    "FGH2011[general]": lambda rng, n: draw(rng, n, "general"),
    "FGH2011[integrated]": lambda rng, n: draw(rng, n, "integrated"),
}
