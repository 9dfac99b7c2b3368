"""Fixed-step bisection: traceable, vmappable, and free of data-dependent loop lengths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


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
