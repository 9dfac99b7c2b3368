"""Niem & Kim (2020): diffecon against SciPy and NumPy on the closed-form duopoly FOCs.

Reference derivative: Lemma 3, d ln q_i / d ln Ψ = 1/(z−1) exactly. Tasks: one warm solve with
the elasticity; a batch of solves over b with the exact d q/d Ψ of every point (IFT). Baselines,
all on the FOCs of spec §3 in x = (ln(q_1 − q_2), ln q_2), t = q_2/(q_1 − q_2) = e^{x_1 − x_0}:

- the strongest per-point loop: `scipy.optimize.root` (hybr) on the two FOCs written with `math`
  on Python floats, central differences in ln Ψ with both shifted solves started from the
  solution;
- the strongest vectorised code: Newton over the whole batch on the FOCs in logs with the
  hand-derived 2×2 Jacobian (Cramer's rule), started at t = t_max/2 (where both margins are
  positive), steps halved where they would leave that domain, stopped one step after the steps
  fall below 1e-8; the statics by the implicit-function theorem, dx/d ln Ψ = −J⁻¹(1, 1);
- the 0.2 benchmark's loop (NumPy on scalars), kept as a labelled row.
"""

from __future__ import annotations

import math

import jax
import numpy as np
from scipy.optimize import root

import diffecon as de
from diffecon.models import NiemKim2020

from ._harness import NIEM_KIM_BATCH, Goal, Result, max_rel_diff, single_goals, time_jax, time_python

MODEL = "Niem–Kim 2020"
_H = 1e-5  # central-difference step in ln Ψ


def _scipy_quality(size, a, b, z):
    def foc(x):
        q1, q2 = np.exp(x[0]) + np.exp(x[1]), np.exp(x[1])
        t = q2 / (q1 - q2)
        top = size * ((b - a) ** 2 - (1 - a) ** 2 * t**2) / (4 * (b - 1))
        bottom = size * (1 - a) * ((b + a - 2) - (1 - a) * (2 * t + t**2)) / (2 * (b - 1))
        return [top / q1 ** (z - 1) - 1, bottom / q2 ** (z - 1) - 1]

    x = root(foc, [0.0, -1.5], tol=1e-12).x
    return np.array([np.exp(x[0]) + np.exp(x[1]), np.exp(x[1])])


def _scipy_elasticity(size, a, b, z, h=_H):
    up = _scipy_quality(size * np.exp(h), a, b, z)
    down = _scipy_quality(size * np.exp(-h), a, b, z)
    return (np.log(up) - np.log(down)) / (2 * h)


def _foc_math(x, size, a, b, z):
    """The two FOCs (MR_i / marginal R&D cost − 1) on Python floats with `math`."""
    e0, e1 = math.exp(x[0]), math.exp(x[1])
    q1 = e0 + e1
    t = e1 / e0
    top = size * ((b - a) ** 2 - (1 - a) ** 2 * t * t) / (4 * (b - 1))
    bottom = size * (1 - a) * ((b + a - 2) - (1 - a) * (2 * t + t * t)) / (2 * (b - 1))
    return [top / q1 ** (z - 1) - 1, bottom / e1 ** (z - 1) - 1]


def math_point(size, a, b, z):
    """Per-point baseline: (q_1, q_2) by hybr, d ln q/d ln Ψ by central differences."""

    def solve(s, x0):
        return root(_foc_math, x0, args=(s, a, b, z), tol=1e-12).x

    def log_q(x):
        return (math.log(math.exp(x[0]) + math.exp(x[1])), float(x[1]))

    x = solve(size, [0.0, -1.5])
    up, down = log_q(solve(size * math.exp(_H), x)), log_q(solve(size * math.exp(-_H), x))
    lq = log_q(x)
    return [math.exp(v) for v in lq], [(up[i] - down[i]) / (2 * _H) for i in range(2)]


def numpy_newton(size, a, b, z):
    """Vectorised baseline over an array b: ((q_1, q_2), d ln q/d ln Ψ), each (n, 2)."""
    b = np.asarray(b, np.float64)
    c2, lsize = (1 - a) ** 2, math.log(size)

    def margins(x0, x1):
        t = np.exp(x1 - x0)
        return t, (b - a) ** 2 - c2 * t * t, (b + a - 2) - (1 - a) * (2 * t + t * t)

    t0 = 0.5 * (np.sqrt(1 + (b + a - 2) / (1 - a)) - 1)  # t_max / 2
    x0 = (np.log(((b - a) ** 2 - c2 * t0 * t0) / (4 * (b - 1))) + lsize) / (z - 1) - np.log1p(t0)
    x1 = x0 + np.log(t0)
    small = False
    for _ in range(100):
        t, top, bot = margins(x0, x1)
        dtop, dbot = -2 * c2 * t * t / top, -(1 - a) * (2 + 2 * t) * t / bot  # d ln(·)/d(x1 − x0)
        w = t / (1 + t)  # d ln q1/d x1; 1 − w = d ln q1/d x0
        J00, J01, J10, J11 = -dtop - (z - 1) * (1 - w), dtop - (z - 1) * w, -dbot, dbot - (z - 1)
        det = J00 * J11 - J01 * J10
        if small:
            break
        G0 = np.log(top / (4 * (b - 1))) + lsize - (z - 1) * np.logaddexp(x0, x1)
        G1 = np.log((1 - a) * bot / (2 * (b - 1))) + lsize - (z - 1) * x1
        d0, d1 = (J01 * G1 - J11 * G0) / det, (J10 * G0 - J00 * G1) / det
        step = np.ones_like(b)
        for _ in range(60):  # halve the steps that would leave top, bottom > 0
            _, tp, bt = margins(x0 + step * d0, x1 + step * d1)
            bad = (tp <= 0) | (bt <= 0)
            if not bad.any():
                break
            step = np.where(bad, 0.5 * step, step)
        small = bool(np.all(np.maximum(np.abs(step * d0), np.abs(step * d1)) <= 1e-8))
        x0, x1 = x0 + step * d0, x1 + step * d1
    dx0, dx1 = (J01 - J11) / det, (J10 - J00) / det  # −J⁻¹ (1, 1)
    q = np.stack([np.exp(x0) + np.exp(x1), np.exp(x1)], -1)
    return q, np.stack([(1 - w) * dx0 + w * dx1, dx1], -1)


def run(quick: bool) -> list[Result]:
    a, b, z, size = 0.1, 4.0, 2.0, 10.0
    model = NiemKim2020(size, a, b, z)
    exact = 1 / (z - 1)

    def statics():
        return de.elasticity(model, "quality", "size")

    compile_s, warm_s, el = time_jax(statics, repeats=20)
    el = np.asarray(el)
    math_s, (_, fd_m) = time_python(lambda: math_point(size, a, b, z), repeats=50)
    base_s, fd = time_python(lambda: _scipy_elasticity(size, a, b, z), repeats=10)
    err = float(np.max(np.abs(el - exact)))
    task = "single warm solve + d ln q/d ln Ψ"
    rows = [
        Result(MODEL, task, 1, warm_s, compile_s, math_s, err, float(np.max(np.abs(np.array(fd_m) - exact))),
               baseline_label="SciPy root (hybr) on math FOCs + central diff.", goals=single_goals(3.0),
               note=f"a=0.1, b=4, z=2, Ψ=10; reference: Lemma 3, 1/(z−1); vs diffecon: max diff "
                    f"{max_rel_diff(fd_m, el):.1e}"),
        Result(MODEL, task, 1, warm_s, compile_s, base_s, err, float(np.max(np.abs(fd - exact))),
               baseline_label="old: SciPy root, NumPy on scalars + central diff."),
    ]
    n = 1_000 if quick else 10_000
    bs = np.linspace(2.2, 4.3, n)  # inside the covered-corner range (b < 4.3572 at a = 0.1)

    def batch():
        return de.sweep(model, {"b": bs}, of="quality", wrt="size")

    compile_b, warm_b, out = time_jax(batch, repeats=5)
    quality = np.asarray(out["quality"])
    ours_el = np.asarray(out["dquality/dsize"]) * size / quality
    ours_err = float(np.max(np.abs(ours_el - exact)))
    ok = np.asarray(out["converged"])
    task = "batch of solves over b + d ln q/d ln Ψ"
    ten4 = n == 10_000

    def vs(q, el):
        m = len(q)
        return (f"vs diffecon: quality max rel. diff {max_rel_diff(q, quality[:m], 0.0):.1e}, "
                f"d ln q/d ln Ψ max diff {max_rel_diff(el, ours_el[:m]):.1e}")

    n_math = min(n, 500 if quick else 2000)
    math_b, res = time_python(lambda: [math_point(size, a, bb, z) for bb in bs[:n_math]], repeats=1)
    q_m, el_m = np.array([r[0] for r in res]), np.array([r[1] for r in res])
    rows.append(Result(MODEL, task, n, warm_b, compile_b, math_b * n / n_math, ours_err,
                       float(np.max(np.abs(el_m - exact))), baseline_n=n_math, series="float64",
                       baseline_label="SciPy root (hybr) loop on math FOCs + central diff.",
                       goals=[Goal(NIEM_KIM_BATCH, "≥ 300×", "ratio", "≥", 300)] if ten4 else [],
                       note=f"{ok.mean():.2%} converged; b in [2.2, 4.3]; reference: Lemma 3, 1/(z−1); "
                            f"{vs(q_m, el_m)}"))
    numpy_b, (q_np, el_np) = time_python(lambda: numpy_newton(size, a, bs, z), repeats=5)
    rows.append(Result(MODEL, task, n, warm_b, compile_b, numpy_b, ours_err, float(np.max(np.abs(el_np - exact))),
                       baseline_label="vectorised NumPy Newton, hand-derived 2×2 Jacobian + IFT",
                       note=vs(q_np, el_np)))
    n_base = min(n, 100 if quick else 300)

    def baseline():
        return [(_scipy_quality(size, a, bb, z), _scipy_elasticity(size, a, bb, z)) for bb in bs[:n_base]]

    base_b, base = time_python(baseline, repeats=1)
    q_o, el_o = np.array([q for q, _ in base]), np.array([e for _, e in base])
    rows.append(Result(MODEL, task, n, warm_b, compile_b, base_b * n / n_base, ours_err,
                       float(np.max(np.abs(el_o - exact))), baseline_n=n_base,
                       baseline_label="old: SciPy root loop, NumPy on scalars + central diff.", note=vs(q_o, el_o)))
    jax.clear_caches()
    return rows
