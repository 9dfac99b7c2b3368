"""Exact comparative statics: derivatives of equilibrium outcomes with respect to parameters.

The derivative runs through `solve`'s implicit solution, dx/dθ = −(∂F/∂x)⁻¹ ∂F/∂θ at the
equilibrium (the implicit function theorem); nothing is differentiated through iterations and
nothing is finite-differenced. The Jacobian is built by forward mode (one tangent solve per
parameter element) or by reverse mode (one transposed solve, the implicit adjoint, per outcome
element), whichever needs fewer: 31 rows instead of 38,440 columns for every NAFTA tariff's
effect on every region's real income.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ._model import AbstractModel, initial_guess, is_concrete
from ._solve import (
    Equilibrium,
    compiled_call,
    find,
    finish,
    first_stage,
    raise_if_failed,
    solve_impl,
)
from ._solver import Solver, as_solver
from ._tree import check_field_names, replace_fields

__all__ = ["jacobian", "elasticity", "ift_jacobian"]

Of = str | Sequence[str] | Callable[[Equilibrium], jax.Array]
Mode = Literal["auto", "forward", "reverse"]
MODES = ("auto", "forward", "reverse")


class _Callable:
    """A callable `of=`, compared by what it computes: its code, defaults and closure values.

    Two lambdas written at the same place with the same captured values select the same thing,
    so a fresh `lambda eq: ...` on every call reuses the compiled program instead of
    recompiling. A closure over an unhashable value (an array) falls back to identity.
    """

    __slots__ = ("fn", "key")

    def __init__(self, fn: Callable):
        self.fn = fn
        code = getattr(fn, "__code__", None)
        try:
            cells = tuple(c.cell_contents for c in (getattr(fn, "__closure__", None) or ()))
            key = (code, getattr(fn, "__defaults__", None), cells) if code is not None else (fn,)
            hash(key)
        except (TypeError, ValueError):
            key = (id(fn),)
        self.key = key

    def __call__(self, eq: Equilibrium) -> Any:
        return self.fn(eq)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _Callable) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


class OutcomeSelector(eqx.Module):
    """Picks outcomes from an `Equilibrium`; hashable, so jitted callers cache on it."""

    keys: tuple[str, ...] = eqx.field(static=True)
    fn: _Callable | None = eqx.field(static=True, default=None)

    def __call__(self, eq: Equilibrium) -> dict:
        if self.fn is not None:
            return {self.keys[0]: jnp.asarray(self.fn(eq))}
        return {k: jnp.asarray(eq[k]) for k in self.keys}


@functools.lru_cache(maxsize=256)
def _named_selector(keys: tuple[str, ...]) -> OutcomeSelector:
    # Building an equinox Module costs ~10 µs: a warm single call reuses it.
    return OutcomeSelector(keys)


def outcome_selector(of: Of) -> OutcomeSelector:
    """Normalise `of` (a name, a list of names, or a callable `Equilibrium -> Array`)."""
    if isinstance(of, OutcomeSelector):
        return of
    if isinstance(of, str):
        return _named_selector((of,))
    if callable(of):
        key = getattr(of, "__name__", "value")
        return OutcomeSelector(("value" if key == "<lambda>" else key,), _Callable(of))
    if isinstance(of, str):
        return OutcomeSelector((of,))
    keys = tuple(of)
    if not keys or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"of={of!r}: pass an outcome name, a list of names, or a callable.")
    return _named_selector(keys)


def _float(values: dict) -> dict:
    return {k: v for k, v in values.items() if jnp.issubdtype(jnp.asarray(v).dtype, jnp.inexact)}


def _size(tree: Any) -> int:
    return sum(int(np.prod(np.shape(leaf))) for leaf in jax.tree_util.tree_leaves(tree))


def choose_mode(mode: str, n_parameters: int, n_outcomes: int) -> str:
    """"forward" or "reverse": `mode` itself, or for "auto" the one with fewer linear solves
    (reverse when the parameters have more elements than the outcomes)."""
    if mode not in MODES:
        raise ValueError(f"mode={mode!r}: use 'auto' (default), 'forward' or 'reverse'.")
    if mode == "auto":
        return "reverse" if n_parameters > n_outcomes else "forward"
    return mode


def linear_jacobian(linear: Callable, params: dict, out: dict, mode: str) -> dict:
    """`{outcome: {parameter: array}}` of a linear map `params -> out` (a `jax.linearize`).

    Forward: `linear` on each parameter direction (a column per parameter element); reverse: its
    transpose on each outcome direction (a row per outcome element). Same numbers either way.
    """
    flat_p, unravel_p = ravel_pytree(params)
    flat_o, unravel_o = ravel_pytree(out)
    if mode == "forward":
        cols = jax.vmap(lambda t: ravel_pytree(linear(unravel_p(t)))[0])(jnp.eye(flat_p.size, dtype=flat_p.dtype))
        matrix = cols.T  # outcomes × parameters
    else:
        transpose = jax.linear_transpose(linear, params)
        matrix = jax.vmap(lambda c: ravel_pytree(transpose(unravel_o(c))[0])[0])(
            jnp.eye(flat_o.size, dtype=flat_o.dtype))
    # Blocks in ravel_pytree's order (tree_leaves': a dict's sorted keys), named by their paths.
    out_leaves = [(path[0].key, y) for path, y in jax.tree_util.tree_flatten_with_path(out)[0]]
    param_leaves = [(path[0].key, p) for path, p in jax.tree_util.tree_flatten_with_path(params)[0]]
    jac: dict[str, dict[str, jax.Array]] = {}
    row = 0
    for k, y in out_leaves:
        y_size = int(np.prod(np.shape(y)))
        jac[k], col = {}, 0
        for n, p in param_leaves:
            p_size = int(np.prod(np.shape(p)))
            block = matrix[row:row + y_size, col:col + p_size]
            jac[k][n] = block.reshape(np.shape(y) + np.shape(p)).astype(jnp.result_type(y))
            col += p_size
        row += y_size
    return jac


def ift_jacobian(
    model: AbstractModel, x0: Any, select: Of | OutcomeSelector, wrt: tuple[str, ...],
    solver: Solver | None = None, found: tuple[jax.Array, jax.Array] | None = None, mode: Mode = "auto",
) -> tuple[dict, dict, Equilibrium]:
    """Outcomes and their exact derivatives at one equilibrium; vmappable, never raises.

    The building block of `jacobian` for callers that also want the outcomes, or run it inside
    their own `jit` or `vmap`: one program, the solve included.

    **Arguments:** `model`; `x0` (start; None: the model's guess); `select` (an outcome name,
    a list of names, a callable, or an `OutcomeSelector`); `wrt` (parameter names); `solver`
    (a `Solver`; None: the defaults); `found`: `(flat unknowns, steps)` already solved for
    (default: solve here); `mode`: "forward" (a tangent solve per parameter element),
    "reverse" (a transposed solve per outcome element) or "auto" (reverse when the parameters
    have more elements than the float outcomes, else forward).

    **Returns:** `(values, derivatives, eq)`: the selected outcomes, `{outcome: {parameter:
    array}}` (NaN where the solve failed or the derivative is not finite: a singular Jacobian),
    and the `Equilibrium` (its `converged` and `reason` per element).
    """
    select, solver = outcome_selector(select), as_solver(solver)
    x0 = initial_guess(model) if x0 is None else x0
    params = {n: getattr(model, n) for n in wrt}

    def outcomes_of(p):
        m = replace_fields(model, p)
        eq = solve_impl(m, x0, solver) if found is None else finish(m, found[0], x0, solver, found[1])
        values = select(eq)
        return _float(values), (values, eq)

    # One linearisation (the solve and the factorisation of ∂F/∂x happen once), then columns
    # or rows of the linear map, whichever are fewer.
    out, linear, (values, eq) = jax.linearize(outcomes_of, params, has_aux=True)
    jac = linear_jacobian(linear, params, out, choose_mode(mode, _size(params), _size(out)))
    jac = jax.tree_util.tree_map(
        lambda d: jnp.where(eq.converged & jnp.isfinite(d), d, jnp.nan), jac)
    return values, jac, eq


@eqx.filter_jit
def _jacobian_impl(model, wrt, select, x0, solver, found, mode):
    return ift_jacobian(model, x0, select, wrt, solver, found, mode)


def _scaled(values: dict, jac: dict, model: AbstractModel, wrt: tuple[str, ...], xp: Any) -> dict:
    """Elasticities from derivatives: d(of)/d(wrt) · wrt / of, with `xp` NumPy or jax.numpy;
    NaN where the scale wrt / of is not finite (an outcome of zero)."""
    out = {}
    for k in jac:
        y = xp.asarray(values[k])
        out[k] = {}
        for n in wrt:
            theta = xp.asarray(getattr(model, n))
            scale = theta.reshape((1,) * y.ndim + theta.shape) / y.reshape(y.shape + (1,) * theta.ndim)
            out[k][n] = xp.where(xp.isfinite(scale), jac[k][n] * scale, xp.nan)
    return out


def _zero_outcome(y: Any, derivs: dict, thetas: dict, tol: float, xp: Any) -> Any:
    """Whether an outcome is zero in equilibrium (its elasticity undefined), with `xp` NumPy or
    jax.numpy. An outcome that is zero (a trade balance) is zero only up to the solve's
    tolerance: relative to its own response it is rounding, not a level. Each element is
    compared with its own response (outcomes may differ by orders of magnitude)."""
    response = xp.zeros(y.shape, y.dtype)
    for n, d in derivs.items():
        scaled = xp.abs(d * thetas[n].reshape((1,) * y.ndim + thetas[n].shape))
        response = xp.maximum(response, scaled.reshape(y.shape + (-1,)).max(axis=-1, initial=0.0))
    return xp.any((y == 0) | (xp.abs(y) <= tol * response))


def _question(model, x0, wrt, select, solver, mode, elastic):
    """A whole `jacobian` or `elasticity` at concrete parameters in one compiled call: the guess
    (when `x0` is None), the root finder, the derivatives at what it found, and every check
    the caller would make, folded into one flag. Only the answer and the flag leave the
    program (each returned array costs a microsecond or more, each host read several). Where
    the flag is False (the root finder failed, the point is not an equilibrium, a derivative
    or an elasticity is undefined) the caller takes the general path, which runs the fallback
    or raises the error in words."""
    x0 = model.guess() if x0 is None else x0
    flat, ok, steps = first_stage(model, x0, solver)
    values, jac, eq = ift_jacobian(model, x0, select, wrt, solver, (flat, steps), mode)
    good = ok & eq.converged
    if not all(jnp.issubdtype(jnp.asarray(values[k]).dtype, jnp.inexact) for k in select.keys):
        return jac, jnp.zeros((), bool)  # the general path names the outcome with no derivative
    for k in select.keys:
        for n in wrt:
            good = good & jnp.all(jnp.isfinite(jac[k][n]))
    if elastic:
        thetas = {n: jnp.asarray(getattr(model, n)) for n in wrt}
        for k in select.keys:
            zero = _zero_outcome(jnp.asarray(values[k]), jac[k], thetas, solver.tol, jnp)
            good = good & ~zero
        jac = _scaled(values, jac, model, wrt, jnp)
    return jac, good


def _fast(model, of, wrt, x0, solver, mode, elastic):
    """`{outcome: {parameter: array}}` of derivatives (or elasticities) by the one-call path,
    or None where it does not apply or did not succeed (then the general path decides)."""
    if not isinstance(model, AbstractModel) or mode not in MODES:
        return None
    wrt = check_field_names(model, wrt, "wrt")
    select = outcome_selector(of)
    if select.fn is not None or not is_concrete((model, x0)):
        # A callable `of` is a new object on every call: it goes the hashed way, so that equal
        # callables share their program.
        return None
    solver = as_solver(solver)
    fast = compiled_call(_question, (wrt, select, solver, mode, elastic), model, x0)
    # Traced results (inside an outer trace, a model closed over by a jitted function) or a
    # failed check: the general path decides.
    if fast is None or not is_concrete(fast[1]) or not bool(fast[1]):
        return None
    return fast[0]


def _derivatives(model, of, wrt, x0, solver, mode):
    if not isinstance(model, AbstractModel):
        raise TypeError(f"expected a diffecon model, got {type(model).__name__}.")
    choose_mode(mode, 0, 0)  # a bad `mode` is named before any solve
    wrt = check_field_names(model, wrt, "wrt")
    select = outcome_selector(of)
    solver = as_solver(solver)
    x0 = initial_guess(model) if x0 is None else x0
    # The search is shared with `solve` (same compiled stages); only the derivative is new.
    found = find(model, x0, solver) if is_concrete((model, x0)) else None
    values, jac, eq = _jacobian_impl(model, wrt, select, x0, solver, found, mode)
    raise_if_failed(eq)
    for k in select.keys:
        if not jnp.issubdtype(jnp.asarray(values[k]).dtype, jnp.inexact):
            raise ValueError(f"outcome {k!r} is not a float quantity; it has no derivative.")
    if not is_concrete(jac):  # traced (inside jit or vmap): undefined derivatives stay NaN
        return select.keys, wrt, jac, values
    for k in select.keys:
        for n in wrt:
            if not bool(np.all(np.isfinite(np.asarray(jac[k][n])))):
                raise ValueError(
                    f"d{k}/d{n} is not defined at this equilibrium of {type(model).__name__}: the "
                    "Jacobian of the equilibrium conditions is singular there (a corner, a kink "
                    "or a regime boundary)."
                )
    return select.keys, wrt, jac, values


def _single(of: Of, wrt: Any) -> bool:
    return (isinstance(of, str) or callable(of)) and isinstance(wrt, str)


def _pick(out: dict, of: Of, wrt: Any) -> Any:
    """The array for single names, else the dict of dicts."""
    if _single(of, wrt):
        return next(iter(next(iter(out.values())).values()))
    return out


def jacobian(
    model: AbstractModel, of: Of, wrt: str | Sequence[str], *, x0: Any = None,
    solver: Solver | None = None, mode: Mode = "auto",
):
    """Exact derivatives d(of)/d(wrt) at the equilibrium of `model`.

    **Arguments:**
    - `model`: the model at whose equilibrium to differentiate;
    - `of`: an outcome name, a list of names, or a callable `Equilibrium -> Array`;
    - `wrt`: a parameter name or a list of names (float fields of `model`);
    - `x0`, `solver`: as for `solve`;
    - `mode`: how the Jacobian is built, after one solve and one factorisation of the
      equilibrium Jacobian ∂F/∂x: `"forward"`, one tangent solve per element of the parameters;
      `"reverse"`, one transposed solve (the implicit adjoint) per element of the float
      outcomes; `"auto"` (default), reverse when the parameters have more elements than the
      outcomes, else forward. The numbers agree to rounding; e.g. every region's real income
      in every tariff of Caliendo–Parro's NAFTA data (31 outcomes, 38,440 tariffs) is reverse.

    **Returns:** an array (shape `outcome.shape + parameter.shape`) when `of` and `wrt` are
    single names (or `of` a callable), otherwise `{outcome: {parameter: array}}`. Raises
    `SolveError` when the solve fails and `ValueError` where a derivative is not defined.
    """
    jac = _fast(model, of, wrt, x0, solver, mode, False)
    if jac is not None:
        return _pick(jac, of, wrt)
    _, _, jac, _ = _derivatives(model, of, wrt, x0, solver, mode)
    return _pick(jac, of, wrt)


def elasticity(
    model: AbstractModel, of: Of, wrt: str | Sequence[str], *, x0: Any = None,
    solver: Solver | None = None, mode: Mode = "auto",
):
    """Exact elasticities d ln(of) / d ln(wrt): the papers' "hat" comparative statics.

    For example `elasticity(Krugman1980(L1=2.0), "omega", "L1")` is ω̂/L̂₁ with L₂ held fixed.
    An elasticity of an outcome that is zero at the equilibrium is not defined: `ValueError`.

    **Arguments:** as for `jacobian` (`mode` included).

    **Returns:** as for `jacobian` (the same rule for single names).
    """
    out = _fast(model, of, wrt, x0, solver, mode, True)
    if out is not None:
        return _pick(out, of, wrt)
    keys, wrt_names, jac, values = _derivatives(model, of, wrt, x0, solver, mode)
    tol = as_solver(solver).tol
    out: dict[str, dict[str, jax.Array]] = {}
    if not is_concrete((jac, values, model)):
        # Traced (inside jit, vmap or a sweep's `of`): the same scaling with JAX operations; an
        # elasticity of a zero outcome is NaN there, as no error can be raised.
        return _pick(_scaled(values, {k: jac[k] for k in keys}, model, wrt_names, jnp), of, wrt)
    for k in keys:
        # Host arithmetic: the values are concrete, and eager JAX ops cost a dispatch each.
        y = np.asarray(values[k])
        derivs = {n: np.asarray(jac[k][n]) for n in wrt_names}
        thetas = {n: np.asarray(getattr(model, n)) for n in wrt_names}
        if bool(_zero_outcome(y, derivs, thetas, tol, np)):
            raise ValueError(
                f"the elasticity of {k!r} is not defined at this equilibrium of "
                f"{type(model).__name__}: {k} = 0 there (use jacobian for its derivative)."
            )
        scaled = _scaled({k: y}, {k: derivs}, model, wrt_names, np)[k]
        out[k] = {n: jnp.asarray(v) for n, v in scaled.items()}
    return _pick(out, of, wrt)
