"""Takita (2025): country 1's employment share L₁ and its statics dL₁/dq, dL₁/dQ, dL₁/dβ.

Tasks: one warm solve + the three exact derivatives; a batch (10^4 by default, 10^3 quick) of
random draws over every regime (corners included) with the derivatives of each. Baselines:

- the strongest per-point loop: the goods-market gap written with `math` on Python floats
  (constants of the point computed once), the corners read off its sign at L₁ = 0 and 1, the
  interior root by `scipy.optimize.brentq` on (0, 1), and the statics by central differences;
- the strongest vectorised code: the closed form itself (spec §4–5; `reference`): L₁ from the
  corner conditions and eq. (38), dL₁/dq = A, dL₁/dh, dL₁/dφ differentiated by hand (zero in the
  corners), in NumPy over the whole batch. No Newton is needed where the root has a formula, so
  this baseline is stronger than a vectorised Newton;
- the 0.2 benchmark's `scipy.optimize.root` on the Fischer–Burmeister form of the complementarity
  problem, NumPy on scalars, kept as a labelled row.

All are compared with the closed form and with diffecon's answers. Points whose
finite-difference bracket straddles a regime kink are left out of the derivative errors.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize

import diffecon as de
from diffecon.models import Takita2025

from ._harness import Result, batch_sizes, max_rel_diff, single_goals, sweep_devices, time_jax, time_python

MODEL = "Takita 2025"
_WRT = ("q", "Q", "beta")
_FD_STEP = 1e-6  # relative step of the central differences
_CORNER = 1e-12


def _draws(n, seed=0):
    rng = np.random.default_rng(seed)
    return {"q": rng.uniform(0.5, 0.95, n), "sigma": rng.uniform(3.0, 6.0, n),
            "tau": rng.uniform(1.0, 2.0, n), "beta": rng.uniform(0.7, 1.5, n),
            "Q": rng.uniform(0.8, 1.2, n), "mu_f": rng.uniform(0.3, 1.0, n),
            "mu_m": rng.uniform(1.1, 1.8, n)}


def _phi_h(p):
    phi = (p["tau"] / p["beta"]) ** (1 - p["sigma"])
    e = p["mu_f"] + (p["sigma"] - 1) * (p["mu_m"] - 1)
    return phi, p["Q"] ** e, e


def reference(p):
    """Closed-form L₁ and (dL₁/dq, dL₁/dQ, dL₁/dβ), NumPy, vectorised (f = m = 1)."""
    q = p["q"]
    phi, h, e = _phi_h(p)
    large = h >= phi * q + (1 - q) / phi
    small = h <= phi / (q + phi**2 * (1 - q))
    inside = ~(large | small)
    h_in = np.where(inside, h, 1.0 + 0.5 * np.abs(1 - phi))  # keep poles out of the corner rows
    den = (1 - phi * h_in) * (1 - phi / h_in)
    A = (1 - phi**2) / den
    L1 = np.where(large, 1.0, np.where(small, 0.0, A * q - phi / (h_in - phi)))
    dL1_dh = q * phi / (1 - phi * h_in) ** 2 + phi * (1 - q) / (h_in - phi) ** 2
    dA_dphi = (-2 * phi * den - (1 - phi**2) * (2 * phi - h_in - 1 / h_in)) / den**2
    dL1_dphi = q * dA_dphi - h_in / (h_in - phi) ** 2
    zero = np.where(inside, 1.0, 0.0)
    return L1, {"q": A * zero, "Q": dL1_dh * e * h / p["Q"] * zero,
                "beta": dL1_dphi * (p["sigma"] - 1) * phi / p["beta"] * zero}


def _fb(a, b):
    return a + b - np.hypot(a, b)


def _residual(L1, q, sigma, tau, beta, Q, mu_f, mu_m):
    """The model's equation in NumPy: box complementarity on the goods-market gap."""
    s = np.clip(L1, 0.0, 1.0)
    phi = (tau / beta) ** (1 - sigma)
    p1 = sigma / (sigma - 1)
    p2 = p1 * Q**mu_m
    x1 = sigma - 1
    x2 = x1 * Q ** (mu_f - mu_m)
    N1, N2 = s / sigma, (1 - s) / (sigma * Q**mu_f)
    w11, w22 = p1 ** (1 - sigma), (p2 / Q) ** (1 - sigma)
    d1 = N1 * w11 + N2 * phi * w22
    d2 = N1 * phi * w11 + N2 * w22
    X1 = (q * w11 / d1 + (1 - q) * phi * w11 / d2) / p1
    X2 = (q * phi * w22 / d1 + (1 - q) * w22 / d2) / p2
    gap = np.log(X1 / x1) - np.log(X2 / x2)
    return _fb(L1, -_fb(1 - L1, gap))


def _scipy_L1(args):
    sol = scipy.optimize.root(lambda v: _residual(v[0], *args), [args[0]], method="hybr", tol=1e-13)
    return float(np.clip(sol.x[0], 0.0, 1.0))


_ORDER = ("q", "sigma", "tau", "beta", "Q", "mu_f", "mu_m")


def _scipy_point(point):
    """Baseline for one point: L₁ by `scipy.optimize.root`, statics by central differences."""
    L1 = _scipy_L1(tuple(point[k] for k in _ORDER))
    grads = {}
    for name in _WRT:
        step = _FD_STEP * point[name]
        up = _scipy_L1(tuple(point[k] + (step if k == name else 0.0) for k in _ORDER))
        down = _scipy_L1(tuple(point[k] - (step if k == name else 0.0) for k in _ORDER))
        grads[name] = (up - down) / (2 * step)
    return L1, grads


def _math_L1(q, sigma, tau, beta, Q, mu_f, mu_m):
    """L₁ of one point with `math`: corners from the gap's sign at 0 and 1, else Brent on (0, 1)."""
    phi = (tau / beta) ** (1 - sigma)
    p1 = sigma / (sigma - 1)
    p2 = p1 * Q**mu_m
    log_x = math.log((sigma - 1) * Q ** (mu_f - mu_m)) - math.log(sigma - 1)  # ln(x2/x1)
    w11, w22 = p1 ** (1 - sigma), (p2 / Q) ** (1 - sigma)
    a1, a2 = 1 / sigma, 1 / (sigma * Q**mu_f)

    def gap(s):
        n1, n2 = s * a1, (1 - s) * a2
        d1, d2 = n1 * w11 + n2 * phi * w22, n1 * phi * w11 + n2 * w22
        X1 = (q * w11 / d1 + (1 - q) * phi * w11 / d2) / p1
        X2 = (q * phi * w22 / d1 + (1 - q) * w22 / d2) / p2
        return math.log(X1 / X2) + log_x

    if gap(0.0) <= 0:
        return 0.0
    if gap(1.0) >= 0:
        return 1.0
    return scipy.optimize.brentq(gap, 0.0, 1.0, xtol=1e-15, rtol=8.9e-16)


def _math_point(point):
    """Per-point baseline: L₁ by `_math_L1`, statics by central differences."""
    args = [point[k] for k in _ORDER]
    L1 = _math_L1(*args)
    grads = {}
    for name in _WRT:
        i = _ORDER.index(name)
        step = _FD_STEP * args[i]
        up, down = list(args), list(args)
        up[i] += step
        down[i] -= step
        grads[name] = (_math_L1(*up) - _math_L1(*down)) / (2 * step)
    return L1, grads


def _kink_free(p):
    """Points whose ±step brackets in every direction stay in one regime (by the closed form)."""
    L1, _ = reference(p)
    regime = np.where(L1 <= _CORNER, 0, np.where(L1 >= 1 - _CORNER, 2, 1))
    ok = np.ones_like(L1, bool)
    for name in _WRT:
        for sign in (-1, 1):
            shifted = dict(p, **{name: p[name] * (1 + sign * _FD_STEP)})
            L, _ = reference(shifted)
            ok &= np.where(L <= _CORNER, 0, np.where(L >= 1 - _CORNER, 2, 1)) == regime
    return ok


def _deriv_err(grads, exact, mask):
    # dL₁/dθ is O(1) or zero in the corners: |Δ| / max(1, |exact|), relative above 1.
    return max(float(np.max(np.abs(np.asarray(grads[k])[mask] - exact[k][mask])
                            / np.maximum(1.0, np.abs(exact[k][mask])))) for k in _WRT)


def _single() -> list[Result]:
    point = {k: np.array([v]) for k, v in dict(q=0.62, sigma=4.0, tau=1.3, beta=1.0, Q=0.9,
                                              mu_f=0.5, mu_m=1.5).items()}
    _, exact = reference(point)
    model = Takita2025(**{k: float(v[0]) for k, v in point.items()})

    def ours():
        return de.solve(model)["L1"], de.jacobian(model, "L1", list(_WRT))["L1"]

    compile_s, warm_s, (L1, jac) = time_jax(ours, repeats=20)
    scalar = {k: float(v[0]) for k, v in point.items()}
    math_s, (L1_m, fd_m) = time_python(lambda: _math_point(scalar), repeats=50)
    base_s, (_, fd) = time_python(lambda: _scipy_point(scalar), repeats=20)
    mask = np.array([True])
    ours_err = _deriv_err({k: np.atleast_1d(v) for k, v in jac.items()}, exact, mask)
    diff = max(max_rel_diff(fd_m[k], jac[k]) for k in _WRT)
    task = "single warm solve + dL1/d(q, Q, β)"
    return [
        Result(MODEL, task, 1, warm_s, compile_s, math_s, ours_err,
               _deriv_err({k: np.atleast_1d(v) for k, v in fd_m.items()}, exact, mask),
               baseline_label="SciPy brentq on a math gap function + central diff.", goals=single_goals(3.0),
               note=f"q=0.62, σ=4, τ=1.3, β=1, Q=0.9 (RHME); errors |Δ|/max(1, |exact|); vs diffecon: "
                    f"L1 diff {abs(L1_m - float(L1)):.1e}, derivatives max diff {diff:.1e}"),
        Result(MODEL, task, 1, warm_s, compile_s, base_s, ours_err,
               _deriv_err({k: np.atleast_1d(v) for k, v in fd.items()}, exact, mask),
               baseline_label="old: SciPy root on the FB form, NumPy on scalars + central diff."),
    ]


def _batch(n: int, quick: bool) -> list[Result]:
    over = _draws(n)
    devices = sweep_devices()

    def ours():
        return de.sweep(Takita2025(), over, of=["L1", "regime"], wrt=list(_WRT), devices=devices)

    compile_s, warm_s, out = time_jax(ours, repeats=5)
    L1_ref, exact = reference(over)
    mask = _kink_free(over)
    ok = np.asarray(out["converged"])
    L1 = np.asarray(out["L1"])
    grads = {k: np.asarray(out[f"dL1/d{k}"]) for k in _WRT}
    regimes = np.bincount(np.asarray(out["regime"]).astype(int), minlength=4)
    ours_err = _deriv_err(grads, exact, mask)
    task = "batch L1 + dL1/d(q, Q, β)"

    def vs(L1_b, g, m):
        """Answers against diffecon's on the first m points (derivatives where kink-free)."""
        k = mask[:m]
        d = max(float(np.max(np.abs(np.asarray(g[w])[k] - grads[w][:m][k]) / np.maximum(1, np.abs(grads[w][:m][k]))))
                for w in _WRT)
        return (f"vs diffecon: L1 max abs diff {np.max(np.abs(np.asarray(L1_b) - L1[:m])):.1e}, "
                f"derivatives max diff {d:.1e}")

    rows = []
    math_n = min(n, 300 if quick else 2000)
    pick = [{k: float(v[i]) for k, v in over.items()} for i in range(math_n)]
    math_s, res = time_python(lambda: [_math_point(pt) for pt in pick], repeats=1)
    L1_m = np.array([r[0] for r in res])
    fd_m = {k: np.array([r[1][k] for r in res]) for k in _WRT}
    rows.append(Result(
        MODEL, task, n, warm_s, compile_s, math_s * n / math_n, ours_err,
        _deriv_err(fd_m, {k: v[:math_n] for k, v in exact.items()}, mask[:math_n]), baseline_n=math_n,
        series="float64", baseline_label="SciPy brentq loop on a math gap function + central diff.",
        note=(f"{ok.mean():.2%} converged; regimes (CA-small, RHME, HME, CA-large) = {regimes.tolist()}; "
              f"L1 max abs err vs closed form {np.max(np.abs(L1 - L1_ref)):.1e}; derivative errors on "
              f"{int(mask.sum())} kink-free points; chunk {out.chunk}; {vs(L1_m, fd_m, math_n)}")))
    closed_s, (L1_c, g_c) = time_python(lambda: reference(over), repeats=5)
    rows.append(Result(MODEL, task, n, warm_s, compile_s, closed_s, ours_err, 0.0,
                       baseline_label="vectorised NumPy closed form (eq. 38) + hand-derived derivatives",
                       note=f"the reference itself (stronger than a vectorised Newton); {vs(L1_c, g_c, n)}"))
    baseline_n = min(n, 100 if quick else 300)
    pick = pick[:baseline_n] if len(pick) >= baseline_n else [{k: float(v[i]) for k, v in over.items()}
                                                             for i in range(baseline_n)]
    base_s, base = time_python(lambda: [_scipy_point(pt) for pt in pick], repeats=1)
    fd = {k: np.array([b[1][k] for b in base]) for k in _WRT}
    base_L1 = np.array([b[0] for b in base])
    rows.append(Result(MODEL, task, n, warm_s, compile_s, base_s * n / baseline_n, ours_err,
                       _deriv_err(fd, {k: v[:baseline_n] for k, v in exact.items()}, mask[:baseline_n]),
                       baseline_n=baseline_n,
                       baseline_label="old: SciPy root loop on the FB form, NumPy on scalars + central diff.",
                       note=vs(base_L1, fd, baseline_n)))
    return rows


def run(quick: bool, batch: list[int] | None = None) -> list[Result]:
    results = list(_single())
    for n in batch_sizes(quick, batch):
        results.extend(_batch(n, quick))
    return results
