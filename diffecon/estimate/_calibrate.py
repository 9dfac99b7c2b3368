"""`calibrate`: fit free parameters of any model to target moments through its equilibrium."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import optimistix as optx

from ..core import Model, SolveError, Solver, replace, solve
from ..core.progress import ProgressBar
from ._domains import check_inside, dtheta_du, free_bounds, from_unconstrained, to_unconstrained
from ._identification import Identification, delta_covariance, identification

__all__ = ["calibrate", "Calibration"]

# Weighted residual given at a trial point whose equilibrium solve failed: large, finite and
# flat, so a Levenberg–Marquardt step into it is rejected and a gradient step gets no pull.
_FAILED_SOLVE_RESIDUAL = 1e6
_DEFAULT_STEPS = {"least_squares": 200, "optax": 1000}


# ----------------------------------------------------------------------------- moments


class _OutcomeMoments(eqx.Module):
    """Moments = named equilibrium outcomes (solved from `model.guess()` each time)."""

    keys: tuple[str, ...] = eqx.field(static=True)
    solver: Solver | None = None  # the equilibrium solver settings (None: the defaults)

    def __call__(self, model: Model):
        eq = solve(model, solver=self.solver, throw=False)
        return {k: eq.outcomes[k] for k in self.keys}, eq.converged

    def final(self, model: Model):
        """(moments, whether the equilibrium solved, why not in words or None) at `model`."""
        eq = solve(model, solver=self.solver, throw=False)
        ok = bool(np.all(np.asarray(eq.converged)))
        why = None
        if not ok:
            hint = model.explain_failure(eq)
            why = eq.explain() + (" " + hint if hint else "")
        return {k: eq.outcomes[k] for k in self.keys}, ok, why


class _UserMoments(eqx.Module):
    """Moments = a user function `model -> PyTree of arrays`."""

    fn: Callable[[Model], Any] = eqx.field(static=True)

    def __call__(self, model: Model):
        return self.fn(model), jnp.array(True)

    def final(self, model: Model):
        moments = self.fn(model)
        ok = bool(np.all(np.isfinite(np.asarray(_flat(moments)))))
        return moments, ok, None if ok else "the moments function returns non-finite moments at the fit"


def _flat(tree: Any) -> jax.Array:
    leaves = [jnp.ravel(jnp.asarray(x, dtype=jnp.float64)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.concatenate(leaves) if leaves else jnp.zeros((0,))


def _key_name(key: Any) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)


def _flat_named(tree: Any) -> tuple[np.ndarray, tuple[str, ...]]:
    """The leaves of `tree` as one float64 vector, each element named: a scalar leaf under key
    ``"omega"`` is ``omega``, element i of an array leaf ``beta`` is ``beta[i]``."""
    names: list[str] = []
    parts = []
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        leaf = np.asarray(leaf, dtype=np.float64)
        base = ".".join(_key_name(k) for k in path) or "moments"
        names.extend([base] if leaf.size == 1 else [f"{base}{list(i)}" for i in np.ndindex(leaf.shape)])
        parts.append(leaf.ravel())
    return (np.concatenate(parts) if parts else np.zeros(0)), tuple(names)


class _Problem(eqx.Module):
    """The fit: θ ↦ weighted residual Rᵀ(m(θ) − t), with θ in unconstrained coordinates u."""

    model: Model
    lower: jax.Array
    upper: jax.Array
    observed: jax.Array
    root_weight: jax.Array  # Rᵀ with W = R Rᵀ: a vector (diagonal W) or a matrix
    moments: eqx.Module
    free: tuple[str, ...] = eqx.field(static=True)
    shapes: tuple[tuple[int, ...], ...] = eqx.field(static=True)

    def model_at(self, theta: jax.Array) -> Model:
        values, start = {}, 0
        for name, shape in zip(self.free, self.shapes):
            size = math.prod(shape)
            values[name] = theta[start : start + size].reshape(shape)
            start += size
        return replace(self.model, **values)

    def moments_at(self, theta: jax.Array):
        tree, ok = self.moments(self.model_at(theta))
        return _flat(tree), ok

    def weighted(self, r: jax.Array) -> jax.Array:
        return self.root_weight * r if self.root_weight.ndim == 1 else self.root_weight @ r

    def residual(self, u: jax.Array) -> jax.Array:
        m, ok = self.moments_at(from_unconstrained(u, self.lower, self.upper))
        r = self.weighted(m - self.observed)
        return jnp.where(ok & jnp.all(jnp.isfinite(r)), r, _FAILED_SOLVE_RESIDUAL)

    def loss(self, u: jax.Array) -> jax.Array:
        return 0.5 * jnp.sum(self.residual(u) ** 2)


# ----------------------------------------------------------------------------- search loops


def _ls_fn(u, problem):
    return problem.residual(u), None


# Materialise the residual Jacobian (reverse mode). optimistix's default forward mode keeps a
# linearised function whose placeholder before the first step, evaluated, feeds NaN into the
# equilibrium's implicit-adjoint linear solve, which lineax rejects.
_LS_OPTIONS = {"jac": "bwd"}


def _ls_state(problem, solver, u):
    f_struct = jax.ShapeDtypeStruct(problem.observed.shape, problem.observed.dtype)
    return solver.init(_ls_fn, u, problem, _LS_OPTIONS, f_struct, None, frozenset())


@eqx.filter_jit
def _ls_start(problem, solver, u):
    return _ls_state(problem, solver, u)


def _ls_running(state):
    return ~state.terminate & (state.result == optx.RESULTS.successful)


@eqx.filter_jit
def _ls_chunk(problem, solver, u, state, step, history, total, chunk):
    """Up to `chunk` Gauss–Newton/Levenberg–Marquardt steps (optimistix's own step function,
    so the damping, acceptance and termination are optimistix's)."""
    # With a materialised Jacobian the state's non-array part holds no traced function, so it
    # is the same object structure on every call and the chunks share one compilation.
    dynamic_state, static_state = eqx.partition(state, eqx.is_array)

    def cond(carry):
        _, dynamic, k, i, _ = carry
        return (i < chunk) & (k < total) & _ls_running(eqx.combine(dynamic, static_state))

    def body(carry):
        y, dynamic, k, i, hist = carry
        state = eqx.combine(dynamic, static_state)
        y, state, _ = solver.step(_ls_fn, y, problem, _LS_OPTIONS, state, frozenset())
        # f_info holds the residual at the last accepted iterate (the y returned).
        loss = 0.5 * jnp.sum(state.f_info.residual**2)
        return y, eqx.filter(state, eqx.is_array), k + 1, i + 1, hist.at[k].set(loss)

    y, dynamic, k, _, hist = jax.lax.while_loop(
        cond, body, (u, dynamic_state, step, jnp.asarray(0), history)
    )
    state = eqx.combine(dynamic, static_state)
    converged = state.terminate & (state.result == optx.RESULTS.successful)
    return y, state, k, hist, _ls_running(state), converged


def _optax_update(optimiser, problem, u, opt_state, loss, grad):
    if isinstance(optimiser, optax.GradientTransformationExtraArgs):
        # Line-search optimisers (optax.lbfgs, ...) need the loss and its function.
        return optimiser.update(grad, opt_state, u, value=loss, grad=grad, value_fn=problem.loss)
    return optimiser.update(grad, opt_state, u)


@eqx.filter_jit
def _optax_chunk(problem, optimiser, u, opt_state, step, history, grad_norm, total, chunk, gtol):
    """`chunk` optax steps in one `lax.scan`; a step once stationary (or past `total`) is a no-op."""

    def advance(carry):
        y, state, k, hist, _ = carry
        loss, grad = jax.value_and_grad(problem.loss)(y)
        norm = jnp.max(jnp.abs(grad))
        updates, new_state = _optax_update(optimiser, problem, y, state, loss, grad)
        stationary = norm <= gtol
        y = jnp.where(stationary, y, optax.apply_updates(y, updates))
        state = jax.tree_util.tree_map(lambda a, b: jnp.where(stationary, a, b), state, new_state)
        return y, state, k + 1, hist.at[k].set(loss), norm

    def body(carry, _):
        _, _, k, _, norm = carry
        done = (k >= total) | (norm <= gtol)
        return jax.lax.cond(done, lambda c: c, advance, carry), None

    carry, _ = jax.lax.scan(body, (u, opt_state, step, history, grad_norm), None, length=chunk)
    return carry


def _run_least_squares(problem, search, u0, total, bar):
    chunk = max(1, math.ceil(total / 20))
    state = _ls_start(problem, search, u0)
    u, k, hist = u0, np.asarray(0), np.full((total,), np.nan)
    while True:
        u, state, k, hist, running, converged = _ls_chunk(problem, search, u, state, k, hist, total, chunk)
        steps, losses = int(k), np.asarray(hist)
        bar.update(steps, losses[steps - 1] if steps else float("nan"))
        # The state holds the materialised Jacobian of the weighted residual at the last
        # accepted iterate (= u), so the moment Jacobian needs no second compilation.
        jac_u = getattr(state.f_info.jac, "pytree", None)
        # A zero Jacobian (moments locked at a corner) rejects every step: stop, `_verdict` says why.
        stuck = jac_u is not None and not np.any(np.asarray(jac_u))
        if not bool(running) or steps >= total or stuck:
            return np.asarray(u), losses[:steps], bool(converged), steps, jac_u


def _run_optax(problem, optimiser, u0, total, gtol, bar):
    chunk = max(1, math.ceil(total / 20))
    carry = (u0, optimiser.init(jnp.asarray(u0)), np.asarray(0), np.full((total,), np.nan),
             np.asarray(np.inf))
    while True:
        carry = _optax_chunk(problem, optimiser, *carry, total, chunk, gtol)
        u, _, k, hist, norm = carry
        steps, losses = int(k), np.asarray(hist)
        bar.update(steps, losses[steps - 1] if steps else float("nan"))
        if float(norm) <= gtol or steps >= total:
            if float(norm) > gtol:  # the last recorded gradient predates the last update
                norm = np.max(np.abs(np.asarray(_loss_gradient(problem, u))))
            return np.asarray(u), losses[:steps], bool(float(norm) <= gtol), steps, None


@eqx.filter_jit
def _loss_gradient(problem, u):
    return jax.grad(problem.loss)(u)


@eqx.filter_jit
def _moment_jacobian(problem, theta):
    return jax.jacfwd(lambda t: problem.moments_at(t)[0])(theta)


def _jacobian_from_search(jac_u, problem, u, root_weight):
    """∂m/∂θ from the search's ∂(Rᵀ(m − t))/∂u, when Rᵀ is invertible (else None).

    By the chain rule ∂m/∂θ = (Rᵀ)⁻¹ · ∂r/∂u · (dθ/du)⁻¹, with dθ/du diagonal.
    """
    if jac_u is None or np.shape(jac_u) != (problem.observed.size, problem.lower.size):
        return None
    lower, upper = np.asarray(problem.lower), np.asarray(problem.upper)
    slope = dtheta_du(from_unconstrained(u, lower, upper, np), lower, upper)
    if np.any(slope == 0):
        return None
    jac = np.asarray(jac_u) / slope
    if root_weight.ndim == 1:
        return None if np.any(root_weight == 0) else jac / root_weight[:, None]
    if np.linalg.matrix_rank(root_weight) < root_weight.shape[0]:
        return None
    return np.linalg.solve(root_weight, jac)


# ----------------------------------------------------------------------------- input checks


def _outcome_targets(model: Model, targets: Mapping[str, Any], solver: Any):
    if not targets:
        raise ValueError("targets is empty; name at least one outcome and its observed value.")
    structure = jax.eval_shape(lambda m: m.outcomes(m.guess()), model)
    observed = {}
    for name, value in targets.items():
        if name not in structure:
            raise ValueError(
                f"targets: {name!r} is not an outcome of {type(model).__name__}; its outcomes are "
                f"{', '.join(sorted(structure))}."
            )
        if not jnp.issubdtype(structure[name].dtype, jnp.inexact):
            raise ValueError(f"targets: outcome {name!r} is not a float quantity; it cannot be a target.")
        value = np.asarray(value, dtype=np.float64)
        if value.shape != structure[name].shape:
            raise ValueError(
                f"targets[{name!r}] has shape {value.shape}, but outcome {name!r} of "
                f"{type(model).__name__} has shape {structure[name].shape}."
            )
        observed[name] = value
    return observed, _OutcomeMoments(tuple(observed), solver)


def _callable_targets(model: Model, targets: Any):
    if not (isinstance(targets, tuple) and len(targets) == 2 and callable(targets[0])):
        raise TypeError(
            "targets must be a mapping {outcome name: observed value} or a pair "
            "(moments_fn, observed) with moments_fn(model) -> moments shaped like observed."
        )
    fn, data = targets
    structure = jax.eval_shape(fn, model)
    if isinstance(structure, jax.ShapeDtypeStruct):  # one array of moments: data may be a list
        observed = np.asarray(data, dtype=np.float64)
    else:
        observed = jax.tree_util.tree_map(lambda x: np.asarray(x, dtype=np.float64), data)
    if jax.tree_util.tree_structure(structure) != jax.tree_util.tree_structure(observed):
        raise ValueError(
            f"the moments function returns {jax.tree_util.tree_structure(structure)}, but the observed "
            f"data are {jax.tree_util.tree_structure(observed)}; they must match."
        )
    for (path, s), o in zip(
        jax.tree_util.tree_flatten_with_path(structure)[0], jax.tree_util.tree_leaves(observed)
    ):
        if s.shape != o.shape:
            where = jax.tree_util.keystr(path)
            raise ValueError(
                f"observed{where} has shape {o.shape}, but the moments function returns {s.shape}.")
    return observed, _UserMoments(fn)


def _per_moment(spec: Any, observed: Any, what: str, n: int, default: float | None) -> np.ndarray:
    """A mapping by target name (each value broadcast to its target's shape; targets left out
    get `default`, or are an error when it is None) or a flat vector of length M, as a vector
    in `Calibration.moment_names` order."""
    if isinstance(spec, Mapping):
        if not isinstance(observed, Mapping):
            raise ValueError(f"{what} as a mapping needs targets given as a mapping of names.")
        unknown = set(spec) - set(observed)
        if unknown:
            raise ValueError(f"{what} given for {', '.join(sorted(unknown))}, which are not targets "
                             f"({', '.join(observed)}).")
        missing = [k for k in observed if k not in spec]
        if missing and default is None:
            raise ValueError(f"{what} lacks the target(s) {', '.join(missing)}; give a value for every "
                             "target.")
        parts = {}
        for name, value in observed.items():
            w = np.asarray(spec.get(name, default), dtype=np.float64)
            try:
                parts[name] = np.broadcast_to(w, value.shape)
            except ValueError:
                raise ValueError(
                    f"{what}[{name!r}] has shape {w.shape}, which does not broadcast to the target's "
                    f"shape {value.shape}."
                ) from None
        return np.asarray(_flat(parts))
    vector = np.asarray(spec, dtype=np.float64)
    if vector.shape != (n,):
        raise ValueError(
            f"{what} must be a mapping by target name or a vector of the {n} moments in "
            f"Calibration.moment_names order; got shape {vector.shape}."
        )
    return vector


def _moment_matrix(spec: Any, observed: Any, what: str, n: int) -> np.ndarray | None:
    """A per-target mapping (diagonal; broadcast to each target's shape; default 1) or an (M, M)
    positive semi-definite matrix."""
    if spec is None:
        return None
    if isinstance(spec, Mapping):
        diag = _per_moment(spec, observed, what, n, default=1.0)
        if np.any(~np.isfinite(diag)) or np.any(diag < 0):
            raise ValueError(f"{what} must be finite and non-negative; got {diag.tolist()}.")
        return np.diag(diag)
    matrix = np.asarray(spec, dtype=np.float64)
    if matrix.shape != (n, n):
        raise ValueError(
            f"{what} must be a mapping by target name or an ({n}, {n}) matrix over the moments in "
            f"Calibration.moment_names order; got shape {matrix.shape}."
        )
    symmetric = np.all(np.isfinite(matrix)) and np.allclose(matrix, matrix.T)
    if not symmetric or np.linalg.eigvalsh(matrix).min() < 0:
        raise ValueError(f"{what} must be a finite symmetric positive semi-definite matrix.")
    return matrix


def _moment_covariance(moment_se: Any, moment_covariance: Any, observed: Any,
                       n: int) -> tuple[np.ndarray | None, str]:
    """Ω, the covariance of the targets, from `moment_se` or `moment_covariance` (None if
    neither is given), and where it came from, in words."""
    if moment_se is not None and moment_covariance is not None:
        raise ValueError("give the targets' uncertainty once: moment_se= (standard errors) or "
                         "moment_covariance= (a full covariance matrix), not both.")
    if moment_se is not None:
        se = _per_moment(moment_se, observed, "moment_se", n, default=None)
        if not np.all(np.isfinite(se)) or np.any(se <= 0):
            raise ValueError("moment_se must be finite and positive (standard errors of the targets); "
                             f"got {se.tolist()}.")
        return np.diag(se**2), "the targets' standard errors (moment_se)"
    if moment_covariance is not None:
        return _moment_matrix(moment_covariance, observed, "moment_covariance", n), "moment_covariance"
    return None, ""


def _root_weight(weight: np.ndarray | None, n: int) -> np.ndarray:
    """Rᵀ with W = R Rᵀ, so that ½‖Rᵀ r‖² = ½ rᵀ W r."""
    if weight is None:
        return np.ones(n)
    if np.count_nonzero(weight - np.diag(np.diag(weight))) == 0:
        return np.sqrt(np.diag(weight))
    vals, vecs = np.linalg.eigh(weight)  # eigh, not Cholesky: W may be singular (zero weights)
    return (vecs * np.sqrt(np.clip(vals, 0, None))).T


# ----------------------------------------------------------------------------- result

# The fit is stationary when the weighted residual is orthogonal to the weighted moment
# Jacobian's columns to this relative precision: |Aᵀr| ≤ STATIONARY_RTOL·‖A‖·‖r‖.
STATIONARY_RTOL = 1e-6
# A weighted residual this small relative to the weighted targets is an exact fit.
EXACT_FIT_RTOL = 1e-9


class Calibration(eqx.Module):
    """The result of `calibrate`.

    **Fields:**
    - `model`: the model at the fitted parameters;
    - `params`: dict of the fitted free parameters;
    - `loss`: ½ (m − t)ᵀ W (m − t) at the fit; `history`: the loss after every step;
    - `converged`: True only when the search met its stopping rule (least squares: optimistix's
      step/residual tolerances; optax: max |∇loss| ≤ `gtol`), the equilibrium at the fit solves,
      and the fit is a stationary point of the loss: the targets are matched, or the weighted
      residual is orthogonal to the moment Jacobian (|Aᵀr| ≤ 1e-6·‖A‖·‖r‖). A point where the
      moments do not respond to the free parameters (a zero Jacobian, e.g. a corner of the model)
      and the targets are not matched is never converged;
    - `message`: the outcome in words (why the fit is not converged, when it is not);
    - `steps`: number of steps taken; `method`: ``"least_squares"`` or the optax optimiser;
    - `moments`, `targets`: fitted and observed moments (same structure as `targets`);
    - `jacobian`: the moment Jacobian ∂m/∂θ (moments × free parameter elements, exact, through
      the equilibrium), rows named by `moment_names`, columns by `param_names`;
    - `weight`: the weighting matrix W (moments × moments); `unit_weighted`: True when neither
      weights nor the targets' standard errors were given (W = I);
    - `moment_covariance`: the covariance Ω of the targets the standard errors use;
      `se_basis`: where Ω comes from, in words (the targets' standard errors; the weights read
      as inverse variances, Ω = W⁻¹; or, unit-weighted, a standard error of 1 for every target);
    - `covariance`, `se`: delta-method covariance of the free parameter elements and standard
      errors by parameter (∞ for unidentified ones; NaN when the fit did not converge); see
      `standard_errors` for the rule;
    - `identification`: rank, condition number and weakest direction (`Identification`), at the
      point where the search stopped;
    - `coordinates`: the unconstrained search coordinate of each free parameter, in words.
    """

    model: Model
    params: dict
    loss: float
    history: np.ndarray
    converged: bool = eqx.field(static=True)
    message: str = eqx.field(static=True)
    steps: int = eqx.field(static=True)
    method: str = eqx.field(static=True)
    moments: Any
    targets: Any
    jacobian: np.ndarray
    weight: np.ndarray
    unit_weighted: bool = eqx.field(static=True)
    moment_covariance: np.ndarray
    se_basis: str = eqx.field(static=True)
    covariance: np.ndarray
    se: dict
    identification: Identification
    moment_names: tuple[str, ...] = eqx.field(static=True)
    param_names: tuple[str, ...] = eqx.field(static=True)
    coordinates: dict = eqx.field(static=True)

    def standard_errors(self, moment_se: Any = None, *, moment_covariance: Any = None) -> dict:
        """Delta-method standard errors of the free parameters.

        **Arguments:**
        - `moment_se`: the targets' standard errors, a mapping by target name (each broadcast to
          its target's shape) or a vector in `moment_names` order: Ω = diag(se²);
        - `moment_covariance`: instead, the full covariance Ω of the targets, an (M, M) matrix in
          `moment_names` order (or a mapping of variances by target name).
          With neither: the Ω of the fit (`moment_covariance`, see `se_basis`).

        **Returns:** a dict by parameter of arrays shaped like the parameter; the sandwich
        √diag(B Ω Bᵀ) with B = (GᵀWG)⁻¹GᵀW (∞ where a parameter moves along an unidentified
        direction; NaN everywhere when the fit did not converge: a delta method needs an optimum).
        """
        omega, _ = _moment_covariance(moment_se, moment_covariance, self.targets, len(self.moment_names))
        if omega is None:
            omega = self.moment_covariance
        if not self.converged:
            return _split(np.full(len(self.param_names), np.nan), self.params)
        cov = delta_covariance(self.jacobian, self.weight, omega)
        return _split(np.sqrt(np.diag(cov)), self.params)

    def __str__(self) -> str:
        flat_se = np.concatenate([np.ravel(self.se[n]) for n in self.params])
        flat_theta = np.concatenate([np.ravel(np.asarray(v)) for v in self.params.values()])
        lines = [
            f"Calibration of {type(self.model).__name__} by {self.method}: "
            f"{'converged' if self.converged else 'NOT converged'} in {self.steps} steps, "
            f"loss {self.loss:.6g}",
        ]
        if not self.converged:
            lines.append(self.message)
        lines.append(f"{'parameter':>16} {'estimate':>14} {'std. error':>12}")
        lines += [f"{n:>16} {t:>14.8g} {s:>12.4g}" for n, t, s in zip(self.param_names, flat_theta, flat_se)]
        lines.append(f"standard errors: {self.se_basis}")
        lines.append(f"identification: {self.identification}")
        return "\n".join(lines)


def _split(flat: np.ndarray, like: Mapping[str, Any]) -> dict:
    out, start = {}, 0
    for name, value in like.items():
        shape = np.shape(value)
        size = int(np.prod(shape))
        out[name] = flat[start : start + size].reshape(shape)
        start += size
    return out


def _verdict(search_converged: bool, method: str, steps: int, equilibrium_ok: bool, why: str | None,
             weighted_jac: np.ndarray, weighted_residual: np.ndarray, weighted_targets: np.ndarray,
             free: Sequence[str]) -> tuple[bool, str]:
    """(converged, message): the search's own rule, then the fit's, checked independently."""
    if not equilibrium_ok:
        return False, f"Not converged: the equilibrium at the fitted parameters does not solve ({why})."
    r_norm = float(np.linalg.norm(weighted_residual))
    exact = r_norm <= EXACT_FIT_RTOL * max(1.0, float(np.linalg.norm(weighted_targets)))
    a_norm = float(np.linalg.norm(weighted_jac))
    names = ", ".join(free)
    if not exact and (a_norm == 0.0 or not np.isfinite(a_norm)):
        return False, (
            f"Not converged: the moments do not respond to the free parameters ({names}) at this point "
            "(their Jacobian is zero, as at a corner of the model where a regime is locked in), so the "
            f"search cannot move, and the targets are not matched (loss {0.5 * r_norm**2:.3g}); start "
            "where the targeted moments depend on the free parameters."
        )
    if not search_converged:
        return False, (f"Not converged: the search ({method}) stopped after {steps} steps without meeting "
                       "its stopping rule; raise steps= or start closer.")
    if exact:
        return True, "Converged: the targets are matched."
    gradient = float(np.linalg.norm(weighted_jac.T @ weighted_residual))
    if gradient > STATIONARY_RTOL * a_norm * r_norm:
        return False, (
            f"Not converged: the loss is not stationary at the point where the search stopped "
            f"(|gradient| {gradient:.3g} relative to ‖Jacobian‖·‖residual‖ "
            f"{gradient / (a_norm * r_norm):.3g} > {STATIONARY_RTOL:g})."
        )
    return True, "Converged: a stationary point of the loss (the targets are not matched exactly)."


# ----------------------------------------------------------------------------- calibrate


def calibrate(
    model: Model,
    targets: Mapping[str, Any] | tuple[Callable[[Model], Any], Any],
    free: str | Sequence[str],
    *,
    moment_se: Any = None,
    weights: Any = None,
    method: Any = "least_squares",
    solver: Solver | None = None,
    steps: int | None = None,
    progress: bool = True,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    moment_covariance: Any = None,
    rtol: float = 1e-10,
    atol: float = 1e-10,
    gtol: float = 1e-12,
) -> Calibration:
    """Fit the free parameters of `model` so that its equilibrium matches target moments.

    Minimises ½ (m(θ) − t)ᵀ W (m(θ) − t) over the free parameters θ, where m(θ) are the
    moments at the equilibrium of the model with parameters θ (all other parameters held at
    their values in `model`) and t the targets. Derivatives are exact: they run through the
    equilibrium solve's implicit adjoint (no finite differences).

    The search runs in unconstrained coordinates read from the model's `requirements()`
    (elementwise): θ > lo ⇒ u = log(θ − lo) (so `positive` ⇒ log θ, σ > 1 ⇒ log(σ − 1));
    θ < hi ⇒ u = log(hi − θ); lo < θ < hi ⇒ u = logit((θ − lo)/(hi − lo)); no requirement ⇒
    u = θ. Closed bounds (τ ≥ 1) are searched as open ones. `bounds` overrides them.

    Standard errors are the delta method's, B Ω Bᵀ with B = (GᵀWG)⁻¹GᵀW, G the moment Jacobian
    and Ω the covariance of the targets, which must come from somewhere: `moment_se` (the
    targets' standard errors; then W defaults to Ω⁻¹, the efficient weights), or `weights`
    read as inverse variances (Ω = W⁻¹), or, with neither, unit weights and a standard error of
    1 for every target — the result says which (`se_basis`, `unit_weighted`).

    **Arguments:**
    - `model`: the model; its values of the free parameters are the starting point;
    - `targets`: either a mapping `{outcome name: observed value}` (each shaped like the
      outcome), or a pair `(moments_fn, observed)` where `moments_fn(model)` returns a PyTree
      of arrays shaped like `observed` (it may call `diffecon.solve` itself);
    - `free`: the names of the parameters to fit (float fields of `model`; arrays allowed);
    - `moment_se`: the targets' standard errors, a mapping by target name (each broadcast to the
      target's shape; every target needs one) or a vector over the flattened moments in
      `Calibration.moment_names` order (targets sorted by name);
    - `weights`: W as a mapping of weights by target name (diagonal; each broadcast to the
      target's shape; default 1) or an (M, M) positive semi-definite matrix in
      `Calibration.moment_names` order; default 1/moment_se² when `moment_se` is given, else 1;
    - `method`: ``"least_squares"`` (optimistix Levenberg–Marquardt), ``"gauss_newton"``
      (optimistix Gauss–Newton), an optimistix least-squares solver instance, or any optax
      `GradientTransformation` (e.g. `optax.adam(1e-2)`, `optax.lbfgs()`) run in a `lax.scan`;
    - `solver`: the equilibrium solver settings, a `diffecon.Solver` (default: its defaults);
      used for the targets given by outcome name (a `moments_fn` solves as it likes);
    - `steps`: the step cap (default 200 for least squares, 1000 for optax);
    - `progress`: print a plain-text progress bar on stderr when a run takes over a second;
    - `bounds`: `{name: (lower, upper)}` (None for no bound) overriding the model's domains;
    - `moment_covariance`: instead of `moment_se`, the targets' full covariance Ω, an (M, M)
      matrix in `moment_names` order;
    - `rtol`, `atol`: least-squares stopping tolerances on steps and residuals;
    - `gtol`: optax stopping tolerance on max |∇loss| in the search coordinates.

    **Returns:** a `Calibration`; read `converged` and `message` before its numbers (standard
    errors are NaN when the fit did not converge).

    **Raises:** `ValueError` for an unknown parameter or outcome, a target of the wrong shape,
    bad weights or standard errors, or a start outside the domain; `SolveError` when the
    starting model has no equilibrium (the search needs a solvable start).
    """
    if not isinstance(model, Model):
        raise TypeError(f"calibrate expects a diffecon Model, got {type(model).__name__}.")
    free = _free_names(model, free)

    if isinstance(targets, Mapping):
        observed, moments = _outcome_targets(model, targets, solver)
    else:
        observed, moments = _callable_targets(model, targets)
    named = observed if isinstance(observed, Mapping) else {"moments": observed}
    flat_observed, moment_names = _flat_named(named)
    if not np.all(np.isfinite(flat_observed)):
        raise ValueError(f"targets must be finite; got {flat_observed.tolist()}.")
    n_moments = len(moment_names)

    domains, coordinates = free_bounds(model, free, bounds)
    starts = {n: np.asarray(getattr(model, n), dtype=np.float64) for n in free}
    for n in free:
        check_inside(n, starts[n], *domains[n])
    shapes = tuple(starts[n].shape for n in free)
    theta0 = np.concatenate([starts[n].ravel() for n in free])
    lower = np.concatenate([np.full(starts[n].size, domains[n][0]) for n in free])
    upper = np.concatenate([np.full(starts[n].size, domains[n][1]) for n in free])
    param_names = tuple(x for n in free for x in (
        [n] if starts[n].size == 1 else [f"{n}{list(i)}" for i in np.ndindex(starts[n].shape)]))

    omega, omega_source = _moment_covariance(moment_se, moment_covariance, observed, n_moments)
    weight = _moment_matrix(weights, observed, "weights", n_moments)
    unit_weighted = weight is None and omega is None
    if weight is None and omega is not None:
        weight = np.linalg.pinv(omega, hermitian=True)  # efficient weights
    if omega is not None:
        se_basis = f"delta method with the moment covariance from {omega_source}"
    elif weight is not None:
        se_basis = ("delta method with the weights read as the targets' inverse variances (Ω = W⁻¹); "
                    "pass moment_se= if they are not")
    else:
        se_basis = ("unit-weighted: every target weighted 1 and taken to have standard error 1 (Ω = I); "
                    "pass moment_se= (the targets' standard errors) for meaningful standard errors")
    problem = _Problem(
        model, jnp.asarray(lower), jnp.asarray(upper), jnp.asarray(flat_observed),
        jnp.asarray(_root_weight(weight, n_moments)), moments, free, shapes,
    )
    weight = np.eye(n_moments) if weight is None else weight

    search, label = _search(method, rtol, atol)
    total = _DEFAULT_STEPS["optax" if search is None else "least_squares"] if steps is None else int(steps)
    if total < 1:
        raise ValueError(f"steps={steps}: need at least one step.")
    _, start_ok, why = moments.final(model)
    if not start_ok:
        raise SolveError(f"calibrate: the starting model has no equilibrium to start from: {why}")
    u0 = to_unconstrained(theta0, lower, upper, np)
    bar = ProgressBar(total, f"calibrate {type(model).__name__}", progress)
    if search is None:
        u, history, search_converged, n_steps, jac_u = _run_optax(problem, method, u0, total, gtol, bar)
    else:
        u, history, search_converged, n_steps, jac_u = _run_least_squares(problem, search, u0, total, bar)

    theta = from_unconstrained(u, lower, upper, np)
    fitted_model = problem.model_at(theta)
    final_moments, equilibrium_ok, why = moments.final(fitted_model)
    fitted = np.asarray(_flat(final_moments))
    root = np.asarray(problem.root_weight)
    residual = fitted - flat_observed
    residual = root * residual if root.ndim == 1 else root @ residual
    loss = 0.5 * float(residual @ residual)

    jac = _jacobian_from_search(jac_u, problem, u, root)
    if jac is None:
        jac = np.asarray(_moment_jacobian(problem, jnp.asarray(theta)))
    weighted_jac = root[:, None] * jac if root.ndim == 1 else root @ jac
    weighted_targets = root * flat_observed if root.ndim == 1 else root @ flat_observed
    converged, message = _verdict(search_converged, label, n_steps, equilibrium_ok, why, weighted_jac,
                                  residual, weighted_targets, free)
    bar.close(n_steps, loss, "converged" if converged else "NOT converged")
    omega_used = np.linalg.pinv(weight, hermitian=True) if omega is None else omega
    if converged:
        covariance = delta_covariance(jac, weight, omega)
    else:
        covariance = np.full((theta.size, theta.size), np.nan)
        se_basis = "none: the fit did not converge, and a delta method needs an optimum (NaN)"
    params = {n: np.asarray(getattr(fitted_model, n)) for n in free}
    return Calibration(
        model=fitted_model,
        params=params,
        loss=loss,
        history=history,
        converged=converged,
        message=message,
        steps=n_steps,
        method=label,
        moments=_unflatten_like(fitted, observed),
        targets=observed,
        jacobian=jac,
        weight=weight,
        unit_weighted=unit_weighted,
        moment_covariance=omega_used,
        se_basis=se_basis,
        covariance=covariance,
        se=_split(np.sqrt(np.diag(covariance)), params),
        identification=identification(weighted_jac, param_names),
        moment_names=moment_names,
        param_names=param_names,
        coordinates=coordinates,
    )


def _free_names(model: Model, free: str | Sequence[str]) -> tuple[str, ...]:
    """`free` as a tuple of distinct float parameters of `model`; raises otherwise."""
    names = (free,) if isinstance(free, str) else tuple(free)
    if not names:
        raise ValueError("free is empty; name at least one parameter to calibrate.")
    if len(set(names)) != len(names):
        raise ValueError(f"free names a parameter twice: {list(names)}.")
    fields = [f for f in model.__dataclass_fields__ if not f.startswith("_")]
    floats = [f for f in fields if eqx.is_inexact_array(getattr(model, f, None))]
    for n in names:
        if n not in floats:
            raise ValueError(
                f"free: {n!r} is not a float parameter of {type(model).__name__}; "
                f"its parameters are {', '.join(floats)}."
            )
    return names


def _unflatten_like(flat: np.ndarray, like: Any) -> Any:
    leaves, treedef = jax.tree_util.tree_flatten(like)
    out, start = [], 0
    for leaf in leaves:
        out.append(flat[start : start + leaf.size].reshape(leaf.shape))
        start += leaf.size
    return jax.tree_util.tree_unflatten(treedef, out)


def _search(method: Any, rtol: float, atol: float):
    """(optimistix least-squares solver or None for optax, label)."""
    if isinstance(method, str):
        if method == "least_squares":
            return optx.LevenbergMarquardt(rtol=rtol, atol=atol), "least_squares"
        if method == "gauss_newton":
            return optx.GaussNewton(rtol=rtol, atol=atol), "gauss_newton"
        raise ValueError(
            f"method={method!r}: use 'least_squares', 'gauss_newton', an optimistix least-squares "
            "solver or an optax GradientTransformation."
        )
    if isinstance(method, optx.AbstractGaussNewton):
        return method, type(method).__name__
    if isinstance(method, optax.GradientTransformation):
        return None, "optax"
    raise ValueError(
        f"method={method!r}: use 'least_squares', 'gauss_newton', an optimistix Gauss–Newton-type "
        "solver (LevenbergMarquardt, GaussNewton, Dogleg) or an optax GradientTransformation."
    )
