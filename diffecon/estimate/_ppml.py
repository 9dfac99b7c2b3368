"""Poisson pseudo-maximum likelihood (PPML) gravity estimation with exporter and importer fixed
effects, by exact Newton steps in JAX, with heteroskedasticity-robust standard errors.

The model is E[X_ij] = exp(a_i + g_j + z_ij'b) (Santos Silva and Tenreyro 2006), a_i exporter and
g_j importer fixed effects (one importer effect, the reference, is 0). The fixed effects are not
dummy columns: the Hessian Σ μ x x' is assembled block by block from the N×N matrix of fitted
flows, so an N-country problem costs O(N²K) per step plus one (2N+K)² solve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ..data import check_trade, countries_of, pair_matrices

__all__ = ["ppml", "PPMLResult"]


@dataclass(frozen=True)
class PPMLResult:
    """A PPML fit.

    **Fields:**
    - `coef`, `se`: dicts covariate name -> estimate and its robust standard error;
    - `cov`: K×K robust covariance matrix of the covariate coefficients (order of `names`);
    - `names`: covariate names; `countries`: country codes (order of the fixed effects);
    - `exporter_fe`, `importer_fe`: dicts country -> fixed effect (`reference`'s importer effect is 0);
    - `fitted`: N×N fitted flows (rows exporters, columns importers; NaN for absent pairs);
    - `log_likelihood`: the Poisson log-likelihood without its data-only term Σ log(X!);
    - `converged`, `iterations`: Newton's convergence flag and step count;
    - `vcov`: which robust covariance ("HC0" or "stata"); `n_obs`: observations used.
    """

    coef: dict
    se: dict
    cov: np.ndarray
    names: tuple
    countries: tuple
    exporter_fe: dict
    importer_fe: dict
    fitted: np.ndarray
    log_likelihood: float
    converged: bool
    iterations: int
    vcov: str
    n_obs: int
    reference: str
    extra: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Coefficients, standard errors and z statistics as a table."""
        coef = pd.Series(self.coef)
        se = pd.Series(self.se)
        return pd.DataFrame({"coef": coef, "se": se, "z": coef / se})

    def __repr__(self) -> str:
        rows = ", ".join(f"{k}={self.coef[k]:.4g} ({self.se[k]:.3g})" for k in self.names)
        return f"PPMLResult({rows}; {self.n_obs} obs, {len(self.countries)} countries, vcov={self.vcov})"


def _gram(w: jax.Array, Z: jax.Array, keep: jax.Array) -> jax.Array:
    """X' diag(w) X for the design [exporter dummies | importer dummies | covariates].

    `w` is N×N (0 on absent pairs), `Z` K×N×N; rows/columns of dropped fixed effects (`keep` False)
    are replaced by the identity so the matrix stays invertible.
    """
    n = w.shape[0]
    wz = w[None] * Z
    a_b = wz.sum(2).T
    g_b = wz.sum(1).T
    b_b = jnp.einsum("kij,lij->kl", wz, Z)
    top = jnp.concatenate([jnp.diag(w.sum(1)), w, a_b], axis=1)
    mid = jnp.concatenate([w.T, jnp.diag(w.sum(0)), g_b], axis=1)
    bot = jnp.concatenate([a_b.T, g_b.T, b_b], axis=1)
    H = jnp.concatenate([top, mid, bot], axis=0)
    kf = keep.astype(H.dtype)
    del n
    return H * kf[:, None] * kf[None, :] + jnp.diag(1.0 - kf)


def _split(theta: jax.Array, n: int):
    return theta[:n], theta[n:2 * n], theta[2 * n:]


def _log_mean(theta, Z, n):
    a, g, b = _split(theta, n)
    return a[:, None] + g[None, :] + jnp.einsum("k,kij->ij", b, Z)


def _log_likelihood(theta, y, mask, Z, n):
    eta = _log_mean(theta, Z, n)
    return jnp.sum(jnp.where(mask, y * eta - jnp.exp(eta), 0.0))


def _score(theta, y, mask, Z, keep, n):
    u = jnp.where(mask, y - jnp.exp(_log_mean(theta, Z, n)), 0.0)
    s = jnp.concatenate([u.sum(1), u.sum(0), jnp.einsum("kij,ij->k", Z, u)])
    return s * keep


def _newton_step(theta, y, mask, Z, keep, n):
    mu = jnp.where(mask, jnp.exp(_log_mean(theta, Z, n)), 0.0)
    H = _gram(mu, Z, keep)
    # Jacobi scaling: fitted flows span many orders of magnitude.
    d = 1.0 / jnp.sqrt(jnp.diag(H))
    return d * jnp.linalg.solve(H * d[:, None] * d[None, :], d * _score(theta, y, mask, Z, keep, n))


@eqx.filter_jit
def _fit(theta0, y, mask, Z, keep, max_iter: int, tol: float):
    """Damped Newton on the (concave) Poisson log-likelihood; returns (theta, steps, converged)."""
    n = y.shape[0]

    def ll(t):
        return _log_likelihood(t, y, mask, Z, n)

    def cond(state):
        _, k, done = state
        return (k < max_iter) & ~done

    def body(state):
        theta, k, _ = state
        step = _newton_step(theta, y, mask, Z, keep, n)
        base = ll(theta)

        # Halve the step until the likelihood does not fall (exact Newton needs no halving
        # near the optimum; far from it an overshoot of exp() can).
        def shrink(s):
            t, _ = s
            return t * 0.5, 0

        def too_far(s):
            t, _ = s
            new = ll(theta + t * step)
            return (~jnp.isfinite(new) | (new < base - 1e-12 * jnp.abs(base))) & (t > 1e-8)

        t, _ = jax.lax.while_loop(too_far, shrink, (1.0, 0))
        new_theta = theta + t * step
        done = jnp.max(jnp.abs(t * step)) <= tol * (1.0 + jnp.max(jnp.abs(new_theta)))
        return new_theta, k + 1, done

    theta, steps, done = jax.lax.while_loop(cond, body, (theta0, 0, False))
    return theta, steps, done


@eqx.filter_jit
def _sandwich(theta, y, mask, Z, keep):
    n = y.shape[0]
    mu = jnp.where(mask, jnp.exp(_log_mean(theta, Z, n)), 0.0)
    bread = jnp.linalg.inv(_gram(mu, Z, keep))
    meat = _gram(jnp.where(mask, (y - mu) ** 2, 0.0), Z, keep)
    return bread @ meat @ bread, mu


def _check_identified(mu, Z, keep, names):
    """Raise if a covariate (or a combination) is collinear with the fixed effects."""
    H = np.asarray(_gram(jnp.asarray(mu), jnp.asarray(Z), jnp.asarray(keep)))
    k = len(names)
    if k == 0:
        return
    nf = H.shape[0] - k
    schur = H[nf:, nf:] - H[nf:, :nf] @ np.linalg.solve(H[:nf, :nf], H[:nf, nf:])
    scale = np.sqrt(np.maximum(np.diag(H[nf:, nf:]), 1e-300))
    share = np.diag(schur) / scale**2
    for name, s in zip(names, share):
        if s < 1e-10:
            raise ValueError(
                f"ppml: covariate {name!r} is collinear with the exporter and importer fixed effects "
                f"(it varies only by exporter or by importer, or is constant); drop it."
            )
    corr = schur / np.sqrt(np.outer(np.diag(schur), np.diag(schur)))
    eigval, eigvec = np.linalg.eigh(corr)
    if eigval[0] < 1e-10:
        involved = [names[i] for i in np.argsort(-np.abs(eigvec[:, 0]))[:2]]
        raise ValueError(
            f"ppml: covariates {involved} are collinear given the fixed effects; drop one of them."
        )


def ppml(
    df: pd.DataFrame,
    covariates: Sequence[str] = (),
    flow: str = "trade",
    exporter: str = "exporter",
    importer: str = "importer",
    *,
    vcov: str = "HC0",
    reference: str | None = None,
    max_iter: int = 100,
    tol: float = 1e-12,
) -> PPMLResult:
    """PPML gravity regression with exporter and importer fixed effects.

    Estimates X_ij = exp(a_i + g_j + Σ_k b_k z_kij) · ε_ij by Poisson pseudo-maximum likelihood
    (exact Newton, float64). Pairs absent from `df` are left out of the likelihood; zero flows are
    kept (PPML's point).

    **Arguments:**
    - `df`: a bilateral table, one row per exporter–importer pair;
    - `covariates`: the trade-cost columns z (e.g. `["lndist", "contiguity", "pta"]`);
    - `flow`, `exporter`, `importer`: column names;
    - `vcov`: `"HC0"` (the sandwich H⁻¹ (Σ û² x x') H⁻¹, as statsmodels' GLM `cov_type="HC0"`)
      or `"stata"` (HC0 × n/(n−1), as Stata's `ppml` / `glm, vce(robust)`);
    - `reference`: the country whose importer effect is normalised to 0 (default: the first code);
    - `max_iter`, `tol`: Newton's step cap and relative step tolerance.

    **Returns:** a `PPMLResult` (`.coef`, `.se` by covariate name, `.cov`, fixed effects, fitted
    flows). Raises `ValueError` for bad data, a covariate collinear with the fixed effects, or
    an unknown `vcov`; `RuntimeError` if Newton does not converge.
    """
    if vcov not in ("HC0", "stata"):
        raise ValueError(f"ppml: vcov={vcov!r} is not one of 'HC0', 'stata'.")
    names = tuple(covariates)
    table = check_trade(df, covariates=names, flow=flow, exporter=exporter, importer=importer,
                        structural=False)
    countries = countries_of(table, exporter, importer)
    n = len(countries)
    if reference is None:
        reference = countries[0]
    if reference not in countries:
        raise ValueError(f"ppml: reference={reference!r} is not a country of the table.")
    # Absent pairs stay NaN: they are left out of the likelihood.
    mats = pair_matrices(table, [flow, *names], countries, exporter=exporter, importer=importer, absent="nan")
    mask = ~np.isnan(mats[flow])
    y = np.where(mask, mats[flow], 0.0)
    if not (y.sum(1) > 0).all() or not (y.sum(0) > 0).all():
        raise ValueError("ppml: every exporter needs some positive exports and every importer some "
                         "positive imports; otherwise its fixed effect is minus infinity.")
    Z = np.stack([np.where(mask, mats[c], 0.0) for c in names]) if names else np.zeros((0, n, n))
    keep = np.ones(2 * n + len(names), bool)
    keep[n + countries.index(reference)] = False

    # Start from the independence fit X_ij = Y_i E_j / T (b = 0), the reference importer at 0.
    rows, cols, total = y.sum(1), y.sum(0), y.sum()
    g0 = np.log(cols / cols[countries.index(reference)])
    a0 = np.log(rows * cols[countries.index(reference)] / total)
    theta0 = np.concatenate([a0, g0, np.zeros(len(names))])
    mu0 = np.where(mask, np.exp(a0[:, None] + g0[None, :]), 0.0)
    _check_identified(mu0, Z, keep, names)

    args = (jnp.asarray(y), jnp.asarray(mask), jnp.asarray(Z), jnp.asarray(keep))
    theta, steps, done = _fit(jnp.asarray(theta0), *args, max_iter, tol)
    if not bool(done) or not np.all(np.isfinite(np.asarray(theta))):
        raise RuntimeError(f"ppml: Newton did not converge in {int(steps)} steps (max_iter={max_iter}).")
    V, mu = _sandwich(theta, *args)
    n_obs = int(mask.sum())
    V = np.asarray(V)
    if vcov == "stata":
        V = V * n_obs / (n_obs - 1)
    kb = len(names)
    cov_b = V[2 * n:, 2 * n:] if kb else np.zeros((0, 0))
    theta = np.asarray(theta)
    a, g, b = theta[:n], theta[n:2 * n], theta[2 * n:]
    se_b = np.sqrt(np.diag(cov_b))
    return PPMLResult(
        coef={k: float(v) for k, v in zip(names, b)},
        se={k: float(v) for k, v in zip(names, se_b)},
        cov=cov_b,
        names=names,
        countries=countries,
        exporter_fe=dict(zip(countries, a.tolist())),
        importer_fe=dict(zip(countries, g.tolist())),
        fitted=np.where(mask, np.asarray(mu), np.nan),
        log_likelihood=float(_log_likelihood(jnp.asarray(theta), args[0], args[1], args[2], n)),
        converged=True,
        iterations=int(steps),
        vcov=vcov,
        n_obs=n_obs,
        reference=reference,
        extra={"fe_se": np.sqrt(np.abs(np.diag(V[: 2 * n])))},
    )
