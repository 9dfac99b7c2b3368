"""`AbstractModel`: what every equilibrium model in diffecon provides, and its parameters."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np

__all__ = [
    "AbstractModel", "AbstractParameters", "Model", "Requirement", "param", "positive", "greater_than", "at_least",
    "between",
]


class _NotANumber:
    """A parameter value that is not numeric (None, a string, an object).

    The field converter cannot raise a useful error (it does not know the field's name), so it
    wraps the value and `AbstractModel.__check_init__` raises one that names the parameter.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


def _as_float(value: Any) -> Any:
    # Parameters become float64 arrays at construction, so `filter_jit` traces them (a Python
    # float would be static and recompile per value) and float32 never sneaks in silently.
    if isinstance(value, jax.Array):
        if value.dtype == jax.dtypes.canonicalize_dtype(jnp.float64):
            # As it is: `jnp.asarray` would cost a dispatch for nothing. (The canonical dtype:
            # inside a float32 sweep, with 64-bit mode off, a float64 array still converts.)
            return value
        return jnp.asarray(value, dtype=jnp.float64)
    if value is None or isinstance(value, (str, bytes)):
        return _NotANumber(value)
    try:
        # Through NumPy: converting on the host and then placing it costs half of an eager
        # `convert_element_type` dispatch, and a model is built once per parameter value.
        host = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return _NotANumber(value)
    array = jnp.asarray(host)  # (with a dtype argument it costs twice as much)
    return array if array.dtype == jnp.float64 else jnp.asarray(host, dtype=jnp.float64)


_PARAM = "diffecon_param_ndim"


def param(default: Any = None, *, ndim: int | None = 0, **kwargs: Any) -> Any:
    """A float64 model parameter field (an `eqx.field` with a float converter).

    **Arguments:**
    - `default`: the paper's baseline value (omit for a required parameter);
    - `ndim`: the parameter's number of array dimensions (0, a scalar, by default; a vector of
      per-country values is 1; None allows any shape). A value of another rank is rejected at
      construction with a ValueError naming the parameter: batches of values go through `sweep`.
    """
    metadata = dict(kwargs.pop("metadata", {}), **{_PARAM: ndim})
    if default is None:
        return eqx.field(converter=_as_float, metadata=metadata, **kwargs)
    return eqx.field(converter=_as_float, default=default, metadata=metadata, **kwargs)


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


def _comparable(value: Any) -> tuple[Any, Any]:
    """(value, array module) to test a bound with: a concrete value on the host with NumPy (two
    eager JAX dispatches per check made building a model cost more than solving it), a traced
    one with jax.numpy."""
    if isinstance(value, jax.core.Tracer):
        return value, jnp
    return np.asarray(value), np


def positive(name: str, value: Any) -> Requirement:
    """`value > 0` (every element)."""
    v, xp = _comparable(value)
    return Requirement(name, value, xp.all(v > 0), f"{name} > 0", lower=0.0)


def greater_than(name: str, value: Any, bound: float) -> Requirement:
    """`value > bound` (every element)."""
    v, xp = _comparable(value)
    return Requirement(name, value, xp.all(v > bound), f"{name} > {bound:g}", lower=float(bound))


def at_least(name: str, value: Any, bound: float) -> Requirement:
    """`value >= bound` (every element)."""
    v, xp = _comparable(value)
    return Requirement(name, value, xp.all(v >= bound), f"{name} >= {bound:g}", lower=float(bound))


def between(name: str, value: Any, lo: float, hi: float, *, closed: str = "neither") -> Requirement:
    """`lo < value < hi`; `closed` in {"neither", "left", "right", "both"} includes end points."""
    v, xp = _comparable(value)
    lo_ok = v >= lo if closed in ("left", "both") else v > lo
    hi_ok = v <= hi if closed in ("right", "both") else v < hi
    lb = "[" if closed in ("left", "both") else "("
    rb = "]" if closed in ("right", "both") else ")"
    return Requirement(
        name, value, xp.all(lo_ok & hi_ok), f"{name} in {lb}{lo:g}, {hi:g}{rb}", float(lo), float(hi)
    )


def is_concrete(tree: Any) -> bool:
    """True when no leaf of `tree` is a JAX tracer (values can be read on the host)."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


def _shown(value: Any) -> Any:
    array = np.asarray(value)
    return array.item() if array.ndim == 0 else array.tolist()


class AbstractParameters(eqx.Module):
    """A frozen module of checked parameters: the base of models and of the objects they hold
    (income distributions, say).

    Float fields declared with `param` are its parameters. At construction each one must be a
    finite number of its declared rank and lie inside `requirements()`; otherwise `ValueError`
    names the parameter, its value and its domain (traced values are left to the caller).
    `repr` shows the values.
    """

    def requirements(self) -> Sequence[Requirement]:
        """The admissible domain of the parameters (an empty tuple when there is none)."""
        return ()

    def __check_init__(self) -> None:
        check_parameters(self)
        check_requirements(self)

    def __repr__(self) -> str:
        parts = []
        for f in self.__dataclass_fields__.values():
            if not f.repr:
                continue
            value = getattr(self, f.name)
            if eqx.is_array(value) and is_concrete(value):
                array = np.asarray(value)
                shown = (f"{array.item():.6g}" if array.ndim == 0 else
                         np.array2string(array, precision=6, separator=", ", threshold=8))
            elif eqx.is_array(value):
                shown = f"{value.dtype}{list(value.shape)}"
            else:
                shown = repr(value)
            parts.append(f"{f.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"



class AbstractModel(AbstractParameters):
    """Base class of every equilibrium model.

    A model is a final `eqx.Module` whose float fields (declared with `param`) are its
    parameters. Subclasses implement:

    - `guess() -> PyTree`: a starting point valid over the whole admissible domain;
    - `residuals(x) -> dict[str, Array]`: the equilibrium conditions, one per unknown, each
      unit-free (a relative error or log-ratio); the dict keys name the equations in errors;
    - `outcomes(x) -> dict[str, Array]`: everything a user reads;
    - `requirements() -> Sequence[Requirement]`: the admissible parameter domain.

    Optional hooks: `validity(x)` (conditions a solution must meet to be an equilibrium),
    `explain_failure(eq)` (why a solve failed, in the model's terms), `linear_solver()`,
    `search_form()` (the residuals with their loop-invariant work done once, for the search).

    Every parameter is checked at construction: a value that is not a number, not finite, of
    the wrong rank, or outside `requirements()` raises `ValueError` naming it. Traced values
    are checked by `solve` (an error under `throw=True`, `converged=False` with a reason under
    `throw=False` and in `sweep`).
    """

    @abc.abstractmethod
    def guess(self) -> Any:
        """A starting point for the unknowns, valid over the whole admissible domain."""

    @abc.abstractmethod
    def residuals(self, x: Any) -> dict[str, jax.Array]:
        """The equilibrium conditions at the unknowns `x`, one unit-free equation per unknown."""

    @abc.abstractmethod
    def outcomes(self, x: Any) -> dict[str, jax.Array]:
        """Everything a user reads, at the unknowns `x`."""

    @abc.abstractmethod
    def requirements(self) -> Sequence[Requirement]:
        """The admissible domain of the parameters (an empty tuple when there is none)."""

    def validity(self, x: Any) -> dict[str, jax.Array]:
        """Conditions a solution must meet to be an equilibrium of this model.

        A root of `residuals` that fails one (a negative mass, a broken cutoff ordering, a
        regime other than the one the equations assume) is not converged, and the failed
        condition's name is its reason.

        **Returns:** a dict of condition name -> bool array (True where the condition holds).
        """
        return {}

    def search_form(self) -> Any:
        """The model as the root finder's iterations evaluate it.

        Newton's loop evaluates `residuals` at every step, and what does not depend on the
        unknowns (an N×N cost matrix, say) would be computed again each time. A model may return
        an object whose `residuals(x)` equals its own with that work done once, here, outside
        the loop. It is used only to search (the root finders on the stopped-gradient model, and
        their own verdicts); the convergence check, outcomes and derivatives use the model itself.

        **Returns:** `self` (the default), or an object with the same `residuals`.
        """
        return self

    def explain_failure(self, eq: Any) -> str | None:
        """Why a solve failed, in the model's terms (e.g. no interior equilibrium exists here).

        `solve` appends the answer to its `SolveError` when the parameters are concrete. By
        convention a model whose parameters admit no equilibrium says so with a sentence that
        starts "No equilibrium" (or "No interior equilibrium").

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


Model = AbstractModel  # the 0.1 name


def parameter_names(model: AbstractParameters) -> tuple[str, ...]:
    """The names of `model`'s `param` fields, in declaration order."""
    return tuple(
        f.name for f in model.__dataclass_fields__.values() if _PARAM in (f.metadata or {})
    )


def check_parameters(model: AbstractParameters) -> None:
    """Raise `ValueError` for a parameter that is not a finite number of its declared rank."""
    cls = type(model).__name__
    for f in model.__dataclass_fields__.values():
        if _PARAM not in (f.metadata or {}):
            continue
        value = getattr(model, f.name)
        ndim = f.metadata[_PARAM]
        if isinstance(value, _NotANumber):
            raise ValueError(
                f"{cls}: parameter {f.name}={value!r} is not a number; {f.name} takes "
                f"{_rank_words(ndim)} of floats."
            )
        if ndim is not None and jnp.ndim(value) != ndim:
            hint = (
                f" To solve at many values of {f.name}, use diffecon.sweep(model, "
                f"{{{f.name!r}: values}})." if ndim == 0 else ""
            )
            raise ValueError(
                f"{cls}: parameter {f.name} has shape {tuple(jnp.shape(value))}, but it is "
                f"{_rank_words(ndim)}.{hint}"
            )
        if is_concrete(value) and not bool(np.all(np.isfinite(np.asarray(value)))):
            raise ValueError(
                f"{cls}: parameter {f.name}={_shown(value)} is not finite; "
                f"{_domain_of(model, f.name)}."
            )


def _rank_words(ndim: int | None) -> str:
    if ndim is None:
        return "an array"
    return "a scalar" if ndim == 0 else f"an array with {ndim} dimension{'s' if ndim > 1 else ''}"


def _domain_of(model: AbstractParameters, name: str) -> str:
    try:
        domains = [r.domain for r in model.requirements() if r.name == name]
    except Exception:  # requirements may not evaluate on a non-finite value
        domains = []
    return f"its admissible domain is {' and '.join(domains)}" if domains else "it must be finite"


def check_requirements(model: AbstractParameters) -> None:
    """Raise `ValueError` for the first concrete parameter outside its admissible domain."""
    for req in model.requirements():
        if not is_concrete((req.value, req.ok)):
            continue
        if not bool(np.asarray(req.ok)):
            raise ValueError(
                f"{type(model).__name__}: parameter {req.name}={_shown(req.value)} is outside its "
                f"admissible domain ({req.domain})."
            )


def requirements_ok(model: AbstractModel) -> tuple[jax.Array, tuple[str, ...]]:
    """Per-condition booleans (traceable) and their messages: first one finiteness check per
    parameter, then `model.requirements()` in order."""
    cls = type(model).__name__
    names = parameter_names(model)
    reqs = tuple(model.requirements())
    oks = [jnp.all(jnp.isfinite(getattr(model, n))) for n in names]
    oks += [jnp.asarray(r.ok, bool) for r in reqs]
    msgs = tuple(f"{cls}: parameter {n} is not finite." for n in names) + tuple(
        f"{cls}: parameter {r.name} is outside its admissible domain ({r.domain})." for r in reqs
    )
    if not oks:
        return jnp.ones((0,), bool), ()
    return jnp.stack(oks), msgs


@eqx.filter_jit
def initial_guess(model: AbstractModel) -> Any:
    """`model.guess()`, compiled once per model structure.

    Called eagerly, a guess with a loop in it (a bisection for the start point) would be traced
    and compiled again on every `solve`; under `filter_jit` it is cached like the solve itself.
    """
    return model.guess()
