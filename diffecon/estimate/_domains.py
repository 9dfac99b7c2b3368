"""Free parameters in an unconstrained space: bounds read from a model's `requirements()`.

The rule (elementwise, for each free parameter θ with admissible interval (lo, hi)):

- no bound:            θ = u                           (u = θ)
- lower bound lo only: θ = lo + exp(u)                 (u = log(θ − lo); `positive` → log θ,
                                                        `greater_than(1)`/`at_least(1)` → log(θ − 1))
- upper bound hi only: θ = hi − exp(u)                 (u = log(hi − θ))
- both:                θ = lo + (hi − lo)·expit(u)     (u = logit((θ − lo)/(hi − lo)))

Closed bounds (`at_least`, `between(..., closed=...)`) are treated as open: the end point itself
is never reached by the fit, and a start exactly on it is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..core import Model


def requirement_bounds(model: Model) -> dict[str, tuple[float, float]]:
    """(lower, upper) per parameter, the tightest of its requirements' numeric bounds
    (±inf where none)."""
    bounds: dict[str, tuple[float, float]] = {}
    for req in model.requirements():
        old_lo, old_hi = bounds.get(req.name, (-np.inf, np.inf))
        bounds[req.name] = (max(old_lo, float(req.lower)), min(old_hi, float(req.upper)))
    return bounds


def free_bounds(
    model: Model, free: Sequence[str], user: Mapping[str, Any] | None
) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """Bounds for the free parameters (user's `bounds` override the model's) and, per
    parameter, the unconstrained coordinate in words (for reports)."""
    user = dict(user or {})
    unknown = set(user) - set(free)
    if unknown:
        raise ValueError(
            f"bounds given for {', '.join(sorted(unknown))}, which {'is' if len(unknown) == 1 else 'are'} "
            f"not among the free parameters ({', '.join(free)})."
        )
    from_model = requirement_bounds(model)
    out, coords = {}, {}
    for name in free:
        lo, hi = from_model.get(name, (-np.inf, np.inf))
        if name in user:
            ulo, uhi = user[name]
            lo = -np.inf if ulo is None else float(ulo)
            hi = np.inf if uhi is None else float(uhi)
            if not lo < hi:
                raise ValueError(f"bounds[{name!r}] = {user[name]}: the lower bound must be below the upper.")
        out[name] = (lo, hi)
        coords[name] = _coordinate_text(name, lo, hi)
    return out, coords


def _coordinate_text(name: str, lo: float, hi: float) -> str:
    if np.isfinite(lo) and np.isfinite(hi):
        return f"logit(({name} − {lo:g})/{hi - lo:g})"
    if np.isfinite(lo):
        return f"log({name})" if lo == 0 else f"log({name} − {lo:g})"
    if np.isfinite(hi):
        return f"log({hi:g} − {name})"
    return name


def check_inside(name: str, value: np.ndarray, lo: float, hi: float) -> None:
    """A start on or outside the open interval has no unconstrained coordinate."""
    if np.all((value > lo) & (value < hi)):
        return
    shown = value.item() if value.ndim == 0 else value.tolist()
    raise ValueError(
        f"free parameter {name}={shown} starts on or outside the open interval ({lo:g}, {hi:g}) "
        f"in which the calibration searches (its unconstrained coordinate is "
        f"{_coordinate_text(name, lo, hi)}); start strictly inside."
    )


def to_unconstrained(theta: Any, lo: Any, hi: Any, xp: Any = jnp) -> Any:
    """u(θ) by the module's rule; `lo`, `hi` are arrays of θ's shape (±inf where unbounded);
    `xp` is the array namespace (`jax.numpy` inside traced code, `numpy` outside)."""
    has_lo, has_hi = xp.isfinite(lo), xp.isfinite(hi)
    # Placeholders keep every branch finite; `where` picks the right one.
    safe_lo, safe_hi = xp.where(has_lo, lo, 0.0), xp.where(has_hi, hi, 1.0)
    width = xp.where(has_lo & has_hi, safe_hi - safe_lo, 1.0)
    frac = xp.clip((theta - safe_lo) / width, 1e-300, 1 - 1e-16)
    both = xp.log(frac) - xp.log1p(-frac)
    below = xp.log(xp.maximum(theta - safe_lo, 1e-300))
    above = xp.log(xp.maximum(safe_hi - theta, 1e-300))
    return xp.where(has_lo & has_hi, both, xp.where(has_lo, below, xp.where(has_hi, above, theta)))


def from_unconstrained(u: Any, lo: Any, hi: Any, xp: Any = jnp) -> Any:
    """θ(u), the inverse of `to_unconstrained`."""
    has_lo, has_hi = xp.isfinite(lo), xp.isfinite(hi)
    safe_lo, safe_hi = xp.where(has_lo, lo, 0.0), xp.where(has_hi, hi, 1.0)
    both = safe_lo + (safe_hi - safe_lo) * xp.where(has_lo & has_hi, 1 / (1 + xp.exp(-u)), 0.0)
    below = safe_lo + xp.exp(xp.where(has_lo & ~has_hi, u, 0.0))
    above = safe_hi - xp.exp(xp.where(~has_lo & has_hi, u, 0.0))
    return xp.where(has_lo & has_hi, both, xp.where(has_lo, below, xp.where(has_hi, above, u)))


def dtheta_du(theta: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """dθ/du of `from_unconstrained`, written in θ (NumPy)."""
    has_lo, has_hi = np.isfinite(lo), np.isfinite(hi)
    both = (theta - lo) * (hi - theta) / np.where(has_lo & has_hi, hi - lo, 1.0)
    return np.where(has_lo & has_hi, both, np.where(has_lo, theta - lo, np.where(has_hi, hi - theta, 1.0)))
