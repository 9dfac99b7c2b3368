"""`solve`: a model's equilibrium as an implicit function of its parameters."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jax.flatten_util import ravel_pytree

from ._levenberg_marquardt import levenberg_marquardt
from ._tree import flat_with_names
from .model import Model, initial_guess, requirements_ok

__all__ = ["solve", "Equilibrium", "SolveError"]


class SolveError(RuntimeError):
    """The equilibrium solve did not converge (or the parameters are inadmissible)."""


class Equilibrium(eqx.Module):
    """The solution of `solve`.

    **Fields:**
    - `model`: the model solved (its parameters);
    - `x`: the unknowns at the solution, in the model's solving coordinates (logs, shares);
    - `outcomes`: dict of named outcomes (see the model's docstring);
    - `converged`: bool array, True where the solve converged (per element under `vmap`);
    - `residual_norm`: max-norm of the (unit-free) equilibrium residuals at `x`;
    - `steps`: number of solver iterations taken.

    Every float outcome is differentiable in every float parameter of `model` through the
    implicit function theorem (the derivative never runs through the iterations).
    """

    model: Model
    x: Any
    outcomes: dict
    converged: jax.Array
    residual_norm: jax.Array
    steps: jax.Array

    def __getitem__(self, name: str) -> jax.Array:
        """`eq["omega"]` is `eq.outcomes["omega"]`."""
        try:
            return self.outcomes[name]
        except KeyError:
            raise KeyError(
                f"{type(self.model).__name__} has no outcome {name!r}; "
                f"its outcomes are {', '.join(sorted(self.outcomes))}."
            ) from None


def _flat_residuals(unravel: Any) -> Any:
    # Root finders work on one flat vector of unknowns and one of residuals: a Krylov linear
    # solver (the matrix-free option) needs the two to have the same structure.
    def fn(v: jax.Array, model: Model) -> jax.Array:
        return ravel_pytree(model.residuals(unravel(v)))[0]

    return fn


def _max_abs(tree: Any) -> jax.Array:
    vec, _ = flat_with_names(tree)
    # jnp.max propagates NaN, so a NaN residual can never pass as converged.
    return jnp.max(jnp.abs(vec), initial=0.0)


@eqx.filter_jit
def solve_impl(
    model: Model, x0: Any, solver: Any, max_steps: int, rtol: float, atol: float, tol: float
) -> Equilibrium:
    """Jitted solve without error raising (the building block of `solve`, `sweep`, statics).

    The search runs on the stopped-gradient model: the given root finder (optimistix Newton by
    default), then, where it fails, Levenberg–Marquardt from the start point. A final optimistix
    Newton step from the point found, with the implicit adjoint, is the only differentiable path:
    derivatives are −(∂F/∂x)⁻¹ ∂F/∂θ at the solution whichever stage found it (a `cond` with both
    branches differentiable breaks reverse mode under `vmap`, where it becomes a `select`).
    """
    linear_solver = model.linear_solver()
    newton = optx.Newton(rtol=rtol, atol=atol, linear_solver=linear_solver)
    frozen = jax.lax.stop_gradient(model)
    flat0, unravel = ravel_pytree(x0)
    fn = _flat_residuals(unravel)

    def norm_at(v):
        return _max_abs(frozen.residuals(unravel(v)))

    first = optx.root_find(
        fn, newton if solver is None else solver, flat0, args=frozen,
        max_steps=max_steps, throw=False,
    )
    first_norm = norm_at(first.value)
    first_ok = jnp.isfinite(first_norm) & (first_norm <= tol)

    def fallback():
        # Converged elements (under vmap) start at their solution and leave the loop at once.
        start = jnp.where(first_ok, first.value, flat0)
        return levenberg_marquardt(lambda v: fn(v, frozen), start, max_steps=max_steps, tol=tol)

    found, lm_steps = jax.lax.cond(
        first_ok, lambda: (first.value, jnp.asarray(0)), fallback
    )
    polish = optx.root_find(
        fn, newton, jax.lax.stop_gradient(found), args=model, max_steps=max_steps,
        throw=False, adjoint=optx.ImplicitAdjoint(linear_solver=linear_solver),
    )
    x = unravel(polish.value)
    steps = first.stats["num_steps"] + lm_steps + polish.stats["num_steps"]
    norm = norm_at(polish.value)
    valid, _ = requirements_ok(model)
    converged = jnp.isfinite(norm) & (norm <= tol) & jnp.all(valid)
    return Equilibrium(model, x, model.outcomes(x), converged, norm, steps)


def failure_report(eq: Equilibrium) -> tuple[jax.Array, tuple[str, ...]]:
    """(index, messages): which message explains a failed solve (a bad parameter first)."""
    valid, param_msgs = requirements_ok(eq.model)
    residual_vec, names = flat_with_names(eq.model.residuals(eq.x))
    worst = jnp.argmax(jnp.where(jnp.isfinite(residual_vec), jnp.abs(residual_vec), jnp.inf))
    eq_msgs = tuple(
        f"{type(eq.model).__name__}: the equilibrium solve did not converge; the worst equation "
        f"is {n!r}." for n in names
    )
    if param_msgs:
        index = jnp.where(jnp.all(valid), len(param_msgs) + worst, jnp.argmin(valid))
    else:
        index = worst
    return index, param_msgs + eq_msgs


@eqx.filter_jit
def _checked(eq: Equilibrium) -> Equilibrium:
    # Compiled: under `grad` outside `jit` the report's residuals would otherwise run (and
    # compile) primitive by primitive on every call.
    index, msgs = failure_report(eq)
    return eqx.branched_error_if(eq, ~eq.converged, index, msgs)


def raise_if_failed(eq: Equilibrium) -> Equilibrium:
    """Raise `SolveError` (concrete values) or an equinox runtime error (traced) on failure."""
    leaves = jax.tree_util.tree_leaves((eq.converged, eq.x))
    if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
        return _checked(eq)
    if bool(np.all(np.asarray(eq.converged))):
        return eq
    index, msgs = failure_report(eq)
    index = np.asarray(index)
    if index.ndim:  # a batch solved outside vmap: report its first failure
        first = int(np.argmin(np.asarray(eq.converged).ravel()))
        index = index.ravel()[first]
    msg = msgs[int(index)]
    residual_vec, names = flat_with_names(eq.model.residuals(eq.x))
    if "did not converge" in msg and np.asarray(residual_vec).ndim == 1:
        k = int(index) - (len(msgs) - len(names))
        msg += (
            f" Its residual is {float(np.asarray(residual_vec)[k]):.3e} (max-norm "
            f"{float(np.max(np.asarray(eq.residual_norm))):.3e}) after {int(np.max(np.asarray(eq.steps)))} steps."
        )
        hint = eq.model.explain_failure(eq)
        if hint:
            msg += " " + hint
    raise SolveError(msg)


def solve(
    model: Model,
    x0: Any = None,
    *,
    solver: Any = None,
    max_steps: int = 100,
    rtol: float = 1e-10,
    atol: float = 1e-10,
    tol: float = 1e-8,
    throw: bool = True,
) -> Equilibrium:
    """Solve `model` for its equilibrium.

    **Arguments:**
    - `model`: a `diffecon` model (an `eqx.Module` of parameters);
    - `x0`: starting point in the model's solving coordinates (default `model.guess()`);
    - `solver`: an optimistix root finder (default `optimistix.Newton(rtol, atol)`);
    - `max_steps`: iteration cap for each stage;
    - `rtol`, `atol`: the solver's step and residual tolerances;
    - `tol`: a solution is accepted when the max-norm of the unit-free residuals is ≤ `tol`;
    - `throw`: raise `SolveError` naming the worst equation when the solve fails. Inside
      `jax.vmap` pass `throw=False` and read `converged` per element.

    **Returns:** an `Equilibrium`. Its outcomes are differentiable in the model's parameters by
    the implicit function theorem.
    """
    if not isinstance(model, Model):
        raise TypeError(f"solve expects a diffecon Model, got {type(model).__name__}.")
    if x0 is None:
        x0 = initial_guess(model)
    eq = solve_impl(model, x0, solver, max_steps, rtol, atol, tol)
    return raise_if_failed(eq) if throw else eq
