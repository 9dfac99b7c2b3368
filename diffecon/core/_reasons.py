"""Why a point did not converge: integer reason codes (traceable, per element) and their words."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ._model import AbstractModel, requirements_ok

CONVERGED = 0
NOT_FINITE = 2
NOT_SOLVED = 3
DERIVATIVE_UNDEFINED = 4
VALIDITY = 10  # + index of the failed condition in `model.validity(x)`
REQUIREMENT = 100  # + index in `requirements_ok(model)` (finiteness per parameter, then requirements)


def validity_names(model: AbstractModel, x: Any) -> tuple[str, ...]:
    """The names of `model`'s validity conditions, sorted (traced abstractly; nothing is computed)."""
    return tuple(sorted(jax.eval_shape(model.validity, x)))


def validity_ok(model: AbstractModel, x: Any) -> jax.Array:
    """One bool per validity condition (each reduced with `all`), in the order of
    `validity_names` (sorted names: the order JAX gives a dict's keys)."""
    conditions = model.validity(x)
    if not conditions:
        return jnp.ones((0,), bool)
    return jnp.stack([jnp.all(jnp.asarray(conditions[k], bool)) for k in sorted(conditions)])


def first_false(flags: jax.Array) -> jax.Array:
    """Index of the first False in a 1-D bool array (its length when all are True)."""
    n = flags.shape[0]
    return jnp.min(jnp.where(flags, n, jnp.arange(n)), initial=n)


def reason_code(model: AbstractModel, x: Any, finite: jax.Array, solved: jax.Array) -> jax.Array:
    """The reason code of one point: a bad parameter first, then the solve, then validity."""
    params, _ = requirements_ok(model)
    valid = validity_ok(model, x)
    bad_param = first_false(params)
    bad_valid = first_false(valid)
    return jnp.select(
        [bad_param < params.shape[0], ~finite, ~solved, bad_valid < valid.shape[0]],
        [REQUIREMENT + bad_param, NOT_FINITE, NOT_SOLVED, VALIDITY + bad_valid],
        CONVERGED,
    ).astype(jnp.int32)


def describe(model: AbstractModel, x: Any, code: int) -> str:
    """The reason `code` in words, for `model`'s class (`x`: any point of the right structure)."""
    name = type(model).__name__
    code = int(code)
    if code == CONVERGED:
        return "converged"
    if code == NOT_FINITE:
        return f"{name}: the solver reached a point where the equilibrium conditions are not finite."
    if code == NOT_SOLVED:
        return f"{name}: the equilibrium solve did not converge (residual above the tolerance)."
    if code == DERIVATIVE_UNDEFINED:
        return (f"{name}: the equilibrium converged, but a requested derivative is not defined "
                "there (a singular Jacobian at a corner or kink, or an infinite outcome).")
    if REQUIREMENT <= code:
        _, messages = requirements_ok(model)
        return messages[code - REQUIREMENT] if code - REQUIREMENT < len(messages) else f"code {code}"
    if VALIDITY <= code:
        names = validity_names(model, x)
        k = code - VALIDITY
        if k < len(names):
            return (f"{name}: the point solves the equations but violates the validity condition "
                    f"{names[k]!r}, so it is not an equilibrium of this model.")
    return f"{name}: reason code {code}"
