"""Krugman (1980): the spec's numerical anchors, the paper's claims at random draws, invariants,
full-domain draws re-checked by independent equations, the issue-11 repros.

Compilation dominates: every sweep of a model has the same batch size and passes every
parameter, so each model compiles one sweep program for the whole module.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import logsumexp

import diffecon as de
from benchmarks.domains.krugman1980 import DRAWS
from diffecon.models import Krugman1980, Krugman1980HME, Krugman1980OutsideGood

N = 200  # every sweep's batch size


def _sweep(model, **over):
    """`de.sweep` of every outcome with every parameter in `over` (unlisted ones at `model`'s
    values)."""
    full = {k: np.broadcast_to(np.asarray(over.get(k, getattr(model, k)), float), (N,))
            for k in model.__dataclass_fields__}
    names = sorted(jax.eval_shape(lambda m: m.outcomes(m.guess()), model))
    out = de.sweep(model, full, of=names)
    return {k: np.asarray(v) for k, v in out.items()} | {"result": out}


def _full_domain(name, rng):
    base, over = DRAWS[name](rng, N)
    return over, _sweep(base, **over)


def _log_revenue(u, log_tau, sigma, log_n1, log_n2, log_spend1, log_spend2):
    """log revenue per firm of each country's firms in one CES industry (numpy, independent)."""
    lp = np.array([[u, u + log_tau], [log_tau + 0 * u, 0 * u]])  # source, destination
    terms = np.array([log_n1, log_n2])[:, None] + (1 - sigma) * lp
    per_firm = np.array([log_spend1, log_spend2])[None] + (1 - sigma) * lp - logsumexp(terms, axis=0)[None]
    return logsumexp(per_firm, axis=1)


# ---------------------------------------------------------------- Section II (one industry)


@pytest.mark.parametrize(
    "L1, L2, sigma, g, omega",
    [  # the spec's §6 anchors, computed independently of diffecon
        (2.0, 1.0, 4.0, 0.8, 1.045187825781616),
        (1.0, 2.0, 4.0, 0.8, 0.9567658323),
        (3.0, 1.0, 2.0, 0.5, 1.1601003235),
        (5.0, 1.0, 10.0, 0.9, 1.0488397818),
        (1.2, 1.0, 2.5, 0.3, 1.0372479311),
    ],
)
def test_relative_wage_anchors(L1, L2, sigma, g, omega):
    eq = de.solve(Krugman1980(L1, L2, sigma, 1 / g))
    assert abs(float(eq["omega"]) - omega) < 1e-9


def test_anchor_real_wages_trade_and_derivatives():
    model = Krugman1980(2.0, 1.0, 4.0, 1 / 0.8)
    eq = de.solve(model)
    np.testing.assert_allclose([eq["W1"], eq["W2"]], [0.6483934325, 0.5848598495], atol=1e-10)
    np.testing.assert_allclose([eq["log_W1"], eq["log_W2"]], np.log([0.6483934325, 0.5848598495]), atol=1e-9)
    np.testing.assert_allclose([eq["imports1"], eq["exports1"]], [0.4728085305] * 2, atol=1e-10)
    jac = de.jacobian(model, "omega", ["tau", "L1", "sigma"])["omega"]
    # the spec's central differences with respect to g = 1/tau: dω/dg = dω/dτ · (−τ²)
    np.testing.assert_allclose(float(jac["tau"]) * -(1 / 0.8) ** 2, -0.1971508782, rtol=1e-8)
    np.testing.assert_allclose(float(jac["L1"]), 0.0320832461, rtol=1e-8)
    np.testing.assert_allclose(float(jac["sigma"]), -0.000525972, rtol=1e-5)


def _draws(rng):
    return {
        "L1": rng.uniform(0.2, 5, N), "L2": rng.uniform(0.2, 5, N),
        "sigma": rng.uniform(1.3, 12, N), "tau": rng.uniform(1.01, 4, N),
    }


def _goods_market_error(p, out):
    """|log R_i − log(w_i ασ)|: zero profit of each country's firms, an equation the solver
    never saw (it solves the balance of payments)."""
    s, u = p["sigma"], np.log(out["omega"])
    lc = np.log(p["fixed_cost"] * s)
    R = _log_revenue(u, np.log(p["tau"]), s, np.log(p["L1"]) - lc, np.log(p["L2"]) - lc,
                     u + np.log(p["L1"]), np.log(p["L2"]))
    return np.maximum(abs(R[0] - u - lc), abs(R[1] - lc))


def test_closed_forms_and_market_clearing_at_random_draws(rng):
    p = _draws(rng) | {"fixed_cost": 0.7, "marginal_cost": 1.3}
    out = _sweep(Krugman1980(), **p)
    assert out["converged"].all()
    s, alpha, beta = p["sigma"], 0.7, 1.3
    np.testing.assert_allclose(out["n1"], p["L1"] / (alpha * s), rtol=1e-12)  # eq. (13)
    np.testing.assert_allclose(out["output"], alpha * (s - 1) / beta, rtol=1e-12)  # eq. (9)
    np.testing.assert_allclose(out["p2"], beta * s / (s - 1), rtol=1e-12)  # eq. (7)
    np.testing.assert_allclose(out["trade_balance1"], 0, atol=1e-9)  # (B3)
    # Goods market: demand for one home variety (home demand plus foreign demand grossed up by
    # τ for melting) equals the zero-profit output x̄.
    omega, tau = out["omega"], p["tau"]
    P1s, P2s = out["P1"] ** (1 - s), out["P2"] ** (1 - s)
    demand = (omega * p["L1"] * out["p1"] ** -s / P1s
              + tau * p["L2"] * (tau * out["p1"]) ** -s / P2s)
    np.testing.assert_allclose(demand, out["output"], rtol=1e-9)
    np.testing.assert_allclose(out["U1"], out["W1"] ** ((s - 1) / s), rtol=1e-12)
    # (B2), (B5): the larger country pays the higher wage and has the higher real wage
    sign = np.sign(p["L1"] - p["L2"])
    assert np.all(np.sign(out["omega"] - 1) == sign)
    assert np.all(np.sign(out["W1"] - out["W2"]) == sign)


def test_equal_sizes_or_free_trade_give_equal_wages(rng):
    L = rng.uniform(0.2, 5, N)
    other = np.where(np.arange(N) % 2, L, rng.uniform(0.2, 5, N))
    tau = np.where(np.arange(N) % 2, rng.uniform(1, 4, N), 1.0)  # odd: equal sizes; even: τ = 1
    out = _sweep(Krugman1980(), L1=L, L2=other, tau=tau, sigma=rng.uniform(1.001, 50, N))
    np.testing.assert_allclose(out["omega"], 1, atol=1e-12)


def test_prohibitive_cost_limit_and_monotonicity_in_trade_cost():
    far = de.solve(Krugman1980(3.0, 1.0, 4.0, 1e6))  # g → 0: ω → (L/L*)^{1/(2σ−1)}
    np.testing.assert_allclose(float(far["omega"]), 3 ** (1 / 7), rtol=1e-6)
    taus = np.geomspace(1.0, 1e4, N)
    big = _sweep(Krugman1980(3.0, 1.0, 4.0), tau=taus)["omega"]
    small = _sweep(Krugman1980(1.0, 3.0, 4.0), tau=taus)["omega"]
    assert np.all(np.diff(big) > 0)  # (B4): ω rises with τ for the larger country
    assert np.all(np.diff(small) < 0)


def test_balance_of_payments_is_decreasing_in_the_wage(rng):
    model = Krugman1980(rng.uniform(0.2, 5), rng.uniform(0.2, 5), rng.uniform(1.3, 10), rng.uniform(1, 4))
    u = jnp.linspace(-3, 3, 301)
    F = jax.vmap(lambda v: model.residuals({"log_omega": v})["balance_of_payments"])(u)
    assert np.all(np.diff(np.asarray(F)) < 0)  # (B1): unique equilibrium


def test_lean_residual_equals_the_log_flow_form_and_the_start_is_close(rng):
    """The balance of payments in closed form equals log X12 − log X21 from the full 2×2 CES
    flows (value and slope) over the whole domain and far from the root; the start is the
    root to rounding on the usual domain, and within reach of Newton everywhere."""
    n = 4000

    def lu(lo, hi):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))

    L1, L2, s, t = lu(1e-3, 1e3), lu(1e-3, 1e3), 1 + lu(1e-3, 100), 1 + lu(1e-8, 999)
    u = rng.uniform(-20, 20, n)

    def lean(v, *p):
        return Krugman1980(*p).residuals({"log_omega": v})["balance_of_payments"]

    def flows(v, *p):
        f = Krugman1980(*p)._trade(v)[0]
        return f[0, 1] - f[1, 0]

    new = jax.jit(jax.vmap(jax.value_and_grad(lean)))(u, L1, L2, s, t)
    old = jax.jit(jax.vmap(jax.value_and_grad(flows)))(u, L1, L2, s, t)
    assert np.all(np.isfinite(np.asarray(new[0])))
    np.testing.assert_allclose(new[0], old[0], rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(new[1], old[1], rtol=1e-12)

    p = {"L1": rng.uniform(0.2, 5.0, n), "L2": rng.uniform(0.2, 5.0, n),
         "sigma": rng.uniform(1.5, 10.0, n), "tau": rng.uniform(1.0, 3.0, n)}
    out = de.sweep(Krugman1980(), p, of="omega")
    start = jax.vmap(lambda *q: Krugman1980(*q).guess()["log_omega"])(*p.values())
    np.testing.assert_allclose(np.exp(start), out["omega"], rtol=1e-10)
    assert np.max(np.asarray(out["steps"])) <= 2  # from ω = 1: up to 5


def test_symmetry_and_homogeneity(rng):
    p = _draws(rng)
    base = _sweep(Krugman1980(), **p)
    swapped = _sweep(Krugman1980(), **{**p, "L1": p["L2"], "L2": p["L1"]})
    scaled = _sweep(Krugman1980(), **{**p, "L1": 7 * p["L1"], "L2": 7 * p["L2"]})
    np.testing.assert_allclose(swapped["omega"], 1 / base["omega"], rtol=1e-12)
    # real wages are in country-2 wage units; relabelling changes the numeraire
    np.testing.assert_allclose(swapped["W1"] / swapped["W2"], base["W2"] / base["W1"], rtol=1e-12)
    np.testing.assert_allclose(scaled["omega"], base["omega"], rtol=1e-12)


def _analytic_dlog_omega(model, omega):
    """Hand-derived IFT: d ln ω/dθ = −(∂F/∂θ)/(∂F/∂u) for F = log EX − log IM."""
    L1, L2, s, tau = (float(getattr(model, k)) for k in ("L1", "L2", "sigma", "tau"))
    a1 = L1 * (omega * tau) ** (1 - s)
    share_x = a1 / (a1 + L2)  # country 2's spending share on country-1 goods
    b2 = L2 * tau ** (1 - s)
    m = b2 / (L1 * omega ** (1 - s) + b2)  # country 1's import share
    F_u = (1 - s) * (1 - share_x) - 1 + (1 - s) * (1 - m)
    F_L1 = ((1 - share_x) - m) / L1
    F_tau = (1 - s) * (m - share_x) / tau
    return {"L1": -F_L1 / F_u, "tau": -F_tau / F_u}


def test_exact_derivatives_match_the_hand_derived_implicit_function_theorem(rng):
    for _ in range(3):
        model = Krugman1980(rng.uniform(0.2, 5), rng.uniform(0.2, 5), rng.uniform(1.3, 10),
                            rng.uniform(1.01, 4))
        omega = float(de.solve(model)["omega"])
        exact = de.elasticity(model, ["omega"], ["L1", "tau"])["omega"]
        analytic = _analytic_dlog_omega(model, omega)
        # atol: an elasticity that is itself tiny (−1.4e-8 at σ ≈ 10, τ ≈ 4) is computed from O(1)
        # terms, so its rounding is ~1e-16 absolute, not relative (CI seed 1308891301)
        np.testing.assert_allclose(float(exact["L1"]), analytic["L1"] * float(model.L1), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(float(exact["tau"]), analytic["tau"] * float(model.tau), rtol=1e-10, atol=1e-14)


def test_full_domain_draws_solve_and_pass_an_independent_check(rng):
    p, out = _full_domain("Krugman1980", rng)
    assert out["converged"].all(), out["result"].failures()
    assert np.max(_goods_market_error(p, out)) < 1e-9
    for k, v in out.items():  # P and W may leave the float64 range (documented); nothing else
        if k not in ("result", "P1", "P2", "W1", "W2") and v.dtype.kind == "f":
            assert np.all(np.isfinite(v)), k
    np.testing.assert_allclose(out["U1"], np.exp((p["sigma"] - 1) / p["sigma"] * out["log_W1"]), rtol=1e-12)


def test_bad_parameters_name_the_parameter_and_its_domain():
    with pytest.raises(ValueError, match="parameter L1 has shape"):  # issue 11
        Krugman1980(L1=[1, 2, 3])
    with pytest.raises(ValueError, match="parameter L2 has shape"):
        Krugman1980(L2=[1, 2, 3])
    for name in Krugman1980.__dataclass_fields__:
        for value in (np.nan, np.inf, -np.inf, None, "2", [1.0, 2.0], -1.0):
            with pytest.raises(ValueError, match=f"parameter {name}"):
                Krugman1980(**{name: value})
    outside = (("tau", 0.99, "tau >= 1"), ("sigma", 1.0, "sigma > 1"), ("L2", 0.0, "L2 > 0"))
    for name, value, domain in outside:
        with pytest.raises(ValueError, match=domain):
            Krugman1980(**{name: value})


def test_zero_outcome_elasticity_and_a_nan_point_in_a_derivative_sweep():
    # issue 11: the elasticity of an outcome that is zero in equilibrium was inf
    with pytest.raises(ValueError, match="trade_balance1"):
        de.elasticity(Krugman1980(), "trade_balance1", "L1")
    # issue 11: one bad point aborted a whole `wrt` sweep
    out = de.sweep(Krugman1980(), {"tau": [1.2, 1.3, np.nan]}, of="omega", wrt="L1")
    assert out["converged"].tolist() == [True, True, False]
    slope = np.asarray(out["domega/dL1"])
    assert np.isnan(slope[2]) and np.all(np.isfinite(slope[:2]))
    solo = de.jacobian(Krugman1980(tau=1.3), "omega", "L1")
    np.testing.assert_allclose(slope[1], float(solo), rtol=1e-12)


# ---------------------------------------------------------------- Section III (two industries)


def _hme_check(p, out):
    """Independent zero-profit check of Krugman1980HME: |log R − log(wασ)| for every industry
    and country with firms, and (log R − log(wασ))⁺ for those without (no profitable entry)."""
    s, u = p["sigma"], np.log(out["omega"])
    lc = np.log(p["fixed_cost"] * s)
    err = np.zeros_like(u)
    N = [(p["La1"] + p["Lb1"]) / (p["fixed_cost"] * s), (p["La2"] + p["Lb2"]) / (p["fixed_cost"] * s)]
    for k in "ab":
        n = [out[f"n_{k}1"], out[f"n_{k}2"]]
        log_n = [np.log(np.maximum(v, 1e-300)) for v in n]
        R = _log_revenue(u, np.log(p["tau"]), s, *log_n, u + np.log(p[f"L{k}1"]), np.log(p[f"L{k}2"]))
        for i in range(2):
            gap = R[i] - lc - (u if i == 0 else 0)
            err = np.maximum(err, np.where(n[i] > 1e-9 * N[i], abs(gap), np.maximum(gap, 0)))
    labour = [abs(out["n_a1"] + out["n_b1"] - N[0]) / N[0], abs(out["n_a2"] + out["n_b2"] - N[1]) / N[1]]
    return np.maximum(err, np.maximum(*labour))


def _mirror(f, sigma, tau):
    return _sweep(Krugman1980HME(), La1=f, Lb1=1 - f, La2=1 - f, Lb2=f, sigma=sigma, tau=tau)


def test_mirror_case_reproduces_eq25_and_the_specialisation_bounds(rng):
    sigma, tau, f = rng.uniform(2, 8, N), rng.uniform(1.05, 2.5, N), rng.uniform(0.2, 0.8, N)
    out = _mirror(f, sigma, tau)
    assert out["converged"].all()
    delta, lam = tau ** (1 - sigma), f / (1 - f)
    interior = (lam > delta) & (lam < 1 / delta)
    ratio = np.clip((lam - delta) / (1 - delta * lam), 0, None)  # eq. (25)
    share = np.where(interior, ratio / (1 + ratio), np.where(lam >= 1 / delta, 1.0, 0.0))
    np.testing.assert_allclose(out["share_a1"], share, atol=1e-9)
    np.testing.assert_allclose(out["omega"], 1, atol=1e-10)  # symmetric wages
    regime_expected = np.where(interior, 1, np.where(lam >= 1 / delta, 0, 2))  # country 2's a-firms
    assert np.all(out["regime_a2"] == regime_expected)
    # (C4): net exporter of the good with the larger home demand
    assert np.all(np.sign(out["net_exports_a1"]) == np.sign(f - 0.5))


def test_home_market_effect_slope_matches_eq25_derivative(rng):
    for _ in range(3):
        sigma, tau = rng.uniform(2, 6), rng.uniform(1.1, 2.0)
        delta = tau ** (1 - sigma)
        lam = rng.uniform(delta + 0.1 * (1 - delta), 1 / delta - 0.1 * (1 / delta - 1))
        f = lam / (1 + lam)

        def ratio(f, sigma=sigma, tau=tau):
            return de.solve(Krugman1980HME.mirror(f, sigma=sigma, tau=tau))["n_ratio_a"]

        dratio_df = jax.grad(ratio)(f)
        slope = float(dratio_df) * (1 - f) ** 2  # dλ/df = 1/(1−f)²
        np.testing.assert_allclose(slope, (1 - delta**2) / (1 - delta * lam) ** 2, rtol=1e-9)


def test_arbitrary_countries_anchor_and_claims(rng):
    eq = de.solve(Krugman1980HME(0.6, 0.5, 0.4, 0.5, 4.0, 1 / 0.8, 0.25))
    np.testing.assert_allclose(float(eq["omega"]), 1.0131007582, atol=1e-9)
    np.testing.assert_allclose(float(eq["n_ratio_a"]), 2.4018362083, atol=1e-9)
    np.testing.assert_allclose(float(eq["net_exports_a1"]), 0.10644574, atol=1e-8)
    over = {k: rng.uniform(0.3, 0.7, N) for k in ("La1", "Lb1", "La2", "Lb2")}
    over.update(sigma=rng.uniform(2.5, 8, N), tau=rng.uniform(1.1, 2.5, N))
    out = _sweep(Krugman1980HME(), **over)
    assert out["converged"].all()
    np.testing.assert_allclose(out["net_exports_a1"], -out["net_exports_b1"], atol=1e-10)  # adding up
    rel = over["La1"] / over["Lb1"] - over["La2"] / over["Lb2"]
    assert np.all(np.sign(out["net_exports_a1"]) == np.sign(rel))  # (D1)
    smaller = (over["La1"] < over["La2"]) & (over["Lb1"] < over["Lb2"])
    larger = (over["La1"] > over["La2"]) & (over["Lb1"] > over["Lb2"])
    assert np.all(out["omega"][smaller] < 1) and np.all(out["omega"][larger] > 1)  # (D2)
    # relabelling the countries inverts the wage and swaps the firm counts
    swapped = _sweep(Krugman1980HME(), **{**over, "La1": over["La2"], "La2": over["La1"],
                                           "Lb1": over["Lb2"], "Lb2": over["Lb1"]})
    np.testing.assert_allclose(swapped["omega"], 1 / out["omega"], rtol=1e-10)
    np.testing.assert_allclose(swapped["n_a1"], out["n_a2"], rtol=1e-9, atol=1e-12)


def test_issue11_repro_and_a_corner_derivative():
    model = Krugman1980HME(La1=2.4, Lb1=0.00138, La2=0.01436, Lb2=383.3, sigma=3.57, tau=1.1486)
    eq = de.solve(model)
    np.testing.assert_allclose(float(eq["omega"]), 1.10316, atol=5e-6)
    p = {k: np.atleast_1d(float(getattr(model, k))) for k in model.__dataclass_fields__}
    assert _hme_check(p, {k: np.atleast_1d(np.asarray(v, float)) for k, v in eq.outcomes.items()})[0] < 1e-9
    # Country 1 makes only a-goods (a corner): n_a1 = (La1 + Lb1)/(ασ), so dn_a1/dLa1 = 1/(ασ).
    assert int(eq["regime_a1"]) == 2
    jac = de.jacobian(model, "n_a1", ["La1", "tau"])["n_a1"]
    np.testing.assert_allclose(float(jac["La1"]), 1 / float(model.sigma), rtol=1e-12)
    assert abs(float(jac["tau"])) < 1e-12


def test_hme_derivatives_near_free_trade_match_the_limit():
    # Country 1 leans to a and is larger than the a-market: it makes every a-good and some
    # b-goods, n_a1 = (La1 + La2/ω)/(ασ), and as τ → 1⁺ the split b-industry pins
    # ω^σ = 1 + (1 − δ)(Lb1 − Lb2)/(Lb1 + Lb2), so dω/dτ → (σ − 1)/σ · (Lb1 − Lb2)/(Lb1 + Lb2).
    model = Krugman1980HME(La1=1.0, Lb1=0.6, La2=0.2, Lb2=0.9, sigma=3.0, tau=1 + 1e-9)
    eq = de.solve(model)
    assert int(eq["regime_a1"]) == 1 and int(eq["regime_a2"]) == 0
    jac = de.jacobian(model, "n_a1", ["La1", "tau"])["n_a1"]
    v = (0.6 - 0.9) / 1.5
    np.testing.assert_allclose(float(jac["tau"]), -0.2 / 3 * (2 / 3) * v, rtol=1e-6)
    np.testing.assert_allclose(float(jac["La1"]), 1 / 3, rtol=1e-6)


def test_hme_full_domain_draws_solve_and_pass_an_independent_check(rng):
    p, out = _full_domain("Krugman1980HME", rng)
    assert out["converged"].all(), out["result"].failures()
    assert np.max(_hme_check(p, out)) < 1e-8
    world = p["La1"] + p["Lb1"] + p["La2"] + p["Lb2"]
    assert np.all(np.abs(out["net_exports_a1"] + out["net_exports_b1"]) <= 1e-9 * world)


def test_hme_near_free_trade_approaches_the_free_trade_limit(rng):
    # As τ → 1 one country specialises and the other splits (the limit of the model's own
    # equations; written here independently): compare at 1 − δ from 1e-11 to 1e-9.
    sizes = {k: np.exp(rng.uniform(np.log(1e-2), np.log(1e2), N)) for k in ("La1", "Lb1", "La2", "Lb2")}
    sigma = 1 + np.exp(rng.uniform(np.log(1e-3), np.log(10), N))
    tau = 1 + np.exp(rng.uniform(np.log(1e-11), np.log(1e-9), N)) / (sigma - 1)  # 1 − δ ≈ (σ−1)(τ−1)
    out = _sweep(Krugman1980HME(), **sizes, sigma=sigma, tau=tau)
    assert out["converged"].all(), out["result"].failures()
    La1, Lb1, La2, Lb2 = (sizes[k] for k in ("La1", "Lb1", "La2", "Lb2"))
    a_minded = La1 / (La1 + La2) > Lb1 / (Lb1 + Lb2)  # country 1 leans to a relative to 2
    A, N1 = La1 + La2, La1 + Lb1
    n_a1 = np.where(a_minded, np.minimum(N1, A), np.maximum(N1 - (Lb1 + Lb2), 0))
    clear = np.abs(N1 - np.where(a_minded, A, Lb1 + Lb2)) > 1e-3 * N1  # not at a regime switch
    assert clear.mean() > 0.9
    assert np.all((np.abs(out["n_a1"] * sigma - n_a1) <= 1e-5 * N1)[clear])
    np.testing.assert_allclose(out["omega"], 1, atol=1e-8)


def test_hme_free_trade_is_outside_the_domain_and_failures_are_explained():
    with pytest.raises(ValueError, match=r"tau=1.0 is outside its admissible domain \(tau > 1\)"):
        Krugman1980HME(tau=1.0)
    # the explanation only reads the parameters
    assert "Near free trade" in Krugman1980HME(sigma=1.01, tau=1 + 1e-8).explain_failure(None)
    assert "bisection start" in Krugman1980HME().explain_failure(None)


# ---------------------------------------------------------------- Section III.C, outside good


def _outside_good_closed_form(p):
    """Country 1's share of the firms: (La1 − δLa2)/((1 − δ)(La1 + La2)) clipped to [0, 1];
    at τ = 1 the limit τ → 1⁺."""
    d = -np.expm1((1 - p["sigma"]) * np.log(p["tau"]))  # 1 − δ
    with np.errstate(divide="ignore", invalid="ignore"):
        share = ((p["La1"] - p["La2"]) / d + p["La2"]) / (p["La1"] + p["La2"])
    free = np.where(p["La1"] > p["La2"], 1.0, np.where(p["La1"] < p["La2"], 0.0, 0.5))
    return np.where(d > 0, np.clip(share, 0, 1), free)


def test_outside_good_case_matches_closed_form_with_corners(rng):
    eq = de.solve(Krugman1980OutsideGood(0.6, 0.4, 1.0, 1.0, 4.0, 1.25))
    np.testing.assert_allclose([eq["n1"], eq["n2"]], [0.20245902, 0.04754098], atol=1e-8)  # spec §6
    p = {"La1": rng.uniform(0.1, 1, N), "La2": rng.uniform(0.1, 1, N),
         "sigma": rng.uniform(1.5, 10, N), "tau": rng.uniform(1.01, 3, N)}
    out = _sweep(Krugman1980OutsideGood(L1=5.0, L2=5.0), **p)
    assert out["converged"].all()
    d, lam, s = p["tau"] ** (1 - p["sigma"]), p["La1"] / p["La2"], p["sigma"]
    total = (p["La1"] + p["La2"]) / s
    n1 = np.where(lam <= d, 0, np.where(lam >= 1 / d, total, (p["La1"] - d * p["La2"]) / (s * (1 - d))))
    np.testing.assert_allclose(out["n1"], n1, atol=1e-10)
    np.testing.assert_allclose(out["n1"] + out["n2"], total, rtol=1e-10)
    interior = (lam > d) & (lam < 1 / d)
    closed_B = d * s / (1 + d) * (out["n1"] - out["n2"])
    np.testing.assert_allclose(out["net_exports1"][interior], closed_B[interior], atol=1e-10)
    # (E1): the larger market has a more than proportional share of firms and exports the good
    big = lam > 1
    assert np.all((out["n1"] > lam * out["n2"])[big & interior])
    assert np.all(out["net_exports1"][big] > 0)


def test_outside_good_issue11_repros_near_and_at_free_trade():
    # Near free trade the larger IRS market takes every firm (issue 11: it failed to solve).
    eq = de.solve(Krugman1980OutsideGood(La1=1, La2=3, L1=5, L2=5, sigma=2, tau=1.0001))
    assert float(eq["n1"]) == 0.0 and abs(float(eq["n2"]) - 2.0) < 1e-12
    # As the issue wrote it, IRS spending 3 exceeds income L2 = 1: inadmissible, and said so.
    with pytest.raises(ValueError, match=r"La2=3.0 is outside its admissible domain \(La2 <= L2\)"):
        Krugman1980OutsideGood(La1=1, La2=3, sigma=2, tau=1.0001)
    # At τ = 1: the limit τ → 1⁺ and its one-sided derivatives (issue 11: dn1/dτ was −2.9e14).
    model = Krugman1980OutsideGood(La1=0.5, La2=0.3, L1=1, L2=1, sigma=3, tau=1.0, fixed_cost=0.5)
    eq = de.solve(model)
    np.testing.assert_allclose([eq["n1"], eq["n2"]], [0.8 / 1.5, 0.0], atol=1e-15)
    jac = de.jacobian(model, "n1", ["tau", "La1", "sigma"])["n1"]
    assert float(jac["tau"]) == 0.0
    np.testing.assert_allclose(float(jac["La1"]), 1 / 1.5, rtol=1e-12)
    np.testing.assert_allclose(float(jac["sigma"]), -0.8 / (0.5 * 9), rtol=1e-12)
    # Equal markets at τ = 1: half the firms each, and n1 is not differentiable in La1 there.
    even = Krugman1980OutsideGood(La1=0.4, La2=0.4, tau=1.0)
    np.testing.assert_allclose(float(de.solve(even)["share1"]), 0.5, atol=1e-15)
    with pytest.raises(ValueError, match="not defined"):
        de.jacobian(even, "n1", "La1")


def test_outside_good_full_domain_draws_solve_or_say_why(rng):
    p, out = _full_domain("Krugman1980OutsideGood", rng)
    share = _outside_good_closed_form(p)
    total = p["La1"] + p["La2"]
    exists = (share * total <= p["L1"]) & ((1 - share) * total <= p["L2"])
    np.testing.assert_array_equal(out["converged"], exists)
    np.testing.assert_allclose(out["share1"][exists], share[exists], atol=1e-12)
    words = set(out["result"].reasons()[~exists])
    assert words <= {out["result"].explain(10), out["result"].explain(11)}, words
    assert all("outside_good_made" in w for w in words)
    # solve raises with the model's own explanation at a point without an equilibrium
    if (~exists).any():
        i = int(np.argmin(exists))
        bad = Krugman1980OutsideGood(**{k: float(v[i]) for k, v in p.items()})
        with pytest.raises(de.SolveError, match="No equilibrium with equal wages"):
            de.solve(bad)
