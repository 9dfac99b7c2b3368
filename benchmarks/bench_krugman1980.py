"""Krugman (1980) Section II: the relative wage ω and its elasticity ω̂/L̂ (L = L1, L2 fixed).

Tasks: one warm solve + exact elasticity; batches (10^4 and 10^6 by default, 10^3 quick) of
random parameter draws with the elasticity of each, in float64 and in opt-in float32. The SciPy
baselines: (1) `scipy.optimize.root` on the balance of payments (eq. 14) per point with NumPy on
scalars, plus central finite differences in log L1 (the 0.1 benchmark's baseline, kept as a
labelled row); (2) the strongest per-point loop a user would write, `scipy.optimize.brentq` on
a `math`-only scalar function; (3) a vectorised NumPy Newton over the whole batch with the
hand-derived derivative (`reference`). Both are compared with the closed-form implicit-function
derivative computed with NumPy: d ln ω/d ln L1 = −L1 (∂F/∂L1)/(∂F/∂u), u = ln ω.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize
from scipy.special import expit, log_expit

import diffecon as de
from diffecon.models import Krugman1980

from ._harness import Result, batch_sizes, sweep_devices, time_jax, time_python

MODEL = "Krugman 1980 (II)"
_FD_STEP = 1e-5  # central difference step in ln L1


def _balance(u, L1, L2, sigma, tau):
    """F(u) = ln EX − ln IM (eq. 14, fixed cost α = 1), and the home-variety spending shares:
    pa = country 1's varieties in country 2's spending, pc = in country 1's own spending."""
    ln1, ln2 = np.log(L1 / sigma), np.log(L2 / sigma)
    ltau = np.log(tau)
    a1 = ln1 + (1 - sigma) * (u + ltau)
    c1, b2 = ln1 + (1 - sigma) * u, ln2 + (1 - sigma) * ltau
    log_pa, log_not_pc = log_expit(a1 - ln2), log_expit(b2 - c1)
    F = np.log(L2) + log_pa - (u + np.log(L1) + log_not_pc)
    return F, expit(a1 - ln2), expit(c1 - b2)


def reference(L1, L2, sigma, tau):
    """(ln ω, d ln ω / d ln L1) in closed form: the root of F by safeguarded vectorised Newton
    (F falls strictly in u), then the implicit-function derivative −L1 F_L1 / F_u with
    F_u = (1−σ)(1−pa) − 1 + (1−σ) pc and L1 F_L1 = pc − pa."""
    lo, hi = np.full_like(L1, -60.0), np.full_like(L1, 60.0)
    u = np.zeros_like(L1)
    for _ in range(200):
        F, pa, pc = _balance(u, L1, L2, sigma, tau)
        lo, hi = np.where(F > 0, u, lo), np.where(F > 0, hi, u)
        F_u = (1 - sigma) * (1 - pa) - 1 + (1 - sigma) * pc
        newton = u - F / F_u
        u_new = np.where((newton > lo) & (newton < hi), newton, 0.5 * (lo + hi))
        if np.all(np.abs(u_new - u) <= 1e-15 * np.maximum(1, np.abs(u))):
            u = u_new
            break
        u = u_new
    _, pa, pc = _balance(u, L1, L2, sigma, tau)
    F_u = (1 - sigma) * (1 - pa) - 1 + (1 - sigma) * pc
    return u, -(pc - pa) / F_u


def _scipy_point(L1, L2, sigma, tau):
    """The baseline for one point: ω by `scipy.optimize.root`, ω̂/L̂ by central differences."""

    def log_omega(l1):
        sol = scipy.optimize.root(lambda u: _balance(u, l1, L2, sigma, tau)[0], 0.0, tol=1e-12)
        return float(sol.x[0])

    u = log_omega(L1)
    up, down = log_omega(L1 * np.exp(_FD_STEP)), log_omega(L1 * np.exp(-_FD_STEP))
    return u, (up - down) / (2 * _FD_STEP)


def _balance_math(u, L1, L2, sigma, tau):
    """F(u) of eq. (14) on Python floats with `math`: what a user writing a per-point loop
    would write (no NumPy or SciPy ufuncs on scalars, which cost microseconds each)."""
    ln1, ln2, ltau = math.log(L1 / sigma), math.log(L2 / sigma), math.log(tau)
    a1 = ln1 + (1 - sigma) * (u + ltau) - ln2
    c1 = ln1 + (1 - sigma) * u - (ln2 + (1 - sigma) * ltau)
    # log expit(z) = −log(1 + e^{−z}), written to stay finite for large |z|
    log_pa = -math.log1p(math.exp(-a1)) if a1 > 0 else a1 - math.log1p(math.exp(a1))
    log_not_pc = -math.log1p(math.exp(c1)) if c1 < 0 else -c1 - math.log1p(math.exp(-c1))
    return math.log(L2) + log_pa - (u + math.log(L1) + log_not_pc)


def _scipy_math_point(L1, L2, sigma, tau):
    """The strongest per-point baseline: Brent's method on scalars (F falls strictly in u, so
    [−60, 60] brackets the root) and central differences in ln L1."""

    def log_omega(l1):
        return scipy.optimize.brentq(_balance_math, -60.0, 60.0, args=(l1, L2, sigma, tau), xtol=1e-14)

    u = log_omega(L1)
    up, down = log_omega(L1 * math.exp(_FD_STEP)), log_omega(L1 * math.exp(-_FD_STEP))
    return u, (up - down) / (2 * _FD_STEP)


def _per_point(point, over, n):
    """(seconds, elasticities) of a per-point baseline loop over the first `n` draws."""
    pick = [tuple(float(over[k][i]) for k in ("L1", "L2", "sigma", "tau")) for i in range(n)]
    seconds, out = time_python(lambda: [point(*p) for p in pick], repeats=1)
    return seconds, np.array([o[1] for o in out])


def _draws(n, seed=0):
    rng = np.random.default_rng(seed)
    return {"L1": rng.uniform(0.2, 5.0, n), "L2": rng.uniform(0.2, 5.0, n),
            "sigma": rng.uniform(1.5, 10.0, n), "tau": rng.uniform(1.0, 3.0, n)}


def _rel_err(a, b, floor=1e-12):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))


def _elasticity_err(a, b):
    # Elasticities are unit-free and vanish at free trade (τ = 1), where a relative error is
    # meaningless: the error is |Δ| / max(|exact|, 1), relative above 1 and absolute below.
    return _rel_err(a, b, floor=1.0)


def _single() -> Result:
    model = Krugman1980(L1=2.0, L2=1.0, sigma=4.0, tau=1.25)
    _, exact = reference(*(np.array([v]) for v in (2.0, 1.0, 4.0, 1.25)))

    def ours():
        return de.solve(model)["omega"], de.elasticity(model, "omega", "L1")

    compile_s, warm_s, (_, elasticity) = time_jax(ours, repeats=20)
    base_s, (_, fd) = time_python(lambda: _scipy_point(2.0, 1.0, 4.0, 1.25), repeats=20)
    math_s, (_, fd_math) = time_python(lambda: _scipy_math_point(2.0, 1.0, 4.0, 1.25), repeats=200)
    ours_err = _elasticity_err(elasticity, exact[0])
    return [
        Result(MODEL, "single warm solve + ω̂/L̂ (vs SciPy root, NumPy on scalars)", 1, warm_s,
               compile_s, base_s, ours_err, _elasticity_err(fd, exact[0]),
               note="L1=2, σ=4, τ=1.25; elasticity errors are |Δ| / max(1, |exact|)"),
        Result(MODEL, "single warm solve + ω̂/L̂ (vs SciPy brentq with math)", 1, warm_s,
               compile_s, math_s, ours_err, _elasticity_err(fd_math, exact[0])),
    ]


def _batch(n: int, quick: bool, dtype: str) -> Result:
    over = _draws(n)
    devices = sweep_devices()

    def ours():
        return de.sweep(Krugman1980(), over, of="omega", wrt="L1", devices=devices, dtype=dtype)

    compile_s, warm_s, out = time_jax(ours, repeats=5)
    elasticity = np.asarray(out["domega/dL1"]) * over["L1"] / np.asarray(out["omega"])
    u_ref, exact = reference(**over)
    ok = np.asarray(out["converged"])
    note = f"{ok.mean():.2%} converged; chunk {out.chunk}, {out.blocks} block(s), {out.devices} device(s)"
    if dtype == "float32":
        note += (f"; float32 vs closed form: ω max rel. err {_rel_err(out['omega'], np.exp(u_ref)):.1e}"
                 " (float64 accuracy loss, reported not hidden)")
        return Result(MODEL, "batch ω + ω̂/L̂, float32", n, warm_s, compile_s, None,
                      _elasticity_err(elasticity, exact), None, note=note, series="float32")
    baseline_n = min(n, 100 if quick else 400)
    base_s, fd = _per_point(_scipy_point, over, baseline_n)
    ours_err = _elasticity_err(elasticity, exact)
    rows = [Result(MODEL, "batch ω + ω̂/L̂ (vs SciPy root, NumPy on scalars: the old baseline)", n,
                   warm_s, compile_s, base_s * n / baseline_n, ours_err,
                   _elasticity_err(fd, exact[:baseline_n]), baseline_n=baseline_n, note=note,
                   series="float64")]
    math_n = min(n, 1000 if quick else 4000)
    math_s, fd = _per_point(_scipy_math_point, over, math_n)
    rows.append(Result(MODEL, "batch ω + ω̂/L̂ (vs SciPy brentq loop with math on scalars)", n, warm_s,
                       compile_s, math_s * n / math_n, ours_err, _elasticity_err(fd, exact[:math_n]),
                       baseline_n=math_n, note="per-point Brent + central differences"))
    numpy_s, (_, numpy_el) = time_python(lambda: reference(**over), repeats=3)
    rows.append(Result(MODEL, "batch ω + ω̂/L̂ (vs vectorised NumPy Newton, hand-derived derivative)",
                       n, warm_s, compile_s, numpy_s, ours_err, _elasticity_err(numpy_el, exact),
                       note="the NumPy solver is the reference: its error is 0 by construction"))
    return rows


def run(quick: bool, batch: list[int] | None = None) -> list[Result]:
    results = list(_single())
    for n in batch_sizes(quick, batch):
        results.extend(_batch(n, quick, "float64"))
        results.append(_batch(n, quick, "float32"))
    return results
