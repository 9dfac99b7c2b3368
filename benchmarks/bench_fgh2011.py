"""FGH (2011) autarky: firm numbers (n_L, n_H) per country and the population elasticity n̂_L/N̂.

Tasks: one warm solve + exact elasticity (Figure 1 parameters); a batch (10^4, quick 10^3) of
random technologies with the elasticity of each (both countries of every draw). Baselines, on
eq. (11) in ln n with the same 64-node Gauss–Laguerre rule as diffecon:

- the strongest per-point loop: `scipy.optimize.root` (hybr) on the two equations of one
  country written with `math` on Python floats (the two-good logit share is one expit per node,
  summed in a Python loop over the 64 nodes; a lean NumPy version of the same timed alike), plus
  central finite differences in ln N started from the solution; one loop per country;
- the strongest vectorised code: Newton over the whole batch (draws × countries) with the
  hand-derived Jacobian J = diag(1 − θ) + θ_w M_qw / s_q, M = E[β_q β_w], solved 2×2 by Cramer's
  rule, stopped one step after the steps fall below 1e-8; the statics by the implicit-function
  theorem, d ln n/d ln N = J⁻¹(1, 1);
- the 0.2 benchmark's per-point `root` on a NumPy residual with `scipy.special.logsumexp`, one
  country timed and doubled, kept as a labelled row.

All are compared with the spec's closed form (§4) d ln n_L/d ln N = (1 − θ_H V/(s_H s_L))/det J,
V = E[β_H β_L], evaluated with NumPy at a tightly solved equilibrium, and with diffecon's answers.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize
import scipy.special as sps

import diffecon as de
from diffecon.models import FGH2011

from ._harness import FGH_BATCH, Goal, Result, batch_sizes, max_rel_diff, single_goals, time_jax, time_python

MODEL = "FGH 2011 (autarky)"
_FD_STEP = 1e-5
_U, _W = sps.roots_genlaguerre(64, 0.0)
_UL, _WL = _U.tolist(), _W.tolist()


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


def _math_residual(x, dq, off0, k0, k1, ys):
    """Eq. (11) for one country on Python floats: ln n_q + ln(f_q q_q/θ_q) − ln N − ln s_q."""
    off = off0 + x[0] * _TH[0] - x[1] * _TH[1]
    s_low = 0.0
    for w, y in zip(_WL, ys):
        s_low += w / (1.0 + math.exp(-(off + dq * y)))
    return [x[0] + k0 - math.log(s_low), x[1] + k1 - math.log(1.0 - s_low)]


_TH = [0.0, 0.0]  # θ of the point being solved (set by `math_country`; read by `_math_residual`)


def math_country(q, theta, c, f, N, scale):
    """Per-point baseline for one country: (ln n (2), d ln n_L/d ln N)."""
    q0, q1, t0, t1, c0, c1 = float(q[0]), float(q[1]), float(theta[0]), float(theta[1]), float(c[0]), float(c[1])
    _TH[0], _TH[1] = t0, t1
    ys = [1.0 + scale * u for u in _UL]
    lN = math.log(N)
    k0, k1 = math.log(f[0] * q0 / t0), math.log(f[1] * q1 / t1)
    off0 = -q0 * c0 + q1 * c1 - t0 + t1

    def solve(lN, x0):
        return scipy.optimize.root(_math_residual, x0, args=(q0 - q1, off0, k0 - lN, k1 - lN, ys), tol=1e-13).x

    x = solve(lN, [lN - k0 - math.log(2.0), lN - k1 - math.log(2.0)])
    up, down = solve(lN + _FD_STEP, x), solve(lN - _FD_STEP, x)
    return x, (up[0] - down[0]) / (2 * _FD_STEP)


def numpy_newton(q, theta, c, f, N, scales):
    """Vectorised baseline: q, θ, c, f (n, 2) by quality, N (n, K), scales (K,) →
    (ln n (n, K, 2), d ln n_L/d ln N_k (n, K))."""
    y = 1.0 + scales[:, None] * _U[None, :]  # (K, 64)
    th = theta[:, None, :]
    const = np.log(f * q / theta)[:, None, :] - np.log(N)[:, :, None]  # (n, K, 2)
    base = q[:, None, None, :] * (y[None, :, :, None] - c[:, None, None, :]) - th[:, :, None, :]
    dbase = base[..., 0] - base[..., 1]  # (n, K, 64): a_L − a_H without the ln n terms
    tL, tH = th[..., 0], th[..., 1]
    x = -const - math.log(2.0)
    small = False
    for _ in range(100):
        b_low = 1.0 / (1.0 + np.exp(-(dbase + tL[..., None] * x[..., 0:1] - tH[..., None] * x[..., 1:2])))
        s_low = b_low @ _W
        s_high = 1.0 - s_low
        m_lh = (b_low * (1.0 - b_low)) @ _W
        J00, J01 = 1 - tL + tL * (s_low - m_lh) / s_low, tH * m_lh / s_low
        J10, J11 = tL * m_lh / s_high, 1 - tH + tH * (s_high - m_lh) / s_high
        det = J00 * J11 - J01 * J10
        if small:
            break
        r0 = x[..., 0] + const[..., 0] - np.log(s_low)
        r1 = x[..., 1] + const[..., 1] - np.log(s_high)
        d0, d1 = (J01 * r1 - J11 * r0) / det, (J10 * r0 - J00 * r1) / det
        small = bool(max(np.abs(d0).max(), np.abs(d1).max()) <= 1e-8)
        x = x + np.stack([d0, d1], -1)
    return x, (J11 - J01) / det  # first row of J⁻¹ (1, 1)


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


def _single() -> list[Result]:
    model = FGH2011()
    args = (np.asarray(model.q), np.asarray(model.theta), np.asarray(model.c), np.asarray(model.f), 1000.0, 6.0)
    exact = reference(*args)

    def ours():
        return de.elasticity(model, "n_L", "N")

    compile_s, warm_s, el = time_jax(ours, repeats=20)
    ours_el = float(np.asarray(el)[0, 0])
    math_s, (_, fd_m) = time_python(lambda: math_country(*args), repeats=20)
    base_s, fd = time_python(lambda: _scipy_point(*args), repeats=10)
    task = "single warm solve + n̂_L/N̂"
    return [
        Result(MODEL, task, 1, warm_s, compile_s, math_s, _err(ours_el, exact), _err(fd_m, exact),
               baseline_label="SciPy root (hybr) on math equations + central diff.", goals=single_goals(3.0),
               note=f"Figure 1 parameters, country R; n̂_L/N̂ vs diffecon: max diff {max_rel_diff(fd_m, ours_el):.1e}"),
        Result(MODEL, task, 1, warm_s, compile_s, base_s, _err(ours_el, exact), _err(fd, exact),
               baseline_label="old: SciPy root, NumPy + scipy.special.logsumexp + central diff."),
    ]


def _batch(n: int, quick: bool) -> list[Result]:
    over = _draws(n)

    def ours():
        return de.sweep(FGH2011(), over, of="n_L", wrt="N")

    compile_s, warm_s, out = time_jax(ours, repeats=3)
    dn = np.asarray(out["dn_L/dN"])
    n_low = np.asarray(out["n_L"])  # (n, K)
    el = np.stack([dn[:, k, k] * over["N"][:, k] / n_low[:, k] for k in range(2)], -1)  # own-country elasticity
    ok = np.asarray(out["converged"])
    check = min(n, 200)
    exact = np.array([reference(over["q"][i], over["theta"][i], over["c"][i], over["f"][i], over["N"][i, 0], 6.0)
                      for i in range(check)])
    ours_err = _err(el[:check, 0], exact)
    task = "batch n + n̂_L/N̂ (2 countries per point)"
    scales = _scales()

    def vs(log_n_low, e):
        m = len(e)
        return (f"vs diffecon: n_L max rel. diff {max_rel_diff(np.exp(log_n_low), n_low[:m], 0.0):.1e}, "
                f"n̂_L/N̂ max diff {max_rel_diff(e, el[:m]):.1e}")

    rows = []
    math_n = min(n, 30 if quick else 150)

    def loop():
        return [[math_country(over["q"][i], over["theta"][i], over["c"][i], over["f"][i], over["N"][i, k], scales[k])
                 for k in range(2)] for i in range(math_n)]

    math_s, res = time_python(loop, repeats=1)
    ln_m = np.array([[r[k][0][0] for k in range(2)] for r in res])
    el_m = np.array([[r[k][1] for k in range(2)] for r in res])
    ten4 = n == 10_000
    rows.append(Result(MODEL, task, n, warm_s, compile_s, math_s * n / math_n, ours_err,
                       _err(el_m[:, 0], exact[:math_n]), baseline_n=math_n, series="float64",
                       baseline_label="SciPy root (hybr) loop on math equations + central diff.",
                       goals=[Goal(FGH_BATCH, "≥ 300×", "ratio", "≥", 300)] if ten4 else [],
                       note=f"{ok.mean():.2%} converged; errors on the first {check} points, country R; "
                            f"{vs(ln_m, el_m)} (both countries)"))
    numpy_s, (ln_np, el_np) = time_python(lambda: numpy_newton(over["q"], over["theta"], over["c"], over["f"],
                                                                over["N"], scales), repeats=3)
    rows.append(Result(MODEL, task, n, warm_s, compile_s, numpy_s, ours_err, _err(el_np[:check, 0], exact),
                       baseline_label="vectorised NumPy Newton, hand-derived 2×2 Jacobian + IFT",
                       note=vs(ln_np[..., 0], el_np) + " (both countries)"))
    baseline_n = min(n, 20 if quick else 60)
    base_s, fd = time_python(
        lambda: np.array([_scipy_point(over["q"][i], over["theta"][i], over["c"][i], over["f"][i], over["N"][i, 0], 6.0)
                          for i in range(baseline_n)]), repeats=1)
    # the old baseline times one country; diffecon solves both countries of each draw
    rows.append(Result(MODEL, task, n, warm_s, compile_s, 2 * base_s * n / baseline_n, ours_err,
                       _err(fd, exact[:baseline_n]), baseline_n=baseline_n,
                       baseline_label="old: SciPy root loop, NumPy + scipy.special.logsumexp + central diff.",
                       note=f"country R timed, ×2 for two countries; n̂_L/N̂ vs diffecon: max diff "
                            f"{max_rel_diff(fd, el[:baseline_n, 0]):.1e}"))
    return rows


def run(quick: bool, batch: list[int] | None = None) -> list[Result]:
    results = list(_single())
    for n in batch_sizes(quick, batch):
        results.extend(_batch(n, quick))
    return results
