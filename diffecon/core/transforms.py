"""Reparametrisations of unknowns and complementarity conditions for corner solutions.

Positive unknowns (wages, masses, cutoffs) are solved in logs and shares in logits, so Newton's
iterates never leave the domain. Corners (complete specialisation, a segment with no firms) are
written as complementarity conditions with the Fischer–Burmeister function, which is zero exactly
when the complementarity holds and is smooth everywhere except at the double-zero point.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["fischer_burmeister", "box_complementarity", "logit", "expit"]


def fischer_burmeister(a: jax.Array, b: jax.Array) -> jax.Array:
    """φ(a, b) = a + b − √(a² + b²); zero iff a ≥ 0, b ≥ 0 and a·b = 0.

    The square root is a `hypot`, so it does not overflow, and its gradient is never NaN.
    """
    # At a = b = 0 the gradient of hypot is 0/0: substitute a point where it is defined, which
    # picks the element (1, 1) of the generalised Jacobian instead of a NaN.
    nonzero = (a != 0) | (b != 0)
    r = jnp.where(nonzero, jnp.hypot(jnp.where(nonzero, a, 1.0), jnp.where(nonzero, b, 0.0)), 0.0)
    return a + b - r


def box_complementarity(s: jax.Array, f: jax.Array, lower: float = 0.0, upper: float = 1.0):
    """Residual of the box complementarity problem for an unknown `s` in [lower, upper].

    It is zero iff: lower < s < upper and f = 0; or s = lower and f <= 0; or s = upper and f >= 0.
    (Sign convention: `f > 0` pushes `s` up, as for a profit gap.) Billups' composition
    φ(s − l, −φ(u − s, f)).

    **Arguments:** `s` the unknown, `f` the excess ("gain from more s"), `lower`, `upper` the box.

    **Returns:** an array of the broadcast shape, zero at a solution.
    """
    return fischer_burmeister(s - lower, -fischer_burmeister(upper - s, f))


def logit(p: jax.Array) -> jax.Array:
    """log(p / (1 − p)): a share in (0, 1) to an unconstrained real."""
    return jnp.log(p) - jnp.log1p(-p)


def expit(z: jax.Array) -> jax.Array:
    """The inverse of `logit`."""
    return jax.nn.sigmoid(z)
