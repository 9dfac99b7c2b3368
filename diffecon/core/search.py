"""Traceable searches: fixed-step bisection and the boundary of a discrete outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["bisect", "boundary"]


def bisect(root_above: Callable[[Any], Any], lo: Any, hi: Any, steps: int) -> tuple[Any, Any]:
    """Halve the bracket [lo, hi] `steps` times.

    A fixed count (no tolerance test) keeps every element of a `vmap` batch in step, so a
    batch costs the same as one point.

    **Arguments:** `root_above(mid)`: True where the sought point lies above `mid` (arrays
    allowed: each element keeps its own bracket); `lo`, `hi`: the bracket; `steps`: halvings.

    **Returns:** `(lo, hi)`, the final bracket.
    """

    def halve(_, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        above = root_above(mid)
        return jnp.where(above, mid, lo), jnp.where(above, hi, mid)

    return jax.lax.fori_loop(0, steps, halve, (lo, hi))


def boundary(
    outcome: Callable[[Any], Any], start: Any, end: Any, *, steps: int = 50
) -> tuple[jax.Array, jax.Array]:
    """Where a discrete outcome changes along the segment from `start` to `end`.

    Bisects on t ∈ [0, 1] for the point `start + t (end − start)` at which
    `outcome(point)` first differs from `outcome(start)` (e.g. a regime code from a solve, or
    whether an equilibrium exists). Assumes one change along the segment; traceable.

    **Arguments:** `outcome`: point -> a discrete value (int or bool array); `start`, `end`:
    the segment's ends (arrays or pytrees of arrays of one structure); `steps`: halvings
    (the bracket on t shrinks to 2^-steps).

    **Returns:** `(t, changed)`: the crossing in [0, 1] (the midpoint of the final bracket) and
    whether `outcome(end)` differs from `outcome(start)` (where it does not, `t` is 1).
    """

    def at(t):
        return jax.tree_util.tree_map(lambda a, b: a + t * (b - a), start, end)

    base = outcome(start)
    changed = jnp.any(outcome(end) != base)
    lo, hi = bisect(lambda t: jnp.all(outcome(at(t)) == base), jnp.asarray(0.0), jnp.asarray(1.0), steps)
    return jnp.where(changed, 0.5 * (lo + hi), 1.0), changed
