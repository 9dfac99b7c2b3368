"""The `Model` base class: what every equilibrium model in diffecon provides."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np

__all__ = ["Model", "Requirement", "param", "positive", "greater_than", "at_least", "between"]


def _as_float(value: Any) -> jax.Array:
    # Parameters become float64 arrays at construction, so `filter_jit` traces them (a Python
    # float would be static and recompile per value) and float32 never sneaks in silently.
    return jnp.asarray(value, dtype=jnp.float64)


def param(default: Any = None, **kwargs: Any) -> Any:
    """A float64 model parameter field (an `eqx.field` with a float converter).

    **Arguments:**
    - `default`: the paper's baseline value (omit for a required parameter).
    """
    if default is None:
        return eqx.field(converter=_as_float, **kwargs)
    return eqx.field(converter=_as_float, default=default, **kwargs)


class Requirement(NamedTuple):
    """One admissibility condition on a parameter.

    **Fields:** `name` (parameter name), `value` (its value), `ok` (boolean array, True where
    admissible), `domain` (the admissible domain in words, e.g. ``"sigma > 1"``), `lower`,
    `upper` (numeric bounds of the domain, ±inf where none or where the condition is not a
    bound; `calibrate` maps free parameters to an unconstrained space with them).
    """

    name: str
    value: Any
    ok: Any
    domain: str
    lower: float = -float("inf")
    upper: float = float("inf")


def positive(name: str, value: Any) -> Requirement:
    return Requirement(name, value, jnp.all(value > 0), f"{name} > 0", lower=0.0)


def greater_than(name: str, value: Any, bound: float) -> Requirement:
    return Requirement(name, value, jnp.all(value > bound), f"{name} > {bound:g}", lower=float(bound))


def at_least(name: str, value: Any, bound: float) -> Requirement:
    return Requirement(name, value, jnp.all(value >= bound), f"{name} >= {bound:g}", lower=float(bound))


def between(name: str, value: Any, lo: float, hi: float, *, closed: str = "neither") -> Requirement:
    """`lo < value < hi`; `closed` in {"neither", "left", "right", "both"} includes end points."""
    lo_ok = value >= lo if closed in ("left", "both") else value > lo
    hi_ok = value <= hi if closed in ("right", "both") else value < hi
    lb = "[" if closed in ("left", "both") else "("
    rb = "]" if closed in ("right", "both") else ")"
    return Requirement(
        name, value, jnp.all(lo_ok & hi_ok), f"{name} in {lb}{lo:g}, {hi:g}{rb}", float(lo), float(hi)
    )


def _is_concrete(tree: Any) -> bool:
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


class Model(eqx.Module):
    """Base class of every equilibrium model.

    A model is a frozen `eqx.Module` whose fields are its parameters. Subclasses implement:

    - `guess() -> PyTree`: a starting point valid over the whole admissible domain;
    - `residuals(x) -> dict[str, Array]`: the equilibrium conditions, one per unknown, each
      unit-free (a relative error or log-ratio); the dict keys name the equations in errors;
    - `outcomes(x) -> dict[str, Array]`: everything a user reads;
    - `requirements() -> Sequence[Requirement]`: the admissible parameter domain.

    Concrete parameters outside the domain raise `ValueError` at construction; traced ones are
    checked by `solve` (an error under `throw=True`, `converged=False` under `throw=False`).
    """

    @abc.abstractmethod
    def guess(self) -> Any: ...

    @abc.abstractmethod
    def residuals(self, x: Any) -> dict[str, jax.Array]: ...

    @abc.abstractmethod
    def outcomes(self, x: Any) -> dict[str, jax.Array]: ...

    def requirements(self) -> Sequence[Requirement]:
        return ()

    def explain_failure(self, eq: Any) -> str | None:
        """Why a solve failed, in the model's terms (e.g. no interior equilibrium exists here).

        `solve` appends the answer to its `SolveError` when the parameters are concrete. The
        default says nothing; a model whose domain has a known edge overrides it.

        **Arguments:** `eq`: the failed, unbatched `Equilibrium` (`throw=False`).

        **Returns:** one sentence, or None.
        """
        return None

    def linear_solver(self) -> Any:
        """The lineax solver for Newton's steps and the implicit-function derivatives.

        Dense LU by default; a large model can return a matrix-free Krylov solver (only
        Jacobian-vector products, no N×N Jacobian), e.g. `Gravity(..., linear_solve="matrix_free")`.
        """
        return lx.AutoLinearSolver(well_posed=None)

    def __check_init__(self) -> None:
        check_requirements(self)


@eqx.filter_jit
def initial_guess(model: Model) -> Any:
    """`model.guess()`, compiled once per model structure.

    Called eagerly, a guess with a loop in it (a bisection for the start point) would be traced
    and compiled again on every `solve`; under `filter_jit` it is cached like the solve itself.
    """
    return model.guess()


def check_requirements(model: Model) -> None:
    """Raise `ValueError` for the first concrete parameter outside its admissible domain."""
    for req in model.requirements():
        if not _is_concrete((req.value, req.ok)):
            continue
        if not bool(np.asarray(req.ok)):
            value = np.asarray(req.value)
            shown = value.item() if value.ndim == 0 else value.tolist()
            raise ValueError(
                f"{type(model).__name__}: parameter {req.name}={shown} is outside its admissible "
                f"domain ({req.domain})."
            )


def requirements_ok(model: Model) -> tuple[jax.Array, tuple[str, ...]]:
    """Per-requirement booleans (traceable) and their messages, for `solve`."""
    reqs = tuple(model.requirements())
    if not reqs:
        return jnp.ones((0,), bool), ()
    oks = jnp.stack([jnp.asarray(r.ok, bool) for r in reqs])
    msgs = tuple(
        f"{type(model).__name__}: parameter {r.name} is outside its admissible domain ({r.domain})."
        for r in reqs
    )
    return oks, msgs
