"""FGH (2011): the spec's numerical anchors, the paper's claims at random admissible draws,
adding up, symmetry, closed-form statics, regimes, specific and ad-valorem tariffs and clear errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sps

import diffecon as de
from diffecon.core import replace
from diffecon.models.fgh2011 import FGH2011, tau_from_rho
from diffecon.models.income import LogNormal, ShiftedExponential, Uniform
from diffecon.policy.fgh2011 import production_patterns, welfare_sensitivity

from .._seed import generator

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


# ------------------------------------------------------------------ shared batches
# One compiled sweep per scenario serves many tests (compilation dominates the run time).
AUT_GRID = (1.0, 2.0, 5.0, 30.0, 500.0)
FIGS = {"q": [(0.9, 1.05), (0.75, 0.9)], "theta": [(0.5, 0.7), (0.6, 0.6)], "f": [(1.5, 5.0), (1.5, 20.0)],
        "c": [(0.05, 0.3), (0.05, 0.3)], "N": [(1000.0, 1000.0)] * 2}


@pytest.fixture(scope="module")
def autarky():
    """Rows 0, 1: Figure 1 and Figure 2 parameters; then fresh random admissible draws."""
    draws = _random_autarky_draws(generator("fgh2011 autarky draws"), 40)
    over = {k: np.concatenate([np.asarray(FIGS[k]), draws[k]]) for k in draws}
    out = de.sweep(FGH2011(y_grid=AUT_GRID), over, wrt=["N", "income_shift"])
    assert bool(np.all(out["converged"]))
    return over, {k: np.asarray(v) for k, v in out.items()}


RHO_PATH = np.array([0.0, 0.2, 0.4, 0.6, 0.8])


@pytest.fixture(scope="module")
def trade():
    """Rows 0-4: Figure 1 path (ρ_L = 0.5); 5: ρ = (0.5, 0.4); 6: ρ = (0.3, 0.2);
    then 30 draws with the same G and N^R > N^P, and 30 with equal N and G^R shifted up (FOSD)."""
    rng = generator("fgh2011 trade draws")
    q, theta = np.array([0.9, 1.05]), np.array([0.5, 0.7])
    rho = np.concatenate([np.stack([np.full(5, 0.5), RHO_PATH], -1), [[0.5, 0.4], [0.3, 0.2]],
                          rng.uniform(0.02, 0.6, (60, 2))])
    n_r = rng.uniform(1001.0, 3000.0, 30)
    N = np.concatenate([np.full((7, 2), 1000.0), np.stack([n_r, np.full(30, 1000.0)], -1), np.full((30, 2), 1000.0)])
    # both countries draw from y − 1 ~ exponential(2); R's Figure-1 distribution, exponential(6),
    # is that one stretched by λ = 3 around its mean 3 and shifted up by 4
    shift, spread = np.zeros((67, 2)), np.ones((67, 2))
    shift[:7, 0], spread[:7, 0] = 4.0, 3.0
    shift[37:, 0] = rng.uniform(0.2, 3.0, 30)
    same = ShiftedExponential(1.0, 2.0)
    over = {"tau": tau_from_rho(rho, q, theta), "N": N, "income_shift": shift, "income_spread": spread}
    of = ["n", "n_eff", "n_eq16", "n_eff_eq15", "log_v_eq15", "producing", "log_v", "beta", "s", "x", "price", "sales", "flows",
          "net_exports"]
    out = de.sweep(_trade((0.5, 0.5), income=(same, same)), over, of=of, wrt=["tau"])
    assert bool(np.all(out["converged"]))
    return over, rho, {k: np.asarray(v) for k, v in out.items()}


# ------------------------------------------------------------------ autarky (spec §4, §14)
def test_autarky_anchors_and_population_elasticities(autarky):
    over, out = autarky
    np.testing.assert_allclose(out["n"][0], [[61.634073, 111.145067], [122.826851, 89.115667]], rtol=2e-8)
    np.testing.assert_allclose(out["s"][0], [[0.166412, 0.833588], [0.331632, 0.668368]], atol=6e-7)
    np.testing.assert_allclose(out["x"][0], [2.7, 7.5], rtol=1e-12)
    np.testing.assert_allclose(out["price"][0], [0.605556, 0.966667], atol=6e-7)
    idx = np.arange(2)
    el_L = out["dn_L/dN"][0][idx, idx] * 1000.0 / out["n_L"][0]
    el_H = out["dn_H/dN"][0][idx, idx] * 1000.0 / out["n_H"][0]
    np.testing.assert_allclose(el_L, [0.6759, 0.7025], atol=6e-5)
    np.testing.assert_allclose(el_H, [1.0647, 1.1476], atol=6e-5)
    assert abs(out["dn_H/dN"][0][0, 1]) < 1e-12  # autarky: the other population does not matter
    # Figure 2 (θ_H = θ_L): anchors and n̂_H = n̂_L = N̂
    np.testing.assert_allclose(out["n"][1], [[442.981667, 5.646979], [517.524452, 0.988055]], rtol=1e-7)
    el = out["dn/dN"][1] * 1000.0 / out["n"][1][..., None]
    for k in range(2):
        np.testing.assert_allclose(el[k, :, k], 1.0, atol=1e-10)


def test_population_elasticity_closed_form_and_claims_at_random_draws(autarky):
    over, out = autarky
    idx = np.arange(2)
    el_L = out["dn_L/dN"][2:][:, idx, idx] * over["N"][2:] / out["n_L"][2:]
    el_H = out["dn_H/dN"][2:][:, idx, idx] * over["N"][2:] / out["n_H"][2:]
    theta = over["theta"][2:]
    # spec claims 4 and 5: n̂_H > N̂ > n̂_L > 0 when θ_H > θ_L
    assert np.all(el_H > 1) and np.all(el_L < 1) and np.all(el_L > 0)
    s = out["s"][2:]
    np.testing.assert_allclose(s[..., 0] * el_L + s[..., 1] * el_H, 1.0, atol=1e-9)  # adding up
    # closed form (spec §4): d ln n_L/d ln N = (1 − θ_H V/(s_H s_L))/det J, V = E[β_H β_L]
    for i in range(3):
        m = FGH2011(**{k: v[i + 2] for k, v in over.items()})
        y, log_w, _ = m._quadrature()
        a = np.asarray(jax.vmap(m.log_weights)(jnp.log(out["n"][i + 2]), jnp.zeros(2), y))
        beta = np.exp(a - sps.logsumexp(a, axis=-1, keepdims=True))
        w = np.exp(np.asarray(log_w))
        for k in range(2):
            sk = (w[k][:, None] * beta[k]).sum(0)
            M = np.einsum("i,iq,iw->qw", w[k], beta[k], beta[k])
            J = np.diag(1 - theta[i]) + theta[i][None, :] * M / sk[:, None]
            V = M[0, 1]
            np.testing.assert_allclose(el_L[i, k], (1 - theta[i, 1] * V / (sk[0] * sk[1])) / np.linalg.det(J), rtol=1e-9)
            np.testing.assert_allclose(el_H[i, k], (1 - theta[i, 0] * V / (sk[0] * sk[1])) / np.linalg.det(J), rtol=1e-9)


def test_fosd_shift_and_welfare_decomposition(autarky):
    over, out = autarky
    idx = np.arange(2)
    dH = out["dn_H/dincome_shift"][:, idx, idx]
    dL = out["dn_L/dincome_shift"][:, idx, idx]
    # claim 6 (FOSD shift): n_H up, n_L down, Σ n x unchanged
    assert np.all(dH > 0) and np.all(dL < 0)
    x = out["x"]
    np.testing.assert_allclose(dH * x[:, 1:] + dL * x[:, :1], 0.0, atol=1e-8 * np.max(np.abs(dH * x[:, 1:])))
    # eq. (13): v̂(y) = [θ_L β_L + θ_H β_H] N̂ + s_H s_L [θ_H β_H/s_H − θ_L β_L/s_L](n̂_H − n̂_L)
    for i in (0, 2, 3, 4):
        theta, N = over["theta"][i], over["N"][i]
        for k in range(2):
            beta, s = out["beta"][i, k], out["s"][i, k]
            nH = out["dn_H/dN"][i, k, k] * N[k] / out["n_H"][i, k]
            nL = out["dn_L/dN"][i, k, k] * N[k] / out["n_L"][i, k]
            comp = s[0] * s[1] * (theta[1] * beta[:, 1] / s[1] - theta[0] * beta[:, 0] / s[0]) * (nH - nL)
            gains = out["dlog_v/dN"][i, k, :, k] * N[k]
            np.testing.assert_allclose(gains, beta @ theta + comp, rtol=1e-9)
            assert np.all(gains > 0) and gains[-1] == gains.max()  # claim 8: all gain, the richest most
    assert np.all(np.diff(out["beta_H"], axis=-1) > 0)  # eq. (5): β_H rises with income
    assert np.all(np.isfinite(out["dlog_v/dincome_shift"]))  # y = 500 on the grid: no overflow


def test_mean_preserving_spread_claim():
    # claim 7: U[1.8, 2.2] -> U[1, 3] (spread λ = 5) with f_H = 10: n_H up, n_L down
    base = FGH2011(income=(Uniform(1.8, 2.2),), N=(1000.0,), tariff=(0.0,), income_shift=(0.0,),
                   income_spread=(1.0,), f=(1.5, 10.0))
    out = de.sweep(base, {"income_spread": np.array([[1.0], [5.0]])}, of=["n_H", "n_L", "beta"], wrt="income_spread")
    # the majority buys L at every income of the wider support [1, 3] (grid points 1, 2, 3)
    assert np.all(np.asarray(out["beta"])[0, 0, :3, 0] > 0.5)
    n_H, n_L = np.asarray(out["n_H"])[:, 0], np.asarray(out["n_L"])[:, 0]
    assert n_H[1] > n_H[0] and n_L[1] < n_L[0]
    assert float(np.asarray(out["dn_H/dincome_spread"])[0, 0, 0]) > 0


# ------------------------------------------------------------------ diversified trade (§6, §14)
def test_figure1_path_from_eq15_16(trade):
    over, rho, out = trade
    # what the paper plots: the all-diversified formulas (15)-(16), negative n_L^R from ρ_H = 0.39
    n_eff, n = out["n_eff_eq15"][:5], out["n_eq16"][:5]
    np.testing.assert_allclose(n_eff[:, 0, 1], [102.91895, 129.97995, 157.22022, 184.53139, 211.85958], atol=6e-6)
    np.testing.assert_allclose(n_eff[:, 0, 0], [126.72659, 104.23628, 87.63824, 75.00505, 65.13985], atol=6e-6)
    np.testing.assert_allclose(n[:, 0, 0], [5.95445, 1.96999, -0.07665, -1.15201, -1.71456], atol=6e-6)
    np.testing.assert_allclose(n[:, 1, 1], [74.64817, 77.93224, 77.19887, 69.29228, 36.44575], atol=6e-6)
    # the equilibrium: where (16) is negative R makes no L (spec claim 17: R:H, P:LH), n >= 0
    assert np.all(out["n"] >= 0)
    np.testing.assert_array_equal(out["producing"][:5, 0, 0], [True, True, False, False, False])
    assert np.all(out["producing"][:5, 1]) and np.all(out["producing"][:5, 0, 1])
    np.testing.assert_allclose(out["n_eff"][:2], out["n_eff_eq15"][:2], rtol=1e-10)  # diversified: the same
    W = 100 * np.exp(out["log_v"][:5, 0, :2] - out["log_v"][0, 0, :2])
    np.testing.assert_allclose(W[:2, 0], [100, 107.5534], atol=6e-5)
    np.testing.assert_allclose(W[:2, 1], [100, 111.1279], atol=6e-5)
    W15 = 100 * np.exp(out["log_v_eq15"][:5, 0, :2] - out["log_v_eq15"][0, 0, :2])  # the paper's Figure 1
    np.testing.assert_allclose(W15[:, 0], [100, 107.5534, 115.1668, 122.7654, 130.3090], atol=6e-5)
    np.testing.assert_allclose(W15[:, 1], [100, 111.1279, 121.9525, 132.4823, 142.7356], atol=6e-5)
    # claim 17: along R:H, P:LH welfare is almost the formal one, W_R(y=1) 130.43 vs 130.31 at 0.8
    assert abs(W[4, 0] - 130.43) < 0.01
    # footnote 23 where diversified: NX_q^R = ρ x/(1+ρ)(n^R − n^P); world net exports add to
    # zero; every active firm breaks even and no inactive cell could
    diversified = np.all(out["producing"], axis=(1, 2))
    x = out["x"][0]
    n_all, nx = out["n"], out["net_exports"]
    np.testing.assert_allclose(nx[diversified, 0], (rho * x / (1 + rho) * (n_all[:, 0] - n_all[:, 1]))[diversified],
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(nx.sum(1), 0.0, atol=1e-8)
    xs = np.broadcast_to(out["x"][:, None, :], n_all.shape)
    np.testing.assert_allclose(out["sales"][out["producing"]], xs[out["producing"]], rtol=1e-9)
    assert np.all(out["sales"][~out["producing"]] <= xs[~out["producing"]] * (1 + 1e-9))
    # Σ_q ñ_q x_q/(1+ρ_q) = N in each country (eq. 15)
    np.testing.assert_allclose((out["n_eff_eq15"] * x / (1 + rho)[:, None, :]).sum(-1), over["N"], rtol=1e-10)


def test_adding_up_and_trade_balance(autarky, trade):
    # autarky, eq. (10): Σ_q n_q x_q = N in every country at every draw
    over, out = autarky
    np.testing.assert_allclose((out["n"] * out["x"][:, None, :]).sum(-1), over["N"], rtol=1e-10)
    # trade balance: the numeraire's net exports (spending on differentiated goods at delivered
    # prices minus the labour the sector uses, shipping included) offset the c.i.f. value of
    # net exports of differentiated goods, country by country
    over, rho, out = trade
    tau = np.where(np.isinf(over["tau"]), 0.0, over["tau"])[:, None, :]  # (batch, 1, Q)
    delivered = out["price"][:, None, :] + tau
    foreign = 1.0 - np.eye(2)[None, :, :, None]
    exports, imports = (out["flows"] * foreign).sum(2), (out["flows"] * foreign).sum(1)
    local = out["n"] / out["n_eff"]
    spend = (over["N"][..., None] * out["s"] * (local * out["price"][:, None, :] + (1 - local) * delivered)).sum(-1)
    labour = (out["n"] * (np.array([1.5, 5.0]) + np.array([0.05, 0.3]) * out["sales"]) + tau * exports).sum(-1)
    value_nx = ((exports - imports) * delivered).sum(-1)
    np.testing.assert_allclose(spend - labour, -value_nx, rtol=1e-9, atol=1e-8 * over["N"].max())
    np.testing.assert_allclose(value_nx.sum(-1), 0.0, atol=1e-8 * over["N"].max())


def test_trade_claims_at_random_draws(trade):
    """Prop. 2 (i)-(ii) and Prop. 3 at random ρ in (0.02, 0.6)."""
    over, rho, out = trade
    nx = out["net_exports"]
    assert np.all(nx[7:37, 0, 1] > 0)  # Prop. 2(i): the larger country net-exports H
    assert np.all(nx[37:, 0, 1] > 0) and np.all(nx[37:, 0, 0] < 0)  # Prop. 2(ii): the richer exports H, imports L
    # Prop. 3 (a statement about the diversified regime); row 0 has ρ_H = 0, where τ_H no
    # longer matters
    diversified = np.all(out["producing"], axis=(1, 2))
    diversified[0] = False
    assert diversified.sum() > 30
    d = out["dn_eff/dtau"][diversified]  # (batch, K, Q, Q)
    assert np.all(d[:, :, 1, 1] < 0) and np.all(d[:, :, 0, 1] > 0)  # Prop. 3 for τ_H
    assert np.all(d[:, :, 0, 0] < 0) and np.all(d[:, :, 1, 0] > 0)  # ... and τ_L


def test_trade_welfare_decomposition_eq17_and_tau_effects(trade):
    over, rho, out = trade
    # d ln v/dτ_H at ρ = (0.5, 0.4), Figure 1 (spec §14): −0.198, −0.263, −0.362 (y = 1, median, 30)
    # (the spec's −0.198, −0.263, −0.362 are the all-diversified formulas' values; at ρ = (0.5, 0.4)
    # the equilibrium is R:H, P:LH (claim 17), whose marginal effects differ by < 3e-3)
    np.testing.assert_allclose(out["dlog_v/dtau"][5, 0, :, 1], [-0.198, -0.263, -0.362], atol=3e-3)
    theta, q = np.array([0.5, 0.7]), np.array([0.9, 1.05])
    diversified = np.flatnonzero(np.all(out["producing"], axis=(1, 2)))
    for i in (1, 6, *diversified[diversified > 7][:3]):  # eq. (17) is the diversified regime's
        r = rho[i]
        drho_dtau = -q * r / theta
        for k in range(2):
            beta, s = out["beta"][i, k], out["s"][i, k]
            for j in range(2):
                dln1p = np.zeros(2)
                dln1p[j] = drho_dtau[j] / (1 + r[j])
                hat = out["dn_eff/dtau"][i, k, :, j] / out["n_eff"][i, k]
                comp = s[0] * s[1] * (theta[1] * beta[:, 1] / s[1] - theta[0] * beta[:, 0] / s[0]) * (hat[1] - hat[0])
                np.testing.assert_allclose(out["dlog_v/dtau"][i, k, :, j], (beta @ theta) * (s @ dln1p) + comp,
                                           rtol=1e-8, atol=1e-12)


def test_identical_countries_are_symmetric_and_quadrature_is_accurate(rng):
    dist = ShiftedExponential(1.0, float(rng.uniform(1, 8)))
    m = FGH2011.from_rho(rng.uniform(0.1, 0.9, 2), income=(dist, dist), scenario="trade", y_grid=GRID)
    eq = de.solve(m)
    np.testing.assert_allclose(eq["n"][0], eq["n"][1], rtol=1e-10)
    np.testing.assert_allclose(eq["net_exports"], 0.0, atol=1e-8)
    np.testing.assert_allclose(eq["log_v"][0], eq["log_v"][1], rtol=1e-12)
    assert float(m.quadrature_error(eq.x)) < 1e-10


def test_start_is_newton_polished_and_its_jacobian_is_exact(monkeypatch):
    """The start (a few fixed-point sweeps, then Newton with the analytic Jacobian) solves
    eq. (11) to rounding at random admissible draws, so the solver's Newton stops after one
    step; the analytic Jacobian is the autodiff one; where Newton does not get close the start
    is the former plain fixed point (40 sweeps)."""
    import diffecon.models.fgh2011 as fgh

    draws = _random_autarky_draws(generator("fgh2011 start"), 64)
    base = FGH2011()

    def start_and_residual(p):
        m = replace(base, **p)
        x = m.guess()
        return x["log_n"], m.residuals(x)["market_clearing"]

    for i in range(0, 64, 16):
        p = {k: v[i] for k, v in draws.items()}
        _, res = start_and_residual(p)
        assert float(jnp.max(jnp.abs(res))) < 1e-12
    m = replace(base, **{k: v[3] for k, v in draws.items()})
    log_n = m.guess()["log_n"] + 0.3 * jnp.array([[1.0, -1.0], [-0.5, 0.2]])
    y, log_w, _ = m._quadrature()
    a = jax.vmap(m.log_weights)(log_n, jnp.zeros(2), y)
    log_beta = a - jax.nn.logsumexp(a, axis=-1, keepdims=True)
    weighted = log_beta + log_w[..., None]
    log_s = jax.nn.logsumexp(weighted, axis=1)
    G = m.residuals({"log_n": log_n})["market_clearing"]
    step = m._newton_step(G, jnp.exp(weighted - log_s[:, None, :]), jnp.exp(log_beta))
    jac = jax.jacfwd(lambda v: m.residuals({"log_n": v})["market_clearing"])(log_n)
    for k in range(2):  # countries are independent: a block-diagonal Jacobian
        np.testing.assert_allclose(jac[k, :, k, :] @ step[k], G[k], rtol=1e-12, atol=1e-14)
    # no Newton steps: the safeguard's plain fixed point, as close as 40 sweeps get
    monkeypatch.setattr(fgh, "_GUESS_NEWTON_STEPS", 0)
    const = jnp.log(m.N)[:, None] - jnp.log(m.output())[None, :]
    plain = const - jnp.log(2.0)
    for _ in range(fgh._GUESS_ITERATIONS):
        plain = const + m._log_shares(plain, jnp.zeros(2))
    np.testing.assert_allclose(m.guess()["log_n"], plain, rtol=1e-14)
    eq = de.solve(m)
    assert bool(eq.converged)


# ------------------------------------------------------------------ regimes (§7, §8, §14)
def test_regimes_specialisation_and_corollary1():
    # Cor. 1(ii), ρ = 0.95: R makes only H, P only L, unique; spec anchors
    m = FGH2011.from_rho((0.95, 0.95), scenario="general")
    found = production_patterns(m)
    assert int(found["n_valid"]) == 1
    np.testing.assert_array_equal(np.asarray(found["patterns"])[int(np.argmax(found["valid"]))], [[0, 1], [1, 0]])
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
    assert not np.any(g["entry_profitable"])


def test_general_matches_trade_when_diversified_and_derivatives_match_fd(trade):
    _, _, out = trade  # row 6: ρ = (0.3, 0.2), diversified
    g = FGH2011.from_rho((0.3, 0.2), scenario="general", y_grid=GRID)
    np.testing.assert_allclose(de.solve(g)["n"], out["n"][6], rtol=1e-9)
    jg = de.jacobian(g, ["n", "log_v"], ["tau", "N"])
    np.testing.assert_allclose(jg["n"]["tau"], out["dn/dtau"][6], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(jg["log_v"]["tau"], out["dlog_v/dtau"][6], rtol=1e-7, atol=1e-12)
    # in a corner regime: exact one-sided derivatives vs central differences inside the regime
    c = FGH2011.from_rho((0.5, 0.8), scenario="general", y_grid=GRID)
    jac = de.jacobian(c, ["n", "log_v"], ["tau", "N"])
    h = 1e-3
    for k in range(2):
        bump = np.eye(2)[k] * h
        up = de.solve(replace(c, N=c.N + bump))
        down = de.solve(replace(c, N=c.N - bump))
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
    out = de.sweep(m, {"tau": taus}, of=["producing", "net_exports", "flows"])
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
    taxed = replace(m, tariff=jnp.array([0.05, 0.0]))
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


SPECIALISED = dict(scenario="pattern", active=((0.0, 1.0), (1.0, 0.0)), y_grid=GRID)


def test_ad_valorem_is_its_specific_equivalent_in_the_specialised_case():
    # §9 with small transport costs (ρ = 0.95): R makes only H, P only L, so R imports only L and
    # an ad-valorem rate a on the c.i.f. price is the specific tariff t = a (p_L + τ_L)
    m = FGH2011.from_rho((0.95, 0.95), **SPECIALISED)
    cif_L = float(m.c[0] + m.theta[0] / m.q[0] + m.tau[0])
    a = 0.04
    ad = de.solve(replace(m, ad_valorem=jnp.array([a, 0.0])))
    spec = de.solve(replace(m, tariff=jnp.array([a * cif_L, 0.0])))
    for name in ("n", "n_eff", "s", "log_v", "rebate"):
        np.testing.assert_allclose(ad[name], spec[name], rtol=1e-12, atol=1e-15, err_msg=name)
    active = np.asarray(m.active) > 0.5
    np.testing.assert_allclose(np.asarray(ad["sales"])[active], np.asarray(spec["sales"])[active], rtol=1e-12)
    # not so off the pattern: a would-be H maker in P would face a (p_H + τ_H) > t in R, so its
    # sales (the no-entry check) are lower than under the specific tariff
    assert float(ad["sales"][1, 1]) < float(spec["sales"][1, 1])
    np.testing.assert_allclose(ad["rebate"][0], a * cif_L * ad["s_L"][0], rtol=1e-10)  # r = t s_L^R
    np.testing.assert_allclose(ad["unit_tariff"], [[a * cif_L, a * float(m.c[1] + m.theta[1] / m.q[1] + m.tau[1])],
                                                   [0.0, 0.0]], rtol=1e-14)
    # at a = 0 (the default), the derivatives are the specific tariff's scaled by the c.i.f.
    # price of what the taxing country imports: L into R, H into P
    cif_imported = np.asarray(m.c + m.theta / m.q + m.tau)  # (L, H) = (into R, into P)
    jac = de.jacobian(m, ["log_v", "n"], ["tariff", "ad_valorem"])
    for name in ("log_v", "n"):
        np.testing.assert_allclose(jac[name]["ad_valorem"], cif_imported * np.asarray(jac[name]["tariff"]),
                                   rtol=1e-10, atol=1e-13, err_msg=name)
    assert float(jac["n"]["ad_valorem"][0, 1, 0]) > 0 and float(jac["n"]["ad_valorem"][1, 0, 0]) < 0


def test_ad_valorem_zero_rates_revenue_and_derivatives_match_fd(trade):
    _, _, out = trade  # row 6: ρ = (0.3, 0.2), diversified, no tariff anywhere in its equations
    g = FGH2011.from_rho((0.3, 0.2), scenario="general", y_grid=GRID, ad_valorem=(0.0, 0.0))
    e0 = de.solve(g)
    for name in ("n", "n_eff", "log_v"):
        np.testing.assert_allclose(e0[name], out[name][6], rtol=1e-9, err_msg=name)
    np.testing.assert_array_equal(e0["rebate"], 0.0)
    # both countries tax imports of both qualities: the rebate is the revenue per head,
    # Σ_q (t + a (p_q + τ_q)) × units imported, with the units read off the flows
    rates = jnp.array([0.05, 0.03])
    taxed = replace(g, ad_valorem=rates, tariff=jnp.array([0.01, 0.0]))
    eq = de.solve(taxed)
    cif = np.asarray(g.c + g.theta / g.q + g.tau)
    unit = np.array([0.01, 0.0])[:, None] + np.asarray(rates)[:, None] * cif[None, :]
    imports = (np.asarray(eq["flows"]) * (1 - np.eye(2))[:, :, None]).sum(0)  # (K, Q) units into k
    np.testing.assert_allclose(np.asarray(eq["rebate"]) * np.asarray(g.N), (unit * imports).sum(-1), rtol=1e-10)
    assert np.all(np.asarray(eq["producing"]))
    # exact derivatives with respect to the rates vs central differences of full solves
    jac = de.jacobian(taxed, ["n", "log_v", "rebate"], "ad_valorem")
    h = 1e-4
    for k in range(2):
        bump = np.eye(2)[k] * h
        up = de.solve(replace(taxed, ad_valorem=rates + bump))
        down = de.solve(replace(taxed, ad_valorem=rates - bump))
        for name in ("n", "log_v", "rebate"):
            fd = (np.asarray(up[name]) - np.asarray(down[name])) / (2 * h)
            np.testing.assert_allclose(np.asarray(jac[name]["ad_valorem"])[..., k], fd, rtol=1e-6, atol=1e-8,
                                       err_msg=f"{name}, k={k}")


def test_tariffs_outside_tariff_scenarios_have_no_effect_and_welfare_sensitivity_refuses():
    # scenario 'trade' (eq. 15) has one ρ_q on every route and no rebate: no tariff in it
    m = FGH2011.from_rho((0.5, 0.4), scenario="trade", y_grid=GRID)
    np.testing.assert_array_equal(m.unit_tariff(), 0.0)
    for scenario in ("trade", "autarky", "integrated"):
        for p in ("tariff", "ad_valorem"):
            with pytest.raises(ValueError, match=f"{p}.*scenario '{scenario}'.*'general' or 'pattern'"):
                welfare_sensitivity(m.with_scenario(scenario), p)


# ------------------------------------------------------------------ numerics and errors
def test_no_nan_gradients_at_high_incomes():
    rich = (LogNormal(mu=3.0, sigma=1.5, y_min=1.0), ShiftedExponential(1.0, 40.0, n_nodes=96))
    m = FGH2011.from_rho((0.5, 0.4), scenario="trade", income=rich, y_grid=(1.0, 100.0, 2000.0, 5000.0))
    out = de.sweep(m, {"N": np.asarray(m.N)[None]}, of=["log_v", "n_eff"], wrt=["tau", "theta", "income_shift"])
    assert bool(np.all(out["converged"]))
    for arr in out.values():
        assert np.all(np.isfinite(np.asarray(arr)))


@pytest.mark.parametrize(
    "kwargs, text",
    [
        (dict(theta=(0.5, 1.2)), "theta in (0, 1]"),
        (dict(theta=(0.0, 0.7)), "theta in (0, 1]"),
        (dict(theta=(0.7, 0.5)), "theta non-decreasing in q"),
        (dict(q=(1.05, 0.9)), "q strictly increasing"),
        (dict(income=(ShiftedExponential(0.5, 6.0), ShiftedExponential(1.0, 2.0))), "parameter income=[0.5, 1.0]"),
        (dict(income_shift=(-1.0, 0.0)), "parameter income_shift=[-1.0, 0.0] is outside its admissible domain"),
        (dict(income_spread=(1.0, 2.0)), "parameter income_spread=[1.0, 2.0] is outside its admissible domain"),
        (dict(y_grid=(1.0, float("nan"))), "parameter y_grid=[1.0, nan] is not finite"),
        (dict(y_grid=(1.0, -2.0)), "parameter y_grid=[1.0, -2.0] is outside its admissible domain (y_grid >= 0)"),
        (dict(tau=(float("inf"), 1.0)), "parameter tau=[inf, 1.0] is not finite"),
        (dict(N="many"), "parameter N='many' is not a number"),
        (dict(N=(1000.0, -1.0)), "N > 0"),
        (dict(f=(0.0, 5.0)), "f > 0"),
        (dict(tariff=(0.1, 0.0)), "tariff = 0"),
        (dict(ad_valorem=(-0.1, 0.0)), "parameter ad_valorem=[-0.1, 0.0] is outside its admissible domain (ad_valorem >= 0)"),
        (dict(scenario="pattern", active=((0, 1), (1, 0)), ad_valorem=(0.0, -0.2)), "ad_valorem >= 0"),
        (dict(scenario="trade", ad_valorem=(0.1, 0.0)), "ad_valorem = 0 (tariffs need scenario 'general' or 'pattern')"),
        (dict(scenario="integrated", ad_valorem=(0.0, 0.1)), "ad_valorem = 0"),
        (dict(scenario="trade", tau=(0.0, 1.0)), "tau q/theta >= 1e-06"),
        (dict(scenario="general", tau=(1e-8, 1.0)), "tau q/theta >= 1e-06"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, text):
    with pytest.raises(ValueError) as err:
        FGH2011(**kwargs)
    assert text in str(err.value)


def test_shape_and_scenario_errors():
    with pytest.raises(ValueError, match="one entry per country"):
        FGH2011(N=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match=r"one entry per country.*'ad_valorem': \(3,\)"):
        FGH2011(ad_valorem=(0.0, 0.1, 0.0), scenario="general")
    with pytest.raises(ValueError, match=r"one entry per country.*'ad_valorem': \(2, 2\)"):
        FGH2011(ad_valorem=((0.0, 0.1), (0.0, 0.0)), scenario="general")
    # the default is one zero per country, whatever K
    assert FGH2011(N=(1.0,), tariff=(0.0,), income_shift=(0.0,), income_spread=(1.0,),
                   income=(ShiftedExponential(1.0, 2.0),)).ad_valorem.shape == (1,)
    with pytest.raises(ValueError, match="scenario"):
        FGH2011(scenario="autarki")
    with pytest.raises(ValueError, match="active"):
        FGH2011(scenario="pattern")
    with pytest.raises(ValueError, match="scale > 0"):
        ShiftedExponential(1.0, -2.0)


# ------------------------------------------------------------------ issue 11 repros
def test_trade_scenario_returns_the_actual_regime_at_the_paper_defaults():
    # once: n_L^R = −0.077 (eq. 16) returned as converged and flagged only by regime_valid
    eq = de.solve(FGH2011(scenario="trade", y_grid=GRID))
    assert np.all(np.asarray(eq["n"]) >= 0)
    np.testing.assert_array_equal(eq["producing"], [[False, True], [True, True]])
    np.testing.assert_allclose(eq["n_eq16"][0, 0], -0.07665, atol=6e-5)  # the formula, reported as such
    general = de.solve(FGH2011(scenario="general", y_grid=GRID))
    for name in ("n", "n_eff", "log_v"):
        np.testing.assert_allclose(eq[name], general[name], rtol=1e-9, atol=1e-12, err_msg=name)
    assert float(eq["sales"][0, 0]) < float(eq["x"][0])  # an L maker in R would lose money


NO_NUMERAIRE = dict(  # a full-domain draw: P makes everything and runs out of labour
    q=(1.7732391920694872, 2.180871882424282), theta=(0.46288132634164625, 0.5869138959296343),
    f=(14.131887528297383, 0.384282512529983), c=(0.007816059502323005, 0.004586864457082114),
    N=(0.8973963624156324, 1.5451678441133643), income_spread=(0.43741229425826605, 0.0013037996338221916),
    income_shift=(0.35880827602402826, -1.7242954731176467), tau=(8.186377384997398e-05, 0.020862120517314054),
    income=(ShiftedExponential(1.0, 1.0), ShiftedExponential(1.0, 1.0)), scenario="trade")


def test_numeraire_not_produced_is_not_converged_and_says_why():
    m = FGH2011(**NO_NUMERAIRE)
    eq = de.solve(m, throw=False)
    assert not bool(eq.converged)
    assert not bool(np.all(eq["numeraire_produced"]))
    assert m.explain_failure(eq).startswith("No equilibrium with wage 1")
    with pytest.raises(de.SolveError, match="numeraire_produced.*No equilibrium with wage 1"):
        de.solve(m)
    # the same parameters with more labour in P (a higher lowest income) solve
    rich = replace(m, income_shift=m.income_shift + jnp.array([0.0, 0.5]))
    assert bool(np.all(de.solve(rich)["numeraire_produced"]))


def test_requirements_run_once_per_construction(monkeypatch):
    calls = []
    original = FGH2011.requirements
    monkeypatch.setattr(FGH2011, "requirements", lambda self: calls.append(1) or original(self))
    FGH2011(scenario="trade")
    assert len(calls) == 1


def test_no_trade_limit_is_finite_and_matches_autarky():
    # ρ = 0 is τ = 800 θ/q (finite): trade then is autarky, every country makes every quality
    tau = tau_from_rho((0.0, 0.0), (0.9, 1.05), (0.5, 0.7))
    assert np.all(np.isfinite(tau)) and np.all(np.exp(-tau * np.array([0.9, 1.05]) / np.array([0.5, 0.7])) == 0)
    trade = de.solve(FGH2011(tau=tau, scenario="trade", y_grid=GRID))
    autarky = de.solve(FGH2011(y_grid=GRID))
    np.testing.assert_allclose(trade["n"], autarky["n"], rtol=1e-10)
    np.testing.assert_array_equal(trade["flows"] * (1 - np.eye(2))[:, :, None], 0.0)
