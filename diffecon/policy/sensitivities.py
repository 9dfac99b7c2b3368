"""Every tariff's effect at once: exact derivatives of an equilibrium outcome by reverse mode.

For Caliendo–Parro (2015) on the NAFTA data, d real_income_pct / d tariff_counterfactual is a
31 × (40 × 31 × 31) Jacobian. Forward mode (one tangent per tariff) would need 38,440 linear
solves with the 5,022×5,022 equilibrium Jacobian; reverse mode needs 31 transposed solves with
the same factorisation (the implicit adjoint), i.e. about the cost of one more solve. The
derivative itself is the core's (`diffecon.jacobian` picks reverse mode for this shape on its
own); here are the helpers around it: `reverse_jacobian` (the outcome with its Jacobian),
`sensitivities` (a ranking of the tariffs), one tariff's derivative by forward mode
(`tariff_derivative`), and delta-method standard errors of outcomes for a covariance of the
trade elasticities θ with a Monte Carlo check (`theta_delta_method`, `theta_monte_carlo`).
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ..core import ift_jacobian, replace, solve
from ..core import jacobian as core_jacobian  # `sensitivities` has an argument `jacobian`

__all__ = [
    "reverse_jacobian",
    "sensitivities",
    "tariff_derivative",
    "theta_delta_method",
    "theta_monte_carlo",
]


def _solver_of(model: Any, solver: Any) -> Any:
    if solver is not None:
        return solver
    return model.solver() if hasattr(model, "solver") else None


@eqx.filter_jit
def _reverse(model, of, wrt, solver, x0):
    values, jac, eq = ift_jacobian(model, x0, of, (wrt,), solver, mode="reverse")
    return values[of], jac[of][wrt], eq.converged


def reverse_jacobian(model: Any, of: str, wrt: str, *, solver: Any = None, x0: Any = None):
    """The outcome and d(of)/d(wrt) at the equilibrium, by reverse mode through the implicit adjoint.

    `diffecon.jacobian(model, of, wrt, mode="reverse")` with the outcome's value too, in one
    program (one solve, one factorisation). The cost is one solve plus one transposed linear
    solve per element of `of` (31 for a per-region outcome), whatever the size of `wrt`: the
    right tool when the parameter is large (38,440 tariffs) and the outcome small.

    **Arguments:**
    - `model`: e.g. `CaliendoParro2015.from_data(load_cp2015_nafta())`;
    - `of`: an outcome name; `wrt`: a float field name;
    - `solver`: a `diffecon.Solver` (default: the model's `solver()` when it has one);
    - `x0`: a start (e.g. a previous solution's `eq.x`).

    **Returns:** `(value, jacobian)`, the outcome and its Jacobian of shape
    `value.shape + parameter.shape`.

    **Raises:** `SolveError` (a `RuntimeError`) when the equilibrium solve fails, `ValueError`
    where the derivative is not defined (a singular equilibrium Jacobian), as `jacobian` does.
    """
    solver = _solver_of(model, solver)
    value, jac, ok = _reverse(model, of, wrt, solver, x0)
    if not (bool(np.all(np.asarray(ok))) and bool(np.all(np.isfinite(np.asarray(jac))))):
        # The failure path only: the core's own call names the reason (the worst equation, the
        # parameter, or the singular Jacobian) exactly as `jacobian` and `solve` do.
        core_jacobian(model, of, wrt, solver=solver, x0=x0, mode="reverse")
        raise RuntimeError(f"reverse_jacobian: no derivative of {of!r} is defined at this point of "
                           f"{type(model).__name__}.")  # only if that call's solve found what this one did not
    return value, jac


def _region_index(model: Any, region: Any) -> int:
    if isinstance(region, str):
        if region not in model.regions:
            raise ValueError(f"region={region!r} is not one of the model's regions {list(model.regions)}.")
        return model.regions.index(region)
    k = int(region)
    if not 0 <= k < len(model.regions):
        raise ValueError(f"region={region!r} is not an index of the {len(model.regions)} regions.")
    return k


def sensitivities(
    model: Any,
    region: Any,
    *,
    of: str = "real_income_pct",
    wrt: str = "tariff_counterfactual",
    top: int | None = 20,
    foreign_only: bool = True,
    solver: Any = None,
    jacobian: Any = None,
) -> pd.DataFrame:
    """Rank the tariffs by the exact effect of each on one region's outcome.

    **Arguments:**
    - `model`: a `CaliendoParro2015` (any model with `regions`, `sectors` and a J×N×N tariff field);
    - `region`: a region name or index;
    - `of`: a per-region outcome (default `real_income_pct`, the exact change in real income);
    - `wrt`: the tariff field (default `tariff_counterfactual`, indexed [sector, exporter, importer]);
    - `top`: rows kept (None: all);
    - `foreign_only`: leave out the "tariffs" on a region's purchases from itself (the
      diagonal exporter = importer, not a policy instrument; the data's are zero);
    - `jacobian`: a precomputed `diffecon.jacobian(model, of, wrt)` (or
      `reverse_jacobian(model, of, wrt)[1]`) to rank without solving.

    **Returns:** a DataFrame sorted by |derivative|: `sector, exporter, importer, tariff`,
    `derivative` (percentage points of `of` per unit of tariff, i.e. per 100 pp), `per_pp`
    (per one percentage point of tariff), `rank`.
    """
    k = _region_index(model, region)
    if jacobian is None:
        _, jacobian = reverse_jacobian(model, of, wrt, solver=solver)
    g = np.asarray(jacobian)[k]
    t = np.asarray(getattr(model, wrt))
    order = np.argsort(-np.abs(g), axis=None, kind="stable")
    s, e, i = np.unravel_index(order, g.shape)
    if foreign_only:
        keep = e != i
        s, e, i = s[keep], e[keep], i[keep]
    n = len(s) if top is None else min(int(top), len(s))
    s, e, i = s[:n], e[:n], i[:n]
    return pd.DataFrame(
        {
            "sector": [model.sectors[a] for a in s],
            "exporter": [model.regions[a] for a in e],
            "importer": [model.regions[a] for a in i],
            "tariff": t[s, e, i],
            "derivative": g[s, e, i],
            "per_pp": g[s, e, i] / 100.0,
            "rank": np.arange(1, n + 1),
        }
    )


@eqx.filter_jit
def _forward(model, field, of, solver, x0, direction):
    def f(value):
        eq = solve(replace(model, **{field: value}), x0, solver=solver, throw=False)
        return eq.outcomes[of], eq.converged

    (value, ok), (tangent, _) = jax.jvp(f, (getattr(model, field),), (direction,))
    return value, tangent, ok


def tariff_derivative(
    model: Any,
    index: tuple[int, int, int],
    *,
    of: str = "real_income_pct",
    wrt: str = "tariff_counterfactual",
    solver: Any = None,
    x0: Any = None,
):
    """d(of)/d(one tariff) by forward mode (one tangent through the implicit function).

    **Arguments:** `index`: (sector, exporter, importer) of the tariff; the rest as for
    `reverse_jacobian`.

    **Returns:** `(value, derivative)`, each of the outcome's shape.
    """
    solver = _solver_of(model, solver)
    base = getattr(model, wrt)
    direction = jnp.zeros_like(base).at[tuple(index)].set(1.0)
    value, tangent, ok = _forward(model, wrt, of, solver, x0, direction)
    if not bool(np.all(np.asarray(ok))):
        raise RuntimeError("tariff_derivative: the equilibrium solve did not converge.")
    return value, tangent


def theta_delta_method(model: Any, cov: Any, *, of: str = "welfare_pct", solver: Any = None) -> dict:
    """Delta-method standard errors of an outcome for a covariance of the trade elasticities θ.

    se = sqrt(diag(G Σ Gᵀ)), G = d(of)/dθ exact (reverse mode).

    **Arguments:** `cov`: J×J covariance of θ (symmetric positive semi-definite); `of`: a
    per-region outcome.

    **Returns:** dict `value` (N), `se` (N), `gradient` (N×J).
    """
    cov = np.asarray(cov, dtype=float)
    j = np.asarray(model.theta).shape[-1]
    if (
        cov.shape != (j, j)
        or not np.allclose(cov, cov.T)
        or np.min(np.linalg.eigvalsh(cov)) < -1e-12 * max(1.0, np.abs(cov).max())
    ):
        raise ValueError(
            f"theta_delta_method: cov must be a symmetric positive semi-definite {j}×{j} matrix "
            f"(got shape {cov.shape})."
        )
    value, g = reverse_jacobian(model, of, "theta", solver=solver)
    g = np.asarray(g)
    return {"value": np.asarray(value), "se": np.sqrt(np.einsum("nj,jk,nk->n", g, cov, g)), "gradient": g}


def theta_monte_carlo(
    model: Any, cov: Any, draws: int, rng: np.random.Generator, *, of: str = "welfare_pct", solver: Any = None
) -> dict:
    """Monte Carlo spread of an outcome over θ ~ Normal(θ, cov), solved draw by draw.

    Each draw starts at the point estimate's solution (warm start). Draws with a non-positive
    θ are redrawn. The check of `theta_delta_method` (which it approaches for small cov).

    **Returns:** dict `values` (draws × N), `sd` (N), `converged` (draws).
    """
    solver = _solver_of(model, solver)
    theta = np.asarray(model.theta)
    chol = np.linalg.cholesky(np.asarray(cov, float) + 1e-300 * np.eye(theta.size))
    start = solve(model, solver=solver)
    values, ok = [], []
    for _ in range(int(draws)):
        while True:
            th = theta + chol @ rng.standard_normal(theta.size)
            if np.all(th > 0):
                break
        eq = solve(replace(model, theta=jnp.asarray(th)), start.x, solver=solver, throw=False)
        values.append(np.asarray(eq.outcomes[of]))
        ok.append(bool(eq.converged))
    values = np.array(values)
    good = values[np.array(ok)]
    return {"values": values, "sd": good.std(axis=0, ddof=1), "converged": np.array(ok)}
