"""Niem & Kim (2020): diffecon against scipy.optimize.root on the closed-form duopoly FOCs.

Reference derivative: Lemma 3, d ln q_i / d ln Ψ = 1/(z−1) exactly.
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
    bs = np.linspace(2.2, 4.3, n)

    def batch():
        return de.sweep(model, {"b": bs}, of="quality")["quality"]

    compile_b, warm_b, _ = time_jax(batch, repeats=3)
    n_base = 200
    base_b, _ = time_python(lambda: [_scipy_quality(size, a, bb, z) for bb in bs[:n_base]], repeats=1)
    batch_res = Result("niem_kim2020", "batch of solves over b", n, warm_b, compile_b,
                       base_b * n / n_base, baseline_n=n_base)
    jax.clear_caches()
    return [single, batch_res]
