"""FGH (2011) autarky: firm numbers (n_L, n_H) per country and the population elasticity n̂_L/N̂.

Tasks: one warm solve + exact elasticity (Figure 1 parameters); a batch (10^4, quick 10^3) of
random technologies with the elasticity of each. The SciPy baseline is `scipy.optimize.root` on
eq. (11) in ln n (64-node Gauss–Laguerre, like diffecon) per point plus central finite
differences in ln N. Both are compared with the spec's closed form (§4)
d ln n_L/d ln N = (1 − θ_H V/(s_H s_L))/det J, V = E[β_H β_L], evaluated with NumPy at a
tightly solved equilibrium.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.special as sps

import diffecon as de
from diffecon.models import FGH2011

from ._harness import Result, batch_sizes, time_jax, time_python

MODEL = "FGH 2011 (autarky)"
_FD_STEP = 1e-5
_U, _W = sps.roots_genlaguerre(64, 0.0)


def _shares(log_n, q, theta, c, scale):
    y = 1.0 + scale * _U
    a = theta * log_n + q * (y[:, None] - c) - theta
    beta = np.exp(a - sps.logsumexp(a, axis=1, keepdims=True))
    return beta


def _residual(log_n, q, theta, c, f, N, scale):
    beta = _shares(log_n, q, theta, c, scale)
    s = _W @ beta
    return log_n + np.log(f * q / theta) - np.log(N) - np.log(s)


def _solve_np(q, theta, c, f, N, scale):
    x0 = np.log(N / (2 * f * q / theta))
    return scipy.optimize.root(_residual, x0, args=(q, theta, c, f, N, scale), tol=1e-13).x


def reference(q, theta, c, f, N, scale):
    """Closed-form d ln n_L/d ln N at the NumPy solution (spec §4)."""
    log_n = _solve_np(q, theta, c, f, N, scale)
    beta = _shares(log_n, q, theta, c, scale)
    s = _W @ beta
    M = np.einsum("i,iq,iw->qw", _W, beta, beta)
    J = np.diag(1 - theta) + theta[None, :] * M / s[:, None]
    return (1 - theta[1] * M[0, 1] / (s[0] * s[1])) / np.linalg.det(J)


def _scipy_point(q, theta, c, f, N, scale):
    up = _solve_np(q, theta, c, f, N * np.exp(_FD_STEP), scale)
    down = _solve_np(q, theta, c, f, N * np.exp(-_FD_STEP), scale)
    return (up[0] - down[0]) / (2 * _FD_STEP)


def _draws(n, seed=0):
    rng = np.random.default_rng(seed)
    q_low = rng.uniform(0.8, 1.0, n)
    q = np.stack([q_low, q_low + rng.uniform(0.1, 0.3, n)], -1)
    c = np.stack([rng.uniform(0, 0.1, n), rng.uniform(0.1, 0.25, n)], -1)
    t_low = rng.uniform(0.3, 0.5, n)
    theta = np.stack([t_low, np.minimum(t_low + rng.uniform(0.05, 0.3, n), 0.95 * (1 - c[:, 1]) * q[:, 1])], -1)
    return {"q": q, "theta": theta, "c": c, "f": rng.uniform(0.5, 8.0, (n, 2)), "N": rng.uniform(300, 3000, (n, 2))}


def _err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))


def _scales():
    return np.array([6.0, 2.0])  # the default model's income distributions (R, P)


def _single() -> Result:
    model = FGH2011()
    exact = reference(np.asarray(model.q), np.asarray(model.theta), np.asarray(model.c), np.asarray(model.f),
                      1000.0, 6.0)

    def ours():
        return de.elasticity(model, "n_L", "N")

    compile_s, warm_s, el = time_jax(ours, repeats=10)
    args = (np.asarray(model.q), np.asarray(model.theta), np.asarray(model.c), np.asarray(model.f), 1000.0, 6.0)
    base_s, fd = time_python(lambda: _scipy_point(*args), repeats=10)
    return Result(MODEL, "single warm solve + n̂_L/N̂", 1, warm_s, compile_s, base_s,
                  _err(el[0, 0], exact), _err(fd, exact), note="Figure 1 parameters, country R")


def _batch(n: int, quick: bool) -> Result:
    over = _draws(n)

    def ours():
        return de.sweep(FGH2011(), over, of="n_L", wrt="N")

    compile_s, warm_s, out = time_jax(ours, repeats=3)
    el = np.asarray(out["dn_L/dN"])[:, 0, 0] * over["N"][:, 0] / np.asarray(out["n_L"])[:, 0]
    ok = np.asarray(out["converged"])
    check = min(n, 200)
    exact = np.array([reference(over["q"][i], over["theta"][i], over["c"][i], over["f"][i], over["N"][i, 0], 6.0)
                      for i in range(check)])
    baseline_n = min(n, 50 if quick else 200)
    base_s, fd = time_python(
        lambda: np.array([_scipy_point(over["q"][i], over["theta"][i], over["c"][i], over["f"][i], over["N"][i, 0], 6.0)
                          for i in range(baseline_n)]), repeats=1)
    # the baseline times one country; diffecon solves both countries of each draw
    return Result(MODEL, "batch n + n̂_L/N̂ (2 countries per point)", n, warm_s, compile_s,
                  2 * base_s * n / baseline_n, _err(el[:check], exact), _err(fd, exact[:baseline_n]),
                  baseline_n=baseline_n, series="float64",
                  note=f"{ok.mean():.2%} converged; errors on the first {check} points; baseline ×2 for two countries")


def run(quick: bool, batch: list[int] | None = None) -> list[Result]:
    results = [_single()]
    for n in batch_sizes(quick, batch):
        results.append(_batch(n, quick))
    return results
