"""Caliendo–Parro (2015) on the NAFTA data (31 regions × 40 sectors): baseline + counterfactual,
and every tariff's derivative of every region's real income.

Baseline: the paper's algorithm as its R port `cp2015` runs it (damped fixed point on costs,
spending and wages, update factor 0.5, stopping at ‖F‖₂ < 1e-7), vectorised in NumPy: the
natural code a competent user writes. Its derivatives would be central finite differences, two
solves per tariff (38,440 tariffs: 76,880 solves); the row reports the time of that estimate
from one timed solve. The fixed point is also run to ‖F‖₂ < 1e-10, near diffecon's accuracy.
diffecon: the chord solve (the analytic Jacobian, factorised once by block elimination) and
`diffecon.jacobian` for the 31 × 38,440 Jacobian, solve included, which takes reverse mode on
its own (31 outcomes < 38,440 parameters): one factorisation of the equilibrium Jacobian at the
solution and 31 transposed solves (the implicit adjoint); and a batch of tariff scenarios in one
`sweep`. The first row's note splits a warm solve into its stages.
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


def _stages(m) -> str:
    """Where a warm NAFTA solve spends its time: guess, Jacobian, factorisation, one chord step."""
    import jax
    from jax.flatten_util import ravel_pytree

    from diffecon.models.caliendo_parro2015 import BlockLU

    linear = m.linear_solver()
    flat, _ = ravel_pytree(m.guess())
    parts = {
        "guess": (jax.jit(lambda: ravel_pytree(m.guess())[0]), ()),
        "Jacobian (analytic)": (jax.jit(lambda v: m.scenario_jacobians(v)), (flat,)),
    }
    out = {}
    for name, (fn, args) in parts.items():
        out[name] = time_jax(lambda fn=fn, args=args: fn(*args), repeats=3)[1]
    blocks = jax.jit(lambda v: m.scenario_jacobians(v))(flat)
    factorise = jax.jit(lambda b: linear.factorise(b))
    out["factorise"] = time_jax(lambda: factorise(blocks), repeats=3)[1]
    factors = factorise(blocks)
    step = jax.jit(lambda f, v: BlockLU.apply(f, v))
    out["one chord step"] = time_jax(lambda: step(factors, flat), repeats=10)[1]
    return ", ".join(f"{k} {1e3 * v:.0f} ms" if v >= 1e-3 else f"{k} {1e6 * v:.0f} µs" for k, v in out.items())


def run(quick: bool) -> list[Result]:
    data = load_cp2015_nafta()
    a = data.arrays()
    c = _calibration(a)
    D = np.zeros(len(data.regions))
    numpy = {}
    for tol in (1e-7, 1e-10):  # the R package's stopping rule, and one at diffecon's accuracy
        start = time.perf_counter()
        base = fixed_point(a, c, a["tariff_baseline"], a["d_baseline"], D, tol=tol)
        cfl = fixed_point(a, c, a["tariff_counterfactual"], a["d_counterfactual"], D, tol=tol)
        numpy[tol] = (time.perf_counter() - start, base, cfl)

    m = CaliendoParro2015.from_data(data, "zero")
    solver = m.solver(tol=1e-10)
    compile_s, warm_s, _ = time_jax(lambda: de.solve(m, solver=solver).x, repeats=1 if quick else 3)
    eq = de.solve(m, solver=solver)
    # Both solve the same equations: compare Mexico's real wage.
    k = data.regions.index("Mexico")
    results = []
    for tol, (numpy_s, base, cfl) in numpy.items():
        P_hat = np.exp(np.einsum("nj,jn->n", c["alpha"], np.log(cfl[1] / base[1])))
        numpy_real_wage = 100 * (cfl[3][k] / base[3][k] / P_hat[k] - 1)
        gap = abs(float(eq["real_wage_pct"][k]) - numpy_real_wage)
        results.append(
            Result(
                "cp2015",
                "NAFTA baseline + counterfactual (31×40, zero deficits), chord on the analytic Jacobian",
                1,
                warm_s,
                compile_s,
                numpy_s,
                baseline_label=f"NumPy damped fixed point, ‖F‖₂ < {tol:g}",
                note=f"{base[6] + cfl[6] + 2} fixed-point iterations; |Δ real wage MEX| {gap:.1e} pp; "
                + (f"diffecon {int(eq.steps)} chord steps: " + _stages(m) if tol == 1e-7 else ""),
            )
        )
    numpy_s = numpy[1e-7][0]
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
            baseline_label="central differences of the NumPy fixed point (‖F‖₂ < 1e-07)",
            note=f"2×{n_tariffs} fixed-point solves estimated from one; diffecon = {jw / warm_s:.1f} solves",
        )
    )
    # Scenario batch: points along the NAFTA path τ(t) = (1 − t) τ_1993 + t τ_NAFTA, one sweep.
    k_scen = 4 if quick else 16
    t = np.linspace(0.0, 1.0, k_scen)
    path = (1 - t)[:, None, None, None] * a["tariff_baseline"] + t[:, None, None, None] * a["tariff_counterfactual"]
    over = {"tariff_counterfactual": path}
    sc, sw, res = time_jax(lambda: de.sweep(m, over, of="real_income_pct", solver=solver)["real_income_pct"],
                           repeats=1)
    results.append(
        Result(
            "cp2015",
            f"scenario batch: {k_scen} tariff vectors along the NAFTA path in one sweep",
            k_scen,
            sw,
            sc,
            numpy_s * k_scen / 2,  # each scenario: one counterfactual fixed point (the baseline is shared)
            baseline_label="NumPy fixed point per scenario (‖F‖₂ < 1e-07), estimated from one",
            note=f"{k_scen / sw:.2g} scenarios/s",
        )
    )
    return results
