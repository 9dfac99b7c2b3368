"""`solve`: a model's equilibrium as an implicit function of its parameters.

The search runs in stages on the stopped-gradient model: the root finder (Newton by default);
where it fails, the fallback (Levenberg–Marquardt from the start point, then a homotopy from
the model's default parameters). The differentiable path is separate: `implicit_solution`
attaches dx/dθ = −(∂F/∂x)⁻¹ ∂F/∂θ at the point found (the implicit function theorem), whichever
stage found it, with a linear solve that never raises: a singular or non-finite Jacobian gives
NaN derivatives for that element only, never an aborted batch.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx
from jax.flatten_util import ravel_pytree

from . import _reasons
from ._levenberg_marquardt import levenberg_marquardt
from ._model import AbstractModel, initial_guess, is_concrete, parameter_names, requirements_ok
from ._solver import Solver, as_solver
from ._tree import flat_with_names

__all__ = ["solve", "Equilibrium", "SolveError"]


class SolveError(RuntimeError):
    """The equilibrium solve did not converge (or the parameters are inadmissible)."""


class Equilibrium(eqx.Module):
    """The solution of `solve`.

    **Fields:**
    - `model`: the model solved (its parameters);
    - `x`: the unknowns at the solution, in the model's solving coordinates (logs, shares); where
      the solve failed, the point the solver reached (for diagnosis);
    - `outcomes`: dict of named outcomes (see the model's docstring); NaN where not converged;
    - `converged`: bool, True where the solve converged to a valid equilibrium (per element
      under `vmap`);
    - `reason`: int32 reason code, 0 where converged (`explain()` turns it into words);
    - `residual_norm`: max-norm of the (unit-free) equilibrium residuals at `x` (inf where a
      residual is not finite);
    - `steps`: number of solver iterations taken.

    Every float outcome is differentiable in every float parameter of `model` through the
    implicit function theorem (the derivative never runs through the iterations).
    """

    model: AbstractModel
    x: Any
    outcomes: dict
    converged: jax.Array
    reason: jax.Array
    residual_norm: jax.Array
    steps: jax.Array

    def __getitem__(self, name: str) -> jax.Array:
        """`eq["omega"]` is `eq.outcomes["omega"]`."""
        try:
            return self.outcomes[name]
        except KeyError:
            raise KeyError(
                f"{type(self.model).__name__} has no outcome {name!r}; "
                f"its outcomes are {', '.join(sorted(self.outcomes))}."
            ) from None

    def explain(self) -> str:
        """Why this (unbatched, concrete) equilibrium did or did not converge, in words."""
        return _reasons.describe(self.model, self.x, int(np.asarray(self.reason).ravel()[0]))

    def __repr__(self) -> str:
        if not is_concrete((self.converged, self.outcomes)) or np.ndim(self.converged):
            return f"Equilibrium({type(self.model).__name__}, outcomes={sorted(self.outcomes)})"
        shown = ", ".join(
            f"{k}={_short(v)}" for k, v in self.outcomes.items() if np.size(v) <= 4
        )
        return (f"Equilibrium({self.model!r}, converged={bool(self.converged)}, "
                f"residual_norm={float(self.residual_norm):.1e}, {shown})")


def _short(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item():.6g}" if array.dtype.kind == "f" else str(array.item())
    return np.array2string(array, precision=6, separator=", ")


def flat_residuals(unravel: Any) -> Any:
    """F(v, model) on one flat vector of unknowns and one of residuals (what Krylov needs)."""

    def fn(v: jax.Array, model: AbstractModel) -> jax.Array:
        return ravel_pytree(model.residuals(unravel(v)))[0]

    return fn


def residual_check(model: AbstractModel, x: Any, tol: float) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(finite, max-norm, solved) of the residuals at `x`.

    Finiteness is tested on its own: a max over many elements may drop a NaN on some backends,
    so a NaN residual must never reach the norm test.
    """
    vec, _ = flat_with_names(model.residuals(x))
    finite = jnp.all(jnp.isfinite(vec))
    norm = jnp.max(jnp.where(jnp.isfinite(vec), jnp.abs(vec), 0.0), initial=0.0)
    norm = jnp.where(finite, norm, jnp.inf)
    return finite, norm, finite & (norm <= tol)


def _linear_solver(model: AbstractModel, solver: Solver) -> Any:
    return model.linear_solver() if solver.linear_solver is None else solver.linear_solver


def _derivative_solver(model: AbstractModel, solver: Solver) -> Any:
    """None for a dense LU solve of the implicit derivatives, else the model's lineax solver.

    lineax's automatic choice treats a 1×1 operator as diagonal and solves a singular one by
    pseudo-inverse (dx = 0, silently wrong); LU makes a singular Jacobian give non-finite
    derivatives, which the callers turn into NaN with a reason.
    """
    chosen = _linear_solver(model, solver)
    return None if isinstance(chosen, (lx.AutoLinearSolver, lx.LU)) else chosen


def _newton(model: AbstractModel, flat0: jax.Array, unravel: Any, solver: Solver, max_steps: int,
            searched: Any = None):
    """Newton (or the solver's root finder) on `searched`, the model's search form (made here
    when the caller has none): its loop-invariant work is done once, outside the iterations."""
    finder = solver.root_finder
    if finder is None:
        finder = optx.Newton(rtol=solver.rtol, atol=solver.atol, linear_solver=_linear_solver(model, solver))
    searched = model.search_form() if searched is None else searched
    sol = optx.root_find(flat_residuals(unravel), finder, flat0, args=searched, max_steps=max_steps, throw=False)
    return sol.value, sol.stats["num_steps"]


def first_stage(model: AbstractModel, x0: Any, solver: Solver) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The root finder from `x0` on the stopped-gradient model: (flat x, solved, steps)."""
    frozen = jax.lax.stop_gradient(model)
    flat0, unravel = ravel_pytree(x0)
    searched = frozen.search_form()
    flat, steps = _newton(frozen, flat0, unravel, solver, solver.max_steps, searched)
    # The root finder's own verdict, on the same search form; `finish` checks the answer on the
    # model itself.
    _, _, ok = residual_check(searched, unravel(flat), solver.tol)
    return flat, ok, steps


def run_where(needed: jax.Array, fn: Any, default: Any, *operands: Any) -> Any:
    """`fn(*operands)` where `needed`, else `default`: a `lax.cond` that stays lazy under `vmap`.

    A `cond` on a batched predicate becomes a `select` that runs both branches for every
    element, so a batch where Newton converged everywhere would still pay for the fallback.
    A `while_loop` that runs its body at most once keeps the skip: batched, the body runs
    (for every element, kept only where `needed`) only when some element needs it. Everything
    `fn` reads must come in `operands` and pass an optimization barrier with the loop's flag:
    a body that depends only on values fixed outside the loop is hoisted out of it by XLA (and
    then always runs). Nothing here is differentiated (the searches run on the stopped-gradient
    model; derivatives come from `implicit_solution`).
    """
    dynamic, static = eqx.partition(operands, eqx.is_array)
    needed, default, dynamic = jax.lax.stop_gradient((needed, default, dynamic))

    def body(carry):
        flag, _, dyn = carry
        flag, dyn = jax.lax.optimization_barrier((flag, dyn))
        out = jax.lax.stop_gradient(fn(*eqx.combine(dyn, static)))
        return jnp.zeros_like(flag), out, dyn

    return jax.lax.while_loop(lambda carry: carry[0], body, (needed, default, dynamic))[1]


def _anchor(model: AbstractModel) -> AbstractModel | None:
    """The model at its class's default parameters (same static choices), or None."""
    values = {}
    for name in parameter_names(model):
        field = model.__dataclass_fields__[name]
        current = getattr(model, name)
        default = field.default
        if default is dataclasses.MISSING and field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        if not isinstance(default, (int, float, tuple, list, np.ndarray, jax.Array)):
            return None
        default = np.asarray(default, dtype=np.float64)
        if default.shape != jnp.shape(current):
            return None
        values[name] = jnp.asarray(default, current.dtype)
    names = tuple(values)
    return eqx.tree_at(lambda m: tuple(getattr(m, n) for n in names), model,
                       tuple(values[n] for n in names))


def _continuation(model: AbstractModel, x0: Any, solver: Solver) -> tuple[jax.Array, jax.Array]:
    """A homotopy in the parameters from the model's defaults to `model` (flat x, steps).

    Positive parameters move geometrically (a size from 1e-3 to 1e3 in even ratio steps), the
    others linearly; each step starts Newton at the previous step's solution.
    """
    anchor = _anchor(model)
    flat0, unravel = ravel_pytree(x0)
    if anchor is None:
        return flat0, jnp.asarray(0)
    names = parameter_names(model)
    start = {n: getattr(anchor, n) for n in names}
    end = {n: getattr(model, n) for n in names}

    def at(t):
        def mix(a, b):
            geometric = jnp.exp((1 - t) * jnp.log(jnp.abs(a)) + t * jnp.log(jnp.abs(b))) * jnp.sign(b)
            return jnp.where((a > 0) & (b > 0), geometric, a + t * (b - a))

        values = {n: mix(start[n], end[n]) for n in names}
        return eqx.tree_at(lambda m: tuple(getattr(m, n) for n in names), model,
                           tuple(values[n] for n in names))

    budget = max(solver.max_steps // 4, 8)
    x_start, _ = ravel_pytree(anchor.guess())
    x_start, steps0 = _newton(anchor, x_start, unravel, solver, solver.max_steps)

    def step(carry, t):
        x_prev, ok_prev, steps = carry
        m = at(t)
        x_new, k = _newton(m, x_prev, unravel, solver, budget)
        _, _, ok = residual_check(m, unravel(x_new), solver.tol)
        # A failed step keeps the last solution: later, easier steps may still recover.
        keep = ok & ok_prev
        return (jnp.where(keep, x_new, x_prev), keep, steps + k), None

    ts = jnp.linspace(0.0, 1.0, solver.continuation_steps + 1)[1:]
    (x_end, _, steps), _ = jax.lax.scan(step, (x_start, jnp.asarray(True), steps0), ts)
    return x_end, steps


def fallback_stage(
    model: AbstractModel, x0: Any, flat_first: jax.Array, ok_first: jax.Array, solver: Solver
) -> tuple[jax.Array, jax.Array]:
    """Where the first stage failed: the solver's fallback from the start point (flat x, steps)."""
    frozen = jax.lax.stop_gradient(model)
    flat0, unravel = ravel_pytree(jax.lax.stop_gradient(x0))
    fn = flat_residuals(unravel)
    if solver.fallback == "none":
        return flat_first, jnp.asarray(0)
    searched = frozen.search_form()
    if solver.fallback == "newton":  # plain Newton, whatever the first stage's root finder was
        newton = dataclasses.replace(solver, root_finder=None)
        return _newton(frozen, flat0, unravel, newton, solver.max_steps, searched)
    # Under vmap (a `cond` becomes a `select`) converged elements start at their solution.
    start = jnp.where(ok_first, flat_first, flat0)
    lm, lm_steps = levenberg_marquardt(lambda v: fn(v, searched), start, max_steps=solver.max_steps,
                                       tol=solver.tol)
    flat, polish_steps = _newton(frozen, lm, unravel, solver, solver.max_steps, searched)
    _, _, ok = residual_check(searched, unravel(flat), solver.tol)
    steps = lm_steps + polish_steps
    if solver.fallback == "continuation":
        def homotopy(frozen, flat0, steps):
            x, k = _continuation(frozen, unravel(flat0), solver)
            return x, steps + k

        flat, steps = run_where(~ok, homotopy, (flat, steps), frozen, flat0, steps)
    return flat, steps


@eqx.filter_custom_jvp
def implicit_solution(x_star, model, *, residual_fn, linear_solver):
    """`x_star` (a root of `residual_fn(·, model)`) as a differentiable function of `model`.

    Its tangent is dx = −(∂F/∂x)⁻¹ (∂F/∂θ · dθ) at `x_star` (the implicit function theorem),
    a linear map of dθ, so reverse mode works by transposition: the implicit adjoint
    λ = −(∂F/∂x)⁻ᵀ x̄, one transposed solve per cotangent, then θ̄ = (∂F/∂θ)ᵀ λ. Neither solve
    raises: at a singular or non-finite Jacobian the derivative is NaN, in both modes.
    """
    return x_star


def _tangent_solve(residual_fn: Any, x_star: jax.Array, model: AbstractModel, linear_solver: Any,
                   rhs: jax.Array) -> jax.Array:
    """(∂F/∂x)⁻¹ rhs at `x_star`, linear in `rhs` and transposable without ever raising.

    Dense (`linear_solver` None): `jnp.linalg.solve`, one LU; its transpose reuses the factors.
    Otherwise lineax with the factorisation (or Krylov state) built once, outside the linear
    map, and `lax.custom_linear_solve` to tell JAX how to transpose it: lineax's own transpose
    rule throws on a non-finite cotangent (it has `throw=True` hard-wired), which would turn a
    NaN derivative at a non-equilibrium point into an aborted program, or a batch. A solve
    lineax reports as failed (a singular operator, a Krylov method out of steps) is NaN.
    """
    if linear_solver is None:
        jac = jax.jacfwd(residual_fn)(x_star, model)
        if jac.shape == (1, 1):
            # One unknown: a division (an LU call per element costs ~30× more under vmap). A
            # zero derivative gives inf or NaN, as the LU does; the callers turn it into NaN.
            return rhs / jac[0]
        return jnp.linalg.solve(jac, rhs)
    operator = lx.JacobianLinearOperator(residual_fn, x_star, args=model)
    state = linear_solver.init(operator, {})

    def checked(solution):  # a failed solve (singular; Krylov out of steps) is NaN, never a number
        return jnp.where(solution.result == lx.RESULTS.successful, solution.value, jnp.nan)

    def solve(_, b):
        return checked(lx.linear_solve(operator, b, linear_solver, state=state, throw=False))

    def transpose_solve(_, b):
        t_state, t_options = linear_solver.transpose(state, {})
        return checked(lx.linear_solve(operator.transpose(), b, linear_solver, state=t_state,
                                       options=t_options, throw=False))

    return jax.lax.custom_linear_solve(operator.mv, rhs, solve, transpose_solve)


@implicit_solution.def_jvp
def _implicit_jvp(primals, tangents, *, residual_fn, linear_solver):
    x_star, model = primals
    _, t_model = tangents
    x_star = jax.lax.stop_gradient(x_star)
    frozen = jax.lax.stop_gradient(model)
    _, dF = eqx.filter_jvp(lambda m: residual_fn(x_star, m), (model,), (t_model,))
    if dF is None:  # no equation depends on the parameters differentiated: dx = 0 exactly
        return x_star, jnp.zeros_like(x_star)
    return x_star, -_tangent_solve(residual_fn, x_star, frozen, linear_solver, dF)


@jax.custom_jvp
def _nan_unless(ok: jax.Array, value: jax.Array) -> jax.Array:
    """`value` where `ok`, else NaN, with a NaN tangent too (not the zero a `where` would give):
    outcomes and derivatives at a point that is not an equilibrium are NaN, never a number."""
    return jnp.where(ok, value, jnp.nan)


@_nan_unless.defjvp
def _nan_unless_jvp(primals, tangents):
    ok, value = primals
    _, t_value = tangents
    # A product with a constant is linear in the tangent, so reverse mode transposes it.
    return _nan_unless(ok, value), t_value * jnp.where(ok, 1.0, jnp.nan).astype(value.dtype)


def finish(model: AbstractModel, flat: jax.Array, x0: Any, solver: Solver, steps: jax.Array) -> Equilibrium:
    """The `Equilibrium` at the flat unknowns found: differentiable outcomes, flags, reason."""
    _, unravel = ravel_pytree(x0)
    fn = flat_residuals(unravel)
    frozen = jax.lax.stop_gradient(model)
    point = unravel(jax.lax.stop_gradient(flat))
    finite, norm, solved = residual_check(frozen, point, solver.tol)
    reason = _reasons.reason_code(frozen, point, finite, solved)
    converged = reason == _reasons.CONVERGED
    flat = implicit_solution(flat, model, residual_fn=fn, linear_solver=_derivative_solver(model, solver))
    outcomes = model.outcomes(unravel(_nan_unless(converged, flat)))
    return Equilibrium(model, unravel(flat), outcomes, converged, reason, norm, steps)


@eqx.filter_jit
def find_traced(model: AbstractModel, x0: Any, solver: Solver) -> tuple[jax.Array, jax.Array]:
    """The unknowns (flat) and steps in one traced program: the root finder, then the fallback
    where it failed (lazily, also under `vmap`)."""
    flat, ok, steps = first_stage(model, x0, solver)

    def fallback(model, x0, flat, ok, steps):
        found, k = fallback_stage(model, x0, flat, ok, solver)
        return found, steps + k

    return run_where(~ok, fallback, (flat, steps), model, x0, flat, ok, steps)


def solve_impl(model: AbstractModel, x0: Any, solver: Solver) -> Equilibrium:
    """Jitted solve without error raising (the building block of `solve`, `sweep`, statics)."""
    found, steps = find_traced(model, x0, solver)
    return finish(model, found, x0, solver, steps)


def _solve_first(model: AbstractModel, x0: Any, solver: Solver):
    """The guess (when `x0` is None), the root finder and the `Equilibrium` at what it found;
    the root finder's own verdict, and whether the whole solve succeeded (one host read)."""
    x0 = model.guess() if x0 is None else x0
    flat, ok, steps = first_stage(model, x0, solver)
    eq = finish(model, flat, x0, solver, steps)
    return eq, ok, ok & eq.converged


# Compiled single calls, by the identity of their static arguments (a resolved `Solver`, an
# `OutcomeSelector` are cached objects): `jax.jit`'s dispatch costs a few microseconds where
# `filter_jit`'s costs tens, and hashing an equinox Module costs microseconds more. The static
# objects are kept alive with their programs, so an `id` is never reused while it is a key.
_PROGRAMS: OrderedDict[Any, tuple[tuple, Any]] = OrderedDict()
_BY_VALUE: OrderedDict[Any, Any] = OrderedDict()
_PROGRAMS_MAX = 256


def _static_key(value: Any) -> Any:
    return value if isinstance(value, (str, tuple, int, type(None))) else ("id", id(value))


def compiled_call(fn: Any, statics: tuple, *args: Any) -> Any:
    """`fn(*args, *statics)` compiled, the `args` traced and the `statics` fixed; None when an
    argument holds something other than JAX arrays (the caller then uses `filter_jit`)."""
    if not all(isinstance(leaf, jax.Array) for leaf in jax.tree_util.tree_leaves(args)):
        return None
    key = (fn,) + tuple(_static_key(v) for v in statics)
    entry = _PROGRAMS.get(key)
    if entry is None:
        # A new object equal to one seen before (hashed, once) reuses its compiled program.
        by_value = (fn,) + statics
        program = _BY_VALUE.get(by_value)
        if program is None:
            program = _BY_VALUE[by_value] = jax.jit(lambda *a: fn(*a, *statics))
        entry = _PROGRAMS[key] = (statics, program)
        for cache in (_PROGRAMS, _BY_VALUE):
            while len(cache) > _PROGRAMS_MAX:
                cache.popitem(last=False)
    return entry[1](*args)


_first_compiled = eqx.filter_jit(first_stage)
_fallback_compiled = eqx.filter_jit(fallback_stage)
finish_compiled = eqx.filter_jit(finish)


def find(model: AbstractModel, x0: Any, solver: Solver) -> tuple[jax.Array, jax.Array]:
    """The unknowns (flat) and steps at concrete parameters, in separately compiled stages.

    The fallback is compiled and run only when the root finder fails, so a model that Newton
    solves never pays for compiling Levenberg–Marquardt and the homotopy.
    """
    flat, ok, steps = _first_compiled(model, x0, solver)
    if solver.fallback != "none" and not bool(ok):
        flat, more = _fallback_compiled(model, x0, flat, ok, solver)
        steps = steps + more
    return flat, steps


def failure_report(eq: Equilibrium) -> tuple[jax.Array, tuple[str, ...]]:
    """(index, messages): which message explains a failed solve (traceable)."""
    _, param_msgs = requirements_ok(eq.model)
    names = _reasons.validity_names(eq.model, eq.x)
    residual_vec, eq_names = flat_with_names(eq.model.residuals(eq.x))
    worst = jnp.argmax(jnp.where(jnp.isfinite(residual_vec), jnp.abs(residual_vec), jnp.inf))
    cls = type(eq.model).__name__
    msgs = (
        param_msgs
        + tuple(_reasons.describe(eq.model, eq.x, _reasons.VALIDITY + k) for k in range(len(names)))
        + tuple(f"{cls}: the equilibrium solve did not converge; the worst equation is {n!r}."
                for n in eq_names)
    )
    code = eq.reason
    index = jnp.where(
        code >= _reasons.REQUIREMENT, code - _reasons.REQUIREMENT,
        jnp.where(code >= _reasons.VALIDITY, len(param_msgs) + code - _reasons.VALIDITY,
                  len(param_msgs) + len(names) + worst),
    )
    return index, msgs


@eqx.filter_jit
def _checked(eq: Equilibrium) -> Equilibrium:
    # Compiled: under `grad` outside `jit` the report's residuals would otherwise run (and
    # compile) primitive by primitive on every call.
    index, msgs = failure_report(eq)
    return eqx.branched_error_if(eq, ~eq.converged, index, msgs)


def raise_if_failed(eq: Equilibrium) -> Equilibrium:
    """Raise `SolveError` (concrete values) or an equinox runtime error (traced) on failure."""
    if not is_concrete((eq.converged, eq.x)):
        return _checked(eq)
    converged = np.asarray(eq.converged)
    if bool(np.all(converged)):
        return eq
    if converged.ndim:  # a batch solved outside vmap: report its first failure
        first = int(np.argmin(converged.ravel()))
        eq = jax.tree_util.tree_map(
            lambda v: v.reshape((-1,) + v.shape[converged.ndim:])[first]
            if eqx.is_array(v) and v.shape[:converged.ndim] == converged.shape else v, eq)
    code = int(np.asarray(eq.reason))
    if code >= _reasons.VALIDITY or code == _reasons.CONVERGED:
        msg = _reasons.describe(eq.model, eq.x, code)
    else:
        residual_vec, names = flat_with_names(eq.model.residuals(eq.x))
        residual_vec = np.asarray(residual_vec)
        finite = np.isfinite(residual_vec)
        k = int(np.argmax(np.where(finite, np.abs(residual_vec), np.inf)))
        if finite.all():
            msg = (f"{type(eq.model).__name__}: the equilibrium solve did not converge; the worst "
                   f"equation is {names[k]!r} with residual {residual_vec[k]:.3e} after "
                   f"{int(np.asarray(eq.steps))} steps (tolerance: see Solver.tol).")
        else:
            msg = (f"{type(eq.model).__name__}: the equilibrium solve did not converge; the "
                   f"equation {names[k]!r} is not finite at the point reached.")
    if code < _reasons.REQUIREMENT:
        hint = eq.model.explain_failure(eq)
        if hint:
            msg += " " + hint
    raise SolveError(msg)


def solve(
    model: AbstractModel, x0: Any = None, *, solver: Solver | None = None, throw: bool = True
) -> Equilibrium:
    """Solve `model` for its equilibrium.

    **Arguments:**
    - `model`: a diffecon model (an `AbstractModel` of parameters);
    - `x0`: starting point in the model's solving coordinates (default `model.guess()`);
    - `solver`: a `Solver` (tolerances, step caps, root finder, fallback, linear solver);
    - `throw`: raise `SolveError` naming the parameter, the validity condition or the worst
      equation when the solve fails. Inside `jax.vmap` pass `throw=False` and read
      `converged` and `reason` per element.

    **Returns:** an `Equilibrium`. Its outcomes are differentiable in the model's parameters by
    the implicit function theorem.
    """
    if not isinstance(model, AbstractModel):
        raise TypeError(f"solve expects a diffecon model, got {type(model).__name__}.")
    solver = as_solver(solver)
    if is_concrete((model, x0)):
        # The usual case in one compiled call. Its results are traced when `solve` runs inside
        # an outer trace (a model closed over by a jitted function): then the general path.
        fast = compiled_call(_solve_first, (solver,), model, x0)
        if fast is not None and is_concrete(fast[2]):
            if bool(fast[2]):
                return fast[0]  # converged: nothing to raise
            if solver.fallback == "none" or bool(fast[1]):  # no fallback to run
                return raise_if_failed(fast[0]) if throw else fast[0]
    # The general path: where the root finder failed, the stages compiled apart (the fallback
    # compiled only where it is needed); traced, one program with the fallback behind a lazy
    # `cond`.
    x0 = initial_guess(model) if x0 is None else x0
    if is_concrete((model, x0)):
        flat, steps = find(model, x0, solver)
        eq = finish_compiled(model, flat, x0, solver, steps)
    else:
        eq = solve_impl(model, x0, solver)
    return raise_if_failed(eq) if throw else eq
