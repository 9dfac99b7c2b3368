"""Niem & Kim (2020): diffecon against scipy.optimize.root on the closed-form duopoly FOCs.

Reference derivative: Lemma 3, d ln q_i / d ln Ψ = 1/(z−1) exactly. Tasks: one warm solve with
the elasticity; a batch of solves over b with the exact d q/d Ψ of every point (IFT), against
`scipy.optimize.root` per point with central differences in ln Ψ.
"""

from __future__ import annotations

import jax
import numpy as np
from scipy.optimize import root

import diffecon as de
from diffecon.models import NiemKim2020

from ._harness import Result, time_jax, time_python


def _scipy_quality(size, a, b, z):
    def foc(x):
        q1, q2 = np.exp(x[0]) + np.exp(x[1]), np.exp(x[1])
        t = q2 / (q1 - q2)
        top = size * ((b - a) ** 2 - (1 - a) ** 2 * t**2) / (4 * (b - 1))
        bottom = size * (1 - a) * ((b + a - 2) - (1 - a) * (2 * t + t**2)) / (2 * (b - 1))
        return [top / q1 ** (z - 1) - 1, bottom / q2 ** (z - 1) - 1]

    x = root(foc, [0.0, -1.5], tol=1e-12).x
    return np.array([np.exp(x[0]) + np.exp(x[1]), np.exp(x[1])])


def _scipy_elasticity(size, a, b, z, h=1e-5):
    up = _scipy_quality(size * np.exp(h), a, b, z)
    down = _scipy_quality(size * np.exp(-h), a, b, z)
    return (np.log(up) - np.log(down)) / (2 * h)


def run(quick: bool) -> list[Result]:
    a, b, z, size = 0.1, 4.0, 2.0, 10.0
    model = NiemKim2020(size, a, b, z)
    exact = 1 / (z - 1)

    def statics():
        return de.elasticity(model, "quality", "size")

    compile_s, warm_s, el = time_jax(statics)
    base_s, fd = time_python(lambda: _scipy_elasticity(size, a, b, z))
    single = Result(
        "niem_kim2020", "warm solve + d ln q/d ln Ψ", 1, warm_s, compile_s, base_s,
        float(np.max(np.abs(np.asarray(el) - exact))), float(np.max(np.abs(fd - exact))),
        note="reference: Lemma 3, 1/(z−1)",
    )
    n = 1_000 if quick else 10_000
    bs = np.linspace(2.2, 4.3, n)  # inside the covered-corner range (b < 4.3572 at a = 0.1)

    def batch():
        return de.sweep(model, {"b": bs}, of="quality", wrt="size")

    compile_b, warm_b, out = time_jax(batch, repeats=3)
    ours_el = np.asarray(out["dquality/dsize"]) * size / np.asarray(out["quality"])
    n_base = 200

    def baseline():
        return [(_scipy_quality(size, a, bb, z), _scipy_elasticity(size, a, bb, z)) for bb in bs[:n_base]]

    base_b, base = time_python(baseline, repeats=1)
    base_q = np.array([q for q, _ in base])
    base_el = np.array([e for _, e in base])
    ok = np.asarray(out["converged"])
    q_diff = float(np.max(np.abs(np.asarray(out["quality"])[:n_base] - base_q) / base_q))
    batch_res = Result("niem_kim2020", "batch of solves over b + d ln q/d ln Ψ", n, warm_b, compile_b,
                       base_b * n / n_base, float(np.max(np.abs(ours_el - exact))),
                       float(np.max(np.abs(base_el - exact))), baseline_n=n_base,
                       note=f"{ok.mean():.2%} converged; b in [2.2, 4.3]; reference: Lemma 3, 1/(z−1); "
                            f"SciPy root + central differences; quality max rel. diff vs SciPy {q_diff:.1e}")
    jax.clear_caches()
    return [single, batch_res]
