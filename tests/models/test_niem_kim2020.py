"""Niem & Kim (2020): spec anchors, closed-form FOCs at random draws, the price stage, Lemma 3
scaling (levels and exact elasticities), the covered-market bounds, global Nash, trade claims."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import diffecon as de
from benchmarks.domains.niem_kim2020 import draw as full_domain_draw
from diffecon.core import replace
from diffecon.models import NiemKim2020
from diffecon.policy.market_integration import niem_kim_trade

TABLE3 = dict(a=0.1, b=4.0, z=2.0)


def _draws(rng, n):
    """Random admissible parameters over a wide box (b > 2 − a; covered or not)."""
    a = rng.uniform(0.0, 0.6, n)
    return {
        "size": rng.uniform(0.1, 100.0, n), "a": a, "b": 2.0 - a + rng.uniform(0.05, 3.5, n),
        "z": rng.uniform(1.3, 4.0, n),
    }


@pytest.fixture(scope="module")
def swept(request):
    """One batched solve: random draws, then the same draws with the market 3.7 times larger."""
    rng = np.random.default_rng(abs(hash(request.node.nodeid)) % 2**32)
    p = _draws(rng, 48)
    over = {k: np.concatenate([v, v * 3.7 if k == "size" else v]) for k, v in p.items()}
    out = de.sweep(NiemKim2020(), over)
    return over, {k: np.asarray(v) for k, v in out.items()}


def test_unitary_market_matches_spec_anchors():
    eq = de.solve(NiemKim2020(size=1.0, **TABLE3))
    np.testing.assert_allclose(eq["quality"], [1.2636721557, 0.2430475635], rtol=1e-9)
    np.testing.assert_allclose(eq["price"], [2.2259565740, 0.2430475635], rtol=1e-9)
    np.testing.assert_allclose(eq["theta"], [1.9428387534], rtol=1e-9)
    q = np.asarray(eq["quality"])
    np.testing.assert_allclose(q[1] / (q[0] - q[1]), 0.2381361035, rtol=1e-8)
    np.testing.assert_allclose(eq["avg_cost"], [1.2907392, 0.1182850], atol=6e-8)
    np.testing.assert_allclose(eq["consumer_surplus"], [1.0484277, 0.0360093], atol=6e-8)
    np.testing.assert_allclose(eq["producer_surplus"], [0.6412976, 0.0392103], atol=6e-8)
    np.testing.assert_allclose(eq["consumer_surplus_total"], 1.0844370, atol=6e-8)
    np.testing.assert_allclose(eq["producer_surplus_total"], 0.6805080, atol=6e-8)
    assert bool(eq["covered_market"])
    eq3 = de.solve(NiemKim2020(size=1.0, a=0.1, b=4.0, z=3.0))
    np.testing.assert_allclose(eq3["quality"], [1.1180245726, 0.3773565173], rtol=1e-9)
    np.testing.assert_allclose(eq3["price"][0], 1.7259156, atol=6e-8)
    np.testing.assert_allclose(eq3["theta"], [1.8207334], atol=6e-8)


def test_solution_does_not_depend_on_the_start_point(rng):
    model = NiemKim2020(size=rng.uniform(1, 30), a=rng.uniform(0, 0.3), b=rng.uniform(2.4, 3.0), z=rng.uniform(1.5, 2.5))
    ref = de.solve(model)
    # the default start is the closed form; move it by up to ±0.5 in each coordinate
    start = {k: v + rng.uniform(-0.5, 0.5) for k, v in model.guess().items()}
    moved = de.solve(model, start)
    np.testing.assert_allclose(moved["quality"], ref["quality"], rtol=1e-10)


def _covered(p, t):
    """The covered-corner conditions for N = 2 (spec §4) in closed form."""
    a, b = p["a"], p["b"]
    return (b + a - 2 >= 3 * (1 - a) * t) & (b + 3 * a - 4 <= 3 * (1 - a) * t)


def test_closed_form_duopoly_conditions_at_random_draws(swept):
    p, out = swept
    ok = out["converged"]
    assert ok.sum() > 20
    p, out = {k: v[ok] for k, v in p.items()}, {k: v[ok] for k, v in out.items()}
    a, b, z, size = p["a"], p["b"], p["z"], p["size"]
    q1, q2 = out["quality"][:, 0], out["quality"][:, 1]
    t = q2 / (q1 - q2)
    assert np.all(_covered(p, t))
    # stage-1 FOCs in closed form (spec §3), derived independently of the generic solve
    np.testing.assert_allclose(q1 ** (z - 1), size * ((b - a) ** 2 - (1 - a) ** 2 * t**2) / (4 * (b - 1)), rtol=1e-9)
    np.testing.assert_allclose(q2 ** (z - 1), size * (1 - a) * ((b + a - 2) - (1 - a) * (2 * t + t**2)) / (2 * (b - 1)), rtol=1e-9)
    # stage 2 and demand (spec §2)
    np.testing.assert_allclose(out["price"][:, 1], q2, rtol=1e-12)
    np.testing.assert_allclose(out["price"][:, 0], (b * (q1 - q2) + q2 + a * q1) / 2, rtol=1e-12)
    np.testing.assert_allclose(out["theta"][:, 0], (b + a) / 2 - (1 - a) * t / 2, rtol=1e-12)
    pi1 = size / (4 * (b - 1)) * ((b - a) * (q1 - q2) + (1 - a) * q2) ** 2 / (q1 - q2) - q1**z / z
    pi2 = size * (1 - a) / (2 * (b - 1)) * q2 * ((b + a - 2) - (1 - a) * t) - q2**z / z
    np.testing.assert_allclose(out["producer_surplus"], np.stack([pi1, pi2], 1), rtol=1e-9, atol=1e-12)
    # price-kink conditions (spec §4): b + a − 2 ≥ 3(1−a)t and b + 3a − 4 ≤ 3(1−a)t
    np.testing.assert_allclose(out["cover_slack_down"], ((b + a - 2) - 3 * (1 - a) * t) / 2, atol=1e-12)
    np.testing.assert_allclose(out["cover_slack_up"], (3 * (1 - a) * t - (b + 3 * a - 4)) / 2, atol=1e-12)
    # adding up: shares sum to one, welfare = CS + PS, AC from total cost / demand
    np.testing.assert_allclose(out["market_share"].sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(out["welfare"], out["consumer_surplus"].sum(1) + out["producer_surplus"].sum(1), rtol=1e-12)
    demand = out["demand"]
    np.testing.assert_allclose(out["avg_cost"] * demand, a[:, None] * out["quality"] * demand + out["quality"] ** z[:, None] / z[:, None], rtol=1e-11)


def test_lemma3_scaling_in_levels(swept):
    p, out = swept
    n = len(p["a"]) // 2
    # the covered corner does not depend on Ψ (NK6): the same draws converge at both sizes
    np.testing.assert_array_equal(out["converged"][:n], out["converged"][n:])
    ok = out["converged"][:n]
    k = 3.7 ** (1 / (p["z"][:n][ok] - 1))
    big = {key: v[n:][ok] for key, v in out.items()}
    small = {key: v[:n][ok] for key, v in out.items()}
    for name in ("quality", "price", "avg_cost"):
        np.testing.assert_allclose(big[name], small[name] * k[:, None], rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(big["theta"], small["theta"], rtol=1e-10)
    for name in ("consumer_surplus", "producer_surplus"):
        np.testing.assert_allclose(big[name], small[name] * (3.7 * k)[:, None], rtol=1e-9, err_msg=name)


def test_lemma3_and_table2_elasticities_are_exact(rng):
    """d ln q/d ln Ψ = d ln p/d ln Ψ = d ln AC/d ln Ψ = 1/(z−1) (typo 3: not z/(z−1));
    θ does not move; CS, PS and W have elasticity z/(z−1)."""
    of = ["quality", "price", "avg_cost", "theta", "consumer_surplus_total", "producer_surplus_total", "welfare"]
    models = [NiemKim2020(size=10.0, **TABLE3)] + [
        NiemKim2020(size=rng.uniform(0.5, 50), a=rng.uniform(0, 0.3), b=rng.uniform(2.4, 3.0), z=rng.uniform(1.5, 2.5))
        for _ in range(2)
    ]
    for model in models:
        el = de.elasticity(model, of, ["size", "a", "b"])
        z = float(model.z)
        for name in ("quality", "price", "avg_cost"):
            np.testing.assert_allclose(el[name]["size"], 1 / (z - 1), rtol=1e-10, err_msg=name)
        assert np.max(np.abs(np.asarray(el["theta"]["size"]))) < 1e-11
        for name in ("consumer_surplus_total", "producer_surplus_total", "welfare"):
            np.testing.assert_allclose(el[name]["size"], z / (z - 1), rtol=1e-10, err_msg=name)
    # spec §6 central-difference anchors at Ψ = 1 (Lemma 3: dq/da scales with Ψ^{1/(z−1)})
    el = de.elasticity(models[0], of, ["size", "a", "b"])
    q = np.asarray(de.solve(models[0])["quality"])
    np.testing.assert_allclose(np.asarray(el["quality"]["a"]) * q / 0.1 / 10.0, [-0.6438167, -0.0642621], atol=2e-7)
    np.testing.assert_allclose(np.asarray(el["quality"]["b"]) * q / 4.0 / 10.0, [0.2280790, 0.0617372], atol=2e-7)


def test_exact_statics_match_central_differences_of_solves(rng):
    """IFT derivatives of every outcome in (Ψ, a, b, z) against central differences of full
    solves, at a random draw inside the covered-corner range (away from the kink at b_max)."""
    base = dict(size=rng.uniform(1, 30), a=rng.uniform(0, 0.3), b=rng.uniform(2.4, 3.0), z=rng.uniform(1.5, 2.5))
    names = list(base)
    of = ["quality", "price", "theta", "avg_cost", "consumer_surplus", "producer_surplus", "welfare"]
    # one batch: the point, then ± a relative step 1e-6 in each parameter
    steps = [(None, 0.0)] + [(k, s) for k in names for s in (1e-6, -1e-6)]
    over = {k: np.array([v * (1 + s) if k == name else v for name, s in steps]) for k, v in base.items()}
    out = de.sweep(NiemKim2020(), over, of=of + ["covered_market"], wrt=names)
    out = {k: np.asarray(v) for k, v in out.items()}
    assert out["converged"].all() and out["covered_market"][0]
    for j, k in enumerate(names):
        h = 2e-6 * base[k]
        for name in of:
            fd = (out[name][1 + 2 * j] - out[name][2 + 2 * j]) / h
            np.testing.assert_allclose(out[f"d{name}/d{k}"][0], fd, rtol=1e-6, atol=1e-7 * (1 + np.max(np.abs(fd))),
                                       err_msg=f"d{name}/d{k}")


def test_price_stage_is_the_bertrand_equilibrium_given_qualities(rng):
    """Rows 1..N−1 of eq. (4) are ∂Π_i/∂p_i = 0 (checked by autodiff of the profit itself)."""
    for n in (3,):  # N = 2 is covered by the closed forms above
        model = NiemKim2020(size=rng.uniform(1, 10), a=rng.uniform(0, 0.5), b=rng.uniform(2, 5), z=2.0, n_firms=n)
        quality = jnp.asarray(np.sort(rng.uniform(0.1, 3.0, n))[::-1])
        price = model.prices(quality)
        own = jnp.diagonal(jax.jacfwd(model.profit_at, argnums=1)(quality, price))
        scale = float(model.size) / (float(model.b) - 1)
        assert np.max(np.abs(np.asarray(own[:-1]))) < 1e-11 * scale
        np.testing.assert_allclose(price[-1], quality[-1], rtol=1e-14)
        # homogeneous of degree one in qualities
        np.testing.assert_allclose(model.prices(2.5 * quality), 2.5 * price, rtol=1e-12)


def test_quality_focs_are_total_derivatives_through_the_price_stage(rng):
    model = NiemKim2020(size=3.0, a=0.2, b=3.0, z=2.2, n_firms=3)
    quality = jnp.asarray([2.0, 1.1, 0.4])
    h = 1e-6
    for i in range(3):
        e = jnp.zeros(3).at[i].set(h)
        fd = (model.profits(quality + e)[i] - model.profits(quality - e)[i]) / (2 * h)
        np.testing.assert_allclose(model.marginal_profit(quality)[i], fd, rtol=1e-7)


@eqx.filter_jit
def _deviation_gains(model, quality, grid):
    eq_profit = model.profits(quality)
    gains = [
        jax.vmap(lambda g: model.deviation_profit(quality, i, g))(grid) - eq_profit[i]
        for i in range(model.n_firms)
    ]
    return jnp.stack(gains), eq_profit


def test_no_profitable_unilateral_quality_deviation(rng):
    """Global Nash in qualities: each firm's profit on a grid of deviations (leapfrogging the
    rival included, prices re-solved) never beats its equilibrium profit."""
    models = [NiemKim2020(size=10.0, **TABLE3)] + [
        NiemKim2020(size=rng.uniform(0.5, 50), a=rng.uniform(0, 0.3), b=rng.uniform(2.4, 3.0), z=rng.uniform(1.5, 2.5))
        for _ in range(3)
    ]
    for model in models:
        quality = de.solve(model)["quality"]
        grid = float(quality[0]) * jnp.geomspace(1e-3, 4.0, 801)
        grid = grid[jnp.min(jnp.abs(grid[:, None] / quality[None, :] - 1), axis=1) > 1e-4]
        gains, profit = _deviation_gains(model, quality, grid)
        assert np.all(np.asarray(profit) > 0)
        assert float(jnp.max(gains)) < 1e-9 * float(jnp.max(profit)), model
        # the grid does reach both sides of each rival (leapfrogging is tried)
        assert float(grid.min()) < float(quality[-1]) and float(grid.max()) > float(quality[0])


def _bisect_b(a, z, lo, hi, slack="cover_slack_up"):
    """b where the covered corner stops being the bottom firm's best price (bisection on solves)."""
    def sign(b):  # beyond the bound the solve fails (values NaN): the slack is not > 0
        return float(de.solve(NiemKim2020(size=1.0, a=a, b=b, z=z), throw=False)[slack]) > 0

    assert sign(lo) and not sign(hi)
    while hi - lo > 1e-10:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if sign(mid) else (lo, mid)
    return 0.5 * (lo + hi)


def test_covered_market_upper_bound_on_b():
    """Spec §4 / typo 8: the N = 2 covered corner fails above b = 4.3572 (a = 0.1) and
    4.7302 (a = 0), not at the 4.7125 the paper cites. At the bound the analytical condition
    b + 3a − 4 = 3(1−a)t holds to 1e-8."""
    for a, expected in ((0.1, 4.3572), (0.0, 4.7302)):
        b_max = _bisect_b(a, 2.0, 4.0, 5.0)
        assert abs(b_max - expected) < 5e-5, b_max
        eq = de.solve(NiemKim2020(size=1.0, a=a, b=b_max, z=2.0))
        q = np.asarray(eq["quality"])
        t = q[1] / (q[0] - q[1])
        assert abs((b_max + 3 * a - 4) - 3 * (1 - a) * t) < 1e-8
        beyond = de.solve(NiemKim2020(size=1.0, a=a, b=b_max + 1e-6, z=2.0), throw=False)
        assert not bool(beyond.converged) and "price_kink_up" in beyond.explain()
        with pytest.raises(de.SolveError, match="No equilibrium of the covered-market model"):
            de.solve(NiemKim2020(size=1.0, a=a, b=b_max + 1e-6, z=2.0))
        assert bool(de.solve(NiemKim2020(size=1.0, a=a, b=b_max - 1e-6, z=2.0))["covered_market"])


def test_three_firms_have_no_admissible_equilibrium_at_table3():
    """Lemmas 1–2 / spec §4: at a = 0.1, b = 4, z = 2 a third firm is not viable (q_3 → 0)."""
    with pytest.raises(de.SolveError, match="quality_choice"):
        de.solve(NiemKim2020(size=1.0, n_firms=3, **TABLE3))
    eq = de.solve(NiemKim2020(size=1.0, a=0.1, b=6.0, z=2.0, n_firms=3))  # a wider market fits three
    assert bool(eq["covered_market"]) and np.all(np.diff(np.asarray(eq["quality"])) < 0)
    np.testing.assert_allclose(eq["market_share"].sum(), 1.0, rtol=1e-12)


def test_bad_inputs_raise_clear_errors():
    for n in (1, 2.0, True):
        with pytest.raises(ValueError, match="n_firms"):
            NiemKim2020(n_firms=n)
    with pytest.raises(ValueError, match=r"b > 2 - a"):
        NiemKim2020(a=0.1, b=1.8)
    with pytest.raises(ValueError, match=r"home_share"):
        niem_kim_trade(10.0, 2.0, home_share=1.5)
    with pytest.raises(ValueError, match=r"size > 0"):
        niem_kim_trade(10.0, -2.0)


def test_table3_trade_accounts_in_both_conventions():
    table = niem_kim_trade(10.0, 2.0, home_share=0.0, cs_scale=3.0, **TABLE3)
    np.testing.assert_allclose(table["welfare_home_autarky"], 393.382, atol=6e-4)
    np.testing.assert_allclose(table["welfare_foreign_autarky"], 15.735, atol=6e-4)
    np.testing.assert_allclose(table["welfare_region_trade"], 566.470, atol=6e-4)
    np.testing.assert_allclose(table["gain_region"], 157.353, atol=6e-4)
    np.testing.assert_allclose(table["gain_home"], -2.98458, atol=1e-5)
    np.testing.assert_allclose(table["gain_foreign"], 160.337, atol=6e-4)
    formula = niem_kim_trade(10.0, 2.0, home_share=0.0, **TABLE3)
    np.testing.assert_allclose(formula["welfare_home_autarky"], 176.4945, atol=6e-5)
    np.testing.assert_allclose(formula["welfare_foreign_autarky"], 7.0598, atol=6e-5)
    np.testing.assert_allclose(formula["welfare_region_trade"], 254.1521, atol=6e-5)
    np.testing.assert_allclose(formula["gain_region"], 70.5978, atol=6e-5)
    np.testing.assert_allclose(formula["gain_home"], -46.3621, atol=6e-5)


def test_trade_claims_at_random_draws(rng):
    for _ in range(4):
        S, T = rng.uniform(0.5, 20, 2)
        a, b, z, omega = rng.uniform(0, 0.3), rng.uniform(2.4, 3.0), rng.uniform(1.5, 2.5), rng.uniform(0, 1)
        out = niem_kim_trade(S, T, a, b, z, home_share=omega)
        home, region = out["home"], out["region"]
        k = z / (z - 1)
        # NK2, NK3, NK6: qualities and average costs rise by ((S+T)/S)^{1/(z−1)}; θ unchanged
        for name in ("quality", "avg_cost"):
            np.testing.assert_allclose(region[name] / home[name], ((S + T) / S) ** (1 / (z - 1)), rtol=1e-9)
        np.testing.assert_allclose(region["theta"], home["theta"], rtol=1e-10)
        # NK4: regional gain in closed form (Table 2) and positive
        unit = de.solve(NiemKim2020(size=1.0, a=a, b=b, z=z))
        cs_u, ps_u = float(unit["consumer_surplus_total"]), float(unit["producer_surplus_total"])
        closed = ((S + T) ** k - S**k - T**k) * (cs_u + ps_u)
        np.testing.assert_allclose(out["gain_region"], closed, rtol=1e-9)
        assert float(out["gain_region"]) > 0
        # NK5: Home loses iff inequality (7) holds, λ = T/S
        lam = T / S
        lhs = ((1 + lam) ** (1 / (z - 1)) - 1) * cs_u + (omega * (1 + lam) ** k - 1) * ps_u
        np.testing.assert_allclose(out["gain_home"], S**k * lhs, rtol=1e-8, atol=1e-10)
        # symmetry: relabelling the countries swaps the accounts
        swapped = niem_kim_trade(T, S, a, b, z, home_share=1 - omega)
        np.testing.assert_allclose(swapped["gain_home"], out["gain_foreign"], rtol=1e-10)
        np.testing.assert_allclose(swapped["welfare_foreign_trade"], out["welfare_home_trade"], rtol=1e-10)


def test_regional_gain_is_largest_between_equal_countries(rng):
    a, b, z = rng.uniform(0, 0.3), rng.uniform(2.4, 3.0), rng.uniform(1.5, 2.5)
    total = rng.uniform(2, 20)
    shares = np.array([0.2, 0.35, 0.45, 0.5, 0.55, 0.65, 0.8])
    gains = [float(niem_kim_trade(s * total, (1 - s) * total, a, b, z)["gain_region"]) for s in shares]
    assert int(np.argmax(gains)) == 3
    np.testing.assert_allclose(gains[:3], gains[::-1][:3], rtol=1e-10)  # symmetric in S ↔ T


FULL = 256


@pytest.fixture(scope="module")
def full_domain(request):
    """One sweep at full-domain draws (Ψ, a, b − (2 − a), z − 1 over many orders of magnitude),
    with exact derivatives."""
    rng = np.random.default_rng(abs(hash(request.node.nodeid)) % 2**32)
    base, p = full_domain_draw(rng, FULL)
    # and points with z close to 1 inside the covered range (b ≤ 4 − 3a as t → 0)
    k = 32
    p = {"size": np.concatenate([p["size"][:-k], np.exp(rng.uniform(-3, 3, k))]),
         "a": np.concatenate([p["a"][:-k], rng.uniform(0.0, 0.3, k)]),
         "b": np.concatenate([p["b"][:-k], rng.uniform(2.2, 3.0, k)]),
         "z": np.concatenate([p["z"][:-k], 1.0 + np.exp(rng.uniform(np.log(1e-3), np.log(0.05), k))])}
    of = ["log_quality", "quality", "market_share", "producer_surplus", "cover_slack_down", "cover_slack_up"]
    out = de.sweep(base, p, of=of, wrt=["size", "a", "b", "z"])
    return p, {k: np.asarray(v) for k, v in out.items()}


def test_full_domain_draws_solve_wherever_the_covered_equilibrium_exists(full_domain):
    """Issue 11: every failure is a named validity condition (no equilibrium of the covered
    model, or numbers beyond float64), never a solver failure; converged points satisfy the
    closed-form FOCs (spec §3) and the covered-corner conditions (spec §4)."""
    p, out = full_domain
    ok = out["converged"]
    assert ok.sum() > 40
    reasons = set(np.asarray(out["reason"])[~ok].tolist())
    assert all(r >= 10 for r in reasons), reasons  # validity codes only
    a, b, z, size = (p[k][ok] for k in ("a", "b", "z", "size"))
    lq = out["log_quality"][ok]
    with np.errstate(over="ignore"):  # t = 0 to float64 where z is near 1
        t = 1 / np.expm1(lq[:, 0] - lq[:, 1])
    # firm 1 in logs; firm 2 in levels relative to its margin (t may sit within e^-50 of t_max)
    foc1 = (z - 1) * lq[:, 0] - np.log(size * ((b - a) ** 2 - (1 - a) ** 2 * t**2) / (4 * (b - 1)))
    assert np.all(np.abs(foc1) <= 1e-9 * (1 + np.abs((z - 1) * lq[:, 0]))), foc1
    lhs = np.exp((z - 1) * lq[:, 1]) * 2 * (b - 1) / (size * (1 - a))
    foc2 = lhs - ((b + a - 2) - (1 - a) * (2 * t + t**2))
    assert np.all(np.abs(foc2) <= 1e-10 * (b + a - 2)), foc2
    assert np.all(_covered({"a": a, "b": b}, t * (1 + 1e-9)) | _covered({"a": a, "b": b}, t * (1 - 1e-9)))
    # Outcomes are finite at every converged draw; a derivative may overflow float64 (producer
    # surplus in z at q ~ e^250): then it is NaN with the reason "derivative undefined" (code 4).
    defined = ok & (out["reason"] == 0)
    assert set(np.asarray(out["reason"])[ok].tolist()) <= {0, 4}
    assert defined.sum() >= 0.8 * ok.sum()
    for k, v in out.items():
        if v.dtype.kind == "f":
            assert np.all(np.isfinite(v[defined if "/d" in k else ok])), k
    # Lemma 3 holds at every converged draw: d ln q / d ln Ψ = 1/(z − 1), exactly
    lemma3 = (1 / (z - 1))[:, None] * np.ones((1, 2))
    np.testing.assert_allclose(out["dlog_quality/dsize"][ok] * size[:, None], lemma3, rtol=1e-9)


def test_full_domain_derivatives_match_central_differences_of_solves(full_domain):
    """Exact d ln q/d(Ψ, a, b, z) against central differences of solves at converged full-domain
    draws, z near 1 included (issue 11: the elasticity at z = 1.01 was silently wrong)."""
    p, out = full_domain
    idx = np.where(out["converged"])[0][:40]
    assert (p["z"][idx] < 1.05).sum() >= 5
    names, rel = ["size", "a", "b", "z"], 1e-6
    steps = {"size": p["size"] * rel, "a": np.maximum(p["a"], 1e-3) * rel, "b": (p["b"] + p["a"] - 2) * rel,
             "z": (p["z"] - 1) * rel}
    batch = {k: [] for k in p}
    for name in names:
        for sign in (1, -1):
            for k in p:
                batch[k].append(p[k][idx] + (sign * steps[name][idx] if k == name else 0.0))
    fd_out = de.sweep(NiemKim2020(), {k: np.concatenate(v) for k, v in batch.items()}, of=["log_quality"])
    # a step may cross the covered-corner bound (then that neighbour has no equilibrium)
    both = np.asarray(fd_out["converged"]).reshape(len(names), 2, len(idx)).all(axis=(0, 1))
    assert both.sum() >= 0.9 * len(idx)
    lq = np.asarray(fd_out["log_quality"]).reshape(len(names), 2, len(idx), 2)[:, :, both]
    for j, name in enumerate(names):
        fd = (lq[j, 0] - lq[j, 1]) / (2 * steps[name][idx][both])[:, None]
        exact = out[f"dlog_quality/d{name}"][idx][both]
        np.testing.assert_allclose(exact, fd, rtol=2e-5, atol=1e-6 * np.max(np.abs(fd)), err_msg=name)


def test_issue11_elasticity_at_z_near_one():
    """Issue 11 repro: at z = 1.01 both qualities have d ln q/d ln Ψ = 1/(z − 1) = 100 (the old
    solve gave −0.478 for q_1: second derivatives of q ~ e^{254} overflowed). At the repro's own
    point (b = 4) the covered corner is not an equilibrium (b + 3a − 4 > 3(1 − a)t as t → 0), and
    the solve says so instead of returning the first-order conditions' root."""
    model = NiemKim2020(size=10.0, b=3.0, z=1.01)
    exact = np.asarray(de.jacobian(model, "log_quality", "size")) * 10.0
    np.testing.assert_allclose(exact, [100.0, 100.0], rtol=1e-10)
    lq = np.asarray(de.solve(model)["log_quality"])
    up = np.asarray(de.solve(replace(model, size=10.0 * (1 + 1e-6)))["log_quality"])
    down = np.asarray(de.solve(replace(model, size=10.0 * (1 - 1e-6)))["log_quality"])
    np.testing.assert_allclose((up - down) / 2e-6, [100.0, 100.0], rtol=1e-6)
    assert lq[0] > 200  # q_1 ~ e^{235}: beyond what the old coordinates could differentiate
    with pytest.raises(de.SolveError, match="price_kink_up"):
        de.elasticity(NiemKim2020(size=10.0, z=1.01), "quality", "size")


def test_bad_inputs_everywhere():
    for field in ("size", "a", "b", "z"):
        for bad in (np.nan, np.inf, -np.inf, None, "x", [1.0, 2.0]):
            with pytest.raises(ValueError, match=field):
                NiemKim2020(**{field: bad})


def test_duopoly_start_matches_a_long_bisection_on_a_wide_domain():
    """The safeguarded Newton start equals 80 halvings of [−1e6, 1e6] (the bracket it keeps)
    to rounding, over a domain wider than the tests' and the paper's."""
    from diffecon.core import bisect
    from diffecon.models.niem_kim2020 import _Duopoly

    rng = np.random.default_rng(7)
    n = 4000

    def lu(lo, hi):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))

    a = rng.uniform(0.0, 0.999, n)
    b, z, size = 2.0 - a + lu(1e-4, 100.0), 1.0 + lu(0.005, 50.0), lu(1e-3, 1e4)

    def bisected(*p):
        d = _Duopoly(*p)

        def excess(y):
            top, bottom = d.log_marginal_revenue(y)
            return (bottom - top) - (d.z - 1.0) * d.log_ratio(y)

        lo, hi = bisect(lambda m: excess(m) > 0, -1e6 + 0.0 * d.z, 1e6 + 0.0 * d.z, 80)
        return 0.5 * (lo + hi)

    args = (jnp.asarray(a), jnp.asarray(b), jnp.asarray(z), jnp.asarray(size))
    log_q1, y = jax.jit(jax.vmap(lambda *p: _Duopoly(*p).start()))(*args)
    ref = jax.jit(jax.vmap(bisected))(*args)
    y, ref = np.asarray(y), np.asarray(ref)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(np.asarray(log_q1)))
    assert np.max(np.abs(y - ref) / np.maximum(1.0, np.abs(ref))) < 1e-11
