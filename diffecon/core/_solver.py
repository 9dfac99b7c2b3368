"""`Solver`: every setting of an equilibrium solve, defined once."""

from __future__ import annotations

import functools
from typing import Any

import equinox as eqx

__all__ = ["Solver"]

# float32 carries ~7 digits: its residual test is 1e-4 (a 0.01% relative error in a unit-free
# equation) instead of float64's 1e-8, and Newton's stopping test 1e-5: at 1e-6, rounding noise
# keeps a few points iterating to `max_steps`, and under vmap their whole chunk waits (30×
# slower, measured).
_DEFAULTS = {
    "float64": dict(rtol=1e-10, atol=1e-10, tol=1e-8),
    "float32": dict(rtol=1e-5, atol=1e-5, tol=1e-4),
}

_FALLBACKS = ("levenberg_marquardt", "continuation", "newton", "none")


class Solver(eqx.Module):
    """How `solve`, `jacobian`, `elasticity`, `sweep` and `calibrate` find an equilibrium.

    Hashable and static: one compiled program per distinct `Solver`.

    **Fields:**
    - `rtol`, `atol`: Newton's step and residual tolerances (default 1e-10 in float64, 1e-5 in
      float32);
    - `tol`: a point is accepted when the max-norm of the unit-free residuals is at most `tol`
      (1e-8 in float64, 1e-4 in float32) and every residual is finite;
    - `max_steps`: iteration cap of each stage;
    - `root_finder`: an optimistix root finder for the first stage (default: Newton);
    - `fallback`: what runs where the first stage fails: `"continuation"` (default:
      Levenberg–Marquardt from the start point, then a homotopy from the model's default
      parameters to the requested ones), `"levenberg_marquardt"` (the first of those only),
      `"newton"` (Newton from the start point with `linear_solver`: no dense Jacobian, for a
      large model whose first stage is a root finder of its own), or `"none"`;
    - `linear_solver`: a lineax solver for Newton's steps and the implicit derivatives (default:
      the model's `linear_solver()` hint);
    - `dtype`: `"float64"` (default) or `"float32"` (opt-in, `sweep` only);
    - `continuation_steps`: parameter steps of the homotopy fallback.
    """

    rtol: float | None = eqx.field(static=True, default=None)
    atol: float | None = eqx.field(static=True, default=None)
    tol: float | None = eqx.field(static=True, default=None)
    max_steps: int = eqx.field(static=True, default=100)
    root_finder: Any = eqx.field(static=True, default=None)
    fallback: str = eqx.field(static=True, default="continuation")
    linear_solver: Any = eqx.field(static=True, default=None)
    dtype: str = eqx.field(static=True, default="float64")
    continuation_steps: int = eqx.field(static=True, default=16)

    def __check_init__(self) -> None:
        if self.dtype not in _DEFAULTS:
            raise ValueError(f"Solver: dtype={self.dtype!r}; use 'float64' (default) or 'float32'.")
        if self.fallback not in _FALLBACKS:
            raise ValueError(f"Solver: fallback={self.fallback!r}; use one of {', '.join(_FALLBACKS)}.")
        for name in ("rtol", "atol", "tol"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and 0 < value < 1):
                raise ValueError(f"Solver: {name}={value!r}; it must be a number in (0, 1).")
        for name in ("max_steps", "continuation_steps"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"Solver: {name}={value!r}; it must be a positive integer.")

    def resolved(self) -> Solver:
        """This solver with the tolerances left at None set to its precision's defaults."""
        defaults = _DEFAULTS[self.dtype]
        values = {k: defaults[k] if getattr(self, k) is None else getattr(self, k) for k in defaults}
        return Solver(**{**_fields(self), **values})


def _fields(solver: Solver) -> dict[str, Any]:
    return {name: getattr(solver, name) for name in solver.__dataclass_fields__}


_DEFAULT: Solver | None = None  # Solver(), made once
# Resolved solvers by the identity of the object passed (each kept alive with its entry, so an
# `id` is never reused while it is a key): hashing an equinox Module costs ~25 µs, a tenth of a
# warm single solve, and a call that passes no solver (or the same one again) must not pay it.
_BY_ID: dict[int, tuple[Solver, Solver]] = {}
_BY_ID_MAX = 64


def as_solver(solver: Solver | None, **legacy: Any) -> Solver:
    """The resolved `Solver` of a call: `solver=`, else the defaults; keyword options override."""
    global _DEFAULT
    legacy = {k: v for k, v in legacy.items() if v is not None}
    if solver is None:
        if _DEFAULT is None:
            _DEFAULT = Solver()
        if not legacy:
            return as_solver(_DEFAULT)
        solver = _DEFAULT  # unresolved: `dtype=` below still picks its precision's tolerances
    if not isinstance(solver, Solver):
        raise TypeError(
            f"solver={solver!r}: pass a diffecon.Solver (e.g. Solver(tol=1e-12)); an optimistix "
            "root finder goes in Solver(root_finder=...)."
        )
    if legacy:
        return _resolved(Solver(**{**_fields(solver), **legacy}))
    entry = _BY_ID.get(id(solver))
    if entry is None:
        if len(_BY_ID) >= _BY_ID_MAX:
            _BY_ID.clear()
        entry = _BY_ID[id(solver)] = (solver, _resolved(solver))
    return entry[1]


@functools.lru_cache(maxsize=64)
def _resolved(solver: Solver) -> Solver:
    # Building an equinox Module costs milliseconds; a warm single solve must not pay it.
    return solver.resolved()
