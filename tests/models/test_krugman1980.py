"""Krugman (1980): the spec's numerical anchors, the paper's claims at random draws, invariants."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import diffecon as de
from diffecon.models import Krugman1980, Krugman1980HME

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
    np.testing.assert_allclose([eq["imports1"], eq["exports1"]], [0.4728085305] * 2, atol=1e-10)
    jac = de.jacobian(model, "omega", ["tau", "L1", "sigma"])["omega"]
    # the spec's central differences with respect to g = 1/tau: dω/dg = dω/dτ · (−τ²)
    np.testing.assert_allclose(float(jac["tau"]) * -(1 / 0.8) ** 2, -0.1971508782, rtol=1e-8)
    np.testing.assert_allclose(float(jac["L1"]), 0.0320832461, rtol=1e-8)
    np.testing.assert_allclose(float(jac["sigma"]), -0.000525972, rtol=1e-5)


def _draws(rng, n):
    return {
        "L1": rng.uniform(0.2, 5, n), "L2": rng.uniform(0.2, 5, n),
        "sigma": rng.uniform(1.3, 12, n), "tau": rng.uniform(1.01, 4, n),
    }


def test_closed_forms_and_market_clearing_at_random_draws(rng):
    p = _draws(rng, 400)
    alpha, beta = 0.7, 1.3
    out = de.sweep(Krugman1980(fixed_cost=alpha, marginal_cost=beta), p)
    assert bool(out["converged"].all())
    s = p["sigma"]
    np.testing.assert_allclose(out["n1"], p["L1"] / (alpha * s), rtol=1e-12)  # eq. (13)
    np.testing.assert_allclose(out["output"], alpha * (s - 1) / beta, rtol=1e-12)  # eq. (9)
    np.testing.assert_allclose(out["p2"], beta * s / (s - 1), rtol=1e-12)  # eq. (7)
    np.testing.assert_allclose(out["trade_balance1"], 0, atol=1e-9)  # (B3)
    # Goods market, an equation the solver never saw: demand for one home variety (home demand
    # plus foreign demand grossed up by τ for melting) equals the zero-profit output x̄.
    omega, tau = out["omega"], p["tau"]
    P1s, P2s = out["P1"] ** (1 - s), out["P2"] ** (1 - s)
    demand = (omega * p["L1"] * out["p1"] ** -s / P1s
              + tau * p["L2"] * (tau * out["p1"]) ** -s / P2s)
    np.testing.assert_allclose(demand, out["output"], rtol=1e-9)


def test_larger_country_pays_higher_wage_and_real_wage(rng):
    p = _draws(rng, 400)
    out = de.sweep(Krugman1980(), p, of=["omega", "W1", "W2"])
    sign = np.sign(p["L1"] - p["L2"])
    assert np.all(np.sign(np.asarray(out["omega"]) - 1) == sign)  # (B2)
    assert np.all(np.sign(np.asarray(out["W1"] - out["W2"])) == sign)  # (B5)


def test_equal_sizes_or_free_trade_give_equal_wages(rng):
    L = rng.uniform(0.2, 5, 50)
    same = de.sweep(Krugman1980(), {"L1": L, "L2": L, "tau": rng.uniform(1, 4, 50)}, of="omega")
    free = de.sweep(Krugman1980(tau=1.0), {"L1": L, "L2": rng.uniform(0.2, 5, 50)}, of="omega")
    np.testing.assert_allclose(same["omega"], 1, atol=1e-12)
    np.testing.assert_allclose(free["omega"], 1, atol=1e-12)


def test_prohibitive_cost_limit_and_monotonicity_in_trade_cost(rng):
    L1, L2, sigma = 3.0, 1.0, 4.0
    far = de.solve(Krugman1980(L1, L2, sigma, 1e6))  # g → 0: ω → (L/L*)^{1/(2σ−1)}
    np.testing.assert_allclose(float(far["omega"]), 3 ** (1 / 7), rtol=1e-6)
    taus = jnp.geomspace(1.0, 1e4, 200)
    big = de.sweep(Krugman1980(L1, L2, sigma), {"tau": taus}, of="omega")["omega"]
    small = de.sweep(Krugman1980(L2, L1, sigma), {"tau": taus}, of="omega")["omega"]
    assert np.all(np.diff(np.asarray(big)) > 0)  # (B4): ω rises with τ for the larger country
    assert np.all(np.diff(np.asarray(small)) < 0)


def test_balance_of_payments_is_decreasing_in_the_wage(rng):
    model = Krugman1980(*[rng.uniform(0.2, 5), rng.uniform(0.2, 5), rng.uniform(1.3, 10), rng.uniform(1, 4)])
    u = jnp.linspace(-3, 3, 301)
    F = jax.vmap(lambda v: model.residuals({"log_omega": v})["balance_of_payments"])(u)
    assert np.all(np.diff(np.asarray(F)) < 0)  # (B1): unique equilibrium


def test_symmetry_and_homogeneity(rng):
    p = _draws(rng, 200)
    base = de.sweep(Krugman1980(), p, of=["omega", "W1", "W2"])
    swapped = de.sweep(Krugman1980(), {**p, "L1": p["L2"], "L2": p["L1"]}, of=["omega", "W1", "W2"])
    scaled = de.sweep(Krugman1980(), {**p, "L1": 7 * p["L1"], "L2": 7 * p["L2"]}, of="omega")
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
        model = Krugman1980(*(rng.uniform(0.2, 5), rng.uniform(0.2, 5), rng.uniform(1.3, 10), rng.uniform(1.01, 4)))
        omega = float(de.solve(model)["omega"])
        exact = de.elasticity(model, ["omega"], ["L1", "tau"])["omega"]
        analytic = _analytic_dlog_omega(model, omega)
        np.testing.assert_allclose(float(exact["L1"]), analytic["L1"] * float(model.L1), rtol=1e-10)
        np.testing.assert_allclose(float(exact["tau"]), analytic["tau"] * float(model.tau), rtol=1e-10)


# ---------------------------------------------------------------- Section III (two industries)


def _mirror_sweep(f, sigma, tau, of):
    f = jnp.asarray(f)
    over = {"La1": f, "Lb1": 1 - f, "La2": 1 - f, "Lb2": f, "sigma": sigma, "tau": tau}
    return de.sweep(Krugman1980HME(), over, of=of)


def test_mirror_case_reproduces_eq25_and_the_specialisation_bounds(rng):
    n = 300
    sigma, tau, f = rng.uniform(2, 8, n), rng.uniform(1.05, 2.5, n), rng.uniform(0.2, 0.8, n)
    out = _mirror_sweep(f, sigma, tau, ["share_a1", "omega", "net_exports_a1", "regime_a1", "regime_a2"])
    assert bool(out["converged"].all())
    delta, lam = tau ** (1 - sigma), f / (1 - f)
    interior = (lam > delta) & (lam < 1 / delta)
    ratio = np.clip((lam - delta) / (1 - delta * lam), 0, None)  # eq. (25)
    share = np.where(interior, ratio / (1 + ratio), np.where(lam >= 1 / delta, 1.0, 0.0))
    np.testing.assert_allclose(out["share_a1"], share, atol=1e-9)
    np.testing.assert_allclose(out["omega"], 1, atol=1e-10)  # symmetric wages
    regime_expected = np.where(interior, 1, np.where(lam >= 1 / delta, 0, 2))  # country 2's a-firms
    assert np.all(np.asarray(out["regime_a2"]) == regime_expected)
    # (C4): net exporter of the good with the larger home demand
    assert np.all(np.sign(np.asarray(out["net_exports_a1"])) == np.sign(f - 0.5))


def test_home_market_effect_slope_matches_eq25_derivative(rng):
    for _ in range(3):
        sigma, tau = rng.uniform(2, 6), rng.uniform(1.1, 2.0)
        delta = tau ** (1 - sigma)
        lam = rng.uniform(delta + 0.1 * (1 - delta), 1 / delta - 0.1 * (1 / delta - 1))
        f = lam / (1 + lam)

        def ratio(f):
            return de.solve(Krugman1980HME.mirror(f, sigma=sigma, tau=tau))["n_ratio_a"]

        dratio_df = jax.grad(ratio)(f)
        slope = float(dratio_df) * (1 - f) ** 2  # dλ/df = 1/(1−f)²
        np.testing.assert_allclose(slope, (1 - delta**2) / (1 - delta * lam) ** 2, rtol=1e-9)


def test_arbitrary_countries_anchor_and_claims(rng):
    eq = de.solve(Krugman1980HME(0.6, 0.5, 0.4, 0.5, 4.0, 1 / 0.8, 0.25))
    np.testing.assert_allclose(float(eq["omega"]), 1.0131007582, atol=1e-9)
    np.testing.assert_allclose(float(eq["n_ratio_a"]), 2.4018362083, atol=1e-9)
    np.testing.assert_allclose(float(eq["net_exports_a1"]), 0.10644574, atol=1e-8)
    n = 300
    over = {k: rng.uniform(0.3, 0.7, n) for k in ("La1", "Lb1", "La2", "Lb2")}
    over.update(sigma=rng.uniform(2.5, 8, n), tau=rng.uniform(1.1, 2.5, n))
    out = de.sweep(Krugman1980HME(), over, of=["omega", "net_exports_a1", "net_exports_b1"])
    assert bool(out["converged"].all())
    np.testing.assert_allclose(out["net_exports_a1"], -out["net_exports_b1"], atol=1e-10)  # adding up
    rel = over["La1"] / over["Lb1"] - over["La2"] / over["Lb2"]
    assert np.all(np.sign(np.asarray(out["net_exports_a1"])) == np.sign(rel))  # (D1)
    smaller = (over["La1"] < over["La2"]) & (over["Lb1"] < over["Lb2"])
    larger = (over["La1"] > over["La2"]) & (over["Lb1"] > over["Lb2"])
    assert np.all(np.asarray(out["omega"])[smaller] < 1) and np.all(np.asarray(out["omega"])[larger] > 1)  # (D2)
    # relabelling the countries inverts the wage and swaps the firm counts
    swapped = de.sweep(Krugman1980HME(), {**over, "La1": over["La2"], "La2": over["La1"],
                                           "Lb1": over["Lb2"], "Lb2": over["Lb1"]}, of="omega")
    np.testing.assert_allclose(swapped["omega"], 1 / out["omega"], rtol=1e-10)


# ---------------------------------------------------------------- Section III.C, outside good


def test_outside_good_case_matches_closed_form_with_corners(rng):
    from diffecon.models import Krugman1980OutsideGood

    eq = de.solve(Krugman1980OutsideGood(0.6, 0.4, 1.0, 1.0, 4.0, 1.25))
    np.testing.assert_allclose([eq["n1"], eq["n2"]], [0.20245902, 0.04754098], atol=1e-8)  # spec §6
    n = 400
    p = {"La1": rng.uniform(0.1, 1, n), "La2": rng.uniform(0.1, 1, n),
         "sigma": rng.uniform(1.5, 10, n), "tau": rng.uniform(1.01, 3, n)}
    out = de.sweep(Krugman1980OutsideGood(L1=5.0, L2=5.0), p, of=["n1", "n2", "net_exports1"])
    assert bool(out["converged"].all())
    d, lam, s = p["tau"] ** (1 - p["sigma"]), p["La1"] / p["La2"], p["sigma"]
    total = (p["La1"] + p["La2"]) / s
    n1 = np.where(lam <= d, 0, np.where(lam >= 1 / d, total, (p["La1"] - d * p["La2"]) / (s * (1 - d))))
    np.testing.assert_allclose(out["n1"], n1, atol=1e-10)
    np.testing.assert_allclose(out["n1"] + out["n2"], total, rtol=1e-10)
    interior = (lam > d) & (lam < 1 / d)
    closed_B = d * s / (1 + d) * (out["n1"] - out["n2"])
    np.testing.assert_allclose(np.asarray(out["net_exports1"])[interior], np.asarray(closed_B)[interior], atol=1e-10)
    # (E1): the larger market has a more than proportional share of firms and exports the good
    big = lam > 1
    assert np.all((np.asarray(out["n1"]) > lam * np.asarray(out["n2"]))[big & interior])
    assert np.all(np.asarray(out["net_exports1"])[big] > 0)
