"""FGH (2011): the spec's numerical anchors, the paper's claims at random admissible draws,
adding up, symmetry, closed-form statics, regimes, tariffs and clear errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sps

import diffecon as de
from diffecon.core._tree import replace_fields
from diffecon.models.fgh2011 import FGH2011, production_patterns, regime_sweep, tau_from_rho, welfare_change
from diffecon.models.income import LogNormal, ShiftedExponential, Uniform

MEDIAN_R = 1 + 6 * np.log(2)
GRID = (1.0, MEDIAN_R, 30.0)
FIG2 = dict(q=(0.75, 0.9), theta=(0.6, 0.6), f=(1.5, 20.0), c=(0.05, 0.3))


def _trade(rho, **kw):
    return FGH2011.from_rho(rho, scenario="trade", y_grid=GRID, **kw)


def _random_autarky_draws(rng, n):
    # admissible: θ_H > θ_L and every local price c + θ/q below the lowest income, 1
    q_low = rng.uniform(0.7, 1.0, n)
    q_high = q_low + rng.uniform(0.05, 0.4, n)
    theta_low = rng.uniform(0.2, 0.6, n)
    c_high = rng.uniform(0.1, 0.3, n)
    theta_high = np.minimum(theta_low + rng.uniform(0.01, 0.35, n), 0.98 * (1 - c_high) * q_high)
    theta_high = np.maximum(theta_high, theta_low + 0.005)
    return {
        "q": np.stack([q_low, q_high], -1),
        "theta": np.stack([theta_low, theta_high], -1),
        "f": rng.uniform(0.5, 8.0, (n, 2)),
        "c": np.stack([rng.uniform(0, 0.1, n), c_high], -1),
        "N": rng.uniform(200, 3000, (n, 2)),
    }


# ------------------------------------------------------------------ autarky (spec §4, §14)
def test_autarky_anchors_and_population_elasticities():
    eq = de.solve(FGH2011())
    np.testing.assert_allclose(eq["n"], [[61.634073, 111.145067], [122.826851, 89.115667]], rtol=2e-8)
    np.testing.assert_allclose(eq["s"], [[0.166412, 0.833588], [0.331632, 0.668368]], atol=6e-7)
    np.testing.assert_allclose(eq["x"], [2.7, 7.5], rtol=1e-12)
    np.testing.assert_allclose(eq["price"], [0.605556, 0.966667], atol=6e-7)
    el = de.elasticity(FGH2011(), ["n_L", "n_H"], "N")
    np.testing.assert_allclose(np.diag(el["n_L"]["N"]), [0.6759, 0.7025], atol=6e-5)
    np.testing.assert_allclose(np.diag(el["n_H"]["N"]), [1.0647, 1.1476], atol=6e-5)
    # one country's population does not move the other's autarky
    assert abs(float(el["n_H"]["N"][0, 1])) < 1e-12


def test_population_elasticity_closed_form_and_claims_at_random_draws(rng):
    draws = _random_autarky_draws(rng, 64)
    out = de.sweep(FGH2011(), draws, of=["n_L", "n_H", "s", "x"], wrt="N")
    assert bool(np.all(out["converged"]))
    idx = np.arange(2)
    el_L = np.asarray(out["dn_L/dN"])[:, idx, idx] * draws["N"] / np.asarray(out["n_L"])
    el_H = np.asarray(out["dn_H/dN"])[:, idx, idx] * draws["N"] / np.asarray(out["n_H"])
    theta = draws["theta"]
    # spec claim 4 and 5: n̂_H > N̂ > n̂_L > 0 when θ_H > θ_L
    assert np.all(el_H > 1) and np.all(el_L < 1) and np.all(el_L > 0)
    # adding up: s_H n̂_H + s_L n̂_L = N̂
    s = np.asarray(out["s"])
    np.testing.assert_allclose(s[..., 0] * el_L + s[..., 1] * el_H, 1.0, atol=1e-9)
    # closed form (spec §4): d ln n_L/d ln N = (1 − θ_H V/(s_H s_L))/det J, V = E[β_H β_L]
    for i in range(4):
        m = FGH2011(**{k: v[i] for k, v in draws.items()})
        eq = de.solve(m)
        y, log_w, _ = m._quadrature()
        a = np.asarray(jax.vmap(m.log_weights)(jnp.log(eq["n"]), jnp.zeros(2), y))
        beta = np.exp(a - sps.logsumexp(a, axis=-1, keepdims=True))
        w = np.exp(np.asarray(log_w))
        for k in range(2):
            sk = (w[k][:, None] * beta[k]).sum(0)
            M = np.einsum("i,iq,iw->qw", w[k], beta[k], beta[k])
            J = np.diag(1 - theta[i]) + theta[i][None, :] * M / sk[:, None]
            V = M[0, 1]
            expect_L = (1 - theta[i, 1] * V / (sk[0] * sk[1])) / np.linalg.det(J)
            expect_H = (1 - theta[i, 0] * V / (sk[0] * sk[1])) / np.linalg.det(J)
            np.testing.assert_allclose(el_L[i, k], expect_L, rtol=1e-9)
            np.testing.assert_allclose(el_H[i, k], expect_H, rtol=1e-9)


def test_equal_theta_gives_unit_elasticities_and_fig2_anchors():
    m = FGH2011(**FIG2)
    eq = de.solve(m)
    np.testing.assert_allclose(eq["n"], [[442.981667, 5.646979], [517.524452, 0.988055]], rtol=1e-7)
    el = de.elasticity(m, "n", "N")  # (K, Q, K)
    for k in range(2):
        np.testing.assert_allclose(el[k, :, k], 1.0, atol=1e-10)


def test_fosd_shift_and_welfare_decomposition(rng):
    m = FGH2011(y_grid=(1.0, 2.0, 5.0, 30.0, 500.0))
    jac = de.jacobian(m, ["n_H", "n_L", "log_v", "s", "beta"], ["income_shift", "N"])
    # FOSD shift (claim 6): n_H up, n_L down, Σ n x unchanged
    dH, dL = np.diag(jac["n_H"]["income_shift"]), np.diag(jac["n_L"]["income_shift"])
    assert np.all(dH > 0) and np.all(dL < 0)
    eq = de.solve(m)
    x = np.asarray(eq["x"])
    np.testing.assert_allclose(dH * x[1] + dL * x[0], 0.0, atol=1e-9)
    # eq. (13): v̂(y) = [θ_L β_L + θ_H β_H] N̂ + s_H s_L [θ_H β_H/s_H − θ_L β_L/s_L](n̂_H − n̂_L)
    theta = np.asarray(m.theta)
    N = np.asarray(m.N)
    for k in range(2):
        beta, s = np.asarray(eq["beta"][k]), np.asarray(eq["s"][k])
        nH = jac["n_H"]["N"][k, k] * N[k] / eq["n_H"][k]
        nL = jac["n_L"]["N"][k, k] * N[k] / eq["n_L"][k]
        scale = beta @ theta
        comp = s[0] * s[1] * (theta[1] * beta[:, 1] / s[1] - theta[0] * beta[:, 0] / s[0]) * (nH - nL)
        np.testing.assert_allclose(np.asarray(jac["log_v"]["N"][k, :, k]) * N[k], scale + comp, rtol=1e-9)
        # everybody gains from growth, the richest most (claim 8)
        gains = np.asarray(jac["log_v"]["N"][k, :, k])
        assert np.all(gains > 0) and gains[-1] == gains.max()
    # eq. (5): β_H rises with income
    assert np.all(np.diff(np.asarray(eq["beta_H"]), axis=-1) > 0)


def test_mean_preserving_spread_claim():
    # claim 7: U[1.8, 2.2] -> U[1, 3] (spread λ = 5) with f_H = 10: n_H up, n_L down
    base = dict(income=(Uniform(1.8, 2.2),), N=(1000.0,), tariff=(0.0,), income_shift=(0.0,),
                income_spread=(1.0,), f=(1.5, 10.0))
    narrow, wide = de.solve(FGH2011(**base)), de.solve(FGH2011(**{**base, "income_spread": (5.0,)}))
    assert np.all(np.asarray(narrow["beta"])[..., 0][:, :1] > 0.5)
    assert float(wide["n_H"][0]) > float(narrow["n_H"][0]) and float(wide["n_L"][0]) < float(narrow["n_L"][0])
    assert float(de.jacobian(FGH2011(**base), "n_H", "income_spread")["n_H"]["income_spread"][0, 0]) > 0


# ------------------------------------------------------------------ diversified trade (§6, §14)
def test_figure1_path_from_eq15_16():
    rho_H = np.array([0.0, 0.2, 0.4, 0.6, 0.8])
    tau = np.stack([np.full(5, tau_from_rho(0.5, 0.9, 0.5)), tau_from_rho(rho_H, 1.05, 0.7)], -1)
    out = de.sweep(_trade((0.5, 0.5)), {"tau": tau}, of=["n_eff", "n", "log_v", "net_exports", "sales", "x"])
    assert bool(np.all(out["converged"]))
    n_eff, n = np.asarray(out["n_eff"]), np.asarray(out["n"])
    np.testing.assert_allclose(n_eff[:, 0, 1], [102.91895, 129.97995, 157.22022, 184.53139, 211.85958], atol=6e-6)
    np.testing.assert_allclose(n_eff[:, 0, 0], [126.72659, 104.23628, 87.63824, 75.00505, 65.13985], atol=6e-6)
    np.testing.assert_allclose(n[:, 0, 0], [5.95445, 1.96999, -0.07665, -1.15201, -1.71456], atol=6e-6)
    np.testing.assert_allclose(n[:, 1, 1], [74.64817, 77.93224, 77.19887, 69.29228, 36.44575], atol=6e-6)
    W = 100 * np.exp(np.asarray(out["log_v"])[:, 0, :2] - np.asarray(out["log_v"])[0, 0, :2])
    np.testing.assert_allclose(W[:, 0], [100, 107.5534, 115.1668, 122.7654, 130.3090], atol=6e-5)
    np.testing.assert_allclose(W[:, 1], [100, 111.1279, 121.9525, 132.4823, 142.7356], atol=6e-5)
    # footnote 23: NX_q^R = ρ x/(1+ρ)(n^R − n^P); world net exports add to zero; every firm breaks even
    rho = np.exp(-tau * np.array([0.9, 1.05]) / np.array([0.5, 0.7]))
    x = np.asarray(out["x"])[0]
    nx = np.asarray(out["net_exports"])
    np.testing.assert_allclose(nx[:, 0], rho * x / (1 + rho) * (n[:, 0] - n[:, 1]), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(nx.sum(1), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.asarray(out["sales"]), np.broadcast_to(x, n.shape), rtol=1e-10)


def test_trade_claims_at_random_draws(rng):
    """Prop. 2 (i)-(ii) and Prop. 3 with random technologies and ρ in (0, 0.6)."""
    n = 48
    draws = _random_autarky_draws(rng, n)
    rho = rng.uniform(0.02, 0.6, (n, 2))
    draws["tau"] = tau_from_rho(rho, draws["q"], draws["theta"])
    bigger = dict(draws, N=np.stack([draws["N"][:, 0] * 1.3, draws["N"][:, 0]], -1))
    out = de.sweep(_trade((0.3, 0.3)), bigger, of=["net_exports", "n_eff"], wrt="tau")
    assert bool(np.all(out["converged"]))
    assert np.all(np.asarray(out["net_exports"])[:, 0, 1] > 0)  # Prop. 2(i)
    d = np.asarray(out["dn_eff/dtau"])  # (n, K, Q, Q)
    assert np.all(d[:, :, 1, 1] < 0) and np.all(d[:, :, 0, 1] > 0)  # Prop. 3 for τ_H
    assert np.all(d[:, :, 0, 0] < 0) and np.all(d[:, :, 1, 0] > 0)  # ... and τ_L
    richer = dict(draws, N=np.stack([draws["N"][:, 0]] * 2, -1), income_shift=np.stack([rng.uniform(0.2, 3, n), np.zeros(n)], -1))
    out = de.sweep(_trade((0.3, 0.3)), richer, of=["net_exports"])
    nx = np.asarray(out["net_exports"])
    assert np.all(nx[:, 0, 1] > 0) and np.all(nx[:, 0, 0] < 0)  # Prop. 2(ii)


def test_identical_countries_are_symmetric(rng):
    dist = ShiftedExponential(1.0, float(rng.uniform(1, 8)))
    m = FGH2011.from_rho(rng.uniform(0.1, 0.9, 2), income=(dist, dist), scenario="trade")
    eq = de.solve(m)
    np.testing.assert_allclose(eq["n"][0], eq["n"][1], rtol=1e-10)
    np.testing.assert_allclose(eq["net_exports"], 0.0, atol=1e-8)
    g = de.solve(FGH2011.from_rho((0.97, 0.97), income=(dist, dist), scenario="general"), throw=False)
    # with nearly free trade the two patterns "all in R" and "all in P" are both equilibria
    assert int(production_patterns(g.model)["n_valid"]) >= 1


def test_trade_welfare_decomposition_eq17_and_tau_effects():
    m = _trade((0.5, 0.4))
    jac = de.jacobian(m, ["log_v", "n_eff"], "tau")
    eq = de.solve(m)
    # d ln v/dτ_H at ρ = (0.5, 0.4), Figure 1 (spec §14): −0.198, −0.263, −0.362 (y = 1, median, 30)
    np.testing.assert_allclose(jac["log_v"]["tau"][0, :, 1], [-0.198, -0.263, -0.362], atol=6e-4)
    theta, q, tau = np.asarray(m.theta), np.asarray(m.q), np.asarray(m.tau)
    rho = np.exp(-tau * q / theta)
    drho_dtau = -q * rho / theta
    for k in range(2):
        beta, s = np.asarray(eq["beta"][k]), np.asarray(eq["s"][k])
        for j in range(2):
            dln1p = np.zeros(2)
            dln1p[j] = drho_dtau[j] / (1 + rho[j])
            hat = np.asarray(jac["n_eff"]["tau"][k, :, j]) / np.asarray(eq["n_eff"][k])
            cost = (beta @ theta) * (s @ dln1p)
            comp = s[0] * s[1] * (theta[1] * beta[:, 1] / s[1] - theta[0] * beta[:, 0] / s[0]) * (hat[1] - hat[0])
            np.testing.assert_allclose(jac["log_v"]["tau"][k, :, j], cost + comp, rtol=1e-8, atol=1e-12)


# ------------------------------------------------------------------ regimes (§7, §8, §14)
def test_regimes_specialisation_and_corollary1():
    # Cor. 1(ii), ρ = 0.95: R makes only H, P only L, unique; spec anchors
    m = FGH2011.from_rho((0.95, 0.95), scenario="general")
    found = production_patterns(m)
    assert int(found["n_valid"]) == 1
    eq = de.solve(m)
    np.testing.assert_array_equal(np.asarray(eq["producing"]), [[0, 1], [1, 0]])
    np.testing.assert_allclose([eq["n"][1, 0], eq["n"][0, 1]], [145.48742, 214.2912], atol=6e-5)
    # Cor. 1(i): same G, N^R = 1200 > N^P = 1000, ρ = 0.97: only R produces
    same = ShiftedExponential(1.0, 6.0)
    big = FGH2011.from_rho((0.97, 0.97), scenario="general", N=(1200.0, 1000.0), income=(same, same))
    assert int(production_patterns(big)["n_valid"]) == 1
    np.testing.assert_array_equal(np.asarray(de.solve(big)["producing"]), [[1, 1], [0, 0]])
    # claim 17: at ρ = (0.5, 0.8) the actual regime is R:H, P:LH, and its welfare ≈ the formal one
    g = de.solve(FGH2011.from_rho((0.5, 0.8), scenario="general", y_grid=GRID))
    np.testing.assert_array_equal(np.asarray(g["producing"]), [[0, 1], [1, 1]])
    assert float(g["regime_valid"]) == 1.0


def test_general_matches_trade_when_diversified_and_derivatives_match_fd():
    rho = (0.3, 0.2)
    g = FGH2011.from_rho(rho, scenario="general", y_grid=GRID)
    t = FGH2011.from_rho(rho, scenario="trade", y_grid=GRID)
    eg, et = de.solve(g), de.solve(t)
    np.testing.assert_allclose(eg["n"], et["n"], rtol=1e-9)
    jg = de.jacobian(g, ["n", "log_v"], "tau")
    jt = de.jacobian(t, ["n", "log_v"], "tau")
    np.testing.assert_allclose(jg["n"]["tau"], jt["n"]["tau"], rtol=1e-7, atol=1e-9)
    # in a corner regime: exact one-sided derivatives vs central differences inside the regime
    c = FGH2011.from_rho((0.5, 0.8), scenario="general", y_grid=GRID)
    jac = de.jacobian(c, ["n", "log_v"], "N")
    h = 1e-3
    for k in range(2):
        bump = np.eye(2)[k] * h
        up = de.solve(replace_fields(c, {"N": c.N + bump}))
        down = de.solve(replace_fields(c, {"N": c.N - bump}))
        for name in ("n", "log_v"):
            fd = (np.asarray(up[name]) - np.asarray(down[name])) / (2 * h)
            np.testing.assert_allclose(np.asarray(jac[name]["N"])[..., k], fd, rtol=1e-6, atol=1e-8)


def test_regime_sweep_many_qualities_and_countries():
    """Prop. 5 and 6 with K = 3, Q = 3 (spec claims 26-27)."""
    dists = tuple(ShiftedExponential(1.0, s, n_nodes=48) for s in (1.5, 3.0, 6.0))
    m = FGH2011(q=(0.9, 1.0, 1.1), theta=(0.45, 0.6, 0.75), f=(1.5, 3.0, 6.0), c=(0.05, 0.15, 0.3),
                tau=(1.0, 1.0, 1.0), N=(1000.0,) * 3, tariff=(0.0,) * 3, income_shift=(0.0,) * 3,
                income_spread=(1.0,) * 3, income=dists, scenario="general")
    q, theta = np.asarray(m.q), np.asarray(m.theta)
    taus = np.stack([tau_from_rho(np.full(3, r), q, theta) for r in (0.1, 0.97)])
    out = regime_sweep(m, {"tau": taus}, of=["producing", "net_exports", "flows"])
    assert bool(np.all(out["converged"]))
    high_cost, low_cost = (np.asarray(out[k]) for k in ("flows", "producing"))
    # Prop. 5 (ρ = 0.1): in each pair, the richer country's net exports to the poorer rise with q
    flows = high_cost[0]
    for k in range(3):
        for l in range(k + 1, 3):
            bilateral = flows[l, k] - flows[k, l]  # richer l's net exports to k, per quality
            assert np.all(np.diff(np.sign(bilateral)) >= 0) and bilateral[-1] > 0 and bilateral[0] < 0
    # Prop. 6 (ρ = 0.97): q1, q2 in k = 1, q3 in k = 3 (spec claim 27)
    np.testing.assert_array_equal(low_cost[1], [[1, 1, 0], [0, 0, 0], [0, 0, 1]])


# ------------------------------------------------------------------ tariffs (§9)
def test_specific_tariff_rebate_and_eq20():
    m = FGH2011(tau=(0.0, 0.0), scenario="pattern", active=((0.0, 1.0), (1.0, 0.0)), y_grid=(1.0, MEDIAN_R, 30.0))
    taxed = replace_fields(m, {"tariff": jnp.array([0.05, 0.0])})
    eq = de.solve(taxed)
    np.testing.assert_allclose(eq["rebate"][0], 0.05 * eq["s_L"][0], rtol=1e-10)  # r = t s_L^R
    jac = de.jacobian(m, ["log_v", "n_H", "n_L"], "tariff")
    assert float(jac["n_H"]["tariff"][0, 0]) > 0 and float(jac["n_L"]["tariff"][1, 0]) < 0
    # footnote 34 (spec claim 24): d ln v^R/dt at y = 1 is −0.0984, not positive as the paper says
    dv = np.asarray(jac["log_v"]["tariff"][0, :, 0])
    np.testing.assert_allclose(dv[0], -0.0984, atol=6e-5)
    # eq. (20): composition + redistribution at t = 0
    e0 = de.solve(m)
    x = np.asarray(e0["x"])
    nH, nL = float(e0["n_H"][0]), float(e0["n_L"][1])
    sW = np.array([nL * x[0], nH * x[1]]) / 2000.0
    sR = np.asarray(e0["s"][0])
    beta = np.asarray(e0["beta"][0])
    theta, q = np.asarray(m.theta), np.asarray(m.q)
    dgap = float(jac["n_H"]["tariff"][0, 0]) / nH - float(jac["n_L"]["tariff"][1, 0]) / nL
    comp = sW[0] * sW[1] * (theta[1] * beta[:, 1] / sW[1] - theta[0] * beta[:, 0] / sW[0]) * dgap
    redis = sR[0] * sR[1] * (q[1] * beta[:, 1] / sR[1] - q[0] * beta[:, 0] / sR[0])
    np.testing.assert_allclose(dv, comp + redis, rtol=1e-8)


# ------------------------------------------------------------------ numerics and errors
def test_no_nan_gradients_at_high_incomes():
    rich = (LogNormal(mu=3.0, sigma=1.5, y_min=1.0), ShiftedExponential(1.0, 40.0, n_nodes=96))
    m = FGH2011.from_rho((0.5, 0.4), scenario="trade", income=rich, y_grid=(1.0, 100.0, 2000.0, 5000.0))
    eq = de.solve(m)
    assert np.all(np.isfinite(np.asarray(eq["log_v"])))
    jac = de.jacobian(m, ["log_v", "n_eff"], ["tau", "theta", "income_shift"])
    for per_param in jac.values():
        for arr in per_param.values():
            assert np.all(np.isfinite(np.asarray(arr)))


@pytest.mark.parametrize(
    "kwargs, text",
    [
        (dict(theta=(0.5, 1.2)), "theta in (0, 1]"),
        (dict(theta=(0.0, 0.7)), "theta in (0, 1]"),
        (dict(theta=(0.7, 0.5)), "theta non-decreasing in q"),
        (dict(q=(1.05, 0.9)), "q strictly increasing"),
        (dict(income=(ShiftedExponential(0.5, 6.0), ShiftedExponential(1.0, 2.0))), "lowest income >= every local price"),
        (dict(N=(1000.0, -1.0)), "N > 0"),
        (dict(f=(0.0, 5.0)), "f > 0"),
        (dict(tariff=(0.1, 0.0)), "tariff = 0"),
        (dict(scenario="trade", tau=(0.0, 1.0)), "tau > 0"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, text):
    with pytest.raises(ValueError) as err:
        FGH2011(**kwargs)
    assert text in str(err.value)


def test_shape_and_scenario_errors():
    with pytest.raises(ValueError, match="one entry per country"):
        FGH2011(N=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="scenario"):
        FGH2011(scenario="autarki")
    with pytest.raises(ValueError, match="active"):
        FGH2011(scenario="pattern")
    with pytest.raises(ValueError, match="scale > 0"):
        ShiftedExponential(1.0, -2.0)


def test_welfare_change_helper_and_quadrature_error():
    m = FGH2011()
    dv = welfare_change(m, "N")
    assert dv.shape == (2, 8, 2)
    np.testing.assert_allclose(dv, de.jacobian(m, "log_v", "N")["log_v"]["N"])
    eq = de.solve(m)
    assert float(m.quadrature_error(eq.x)) < 1e-12
