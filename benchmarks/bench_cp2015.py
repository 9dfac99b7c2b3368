"""Caliendo–Parro (2015) on the NAFTA data (31 regions × 40 sectors): baseline + counterfactual,
and every tariff's derivative of every region's real income.

Baseline: the paper's algorithm as its R port `cp2015` runs it (damped fixed point on costs,
spending and wages, update factor 0.5, stopping at ‖F‖₂ < 1e-7), vectorised in NumPy: the
natural code a competent user writes. Its derivatives would be central finite differences, two
solves per tariff (38,440 tariffs: 76,880 solves); the row reports the time of that estimate
from one timed solve. diffecon: the chord solve (one block-LU factorisation) and
`diffecon.jacobian` for the 31 × 38,440 Jacobian, solve included, which takes reverse mode on
its own (31 outcomes < 38,440 parameters): one factorisation of the equilibrium Jacobian at the
solution and 31 transposed solves (the implicit adjoint).
"""

from __future__ import annotations

import time

import numpy as np

import diffecon as de
from diffecon.data import load_cp2015_nafta
from diffecon.models import CaliendoParro2015

from ._harness import Result, time_jax


def _calibration(a):
    spend = a["flows"] * (1 + a["tariff"])
    X0 = spend.sum(1)
    out = a["intermediate"].sum(1) + a["value_added"]
    return dict(
        X0=X0,
        pi0=spend / X0[:, None, :],
        gio=a["intermediate"] / out[:, None, :],
        gva=a["value_added"] / out,
        wL=a["value_added"].sum(1),
        alpha=a["final_consumption"] / a["final_consumption"].sum(1, keepdims=True),
    )


def fixed_point(a, c, tau1, dhat, D, uf=0.5, tol=1e-7, maxiter=10_000):
    """The R package's `solve_model` (damped fixed point), NumPy. Returns (ĉ, P̂, X, ŵ, I, M, iterations)."""
    theta = a["theta"]
    th = theta[:, None, None]
    kappa = (1 + tau1) / (1 + a["tariff"]) * dhat
    J, N = c["X0"].shape
    chat, X, w = np.ones((J, N)), c["X0"].copy(), np.ones(N)
    for it in range(maxiter):  # noqa: B007 (the count is returned)
        P = (c["pi0"] * (kappa * chat[:, :, None]) ** (-th)).sum(1) ** (-1 / theta[:, None])
        pi = c["pi0"] * (chat[:, :, None] * kappa / P[:, None, :]) ** (-th)
        M = pi * X[:, None, :] / (1 + tau1)
        income = w * c["wL"] + (tau1 * M).sum((0, 1)) + D
        Y = M.sum(2)
        res_c = chat - w[None, :] ** c["gva"].T * np.exp(np.einsum("nkj,kn->jn", c["gio"], np.log(P)))
        res_X = (X - (np.einsum("njk,kn->jn", c["gio"], Y) + c["alpha"].T * income[None, :])) / np.maximum(
            X, 1
        )
        res_w = w - np.einsum("nj,jn->n", c["gva"], Y) / c["wL"]
        res_w[-1] = (w * c["wL"]).sum() / c["wL"].sum() - 1
        if np.sqrt((res_c**2).sum() + (res_X**2).sum() + (res_w**2).sum()) < tol:
            break
        chat -= uf * res_c
        X -= uf * res_X * np.maximum(X, 1)
        w -= uf * res_w
    return chat, P, X, w, income, M, it


def run(quick: bool) -> list[Result]:
    data = load_cp2015_nafta()
    a = data.arrays()
    c = _calibration(a)
    D = np.zeros(len(data.regions))
    start = time.perf_counter()
    base = fixed_point(a, c, a["tariff_baseline"], a["d_baseline"], D)
    cfl = fixed_point(a, c, a["tariff_counterfactual"], a["d_counterfactual"], D)
    numpy_s = time.perf_counter() - start

    m = CaliendoParro2015.from_data(data, "zero")
    solver = m.solver(tol=1e-10)
    compile_s, warm_s, eq = time_jax(lambda: de.solve(m, solver=solver).x, repeats=1 if quick else 3)
    # Both solve the same equations: compare Mexico's real wage.
    k = data.regions.index("Mexico")
    eq = de.solve(m, solver=solver)
    P_hat = np.exp(np.einsum("nj,jn->n", c["alpha"], np.log(cfl[1] / base[1])))
    numpy_real_wage = 100 * (cfl[3][k] / base[3][k] / P_hat[k] - 1)
    gap = abs(float(eq["real_wage_pct"][k]) - numpy_real_wage)
    results = [
        Result(
            "cp2015",
            "NAFTA baseline + counterfactual (31×40, zero deficits)",
            1,
            warm_s,
            compile_s,
            numpy_s,
            note=f"NumPy fixed point: {base[6] + cfl[6] + 2} iterations; |Δ real wage MEX| "
            f"{gap:.1e} pp (its tol 1e-7)",
        )
    ]
    jc, jw, _ = time_jax(
        lambda: de.jacobian(m, "real_income_pct", "tariff_counterfactual", solver=solver), repeats=1 if quick else 3
    )
    n_tariffs = int(np.prod(m.tariff_counterfactual.shape))
    results.append(
        Result(
            "cp2015",
            "d real income (31) / d tariff (38,440): de.jacobian (auto: reverse), solve included",
            1,
            jw,
            jc,
            numpy_s * n_tariffs,
            note=f"baseline: central differences, 2×{n_tariffs} fixed-point "
            f"solves estimated from one; diffecon = {jw / warm_s:.1f} solves",
        )
    )
    return results
