"""Gravity: baseline + full-GE counterfactual on the 30-country sample and synthetic N countries.

Baselines: the USITC `gegravity` package (`OneSectorGE`, baseline + the same CAN–JPN PTA
experiment), timed in the same run when a Python with gegravity installed is found (set
`GEGRAVITY_PYTHON`, default `/tmp/gegvenv/bin/python`; gegravity is not a diffecon dependency);
and SciPy (`scipy.optimize.root` on the same hat-algebra system, central finite differences for
the coefficient Jacobian). There is no closed form for these derivatives: the "error" columns of
the standard-error rows compare diffecon's exact Jacobian with the SciPy finite differences.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import numpy as np
from scipy.optimize import root

import diffecon as de
from diffecon.data import load_trade_sample, pair_matrix
from diffecon.models import Gravity
from diffecon.policy import form_pta
from diffecon.replicate.gravity_reference import GEGRAVITY_COEF

from ._harness import GRAVITY_N2000, Goal, Result, single_goals, time_jax, time_python

SIGMA = 5.0

_GEGRAVITY_SCRIPT = textwrap.dedent("""
    import json, statistics, sys, time, warnings
    import pandas as pd, gegravity as ge
    warnings.simplefilter("ignore")
    grav = pd.read_csv(sys.argv[1]); grav["constant"] = 1
    coef = json.loads(sys.argv[2]); coef["constant"] = 16.32434
    ests = pd.DataFrame([(k, v, 0.1) for k, v in coef.items()], columns=["var", "beta", "stderr"])
    cp = ge.CostCoeffs(estimates=ests, identifier_col="var", coeff_col="beta", stderr_col="stderr")
    def once():
        base = ge.BaselineData(grav, imp_var_name="importer", exp_var_name="exporter", year_var_name="year",
                               trade_var_name="trade", expend_var_name="E", output_var_name="Y")
        m = ge.OneSectorGE(baseline=base, cost_coeff_values=cp, cost_variables=list(coef), year="2006",
                           reference_importer="DEU", sigma=5, quiet=True)
        m.build_baseline(omr_rescale=1)
        exp = m.baseline_data.copy()
        exp.loc[(exp.importer == "CAN") & (exp.exporter == "JPN"), "pta"] = 1
        exp.loc[(exp.importer == "JPN") & (exp.exporter == "CAN"), "pta"] = 1
        m.define_experiment(exp); m.simulate()
        return m
    once()
    times = []
    for _ in range(3):
        t = time.perf_counter(); m = once(); times.append(time.perf_counter() - t)
    print(json.dumps({"seconds": statistics.median(times),
                      "welfare_can": float(m.country_results.loc["CAN", "welfare statistic"])}))
""")


def _gegravity_time() -> tuple[float | None, str]:
    python = os.environ.get("GEGRAVITY_PYTHON", "/tmp/gegvenv/bin/python")
    if not os.path.exists(python):
        return None, "gegravity not installed (set GEGRAVITY_PYTHON)"
    import importlib.resources as res

    with res.as_file(res.files("diffecon.data").joinpath("trade_30_countries_2006.csv")) as path:
        out = subprocess.run([python, "-c", _GEGRAVITY_SCRIPT, str(path), json.dumps(GEGRAVITY_COEF)],
                             capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        return None, "gegravity failed: " + out.stderr[-200:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    return info["seconds"], f"gegravity 0.3 OneSectorGE, warm median of 3 (CAN welfare stat {info['welfare_can']:.6f})"


def _scipy_counterfactual(X, dlogc, sigma):
    """Full-GE hat algebra solved by scipy.optimize.root (deficits closure, world numeraire)."""
    Y, E = X.sum(1), X.sum(0)
    T, lam, d = Y.sum(), X / E, (E - Y) / Y.sum()

    def parts(lw):
        num = lam * np.exp((1 - sigma) * lw[:, None] + dlogc)
        P = num.sum(0)
        Y1 = np.exp(lw) * Y
        E1 = Y1 + d * Y1.sum()
        return num / P, P, Y1, E1

    def F(lw):
        lam1, _, Y1, E1 = parts(lw)
        gap = np.log(lam1 @ E1) - np.log(Y1)
        return np.concatenate([gap[:-1], [np.log(Y1.sum() / T)]])

    sol = root(F, np.zeros(len(Y)), method="hybr", tol=1e-12)
    _, P, _, E1 = parts(sol.x)
    return 100 * (E1 / E / P ** (1 / (1 - sigma)) - 1)


def _synthetic(n, rng):
    """N countries' flows (large domestic shares) and a random change in one cost covariate."""
    flows = rng.lognormal(0, 1.5, (n, n)) + np.diag(rng.uniform(50, 200, n) * n / 10)
    dZ = (rng.uniform(size=(1, n, n)) < 0.1) * rng.normal(0, 0.3, (1, n, n))
    return flows, dZ


def run(quick: bool) -> list[Result]:
    results = []
    df = load_trade_sample()
    experiment = form_pta(df, ["CAN", "JPN"])

    # 1. N = 30: calibrate the baseline from the table + full-GE counterfactual (user-facing call)
    def pipeline():
        model = Gravity.from_data(df, GEGRAVITY_COEF, SIGMA)
        return de.counterfactual(model, experiment).welfare_pct.to_numpy()

    compile_s, warm_s, welfare = time_jax(pipeline)
    geg_s, geg_note = _gegravity_time()
    results.append(Result("gravity", "N=30 baseline + counterfactual (CAN–JPN PTA)", 1, warm_s, compile_s,
                          geg_s, note=f"baseline: {geg_note}; diffecon full GE from the table",
                          baseline_label="gegravity 0.3 OneSectorGE"))

    # 2. N = 30: counterfactual + delta-method SEs (exact Jacobian, 5 coefficients) vs SciPy root + FD
    model = Gravity.from_data(df, GEGRAVITY_COEF, SIGMA, cov=np.diag(np.full(5, 0.01)))
    names = list(GEGRAVITY_COEF)
    X = pair_matrix(df, "trade", model.countries)
    Z0 = np.stack([pair_matrix(df, c, model.countries) for c in names])
    Z1 = np.stack([pair_matrix(experiment, c, model.countries) for c in names])
    b = np.array([GEGRAVITY_COEF[c] for c in names])

    def with_se():
        return de.counterfactual(model, experiment, se="delta")

    def scipy_jac():
        h = 1e-5
        cols = []
        for k in range(len(b)):
            e = np.eye(len(b))[k] * h
            up = _scipy_counterfactual(X, np.einsum("k,kij->ij", b + e, Z1 - Z0), SIGMA)
            dn = _scipy_counterfactual(X, np.einsum("k,kij->ij", b - e, Z1 - Z0), SIGMA)
            cols.append((up - dn) / (2 * h))
        return np.stack(cols, 1)

    compile_d, warm_d, res = time_jax(with_se, repeats=3)
    base_d, J_fd = time_python(scipy_jac, repeats=1)
    J_exact = np.asarray(de.jacobian(res.model, "welfare_pct", "coef"))
    scale = np.abs(J_exact).max()
    diff = float(np.abs(J_exact - J_fd).max() / scale)
    welfare_scipy = _scipy_counterfactual(X, np.einsum("k,kij->ij", b, Z1 - Z0), SIGMA)
    results.append(Result(
        "gravity", "N=30 counterfactual + delta-method SEs (d welfare/d b)", 1, warm_d, compile_d, base_d,
        deriv_err_diffecon=None, deriv_err_baseline=diff,
        baseline_label="SciPy root (hybr, NumPy on N-vectors) + central diff.", goals=single_goals(3.0),
        note=f"no closed form; SciPy FD vs exact Jacobian: max rel. diff {diff:.1e}; welfare vs SciPy "
             f"root: max abs diff {np.abs(welfare - welfare_scipy).max():.1e} pp"))

    # 3. Monte Carlo: coefficient draws through one batched sweep vs a SciPy loop
    draws = 200 if quick else 1000
    rng = np.random.default_rng(0)
    coef_draws = b + 0.05 * rng.standard_normal((draws, len(b)))
    exp_model = res.model

    def mc():
        return de.sweep(exp_model, {"coef": coef_draws}, of="welfare_pct")["welfare_pct"]

    compile_m, warm_m, _ = time_jax(mc, repeats=3)
    n_base = 20
    base_m, _ = time_python(lambda: [_scipy_counterfactual(X, np.einsum("k,kij->ij", c, Z1 - Z0), SIGMA)
                                     for c in coef_draws[:n_base]], repeats=1)
    results.append(Result("gravity", "N=30 Monte Carlo counterfactuals (coefficient draws)", draws, warm_m,
                          compile_m, base_m * draws / n_base, baseline_n=n_base,
                          baseline_label="SciPy root (hybr) loop, NumPy on N-vectors",
                          note="SciPy root per draw"))

    # 4. Synthetic N countries: calibrate the baseline to the flows + one full-GE counterfactual,
    # time vs N, with the dense (LU) and the matrix-free (GMRES) Newton linear solves.
    sizes = [100, 300, 1000] if quick else [100, 300, 1000, 2000]
    for n in sizes:
        flows, dZ = _synthetic(n, np.random.default_rng(n))
        # SciPy's finite-difference Jacobian costs N residual evaluations of N² each: skip it past 1000
        base_n, w_sp = time_python(lambda: _scipy_counterfactual(flows, dZ[0], SIGMA), repeats=1) \
            if n <= 1000 else (None, None)
        for linear_solve in ("dense", "matrix_free"):
            def one():
                m = Gravity(flows, SIGMA, coef=[1.0], covariates=np.zeros_like(dZ), new_covariates=dZ,
                            linear_solve=linear_solve)
                return de.solve(m)["welfare_pct"]

            compile_n, warm_n, w = time_jax(one, repeats=3)
            goals = ([Goal(GRAVITY_N2000, "≤ 0.5 s", "warm_s", "≤", 0.5),
                      Goal(GRAVITY_N2000, "growth ≤ N^2 (from the next smaller N)", "growth", "≤", 2.0)]
                     if n == 2000 and linear_solve == "matrix_free" else [])
            results.append(Result(
                "gravity", f"synthetic N={n} baseline + counterfactual ({linear_solve})", n, warm_n,
                compile_n, base_n, series=f"countries, {linear_solve}", goals=goals,
                baseline_label="SciPy root (hybr, finite-difference Jacobian)",
                note="n = countries; SciPy root (hybr, finite-difference Jacobian)" + (
                    "" if w_sp is None else f"; vs SciPy: max abs diff {np.abs(np.asarray(w) - w_sp).max():.1e} pp")))
    return results
