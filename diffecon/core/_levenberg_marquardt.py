"""A compact Levenberg–Marquardt loop: the fallback when Newton fails.

optimistix's least-squares solvers are general (any pytree, operators, trust-region searches)
but take 10–20 s to compile under `vmap`; this loop works on the flattened unknowns with a dense
Jacobian, which is all a fallback for small systems needs, and compiles in about a second. It is
only ever run on a stopped-gradient model: derivatives come from the Newton polish that follows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree


def levenberg_marquardt(
    residuals: Callable[[Any], Any], x0: Any, *, max_steps: int, tol: float
) -> tuple[Any, jax.Array]:
    """Minimise ½‖F(x)‖² by Levenberg–Marquardt with Marquardt's diagonal scaling.

    **Arguments:** `residuals` maps the unknowns (a pytree like `x0`) to a pytree of residuals;
    `max_steps` caps the iterations; the loop stops once max|F| ≤ `tol`.

    **Returns:** (the unknowns reached, the number of iterations).
    """
    flat0, unravel = ravel_pytree(x0)

    def F(v):
        return ravel_pytree(residuals(unravel(v)))[0]

    def cost(f):
        c = 0.5 * jnp.sum(f * f)
        return jnp.where(jnp.isfinite(c), c, jnp.inf)

    def cond(state):
        _, f, lam, k = state
        return (k < max_steps) & ~(jnp.max(jnp.abs(f), initial=0.0) <= tol) & (lam < 1e16)

    def body(state):
        v, f, lam, k = state
        J = jax.jacfwd(F)(v)
        A = J.T @ J
        g = J.T @ f
        damped = A + lam * (jnp.diag(jnp.diag(A)) + jnp.eye(A.shape[0], dtype=A.dtype) * 1e-12)
        step = -jnp.linalg.solve(damped, g)
        trial = v + step
        f_trial = F(trial)
        better = cost(f_trial) < cost(f)
        v = jnp.where(better, trial, v)
        f = jnp.where(better, f_trial, f)
        lam = jnp.where(better, jnp.maximum(lam / 3.0, 1e-12), lam * 4.0)
        return v, f, lam, k + 1

    state = (flat0, F(flat0), jnp.asarray(1e-3, flat0.dtype), jnp.asarray(0))
    v, _, _, steps = jax.lax.while_loop(cond, body, state)
    return unravel(v), steps
