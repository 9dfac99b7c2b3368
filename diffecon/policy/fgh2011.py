"""Analyses of Fajgelbaum, Grossman and Helpman (2011) that solve the model: the equilibria of
every production pattern (spec §8's reference algorithm) and welfare sensitivities (eqs. 13,
17, 20). They live here, not in `diffecon.models.fgh2011`, because models do not solve.
"""

from __future__ import annotations

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..core import Solver, jacobian, solve
from ..models.fgh2011 import FGH2011, TARIFF_PARAMETERS, TARIFF_SCENARIOS

__all__ = ["production_patterns", "welfare_sensitivity"]


def _patterns(n_countries: int, n_qualities: int) -> np.ndarray:
    """Every production pattern: for each quality a non-empty set of producing countries,
    as 0/1 masks (P, K, Q)."""
    subsets = [s for s in itertools.product((0.0, 1.0), repeat=n_countries) if any(s)]
    return np.array([np.array(p).T for p in itertools.product(subsets, repeat=n_qualities)])


@eqx.filter_jit
def production_patterns(model: FGH2011, solver: Solver | None = None) -> dict:
    """Solve every production pattern and keep those that are equilibria.

    The reference algorithm of the spec (§8): on the active cells ln S_q^k = ln x_q; the
    inactive cells must satisfy no-entry S_q^k ≤ x_q. Exactly one pattern should survive
    (uniqueness is proved for autarky only; this counts). (2^K − 1)^Q solves: 9 for 2×2, 343
    for 3×3.

    **Arguments:** `model`: an `FGH2011` (its scenario is ignored); `solver`: a `Solver`.

    **Returns:** dict with `patterns` (P, K, Q) 0/1 masks, `converged` (P,) (the pattern's
    equations solved), `valid` (P,) (solved and no profitable entry: an equilibrium), `n`
    (P, K, Q), `rebate` (P, K), `n_valid` (the number of equilibria found).
    """
    patterns = jnp.asarray(_patterns(model.n_countries, model.n_qualities))

    def one(mask):
        eq = solve(model.with_scenario("pattern", active=mask), solver=solver, throw=False)
        converged = eq.converged
        return converged, converged & ~jnp.any(eq["entry_profitable"]), eq["n"], eq["rebate"]

    converged, valid, n, rebate = jax.vmap(one)(patterns)
    return {"patterns": patterns, "converged": converged, "valid": valid, "n": n, "rebate": rebate,
            "n_valid": jnp.sum(valid)}


def welfare_sensitivity(model: FGH2011, wrt: str, solver: Solver | None = None):
    """d ln v^k(y) / d(wrt) at every country k and income on `y_grid`: the paper's v̂(y)
    (eqs. 13, 17, 20) as one exact derivative.

    **Arguments:** `model`; `wrt`: a parameter name. `tariff` and `ad_valorem` need scenario
    'general' or 'pattern' (`TARIFF_SCENARIOS`): elsewhere the equations have no tariff, the
    derivative would be an uninformative 0, and a `ValueError` says so; `solver`: a `Solver`.

    **Returns:** array of shape (K, G) + shape of the parameter.
    """
    if wrt in TARIFF_PARAMETERS and model.scenario not in TARIFF_SCENARIOS:
        raise ValueError(
            f"welfare_sensitivity: {wrt!r} is not modelled in scenario {model.scenario!r}; tariffs need "
            f"scenario 'general' or 'pattern' (a welfare change with respect to {wrt!r} is 0 here by "
            "construction, not an effect of the tariff).")
    return jacobian(model, "log_v", wrt, solver=solver)
