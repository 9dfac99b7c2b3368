"""Optimal tariffs by gradient through the equilibrium (Caliendo–Parro 2015 and alike).

A region's import tariffs are set by a few free numbers (one uniform rate, or one rate per
sector) on every foreign source of the traded sectors; its exact real income (`real_income_pct`,
Î/P̂) is maximised by BFGS (optimistix), whose gradients are exact derivatives through the
implicit function of the equilibrium. `grid_search_uniform` is the brute-force check, and
`nash_tariffs` iterates best responses between two regions.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from ..core import replace, solve
from .sensitivities import _region_index, _solver_of

__all__ = [
    "with_import_tariffs",
    "optimal_uniform_tariff",
    "optimal_sectoral_tariffs",
    "grid_search_uniform",
    "nash_tariffs",
]


def _traded(model: Any) -> np.ndarray:
    """Sectors with any international flow in the data (tariffs on the others change nothing)."""
    f = np.asarray(model.flows)
    off = ~np.eye(f.shape[-1], dtype=bool)
    return (f[:, off] > 0).any(1)


def _plan(model: Any, region: Any) -> tuple[int, np.ndarray, np.ndarray]:
    """(region index, traded sectors, mask of the tariffs set) from the concrete model."""
    k = _region_index(model, region)
    traded = _traded(model)
    n = model.tariff_counterfactual.shape[-1]
    mask = np.zeros(model.tariff_counterfactual.shape, bool)
    mask[np.ix_(traded, np.arange(n) != k, [k])] = True
    return k, np.flatnonzero(traded), mask


def _apply(model: Any, plan: tuple, rates: Any) -> Any:
    _, traded, mask = plan
    rates = jnp.asarray(rates, dtype=jnp.float64)
    J = model.tariff_counterfactual.shape[0]
    if rates.ndim == 0:
        per_sector = jnp.full(J, rates)
    elif rates.shape == (len(traded),):
        per_sector = jnp.zeros(J).at[traded].set(rates)
    else:
        raise ValueError(
            f"with_import_tariffs: rates has shape {rates.shape}; give a scalar or one rate "
            f"per traded sector ({len(traded)})."
        )
    new = jnp.where(mask, per_sector[:, None, None], model.tariff_counterfactual)
    return replace(model, tariff_counterfactual=new)


def with_import_tariffs(model: Any, region: Any, rates: Any) -> Any:
    """`model` with `region`'s counterfactual import tariffs on every foreign source set to `rates`.

    **Arguments:** `region` (name or index); `rates`: a scalar (uniform) or one rate per traded
    sector (in `sectors` order, non-traded sectors skipped). Traceable in `rates`.

    **Returns:** the new model (`tariff_counterfactual[j, i, region] = rate_j` for i ≠ region).
    """
    return _apply(model, _plan(model, region), rates)


@eqx.filter_jit
def _objective(rates, model, plan, of, solver):
    eq = solve(_apply(model, plan, rates), solver=solver, throw=False)
    value = eq.outcomes[of][plan[0]]
    # A failed solve is the worst outcome, not a NaN that would poison the line search.
    return jnp.where(eq.converged, value, -jnp.inf), eq.converged


def _loss(y, args):
    model, plan, of, solver = args
    value, _ = _objective(jax.nn.softplus(y), model, plan, of, solver)  # rates stay non-negative
    return -value


def _maximise(model, region, of, y0, solver, max_steps, tol):
    plan = _plan(model, region)
    # one module-level loss with the model passed as data: optimistix compiles its loop once per
    # model structure, where a fresh closure per call (each best response of `nash_tariffs`)
    # would compile it again every time
    sol = optx.minimise(_loss, optx.BFGS(rtol=tol, atol=tol), y0, args=(model, plan, of, solver),
                        max_steps=max_steps, throw=False)
    rates = jax.nn.softplus(sol.value)
    value, ok = _objective(rates, model, plan, of, solver)
    return {
        "rates": np.asarray(rates),
        "value": float(value),
        "converged": bool(ok) and bool(sol.result == optx.RESULTS.successful),
        "steps": int(sol.stats["num_steps"]),
    }


def _inverse_softplus(t):
    t = np.maximum(np.asarray(t, float), 1e-8)
    return jnp.asarray(t + np.log(-np.expm1(-t)))


def optimal_uniform_tariff(
    model: Any,
    region: Any,
    *,
    of: str = "real_income_pct",
    t0: float = 0.1,
    solver: Any = None,
    max_steps: int = 50,
    tol: float = 1e-7,
) -> dict:
    """A region's welfare-maximising uniform import tariff, others' tariffs given.

    **Arguments:** `region`; `of`: the per-region objective (default the exact real income
    change); `t0`: start; `solver`: the equilibrium `Solver`; `max_steps`, `tol`: BFGS's.

    **Returns:** dict `rate` (the optimum), `value` (the objective there), `converged`, `steps`.
    """
    out = _maximise(model, region, of, _inverse_softplus(t0), _solver_of(model, solver), max_steps, tol)
    out["rate"] = float(out.pop("rates"))
    return out


def optimal_sectoral_tariffs(
    model: Any,
    region: Any,
    *,
    of: str = "real_income_pct",
    t0: Any = 0.1,
    solver: Any = None,
    max_steps: int = 100,
    tol: float = 1e-7,
) -> dict:
    """A region's welfare-maximising import tariff per traded sector (same on every source).

    **Returns:** dict `rates` (one per traded sector), `sectors` (their names), `value`,
    `converged`, `steps`.
    """
    traded = _traded(model)
    y0 = _inverse_softplus(np.broadcast_to(np.asarray(t0, float), (int(traded.sum()),)))
    out = _maximise(model, region, of, y0, _solver_of(model, solver), max_steps, tol)
    out["sectors"] = tuple(s for s, t in zip(model.sectors, traded) if t)
    return out


def grid_search_uniform(
    model: Any, region: Any, grid: Any, *, of: str = "real_income_pct", solver: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """The objective at each uniform rate of `grid` (the brute-force check).

    **Returns:** (grid, values); a point whose solve fails is NaN.
    """
    solver = _solver_of(model, solver)
    grid = np.asarray(grid, float)
    plan = _plan(model, region)
    values = []
    for t in grid:
        v, ok = _objective(jnp.asarray(t), model, plan, of, solver)
        values.append(float(v) if bool(ok) else np.nan)
    return grid, np.array(values)


def nash_tariffs(
    model: Any,
    regions: tuple[Any, Any],
    *,
    of: str = "real_income_pct",
    rounds: int = 10,
    tol: float = 1e-5,
    t0: float = 0.1,
    solver: Any = None,
) -> dict:
    """A Nash equilibrium in uniform import tariffs between two regions, by best responses.

    Each round, each region in turn sets its optimal uniform tariff given the other's current
    one; stops when neither rate moves by more than `tol`.

    **Returns:** dict `rates` (region -> rate), `values` (region -> objective), `rounds`,
    `converged`, `path` (the rates after each round).
    """
    a, b = regions
    rates = {a: float(t0), b: float(t0)}
    m = with_import_tariffs(with_import_tariffs(model, a, rates[a]), b, rates[b])
    path, values = [], {}
    for r in range(1, int(rounds) + 1):
        moved = 0.0
        for me in (a, b):
            best = optimal_uniform_tariff(m, me, of=of, t0=rates[me], solver=solver)
            moved = max(moved, abs(best["rate"] - rates[me]))
            rates[me], values[me] = best["rate"], best["value"]
            m = with_import_tariffs(m, me, rates[me])
        path.append(dict(rates))
        if moved < tol:
            return {"rates": rates, "values": values, "rounds": r, "converged": True, "path": path}
    return {"rates": rates, "values": values, "rounds": int(rounds), "converged": False, "path": path}
