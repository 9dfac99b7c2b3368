"""Full-domain random draws of Ara (2026) for the reliability harness (`benchmarks/reliability.py`).

Log-uniform over the whole documented domain of `Ara2026` (spec §2, R1): sizes L₁, L₂ in
1e-3…1e3, σ − 1 in 1e-3…1e2, k − (σ − 1) in 1e-3…1e2, τ − 1 in 1e-8…1e3 for both trade costs
(3% of the draws exactly at τ = 1, independently for τ_X and τ_M), the five fixed costs and the
Pareto scale φ_min in 1e-3…1e3. The selection ordering (spec R4) is not imposed: it is a
property of the solved cutoffs, so draws that violate it are failures with that reason. Its
parameter-only necessary conditions (τ^{σ−1} f_high > f_low for each ordered pair, see
`ara2026_diagnostics.ordering_impossible`) fail in about 90% of full-domain draws, so
`draw_in_regime` also draws the same domain conditioned on them, to test the solver where
equilibria exist. About 12% of the full-domain draws with one kind of trade (2% with both) have
an equilibrium with some level beyond float64 (σ − 1 near 0 with very unequal costs or sizes):
the model solves them in logs and returns those levels as ±inf, with finite `log_` outcomes
(documented in `Ara2026`).
"""

from __future__ import annotations

import numpy as np

from diffecon.models import Ara2026

__all__ = ["DRAWS", "draw", "draw_in_regime"]


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _trade_cost(rng: np.random.Generator, n: int) -> np.ndarray:
    tau = 1.0 + _log_uniform(rng, 1e-8, 1e3, n)
    return np.where(rng.uniform(size=n) < 0.03, 1.0, tau)


def draw(rng: np.random.Generator, n: int, trade: str = "both") -> tuple[Ara2026, dict[str, np.ndarray]]:
    """`n` full-domain parameter draws of `Ara2026(trade=trade)`.

    **Arguments:**
    - `rng`: a NumPy generator;
    - `n`: number of draws;
    - `trade`: the model's trade option (`"both"`, `"final_only"`, `"inputs_only"`).

    **Returns:** `(base, over)`: the base model and parameter name -> array of shape `(n,)`, for
    `de.sweep(base, over)`.
    """
    sigma = 1.0 + _log_uniform(rng, 1e-3, 1e2, n)
    over = {
        "L1": _log_uniform(rng, 1e-3, 1e3, n),
        "L2": _log_uniform(rng, 1e-3, 1e3, n),
        "sigma": sigma,
        "k": sigma - 1.0 + _log_uniform(rng, 1e-3, 1e2, n),
        "tau_x": _trade_cost(rng, n),
        "tau_m": _trade_cost(rng, n),
        **{name: _log_uniform(rng, 1e-3, 1e3, n)
           for name in ("f_d", "f_x", "f_dm", "f_xm", "f_e", "phi_min")},
    }
    return Ara2026(trade=trade), over


def _ordering_possible(over: dict[str, np.ndarray], trade: str) -> np.ndarray:
    s1 = over["sigma"] - 1
    lx, lm = s1 * np.log(over["tau_x"]), s1 * np.log(over["tau_m"])
    lf = {n: np.log(over[n]) for n in ("f_d", "f_x", "f_dm", "f_xm")}
    ok = np.ones(len(s1), bool)
    if trade != "final_only":
        ok &= lm + lf["f_dm"] > lf["f_d"]
    if trade != "inputs_only":
        ok &= lx + lf["f_x"] > lf["f_d"]
    if trade == "both":
        ok &= (lx + lf["f_xm"] > lf["f_dm"]) & (lm + lf["f_xm"] > lf["f_x"])
    return ok


def draw_in_regime(rng: np.random.Generator, n: int,
                   trade: str = "both") -> tuple[Ara2026, dict[str, np.ndarray]]:
    """Like `draw`, conditioned on the parameter-only necessary conditions of spec R4.

    **Returns:** `(base, over)` as `draw`.
    """
    parts = []
    while sum(len(p["sigma"]) for p in parts) < n:
        base, over = draw(rng, 4 * n, trade)
        keep = _ordering_possible(over, trade)
        parts.append({k: v[keep] for k, v in over.items()})
    return base, {k: np.concatenate([p[k] for p in parts])[:n] for k in parts[0]}


DRAWS = {
    "Ara2026": draw,
    "Ara2026[final_only]": lambda rng, n: draw(rng, n, "final_only"),
    "Ara2026[inputs_only]": lambda rng, n: draw(rng, n, "inputs_only"),
}
