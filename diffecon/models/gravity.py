"""N-country structural gravity: Krugman (1980) generalised to N countries, calibrated to data.

Two models:

- `Gravity`: full general equilibrium in exact hat algebra (Dekle, Eaton and Kortum 2008). CES
  demand with elasticity σ, iceberg trade costs, one factor (labour) per country, free entry, so
  the number of varieties is proportional to L_i and trade shares follow
  λ_ij = L_i (w_i τ_ij)^{1−σ} / Σ_k L_k (w_k τ_kj)^{1−σ}. The baseline reproduces the observed
  flows X_ij exactly (the unobservables L_i, τ_ij are recovered from them, see `unobservables`);
  a counterfactual changes trade costs by τ̂_ij^{1−σ} = exp(Σ_k b_k Δz_kij) · t̂_ij^{1−σ} (b the
  PPML coefficients, Δz the change in cost covariates, t̂ an extra iceberg change such as a
  tariff equivalent), and wages ŵ_i solve market clearing in every country.
- `GravityGegravity`: the conventions of the USITC `gegravity` package's `OneSectorGE` (v0.3),
  so its users can compare: see the class docstring for where they differ from full GE.

Notation: rows are exporters i, columns importers j. Y_i = Σ_j X_ij (output), E_j = Σ_i X_ij
(expenditure), D_j = E_j − Y_j (deficit), T = Σ_i Y_i (world income).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, final

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
from jax.nn import logsumexp

from ..core import AbstractModel, Requirement, at_least, greater_than, param, positive
from . import _ces

__all__ = ["Gravity", "GravityGegravity", "CLOSURES", "LINEAR_SOLVES", "closure_description"]

CLOSURES = ("deficits", "proportional")
_TATONNEMENT_ROUNDS = 40  # most rounds of `Gravity.guess`'s tâtonnement (it stops when settled)
_SINKHORN_ROUNDS = 2000  # most rounds of `GravityGegravity.guess` (it stops when settled)
_NEWTON_ROUNDS = 60  # most steps of the damped Newton that finishes both guesses
_GUESS_TOL = 1e-9  # ... which stops at this max-norm of the residuals (the solve polishes)
_SETTLED = 1e-13  # the tâtonnement stops at this max |excess demand| (in logs)
_NEWTON_READY = 1e-3  # a start with ‖F‖ below this is left to the solve's Newton (it never failed from 0.05)
_PATH_ROUNDS = 20  # most damped Newton steps of one homotopy step (then it shortens the step)
_LINE_SEARCH = 24  # step lengths tried per damped Newton step: 1, 1/2, ..., 2^-23
_PATH_TRIES = 64  # most damped Newton solves along the homotopy of a guess (where a direct one fails)
_TINY = 1e-100  # `Gravity._solve_parts` rescales where a price-index term is below this
_RESCALED_N = 16  # ... and always, up to this many countries
_PATH_MIN_STEP = 1e-6  # the homotopy stops when its step in t falls below this
LINEAR_SOLVES = ("dense", "matrix_free")

_CLOSURE_TEXT = {
    "deficits": "nominal trade deficits held fixed relative to world income (Dekle–Eaton–Kortum)",
    "proportional": "expenditure proportional to output (E_j/Y_j fixed, rescaled so world "
                    "expenditure equals world output)",
}


def closure_description(closure: str) -> str:
    """One line saying what the trade-deficit closure holds fixed."""
    return _CLOSURE_TEXT[closure]


def _shock_log(coef, covariates, new_covariates, tau_change, sigma):
    """ln τ̂_ij^{1−σ}: the covariate change weighted by the coefficients, plus the iceberg change."""
    shift = jnp.einsum("k,kij->ij", coef, new_covariates - covariates) if coef.shape[0] else 0.0
    return shift + (1.0 - sigma) * jnp.log(tau_change)


class _CostShock(AbstractModel):
    """The trade-cost experiment both gravity models share: elasticity, coefficients, covariates.

    Each concrete model's `__init__` calls `_set_costs` (the defaults depend on its N) and
    declares its own size parameters; `__check_init__` checks the shapes fit together.
    """

    sigma: jnp.ndarray = param()
    coef: jnp.ndarray = param(ndim=1)
    covariates: jnp.ndarray = param(ndim=3)
    new_covariates: jnp.ndarray = param(ndim=3)
    tau_change: jnp.ndarray = param(ndim=2)
    coef_cov: jnp.ndarray = param(ndim=2)
    countries: tuple = eqx.field(static=True)
    covariate_names: tuple = eqx.field(static=True)

    def _set_costs(self, n, sigma, coef, covariates, new_covariates, tau_change, coef_cov, countries,
                   covariate_names):
        """Fill the cost fields, with defaults for N countries: no covariates, no change."""
        coef = np.zeros(0) if coef is None else coef
        k = 0 if isinstance(coef, (str, bytes)) else int(np.size(coef))  # a bad coef: the core says so
        covariates = np.zeros((k, n, n)) if covariates is None else covariates
        self.sigma = sigma
        self.coef = coef
        self.covariates = covariates
        self.new_covariates = covariates if new_covariates is None else new_covariates
        self.tau_change = np.ones((n, n)) if tau_change is None else tau_change
        self.coef_cov = np.zeros((k, k)) if coef_cov is None else coef_cov
        self.countries = tuple(f"c{i}" for i in range(n)) if countries is None else tuple(map(str, countries))
        self.covariate_names = (tuple(f"z{i}" for i in range(k)) if covariate_names is None
                                else tuple(map(str, covariate_names)))

    def _cost_requirements(self) -> tuple[Requirement, ...]:
        return (greater_than("sigma", self.sigma, 1.0), positive("tau_change", self.tau_change))

    def _check_shapes(self, n: int) -> None:
        """Raise `ValueError` when the cost fields do not fit N countries and K coefficients.
        (Non-numbers and wrong ranks are left to the core's check, which names them.)"""
        if not all(_numeric(getattr(self, f)) for f in ("coef", "covariates", "new_covariates",
                                                       "tau_change", "coef_cov")):
            return
        k = self.coef.shape[0] if self.coef.ndim == 1 else 0
        for name, shape in (("covariates", (k, n, n)), ("new_covariates", (k, n, n)),
                            ("tau_change", (n, n)), ("coef_cov", (k, k))):
            value = getattr(self, name)
            if value.ndim == len(shape) and value.shape != shape:
                raise ValueError(f"{type(self).__name__}: parameter {name} has shape {value.shape}; "
                                 f"the admissible shape is {shape} ({k} coefficients, {n} countries).")
        if len(self.countries) != n or len(set(self.countries)) != n:
            raise ValueError(f"{type(self).__name__}: countries={self.countries} must be {n} distinct codes.")
        if len(self.covariate_names) != k:
            raise ValueError(
                f"{type(self).__name__}: covariate_names={self.covariate_names} must be {k} names.")

    def log_cost_change(self) -> jnp.ndarray:
        """ln τ̂_ij^{1−σ}, the experiment's change in bilateral trade costs (trade elasticity form)."""
        return _shock_log(self.coef, self.covariates, self.new_covariates, self.tau_change, self.sigma)


def _numeric(value: Any) -> bool:
    """True for a float array (what the core's converter makes of a number)."""
    return eqx.is_array(value) and jnp.issubdtype(value.dtype, jnp.floating)


def _numeraire_index(numeraire: str, countries: Sequence[str]) -> int:
    """-1 for world income, else the country's position."""
    if numeraire == "world":
        return -1
    if numeraire not in countries:
        raise ValueError(
            f"numeraire={numeraire!r} must be 'world' or one of the country codes {list(countries)}.")
    return list(countries).index(numeraire)


def _damped_newton(fn, x, *, rounds: int, tol: float, ready: float = 0.0, linear_solver=None):
    """Newton's method with a backtracking line search on ½‖F‖², from `x`, for a guess.

    The root finder of `solve` takes full Newton steps; at a large σ the market-clearing
    conditions are so curved (ŵ^{1−σ} changes e-fold when ŵ moves by 1/σ) that a full step from
    a tâtonnement's end can overshoot into a region where it never returns. Here each step is
    the longest of 1, 1/2, 1/4, ... (at most `_LINE_SEARCH` tried) that lowers ‖F‖² by Armijo's
    rule; a point where `fn` is not finite (negative expenditure) is never taken. It stops at
    max |F| ≤ `tol`, after `rounds` steps, or when no step length lowers ‖F‖; it does not start
    where ‖F‖ ≤ `ready` (close enough for the solve's own Newton, which then costs no more than
    without this one).

    **Arguments:** `fn`: flat unknowns -> flat residuals (square); `x`: the start;
    `linear_solver`: None (dense LU of the Jacobian) or a lineax solver (matrix-free).

    **Returns:** the point reached and its ‖F‖² (inf where not finite).
    """
    def merit(v):
        f = fn(v)
        return jnp.where(jnp.all(jnp.isfinite(f)), jnp.sum(f * f), jnp.inf)

    def body(carry):
        v, m, k, _ = carry
        step = -_linear_solve(fn, v, fn(v), linear_solver)
        step = jnp.where(jnp.isfinite(step), step, 0.0)

        def shorter(search):
            j, _, _ = search
            alpha = 0.5 ** j.astype(v.dtype)
            trial = merit(v + alpha * step)
            return j + 1, jnp.isfinite(trial) & (trial <= (1.0 - 1e-4 * alpha) * m), trial

        j, moved, trial = jax.lax.while_loop(lambda c: (c[0] < _LINE_SEARCH) & ~c[1], shorter,
                                             (0, jnp.asarray(False), m))
        alpha = 0.5 ** (j - 1).astype(v.dtype)
        return jnp.where(moved, v + alpha * step, v), jnp.where(moved, trial, m), k + 1, moved

    def going(carry):
        _, m, k, moved = carry
        return (k < rounds) & moved & ~(m <= tol * tol) & ~((k == 0) & (m <= ready * ready))

    v, m, _, _ = jax.lax.while_loop(going, body, (x, merit(x), 0, jnp.asarray(True)))
    return v, m


def _continued(fn, x1, x0, *, linear_solver=None, ready_fn=None):
    """A root of `fn(1, ·, True)`: damped Newton from `x1`, else a homotopy from the root `x0` of
    `fn(0, ·, False)`.

    `fn(t, x, strict)` are the conditions with the experiment scaled by t; `strict` (traced)
    adds a constraint the path may leave and re-enter (`Gravity`'s positive expenditure: the
    validity check of `solve` judges the end). The first try is the whole experiment from `x1`
    (a cheap start near the solution, taken as it is where ‖F‖ ≤ `_NEWTON_READY`). Where that
    fails, the experiment is applied in fractions t, following the root x(t): each try starts
    the damped Newton at the tangent prediction x(t) + Δt·dx/dt (dx/dt = −F_x⁻¹ F_t) from the
    last t that succeeded; Δt doubles after a success and is quartered after a failure, so the
    path follows the solution through shocks that move trade shares over hundreds of orders of
    magnitude. It gives up after `_PATH_TRIES` tries or when Δt falls below `_PATH_MIN_STEP` (no
    root ahead on the path, e.g. a closure without an equilibrium, or a fold); the point
    returned is then the last root found (or the first try's end). One loop does both, so the
    program holds one damped Newton (compilation time). `ready_fn`: a cheaper form of
    `fn(1, ·, True)` for the first test of `x1`.
    """
    dtype = x0.dtype
    f1 = fn(1.0, x1, True) if ready_fn is None else ready_fn(x1)
    ready = jnp.all(jnp.isfinite(f1)) & (jnp.sum(f1 * f1) <= _NEWTON_READY**2)

    def going(carry):
        t, _, dt, k, _ = carry
        return ((k == 0) & ~ready) | ((k > 0) & (t < 1.0) & (dt >= _PATH_MIN_STEP) & (k <= _PATH_TRIES))

    def body(carry):
        t, x, dt, k, first = carry
        path = k > 0
        t_try = jnp.where(path, jnp.minimum(1.0, t + dt), 1.0).astype(dtype)
        start = jax.lax.cond(path, lambda: _predicted(lambda s, v: fn(s, v, False), t, x, t_try, linear_solver),
                             lambda: x1)
        x_try, merit = _damped_newton(lambda v: fn(t_try, v, ~path), start,
                                      rounds=jnp.where(path, _PATH_ROUNDS, _NEWTON_ROUNDS), tol=_GUESS_TOL,
                                      ready=jnp.where(path, 0.0, _NEWTON_READY), linear_solver=linear_solver)
        ok = merit <= jnp.where(path, _GUESS_TOL, _NEWTON_READY) ** 2
        # The first try's success ends the loop at t = 1; its failure starts the path at t = 0.
        t_new = jnp.where(ok, t_try, jnp.where(path, t, 0.0))
        x_new = jnp.where(ok, x_try, jnp.where(path, x, x0))
        dt_new = jnp.where(path & ~ok, dt / 4.0, jnp.where(path, 2.0 * dt, dt))
        return t_new, x_new, dt_new, k + 1, jnp.where(path, first, x_try)

    start = (jnp.where(ready, 1.0, 0.0).astype(dtype), x1, jnp.asarray(0.25, dtype), 0, x1)
    t, x, _, _, first = jax.lax.while_loop(going, body, start)
    return jnp.where(t > 0.0, x, first)


def _slope(fn, t, x, linear_solver):
    """dx/dt = −F_x⁻¹ F_t at the root `x` of `fn(t, ·)`: the path's tangent."""
    _, f_t = jax.jvp(lambda s: fn(s, x), (t,), (jnp.ones_like(t),))
    return -_linear_solve(lambda v: fn(t, v), x, f_t, linear_solver)


def _predicted(fn, t, x, t_new, linear_solver):
    """x + (t_new − t)·dx/dt at the root `x` of `fn(t, ·)` (the tangent taken as 0 where not finite)."""
    slope = _slope(fn, t, x, linear_solver)
    return x + (t_new - t) * jnp.where(jnp.all(jnp.isfinite(slope)), slope, 0.0)


def _path_try(fn, t, x, t_new, linear_solver):
    """One step of the homotopy (as `_continued`'s): from the root `x` of `fn(t, ·)` to
    (x', max |fn(t_new, x')|), x' the damped Newton's end from the tangent prediction."""
    x_new, _ = _damped_newton(lambda v: fn(t_new, v), _predicted(fn, t, x, t_new, linear_solver),
                              rounds=_PATH_ROUNDS, tol=_GUESS_TOL, linear_solver=linear_solver)
    return x_new, _max_abs(fn(t_new, x_new))


def _max_abs(f):
    """max |f|, inf where an element is not finite."""
    return jnp.where(jnp.all(jnp.isfinite(f)), jnp.max(jnp.abs(f)), jnp.inf)


def _linear_solve(fn, x, rhs, linear_solver):
    """F_x⁻¹ rhs for F = `fn` at `x`: dense LU (`linear_solver` None) or a lineax solver."""
    if linear_solver is None:
        return jnp.linalg.solve(jax.jacfwd(fn)(x), rhs)
    operator = lx.JacobianLinearOperator(lambda u, _: fn(u), x)
    return lx.linear_solve(operator, rhs, linear_solver, throw=False).value


class _BiCGStab(lx.BiCGStab):
    """lineax's BiCGStab on the right-hand side scaled to max |b| = 1 (the solution scaled back),
    so its tolerances are relative to the whole vector: Newton's last steps, whose right-hand
    sides are tiny, are solved as accurately as the first (with an absolute `atol` they would
    stop at once, and the root would be ~1e-12 off). A zero right-hand side has the solution 0
    (lineax's divides 0 by 0 there: Newton's step at an exact root, the derivative in a
    parameter no equation uses)."""

    def compute(self, state, vector, options):
        scale = jnp.max(jnp.abs(vector))
        zero = ~(scale > 0)
        solution, result, stats = super().compute(state, vector / jnp.where(zero, 1.0, scale), options)
        return (jnp.where(zero, jnp.zeros_like(solution), solution * scale),
                lx.RESULTS.where(zero, lx.RESULTS.successful, result), stats)


def _rescaled_parts(scaled, log_A, E):
    """`Gravity._solve_parts`'s price indices and sales with every term scaled to its own market.

    With Z_kj = (1−σ) ln ŵ_k + ln A_kj, c_j = max_k Z_kj and r_i = max_j (Z_ij − c_j) (held
    constant in derivatives: they cancel), p_j = Σ_k e^{Z_kj − c_j} ∈ [1, N] and
    sales_i = e^{r_i} Σ_j e^{Z_ij − c_j − r_i} E'_j / p_j, so neither can underflow. The
    ŵ-dependence goes through u_k = e^{(1−σ) ln ŵ_k − const} (= 1 in value), which keeps the
    Jacobian's N tangents matrix products.
    """
    fixed = jax.lax.stop_gradient(scaled)
    u = jnp.exp(scaled - fixed)
    Z = fixed[:, None] + log_A
    c = jax.lax.stop_gradient(jnp.max(Z, axis=0))
    Z = Z - c[None, :]
    B = jnp.exp(Z)
    p = u @ B
    r = jax.lax.stop_gradient(jnp.max(Z, axis=1))
    C = jnp.exp(Z - r[:, None])
    return {"log_p": jnp.log(p) + c, "A": B, "u": u, "p": p, "log_sales": r + jnp.log(u * (C @ (E / p)))}


_ZERO_EXPENDITURE = 1e-6  # expenditure/income below which a path that ends has reached zero
_BISECTIONS = 40  # halvings of the t interval where an expenditure crosses zero
_EXPLAIN_MIN_STEP = 1e-10  # `explain_failure` follows the path to steps in t this short


def _follow_shock(model) -> dict[str, Any]:
    """Follow `Gravity`'s equilibrium from the baseline (t = 0) along the scaled shock (concrete).

    The homotopy of the guess (`_path_try`, compiled once per model structure), with the
    expenditures allowed to turn negative (the market-clearing conditions stay finite while
    every seller's sales do), run to t = 1 or until it stalls. Where an expenditure E'_j/(ŵ_j Y_j)
    changes sign between two steps, the crossing is located by bisection in t.

    **Returns:** dict with `t` (where the path ends), `x`, `norm` (max |F| there), `ratio`
    (E'/ŵY there), `crossing` (None or (t, country) of the first zero of an expenditure),
    `speed` (max |d ln ŵ/dt| at the end) and `trade` (each country's export or import share, the
    smaller, at the end).
    """
    n = model.flows.shape[-1]
    t, x, dt = 0.0, np.zeros(n), 0.25
    ratio = np.asarray(_path_state(model, np.float64(0.0), x)[1])
    crossing = None
    norm = 0.0
    for _ in range(_PATH_TRIES * 4):
        if t >= 1.0 or dt < _EXPLAIN_MIN_STEP:
            break
        t_try = min(1.0, t + dt)
        x_try, norm_try, ratio_try = (np.asarray(v) for v in _path_step(model, np.float64(t), x, np.float64(t_try)))
        if not norm_try <= _GUESS_TOL:
            dt /= 4.0
            continue
        if crossing is None and np.any(ratio_try <= 0):
            crossing = _bisect_crossing(model, t, x, ratio, t_try)
        t, x, ratio, norm, dt = t_try, x_try, ratio_try, float(norm_try), 2.0 * dt
    speed, trade = (np.asarray(v) for v in _path_state(model, np.float64(t), x)[2:])
    return {"t": t, "x": x, "norm": norm, "ratio": ratio, "crossing": crossing, "speed": float(speed),
            "trade": trade}


def _bisect_crossing(model, t_lo, x_lo, ratio_lo, t_hi):
    """(t, country): where the first expenditure to turn negative in (t_lo, t_hi] reaches zero."""
    for _ in range(_BISECTIONS):
        t_mid = 0.5 * (t_lo + t_hi)
        x_mid, norm, ratio = (np.asarray(v) for v in _path_step(model, np.float64(t_lo), x_lo, np.float64(t_mid)))
        if norm <= _GUESS_TOL and np.all(ratio > 0):
            t_lo, x_lo, ratio_lo = t_mid, x_mid, ratio
        else:
            t_hi = t_mid
    return 0.5 * (t_lo + t_hi), int(np.argmin(ratio_lo))


@eqx.filter_jit
def _path_step(model, t, x, t_new):
    """`_path_try` on `Gravity`'s residuals, expenditure unconstrained: (x', max |F|, E'/ŵY)."""
    t, t_new = jnp.asarray(t, x.dtype), jnp.asarray(t_new, x.dtype)
    linear = None if model.linear_solve == "dense" else model.linear_solver()
    x_new, norm = _path_try(_unconstrained(model), t, jnp.asarray(x), t_new, linear)
    return x_new, norm, _path_state(model, t_new, x_new)[1]


def _unconstrained(model):
    """`Gravity`'s flat residuals at fraction t of the shock, `fn(t, log ŵ)`, expenditure allowed
    to turn negative (the form the explanation's path follows)."""
    pieces = model._cost_pieces()
    return lambda s, v: model._flat_residuals(v, positive=False, costs=model._costs(s, pieces), form="rescaled")


@eqx.filter_jit
def _path_state(model, t, x):
    """(max |F|, E'/ŵY, max |d ln ŵ/dt|, least trade share) at fraction t of the shock."""
    t = jnp.asarray(t, jnp.asarray(x).dtype)
    fn = _unconstrained(model)
    parts = model._solve_parts(x, model._costs(t), "rescaled")
    shares = model._shares(parts)
    off = 1.0 - jnp.eye(shares.shape[-1])
    sales = shares * parts["E"][None, :]
    exports = (sales * off).sum(1) / sales.sum(1)
    trade = jnp.minimum(exports, 1.0 - jnp.diagonal(shares))  # export share, import share
    speed = jnp.max(jnp.abs(_slope(fn, t, x, None)))
    return _max_abs(fn(t, x)), parts["E"] / parts["Y"], speed, trade


_FOLD_SPEED = 1e3  # |d ln ŵ/dt| beyond which the end of a path is read as a fold


def _stall_words(path) -> str:
    """Why the path of equilibria ends where it does, in words."""
    low = np.flatnonzero(path["trade"] < 1e-6)
    barely = (f" (a country that barely trades, export or import share {path['trade'][low].min():.0e}, "
              "has its relative wage set by that tiny trade)") if low.size else ""
    if not path["speed"] <= _FOLD_SPEED:
        return (f"the wages move without bound there (|d ln ŵ/dt| = {path['speed']:.1e}){barely}: the path "
                "folds back, so an equilibrium of the full shock, if any, lies on another branch")
    return f"Newton cannot follow it further (|d ln ŵ/dt| = {path['speed']:.1e}){barely}"


def _pct_change(new, old):
    """100 (new/old − 1), and 0 where the baseline is 0 (a zero flow stays zero)."""
    safe = jnp.where(old > 0, old, 1.0)
    return jnp.where(old > 0, 100.0 * (new / safe - 1.0), 0.0)


class _SearchForm(eqx.Module):
    """`Gravity`'s residuals with the experiment's cost matrix (N² exponentials) computed once:
    what Newton's iterations evaluate (`Gravity.search_form`)."""

    model: Any
    costs: tuple

    def residuals(self, x):
        log_w = x["log_wage_change"]
        return self.model._residuals_from(log_w, self.model._solve_parts(log_w, self.costs))


@final
class Gravity(_CostShock):
    """N-country Krugman (1980) / structural gravity in full general equilibrium (exact hat algebra).

    **Parameters:**
    - `flows`: N×N baseline trade flows X_ij ≥ 0 (exporter i, importer j), domestic X_ii > 0;
    - `sigma`: elasticity of substitution σ > 1 (the trade elasticity is σ − 1);
    - `coef`: K trade-cost coefficients b (PPML estimates: τ_ij^{1−σ} ∝ exp(z_ij'b));
    - `covariates`, `new_covariates`: K×N×N cost covariates z in the baseline and the experiment
      (equal by default: the zero-change experiment);
    - `tau_change`: N×N multiplicative change t̂_ij > 0 in iceberg costs on top of the covariates
      (e.g. 1.1 for a 10% tariff equivalent; default 1);
    - `coef_cov`: K×K covariance of `coef` (for standard errors; not used by the solve);
    - static: `countries` (codes), `covariate_names`, `closure` ("deficits" or "proportional",
      see `CLOSURES`), `numeraire` ("world": world income is fixed, or a country code: its wage),
      `linear_solve` ("dense": LU of the N×N Newton Jacobian, fastest up to a few hundred
      countries; "matrix_free": BiCGStab on Jacobian-vector products, O(N²) work and memory per
      iteration, for large N; both give the same equilibrium and derivatives).

    **Unknowns:** `log_wage_change`, ln ŵ_i (N). **Equations:** market clearing
    ln(Σ_j λ'_ij E'_j) − ln(ŵ_i Y_i) = 0 for every country but one (Walras' law drops the last;
    the numeraire's own when it is a country), and the numeraire ln ŵ_c = 0 or ln(Σ ŵ_i Y_i / T) = 0.
    λ'_ij = λ_ij (ŵ_i τ̂_ij)^{1−σ} / Σ_k λ_kj (ŵ_k τ̂_kj)^{1−σ}  (hat form of the gravity shares).
    Closures: "deficits" E'_j = ŵ_j Y_j + (D_j/T)·Σ_i ŵ_i Y_i; "proportional"
    E'_j = φ_j ŵ_j Y_j · (Σ ŵ Y)/(Σ φ ŵ Y), φ_j = E_j/Y_j. **Validity:** `positive_expenditure`,
    E'_j > 0: under "deficits" a large shock to a surplus country can leave none (no equilibrium:
    the error says so, naming the country and the fraction of the shock at which its expenditure
    reaches zero), "proportional" always has one. The start is a tâtonnement from ŵ = 1 finished
    by a damped Newton, and where that fails, a homotopy that applies the shock in fractions
    from the baseline (`guess`).

    **Outcomes** (`*_change` are counterfactual/baseline ratios, hats; `*_pct` are percent
    changes, 100·(hat − 1)):
    - `wage_change`: ŵ_i, factory-gate price (wage) change, relative to the numeraire;
    - `price_index_change`: P̂_j = (Σ_i λ_ij (ŵ_i τ̂_ij)^{1−σ})^{1/(1−σ)};
    - `welfare_pct`: 100·(Ê_j/P̂_j − 1), percent change in real income (real expenditure);
    - `real_wage_pct`: 100·(ŵ_j/P̂_j − 1) (= 100·(λ̂_jj^{1/(1−σ)}/τ̂_jj − 1), the ACR formula);
    - `flows`: counterfactual X'_ij = λ'_ij E'_j; `trade_pct`: 100·(X'_ij/X_ij − 1) (0 where X_ij = 0);
    - `output`, `expenditure`, `deficit`: Y'_i, E'_j, E'_j − Y'_j; `world_income`: Σ Y'_i;
    - `exports`, `imports`: foreign sales and purchases; `exports_pct`, `imports_pct` (0 for a
      country with none in the data: zero flows stay zero);
    - `domestic_share`: λ'_jj; `terms_of_trade_pct`: 100·(ŵ_j / P̂ᴹ_j − 1), P̂ᴹ_j the CES import
      price index over foreign sources (baseline import shares as weights);
    - `market_clearing_gap`: max_i |Σ_j X'_ij / Y'_i − 1| (every market, including the dropped one).
    """

    flows: jnp.ndarray = param(ndim=2)
    closure: str = eqx.field(static=True)
    numeraire: str = eqx.field(static=True)
    linear_solve: str = eqx.field(static=True)

    def __init__(self, flows, sigma, coef=None, covariates=None, new_covariates=None, tau_change=None,
                 coef_cov=None, countries=None, covariate_names=None, closure="deficits",
                 numeraire="world", linear_solve="dense"):
        shape = np.shape(flows) if not isinstance(flows, (str, bytes)) else ()
        self.flows = flows
        self._set_costs(shape[-1] if shape else 0, sigma, coef, covariates, new_covariates, tau_change,
                        coef_cov, countries, covariate_names)
        self.closure = closure
        self.numeraire = numeraire
        self.linear_solve = linear_solve

    def __check_init__(self) -> None:
        if _numeric(self.flows) and self.flows.ndim == 2:
            n = self.flows.shape[0]
            if self.flows.shape != (n, n):
                raise ValueError(f"Gravity: parameter flows has shape {self.flows.shape}; the admissible "
                                 "shape is (N, N).")
            self._check_shapes(n)
        if self.closure not in CLOSURES:
            raise ValueError(f"Gravity: closure={self.closure!r} is not one of {CLOSURES}.")
        _numeraire_index(self.numeraire, self.countries)
        if self.linear_solve not in LINEAR_SOLVES:
            raise ValueError(f"Gravity: linear_solve={self.linear_solve!r} is not one of {LINEAR_SOLVES}.")

    def linear_solver(self):
        if self.linear_solve == "dense":
            return super().linear_solver()
        # Market clearing is diagonally dominant (domestic shares are large), so a Krylov method
        # converges in a few dozen products, a count that does not grow with N; tight
        # tolerances keep the implicit derivatives exact. BiCGStab, not restarted GMRES:
        # lineax's GMRES tests convergence only at the end of a restart cycle, and always runs
        # a second one to confirm, so GMRES(50) took 53 products per Newton step and 103 per
        # derivative solve where BiCGStab, tested every iteration, takes ~29 and ~45 (N = 500
        # and 1000, same accuracy).
        return _BiCGStab(rtol=1e-12, atol=1e-12, max_steps=10 * self.flows.shape[-1] + 100)

    def requirements(self):
        return (
            at_least("flows", self.flows, 0.0),
            positive("flows (domestic, the diagonal)", jnp.diagonal(self.flows, axis1=-2, axis2=-1)),
        ) + self._cost_requirements()

    # -- baseline quantities -------------------------------------------------------------------
    def baseline(self) -> dict[str, jnp.ndarray]:
        """Output Y, expenditure E, deficits D, world income T and trade shares λ of the data."""
        Y, E = self.flows.sum(1), self.flows.sum(0)
        return {"output": Y, "expenditure": E, "deficit": E - Y, "world_income": Y.sum(),
                "shares": self.flows / E[None, :]}

    def unobservables(self) -> dict[str, jnp.ndarray]:
        """Krugman's fundamentals recovered from the data (baseline wages w_i = 1).

        `L`: labour in efficiency units, L_i = Y_i; `tau`: iceberg costs with τ_jj = 1,
        τ_ij = (X_ij/X_jj · L_j/L_i)^{1/(1−σ)} (∞ where X_ij = 0); `deficit_share`: D_j/T. With
        these, λ_ij = L_i τ_ij^{1−σ} / Σ_k L_k τ_kj^{1−σ} reproduces the observed shares exactly.
        """
        base = self.baseline()
        L = base["output"]
        ratio = self.flows / jnp.diagonal(self.flows)[None, :] * L[None, :] / L[:, None]
        tau = jnp.where(ratio > 0, jnp.where(ratio > 0, ratio, 1.0) ** (1.0 / (1.0 - self.sigma)), jnp.inf)
        return {"L": L, "tau": tau, "deficit_share": base["deficit"] / base["world_income"]}

    # -- equilibrium -----------------------------------------------------------------------------
    def guess(self):
        # Tâtonnement from ŵ = 1: raise the wage of every country in excess demand,
        # ln ŵ_i += (ln sales_i − ln Y'_i)/σ, renormalised to the numeraire. With CES demand
        # (gross substitutes) it heads for the equilibrium from anywhere, cheaply (two products
        # with an N×N matrix a round); a round that leaves the region where the conditions are
        # finite (negative expenditure) is not taken. It slows down where a country buys mostly
        # from itself or σ is large: where its end is not within `_NEWTON_READY` of a root, a
        # damped Newton (`_damped_newton`) takes over, never into negative expenditure, and where
        # that fails too, a homotopy from the baseline applies the shock in fractions t
        # (`_continued`; the market-clearing terms rescaled so that none underflows).
        n = self.flows.shape[-1]
        k = _numeraire_index(self.numeraire, self.countries)
        world = self.baseline()["world_income"]
        pieces = self._cost_pieces()
        costs = self._costs(pieces=pieces)

        def normalised(log_w, parts):
            return log_w - (log_w[k] if k >= 0 else jnp.log(parts["T"] / world))

        # The step 1/σ is safe but short: a country's own excess demand moves with its wage by
        # ∂gap_i/∂ln ŵ_i ≈ −(σ − (σ−1) h_i − λ_ii), h_i = Σ_j λ_ij² E_j / Y_i (its sales weighted
        # by its own share of each market), between 1 and 3 for large domestic shares at σ = 5:
        # dividing by that (at the baseline shares, kept within [σ/2, σ], so a step is at most
        # twice the safe one) reaches 1e-9 where 1/σ reaches 1e-5 in as many rounds, and the
        # solve's Newton then stops a step sooner. The first round that does not lower the
        # largest gap returns to 1/σ for good.
        base = self.baseline()
        lam = base["shares"]
        own = (lam * lam * base["expenditure"][None, :]).sum(1) / base["output"]
        speed = jnp.clip(self.sigma - (self.sigma - 1.0) * own - jnp.diagonal(lam), self.sigma / 2.0, self.sigma)

        def round_(carry):
            log_w, i, last, fast = carry
            parts = self._solve_parts(log_w, costs, "fast")
            gap = parts["log_sales"] - parts["log_Y"]
            size = jnp.max(jnp.abs(gap))
            fast = fast & (size < last)
            step = normalised(log_w + gap / jnp.where(fast, speed, self.sigma), parts)
            new = normalised(step, self._solve_parts(step, costs, "fast"))
            finite = jnp.all(jnp.isfinite(new))
            return jnp.where(finite, new, log_w), i + 1, jnp.where(finite, size, 0.0), fast

        def going(carry):
            _, i, gap, _ = carry
            return (i < _TATONNEMENT_ROUNDS) & (gap > _SETTLED)

        log_w, _, _, _ = jax.lax.while_loop(going, round_, (jnp.zeros(n), 0, jnp.asarray(jnp.inf),
                                                            jnp.asarray(True)))
        linear = None if self.linear_solve == "dense" else self.linear_solver()
        log_w = _continued(lambda t, v, strict: self._flat_residuals(v, positive=strict, costs=self._costs(t, pieces),
                                                                     form="rescaled"),
                           log_w, jnp.zeros(n), linear_solver=linear,
                           ready_fn=lambda v: self._flat_residuals(v, costs=costs))
        return {"log_wage_change": log_w}

    def _flat_residuals(self, log_w, *, positive: bool = True, costs=None, form="auto"):
        """The residuals as one vector, NaN where an expenditure is not positive (`positive`, a
        bool or a traced one): what the guess's damped Newton and homotopy, and `explain_failure`'s
        path, solve."""
        parts = self._solve_parts(log_w, costs, form)
        r = self._residuals_from(log_w, parts)
        f = jnp.concatenate([r["market_clearing"], r["numeraire"][None]])
        return jnp.where(jnp.all(parts["E"] > 0) | ~jnp.asarray(positive), f, jnp.nan)

    def _costs(self, t=None, pieces=None):
        """(ln A, its column maxima c, e^{ln A − c}): what market clearing needs of the experiment.

        λ'_ij ∝ A_ij ŵ_i^{1−σ} with A_ij = λ_ij τ̂_ij^{1−σ} fixed by the experiment, so market
        clearing is two matrix-vector products with A: no N×N exponentials that depend on ŵ,
        and the Newton Jacobian's N tangents become matrix products (N² memory, not N³). Each
        column of A is scaled so its largest entry is 1 (the scale cancels in every share), so
        τ̂^{1−σ} never overflows however large σ and the cost change are. With `t`, the
        experiment scaled by t (ln τ̂^{1−σ} → t ln τ̂^{1−σ}: t = 0 is the baseline, where ŵ = 1
        solves every closure); `pieces`: `_cost_pieces()`, computed once by a caller that asks
        for many t.
        """
        log_lam, shock = self._cost_pieces() if pieces is None else pieces
        log_A = log_lam + (shock if t is None else t * shock)
        col = jnp.max(log_A, axis=0)  # finite: every domestic share is positive
        return log_A, col, jnp.exp(log_A - col[None, :])

    def _cost_pieces(self):
        """(ln λ, −inf where λ = 0; ln τ̂^{1−σ}, 0 there): ln A = ln λ + ln τ̂^{1−σ}."""
        lam = self.baseline()["shares"]
        positive = lam > 0
        return (jnp.where(positive, jnp.log(jnp.where(positive, lam, 1.0)), -jnp.inf),
                jnp.where(positive, self.log_cost_change(), 0.0))

    def _solve_parts(self, log_w, costs=None, form="auto"):
        """Everything market clearing computes at ln ŵ.

        `costs`: `_costs()`, computed once by a caller that evaluates many ŵ. `form`: "fast"
        (products with the fixed matrix A: u = ŵ^{1−σ} and A's columns scaled apart), "rescaled"
        (`_rescaled_parts`: every term scaled to its own market, which cannot underflow, at the
        cost of N×N exponentials per evaluation), or "auto": rescaled for up to `_RESCALED_N`
        countries (where that costs nothing), else fast with a fallback to rescaled where a
        price-index term falls below `_TINY`. The fast form underflows after a shock of hundreds
        of orders of magnitude at a large σ: every u_k A_kj of a market can then be tiny although
        P̂_j is not, and p_j (or p_j², in the Jacobian) is lost.
        """
        s = self.sigma
        base = self.baseline()
        Y, E, T = base["output"], base["expenditure"], base["world_income"]
        log_A, col, A = self._costs() if costs is None else costs
        scaled = (1.0 - s) * log_w
        log_Y = log_w + jnp.log(Y)
        new_Y = jnp.exp(log_Y)
        new_T = new_Y.sum()
        if self.closure == "deficits":
            new_E = new_Y + (E - Y) / T * new_T
        else:
            ratio = E / Y * new_Y
            new_E = ratio * new_T / ratio.sum()
        common = {"Y": new_Y, "log_Y": log_Y, "E": new_E, "T": new_T}
        if form == "rescaled" or (form == "auto" and log_w.shape[-1] <= _RESCALED_N):
            return {**_rescaled_parts(scaled, log_A, new_E), **common}
        top = jnp.max(scaled)  # ŵ^{1−σ} up to a common factor, which cancels in the shares
        u = jnp.exp(scaled - top)
        p = u @ A  # P̂_j^{1−σ} e^{−top − col_j}
        q = A @ (new_E / p)
        fast = {"log_p": jnp.log(p) + top + col, "A": A, "u": u, "p": p,
                # log of sales_i = u_i Σ_j A_ij E'_j / p_j, written so that a tiny u_i cannot underflow
                "log_sales": scaled - top + jnp.log(q)}
        if form == "fast":
            return {**fast, **common}
        ok = jnp.all(p > _TINY) & jnp.all(q > _TINY) & jnp.all(jnp.isfinite(p)) & jnp.all(jnp.isfinite(q))
        return {**jax.lax.cond(ok, lambda: fast, lambda: _rescaled_parts(scaled, log_A, new_E)), **common}

    def _shares(self, parts):
        """λ'_ij, the counterfactual trade shares (N×N; only outcomes need them)."""
        return parts["A"] * parts["u"][:, None] / parts["p"][None, :]

    def residuals(self, x):
        log_w = x["log_wage_change"]
        return self._residuals_from(log_w, self._solve_parts(log_w))

    def search_form(self):
        # Each Newton step would otherwise evaluate the N×N cost matrix again: at N = 2,000 that
        # is ~35 ms a residual, against ~2 ms for its two matrix products.
        return _SearchForm(self, self._costs())

    def _residuals_from(self, log_w, parts):
        gap = parts["log_sales"] - parts["log_Y"]
        k = _numeraire_index(self.numeraire, self.countries)
        if k < 0:
            keep = gap[:-1]
            anchor = jnp.log(parts["T"] / self.baseline()["world_income"])
        else:
            keep = jnp.delete(gap, k, assume_unique_indices=True)
            anchor = log_w[k]
        return {"market_clearing": keep, "numeraire": anchor}

    def validity(self, x):
        # With deficits fixed relative to world income, E'_j = ŵ_j Y_j + D_j/T·ΣŵY is negative
        # when a surplus country's income falls far enough: no equilibrium of this closure.
        return {"positive_expenditure": self._solve_parts(x["log_wage_change"])["E"] > 0}

    def explain_failure(self, eq):
        """Why the solve failed, found by following the equilibrium from the baseline.

        The experiment is applied in fractions t from 0 (the baseline, ŵ = 1) to 1, and the
        market-clearing wages are followed along t (`_follow_shock`), expenditure allowed to
        turn negative. Under "deficits", an expenditure that reaches zero on the way, and stays
        below zero or ends the path, means there is no equilibrium (the answer names the country
        and the fraction t). Otherwise the failure is the solver's, and the answer says where
        the path ends or that it reaches an equilibrium the solve missed.
        """
        path = _follow_shock(self)
        t, ratio, crossing = path["t"], path["ratio"], path["crossing"]
        if crossing is not None and self.closure == "deficits" and np.any(ratio <= 0):
            t_zero, who = crossing
            after = f"the market-clearing path ends at t = {t:.3g}" if t < 1.0 else "is negative at the full shock"
            return (f"No equilibrium with trade deficits held fixed relative to world income: following "
                    f"the shock from the baseline (scaled by t from 0 to 1), the expenditure of "
                    f"{self.countries[who]} falls to zero at t = {t_zero:.3g} (its fixed surplus then "
                    f"takes all its income) and {after}; closure='proportional' always has one.")
        if t < 1.0:
            low = int(np.argmin(ratio))
            if self.closure == "deficits" and ratio[low] < _ZERO_EXPENDITURE:
                return (f"No equilibrium with trade deficits held fixed relative to world income: following "
                        f"the shock from the baseline (scaled by t from 0 to 1), the expenditure of "
                        f"{self.countries[low]} falls to {ratio[low]:.1e} of its income at t = {t:.3g}, "
                        "where the market-clearing path ends; closure='proportional' always has one.")
            exists = ("closure='proportional' always has an equilibrium" if self.closure == "proportional"
                      else "an equilibrium may exist")
            return (f"Solver failure: the market-clearing wages, followed from the baseline, stop at "
                    f"t = {t:.6g} of the shock: {_stall_words(path)}; {exists}, but the solver did not "
                    "find it.")
        return (f"Solver failure: an equilibrium exists (following the shock from the baseline reaches "
                f"it, max |F| = {path['norm']:.1e}) but the solve did not converge to it from its start.")

    def outcomes(self, x):
        s = self.sigma
        log_w = x["log_wage_change"]
        costs = self._costs()
        parts = self._solve_parts(log_w, costs)
        w_hat = jnp.exp(log_w)
        # CES price indices and shares: buyers j, sources i with baseline shares λ_ij as masses
        # and delivered price changes ŵ_i τ̂_ij, so P̂_j^{1−σ} = Σ_i A_ij ŵ_i^{1−σ} (ln A = ln λ +
        # ln τ̂^{1−σ}, `_costs`): market clearing's own sum, `parts["log_p"]` (finite in either
        # form of `_solve_parts`), and λ'_ij = A_ij ŵ_i^{1−σ} / P̂_j^{1−σ}, in logs (no N×N
        # logsumexp again: at N = 2000 each N×N exp/log pass costs ~20 ms).
        log_A = costs[0]
        log_lam, shock = self._cost_pieces()
        P_hat = jnp.exp(parts["log_p"] / (1.0 - s))
        new_lam = jnp.exp(log_A + ((1.0 - s) * log_w)[:, None] - parts["log_p"][None, :])
        flows = new_lam * parts["E"][None, :]
        base_flows = self.flows
        off = 1.0 - jnp.eye(base_flows.shape[-1])
        exports, imports = (flows * off).sum(1), (flows * off).sum(0)
        base_exports, base_imports = (base_flows * off).sum(1), (base_flows * off).sum(0)
        # Import price index over foreign sources, baseline import shares as CES weights (a
        # country without imports in the data has none: its weights are set to 1 only to keep
        # the unused index finite, and its ToT change is 0).
        lam = self.baseline()["shares"]
        foreign = (lam * off).sum(0)
        has_imports = foreign > 0
        # ln weights: ln λ_ij − ln Σ_{k≠j} λ_kj off the diagonal (−inf on it and where λ_ij = 0).
        log_foreign = jnp.log(jnp.where(has_imports, foreign, 1.0))
        log_weights = jnp.where(off > 0, jnp.where(has_imports[None, :], log_lam - log_foreign[None, :], 0.0),
                                -jnp.inf)
        log_price = log_w[:, None] + shock / (1.0 - s)  # ln(ŵ_i τ̂_ij)
        PM_hat = jnp.exp(_ces.log_price_index(log_price, s, log_weights))
        base = self.baseline()
        return {
            "wage_change": w_hat,
            "price_index_change": P_hat,
            "welfare_pct": 100.0 * (parts["E"] / base["expenditure"] / P_hat - 1.0),
            "real_wage_pct": 100.0 * (w_hat / P_hat - 1.0),
            "flows": flows,
            "trade_pct": _pct_change(flows, base_flows),
            "output": parts["Y"],
            "expenditure": parts["E"],
            "deficit": parts["E"] - parts["Y"],
            "world_income": parts["T"],
            "exports": exports,
            "imports": imports,
            # A country with no exports (imports) in the data has none after the shock either
            # (exact hat algebra keeps zero flows at zero): its change is 0, not 0/0.
            "exports_pct": _pct_change(exports, base_exports),
            "imports_pct": _pct_change(imports, base_imports),
            "domestic_share": jnp.diagonal(new_lam),
            "terms_of_trade_pct": jnp.where(has_imports, 100.0 * (w_hat / PM_hat - 1.0), 0.0),
            "market_clearing_gap": jnp.max(jnp.abs(jnp.expm1(parts["log_sales"] - parts["log_Y"]))),
        }

    # -- construction from data ------------------------------------------------------------------
    @classmethod
    def from_data(cls, df, coef: Mapping[str, float] | Any, sigma: float, closure: str = "deficits", *,
                  flow: str = "trade", exporter: str = "exporter", importer: str = "importer",
                  numeraire: str = "world", cov: Any = None, linear_solve: str = "dense") -> Gravity:
        """The calibrated baseline: reproduces the flows of `df` exactly.

        **Arguments:**
        - `df`: a complete bilateral table with domestic flows (see `diffecon.data.check_trade`);
        - `coef`: covariate name -> coefficient (a dict, or a `PPMLResult`, whose covariance is
          then kept for standard errors); the names are the cost covariates read from `df`;
        - `sigma`: elasticity of substitution σ > 1;
        - `closure`: "deficits" (default) or "proportional" (see the class docstring);
        - `flow`, `exporter`, `importer`: column names; `numeraire`: "world" or a country code;
        - `cov`: K×K covariance of the coefficients (overrides a `PPMLResult`'s);
        - `linear_solve`: "dense" or "matrix_free" (see the class docstring).

        **Returns:** a `Gravity` model at the zero-change experiment (new covariates = baseline).
        """
        from ..data import check_trade, countries_of, pair_matrices

        if hasattr(coef, "coef") and hasattr(coef, "cov"):
            cov = coef.cov if cov is None else cov
            coef = coef.coef
        names = tuple(coef)
        table = check_trade(df, covariates=names, flow=flow, exporter=exporter, importer=importer)
        countries = countries_of(table, exporter, importer)
        mats = pair_matrices(table, [flow, *names], countries, exporter=exporter, importer=importer)
        flows = mats[flow]
        Z = np.stack([mats[c] for c in names]) if names else np.zeros((0, len(countries), len(countries)))
        return cls(flows=flows, sigma=sigma, coef=np.array([float(coef[c]) for c in names]),
                   covariates=Z, new_covariates=Z, coef_cov=cov, countries=countries,
                   covariate_names=names, closure=closure, numeraire=numeraire, linear_solve=linear_solve)


@final
class GravityGegravity(_CostShock):
    """Structural gravity with the conventions of USITC `gegravity`'s `OneSectorGE` (v0.3).

    Inputs as in gegravity: reported output Y_i and expenditure E_j (not the flows), trade costs
    t_ij^{1−σ} = exp(z_ij'b), a reference importer whose inward resistance is 1. Shares are
    y_i = Y_i/ΣY, e_j = E_j/ΣE. With Ω_i = Π_i^{1−σ} (outward) and Φ_j = P_j^{1−σ} (inward):

        Φ_j = Σ_i t_ij^{1−σ} y_i / Ω_i,   Ω_i = Σ_j t_ij^{1−σ} e_j / Φ_j,   Φ_ref = 1,

    solved once with the baseline costs and once with the experiment costs, both with the
    *baseline* shares y, e. Factory-gate prices follow from gegravity's y_i = (β_i p_i)^{1−σ}/Ω_i
    with y_i held fixed: p̂_i = (Ω_i/Ω'_i)^{1/(1−σ)}; Y'_i = p̂_i Y_i; E'_j = (E_j/Y_j) Y'_j; modelled flows
    X_ij = t_ij^{1−σ} E_j (Y_i/ΣY) / (Φ_j Ω_i). Welfare: gegravity's statistic (E/P)/(E'/P');
    `welfare_pct` = 100·((E'/P')/(E/P) − 1) to match `Gravity`.

    **How it differs from full GE (`Gravity`):** (1) the baseline does not reproduce the observed
    flows (it is the fitted gravity model, and uses reported Y, E); (2) the experiment's
    resistances are solved with baseline output shares, so wage changes do not feed back into
    demand: the "full GE" resistances equal the conditional ones and markets do not clear
    exactly (`market_clearing_gap` measures by how much); (3) expenditure is proportional to
    output. The replication `diffecon replicate gravity` quantifies the differences on the
    sample data.

    **Parameters:** `output` Y (N), `expenditure` E (N), plus `sigma`, `coef`, `covariates`,
    `new_covariates`, `tau_change`, `coef_cov`, `countries`, `covariate_names` as in `Gravity`,
    and static `reference` (the reference importer's code).

    **Unknowns:** logs of 1/Φ (N−1, reference excluded) and 1/Ω (N), baseline and experiment,
    started from Sinkhorn's iteration (the resistance system is a matrix scaling).

    **Outcomes** (percent changes, gegravity's names with `_change` written `_pct`):
    `factory_gate_price_pct`, `omr_pct`, `imr_pct`, `gdp_pct` (Y/P), `welfare_pct`,
    `terms_of_trade_pct` (p/P), `output_pct`, `expenditure_pct`, `foreign_exports_pct`,
    `foreign_imports_pct`, `intranational_trade_pct`; `welfare_statistic` (gegravity's ratio
    (E/P)/(E'/P')); `baseline_flows`, `flows` (modelled), `trade_pct`; `market_clearing_gap` and
    `baseline_market_clearing_gap`: max_i |Σ_j X_ij / Y_i − 1| in the experiment and the baseline.
    """

    output: jnp.ndarray = param(ndim=1)
    expenditure: jnp.ndarray = param(ndim=1)
    reference: str = eqx.field(static=True)

    def __init__(self, output, expenditure, sigma, coef=None, covariates=None, new_covariates=None,
                 tau_change=None, coef_cov=None, countries=None, covariate_names=None, reference=None):
        shape = np.shape(output) if not isinstance(output, (str, bytes)) else ()
        self.output, self.expenditure = output, expenditure
        self._set_costs(shape[-1] if shape else 0, sigma, coef, covariates, new_covariates, tau_change,
                        coef_cov, countries, covariate_names)
        self.reference = self.countries[0] if reference is None or not self.countries else str(reference)

    def __check_init__(self) -> None:
        if _numeric(self.output) and _numeric(self.expenditure) and self.output.ndim == 1:
            if self.expenditure.shape != self.output.shape:
                raise ValueError(f"GravityGegravity: parameters output {self.output.shape} and expenditure "
                                 f"{self.expenditure.shape} must be vectors of the same length N.")
            self._check_shapes(self.output.shape[0])
        if self.reference not in self.countries:
            raise ValueError(
                f"GravityGegravity: reference={self.reference!r} is not one of {list(self.countries)}.")

    def requirements(self):
        return (positive("output", self.output), positive("expenditure", self.expenditure)) \
            + self._cost_requirements()

    def _ref(self) -> int:
        return self.countries.index(self.reference)

    def guess(self):
        base_cost, new_cost = self._log_costs()
        b_imr, b_omr = self._polished(base_cost, base_cost, *self._sinkhorn(base_cost))
        imr, omr = self._polished(base_cost, new_cost, *self._sinkhorn(new_cost), start=(b_imr, b_omr))
        return {"base_imr": b_imr, "base_omr": b_omr, "imr": imr, "omr": omr}

    def _polished(self, base_cost, log_cost, log_inv_phi, log_inv_omega, start=None):
        """Sinkhorn's end, finished by a damped Newton on the same system where it has not
        settled, and failing that by following the resistances from `base_cost` (where `start`
        solves them) to `log_cost` (`_continued`). At a large σ, with costs spanning hundreds of
        orders of magnitude, Sinkhorn's contraction rate is close to 1 (`_SINKHORN_ROUNDS` can
        leave residuals of 1e-3), and the system is nearly singular (one pair's flow dominates
        both its exporter's and its importer's resistance), too far and too flat for a Newton
        that starts there."""
        n = log_inv_phi.shape[-1]

        def fn(t, v):
            return jnp.concatenate(self._mr_residuals(base_cost + t * (log_cost - base_cost), v[:n], v[n:]))

        x1 = jnp.concatenate([log_inv_phi, log_inv_omega])
        if start is None:  # the baseline: nothing to follow from
            v, _ = _damped_newton(lambda u: fn(1.0, u), x1, rounds=_NEWTON_ROUNDS, tol=_GUESS_TOL)
        else:
            v = _continued(lambda t, u, _: fn(t, u), x1, jnp.concatenate(start))
        return v[:n], v[n:]

    def _sinkhorn(self, log_cost):
        """The resistance system is a matrix scaling: alternate its two equations (Sinkhorn's
        iteration, in logs, so no cost overflows) from 1, then pin Φ_ref = 1. It converges for
        any positive costs; Newton polishes the last digits."""
        y, e = self._shares()
        log_y, log_e = jnp.log(y), jnp.log(e)

        def round_(carry):
            _, lo, k, _ = carry
            li = -self._inward(log_cost, log_y, lo)
            new = -self._outward(log_cost, log_e, li)
            return li, new, k + 1, jnp.max(jnp.abs(new - lo))

        def going(carry):
            _, _, k, change = carry
            return (k < _SINKHORN_ROUNDS) & ~(change <= 1e-12)  # a NaN change stops too

        n = self.output.shape[-1]
        zero = jnp.zeros(n)
        li, lo, _, _ = jax.lax.while_loop(going, round_, (zero, zero, 0, jnp.asarray(jnp.inf)))
        shift = li[self._ref()]
        return jnp.delete(li - shift, self._ref(), assume_unique_indices=True), lo + shift

    def _log_costs(self):
        base = jnp.einsum("k,kij->ij", self.coef, self.covariates) if self.coef.shape[0] else \
            jnp.zeros(self.tau_change.shape)
        return base, base + self.log_cost_change()

    def _shares(self):
        return self.output / self.output.sum(), self.expenditure / self.expenditure.sum()

    def _full_imr(self, log_inv_phi):
        # log(1/Φ) with the reference importer's Φ = 1 reinserted.
        return jnp.insert(log_inv_phi, self._ref(), 0.0)

    def _inward(self, log_cost, log_y, log_inv_omega):
        """ln Φ_j = ln Σ_i t_ij^{1−σ} y_i/Ω_i: the CES price index (`_ces`) of importer j, sources
        i with mass y_i/Ω_i = (β_i p_i)^{1−σ} and price t_ij, t_ij^{1−σ} = exp(`log_cost`)."""
        return _ces.log_denominator(log_cost / (1.0 - self.sigma), self.sigma, (log_y + log_inv_omega)[:, None])

    def _outward(self, log_cost, log_e, log_inv_phi):
        """ln Ω_i = ln Σ_j t_ij^{1−σ} e_j/Φ_j: exporter i's market access, the same CES sum taken
        over destinations j (axis 1), each weighted by its demand e_j/Φ_j."""
        return _ces.log_denominator(log_cost / (1.0 - self.sigma), self.sigma, (log_e + log_inv_phi)[None, :],
                                    axis=1)

    def _mr_residuals(self, log_cost, log_inv_phi, log_inv_omega):
        y, e = self._shares()
        li = self._full_imr(log_inv_phi)
        # 1 = (1/Φ_j) Σ_i t_ij y_i (1/Ω_i), 1 = (1/Ω_i) Σ_j t_ij e_j (1/Φ_j), in logs.
        imr = li + self._inward(log_cost, jnp.log(y), log_inv_omega)
        omr = log_inv_omega + self._outward(log_cost, jnp.log(e), li)
        return jnp.delete(imr, self._ref(), assume_unique_indices=True), omr

    def residuals(self, x):
        base_cost, new_cost = self._log_costs()
        b_imr, b_omr = self._mr_residuals(base_cost, x["base_imr"], x["base_omr"])
        imr, omr = self._mr_residuals(new_cost, x["imr"], x["omr"])
        return {"baseline_imr": b_imr, "baseline_omr": b_omr, "imr": imr, "omr": omr}

    def outcomes(self, x):
        s = self.sigma
        base_cost, new_cost = self._log_costs()
        li0, li1 = self._full_imr(x["base_imr"]), self._full_imr(x["imr"])  # ln(1/Φ)
        lo0, lo1 = x["base_omr"], x["omr"]  # ln(1/Ω)
        Y, E = self.output, self.expenditure
        y = Y / Y.sum()
        # (1−σ) ln p̂ = ln(1/Ω') − ln(1/Ω): gegravity's factory-gate equation with p = 1 at baseline.
        # Everything in logs, ratios as expm1 of log differences: at large σ the resistances and
        # flows span hundreds of orders of magnitude, and a ratio of two underflowed flows is 0/0.
        log_p_hat = (lo1 - lo0) / (1.0 - s)
        log_P_hat = (li0 - li1) / (1.0 - s)  # P = Φ^{1/(1−σ)}
        log_Y1 = log_p_hat + jnp.log(Y)
        log_E1 = jnp.log(E) - jnp.log(Y) + log_Y1
        log_y1 = log_Y1 - logsumexp(log_Y1)
        log_f0 = base_cost + jnp.log(E)[None, :] + jnp.log(y)[:, None] + li0[None, :] + lo0[:, None]
        log_f1 = new_cost + log_E1[None, :] + log_y1[:, None] + li1[None, :] + lo1[:, None]
        off = 1.0 - jnp.eye(Y.shape[-1])

        def pct(log_ratio):
            return 100.0 * jnp.expm1(log_ratio)

        def foreign(log_f, axis):
            return logsumexp(log_f, axis=axis, b=off)

        log_real = log_E1 - jnp.log(E) - log_P_hat
        return {
            "factory_gate_price_pct": pct(log_p_hat),
            "omr_pct": pct(-log_p_hat),
            "imr_pct": pct(log_P_hat),
            "gdp_pct": pct(log_p_hat - log_P_hat),
            "welfare_statistic": jnp.exp(-log_real),
            "welfare_pct": pct(log_real),
            "terms_of_trade_pct": pct(log_p_hat - log_P_hat),
            "output_pct": pct(log_Y1 - jnp.log(Y)),
            "expenditure_pct": pct(log_E1 - jnp.log(E)),
            "foreign_exports_pct": pct(foreign(log_f1, 1) - foreign(log_f0, 1)),
            "foreign_imports_pct": pct(foreign(log_f1, 0) - foreign(log_f0, 0)),
            "intranational_trade_pct": pct(jnp.diagonal(log_f1) - jnp.diagonal(log_f0)),
            "baseline_flows": jnp.exp(log_f0),
            "flows": jnp.exp(log_f1),
            "trade_pct": pct(log_f1 - log_f0),
            "market_clearing_gap": jnp.max(jnp.abs(jnp.expm1(logsumexp(log_f1, axis=1) - log_Y1))),
            "baseline_market_clearing_gap":
                jnp.max(jnp.abs(jnp.expm1(logsumexp(log_f0, axis=1) - jnp.log(Y)))),
        }
