"""Exact comparative statics: derivatives of equilibrium outcomes with respect to parameters.

The derivative runs through `solve`'s implicit adjoint, i.e. dx/dθ = −(∂F/∂x)⁻¹ ∂F/∂θ at the
solution (the implicit function theorem); nothing is differentiated through iterations and
nothing is finite-differenced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

import equinox as eqx
import jax
import jax.numpy as jnp

from ._tree import check_field_names, replace_fields
from .model import Model, initial_guess
from .solve import Equilibrium, raise_if_failed, solve_impl

__all__ = ["jacobian", "elasticity"]

Of = Union[str, Sequence[str], Callable[[Equilibrium], jax.Array]]


class OutcomeSelector(eqx.Module):
    """Picks outcomes from an `Equilibrium`; hashable, so jitted callers cache on it."""

    keys: tuple[str, ...] = eqx.field(static=True)
    fn: Callable[[Equilibrium], jax.Array] | None = eqx.field(static=True, default=None)

    def __call__(self, eq: Equilibrium) -> dict:
        if self.fn is not None:
            return {self.keys[0]: jnp.asarray(self.fn(eq))}
        return {k: eq[k] for k in self.keys}


def outcome_selector(of: Of) -> OutcomeSelector:
    """Normalise `of` (a name, a list of names, or a callable `Equilibrium -> Array`)."""
    if callable(of):
        key = getattr(of, "__name__", "value")
        return OutcomeSelector(("value" if key == "<lambda>" else key,), of)
    return OutcomeSelector((of,) if isinstance(of, str) else tuple(of))


@eqx.filter_jit
def _jacobian_impl(model, wrt, select, x0, solver, max_steps, rtol, atol, tol):
    params = {n: getattr(model, n) for n in wrt}

    def outcomes_of(p):
        eq = solve_impl(replace_fields(model, p), x0, solver, max_steps, rtol, atol, tol)
        values = select(eq)
        return values, (values, eq)

    return jax.jacfwd(outcomes_of, has_aux=True)(params)


def _derivatives(model, of, wrt, x0, solve_options):
    if not isinstance(model, Model):
        raise TypeError(f"expected a diffecon Model, got {type(model).__name__}.")
    wrt = check_field_names(model, wrt, "wrt")
    select = outcome_selector(of)
    keys = select.keys
    x0 = initial_guess(model) if x0 is None else x0
    options = dict(solver=None, max_steps=100, rtol=1e-10, atol=1e-10, tol=1e-8)
    unknown = set(solve_options) - set(options)
    if unknown:
        raise TypeError(f"unknown solve option(s): {', '.join(sorted(unknown))}.")
    options.update(solve_options)
    jac, (values, eq) = _jacobian_impl(model, wrt, select, x0, **options)
    raise_if_failed(eq)
    for k in keys:
        if not jnp.issubdtype(jnp.asarray(values[k]).dtype, jnp.inexact):
            raise ValueError(f"outcome {k!r} is not a float quantity; it has no derivative.")
    return keys, wrt, jac, values


def _single(of: Of, wrt: Any) -> bool:
    return (isinstance(of, str) or callable(of)) and isinstance(wrt, str)


def jacobian(model: Model, of: Of, wrt: str | Sequence[str], *, x0: Any = None, **solve_options: Any):
    """Exact derivatives d(of)/d(wrt) at the equilibrium of `model`.

    **Arguments:**
    - `model`: the model at whose equilibrium to differentiate;
    - `of`: an outcome name, a list of names, or a callable `Equilibrium -> Array`;
    - `wrt`: a parameter name or a list of names (fields of `model`);
    - `x0`, `**solve_options`: passed to the solve (`max_steps`, `rtol`, `atol`, `tol`, `solver`).

    **Returns:** a nested dict `{outcome: {parameter: array}}`; each array has shape
    `outcome.shape + parameter.shape`.
    """
    _, _, jac, _ = _derivatives(model, of, wrt, x0, solve_options)
    return jac


def elasticity(model: Model, of: Of, wrt: str | Sequence[str], *, x0: Any = None, **solve_options: Any):
    """Exact elasticities d ln(of) / d ln(wrt): the papers' "hat" comparative statics.

    For example `elasticity(Krugman1980(L1=2.0), "omega", "L1")` is ω̂/L̂₁ with L₂ held fixed.

    **Arguments:** as for `jacobian`.

    **Returns:** an array when `of` and `wrt` are single names (or `of` a callable), otherwise a
    nested dict `{outcome: {parameter: array}}` of shape `outcome.shape + parameter.shape`.
    """
    keys, wrt_names, jac, values = _derivatives(model, of, wrt, x0, solve_options)
    out: dict[str, dict[str, jax.Array]] = {}
    for k in keys:
        y = jnp.asarray(values[k])
        out[k] = {}
        for n in wrt_names:
            theta = jnp.asarray(getattr(model, n))
            scale = theta.reshape((1,) * y.ndim + theta.shape) / y.reshape(y.shape + (1,) * theta.ndim)
            out[k][n] = jac[k][n] * scale
    if _single(of, wrt):
        return out[keys[0]][wrt_names[0]]
    return out
