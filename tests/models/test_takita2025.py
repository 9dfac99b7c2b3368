"""Takita (2025): the primitive solve against the spec's anchors, the paper's closed forms (with
the typo in eq. 47 corrected), accounting identities, relabelling symmetry, regime boundaries by
bisection on solves, and exact comparative statics against finite differences."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import diffecon as de
from benchmarks.domains.takita2025 import draw as full_domain_draw
from diffecon.core import boundary, replace
from diffecon.models import Takita2025
from diffecon.models import takita2025_closed_forms as cf

BATCH = 400
WRT = ["q", "Q", "tau", "beta"]  # one compiled jacobian for every test
OUTS = ["L1", "L2", "N1", "N2", "T11", "T12", "T21", "T22", "GDP1", "GDP2", "net_exports1",
        "c11", "c21", "c12", "c22", "x1", "x2", "u1", "u2", "phi", "h", "regime"]
FIELDS = ("q", "sigma", "tau", "beta", "Q", "mu_f", "mu_m", "f", "m")
# Every sweep below has this batch size, these outcomes and derivatives: one compile in all.


def _draws(rng, n=BATCH, q=(0.02, 0.98)):
    """Random admissible parameters covering every regime, φ < 1 and φ > 1, e of both signs."""
    return {
        "q": rng.uniform(*q, n), "sigma": rng.uniform(1.5, 8.0, n), "tau": rng.uniform(1.0, 2.5, n),
        "beta": np.exp(rng.uniform(-0.7, 0.7, n)), "Q": np.exp(rng.uniform(-0.5, 0.5, n)),
        "mu_f": rng.uniform(0.1, 2.0, n), "mu_m": rng.uniform(0.1, 2.0, n),
        "f": rng.uniform(0.5, 2.0, n), "m": rng.uniform(0.5, 2.0, n),
    }


def _solve(p, n=None):
    # Every field, padded to the batch, so that every call has the same structure and shapes.
    p = {k: np.resize(np.asarray(p.get(k, getattr(Takita2025(), k)), float), BATCH) for k in FIELDS}
    out = de.sweep(Takita2025(), p, of=OUTS, wrt=WRT)
    assert np.all(np.asarray(out["converged"])), np.asarray(out["reason"])
    return {k: np.asarray(v)[:n] for k, v in out.items()}


# Spec §8 (an independent numpy/scipy solver maximising utility numerically); f = m = 1,
# μ_f = 0.5, μ_m = 1.5, σ = 4.
ANCHORS = [
    (dict(tau=1.3, beta=1.0, Q=1.0, q=0.6),
     dict(L1=0.7670843776, N1=0.1917710944, N2=0.0582289056, T11=0.5271455670, T21=0.0728544330,
          T12=0.2399388106, T22=0.1600611894, u1=-0.7950153752, u2=-0.9301704112),
     dict(q=2.6708437761)),
    (dict(tau=1.3, beta=1.0, Q=0.9, q=0.62),
     dict(L1=0.4946282153, N1=0.1236570538, N2=0.1331771587, T11=0.3938661136, T21=0.2261338864,
          T12=0.1007621017, T22=0.2792378983, u1=-0.8331936725, u2=-0.8043244360, c11=3.8530025509,
          c21=1.8505394974, c12=1.2371223046, c22=4.8468381537),
     dict(q=2.86675268, Q=3.74722996, tau=1.24430665, beta=-1.61759864)),
    (dict(tau=1.1, beta=1.25, Q=1.05, q=0.6), dict(L1=0.6373570581, T21=0.2585677496),
     dict(q=-5.6398693641)),
    (dict(tau=1.1, beta=1.25, Q=1.0, q=0.55), dict(L1=0.2360558569), dict(q=-5.2788828612)),
]


def test_spec_anchors_and_their_derivatives():
    p = {k: np.array([a[0].get(k, getattr(Takita2025(), k)) for a in ANCHORS], float)
         for k in ("q", "tau", "beta", "Q")}
    o = _solve(p)
    for i, (_, values, slopes) in enumerate(ANCHORS):
        for k, v in values.items():  # printed to 10 decimals
            np.testing.assert_allclose(o[k][i], v, rtol=0, atol=5.1e-11, err_msg=k)
        for k, v in slopes.items():  # central differences of the spec: 9 digits
            np.testing.assert_allclose(o[f"dL1/d{k}"][i], v, rtol=1e-8, err_msg=f"dL1/d{k}")
    assert o["regime"][:4].tolist() == [2, 1, 2, 1]  # HME, RHME, HME although φ > 1, RHME


def test_primitive_solve_matches_closed_forms_in_every_regime(rng):
    p = _draws(rng)
    o = _solve(p)
    q, phi, h = p["q"], o["phi"], o["h"]
    L1 = np.asarray(cf.labour_closed_form(q, phi, h))
    np.testing.assert_allclose(o["L1"], L1, atol=1e-10)
    # Regimes: every one occurs; the label agrees with the closed form away from boundaries.
    assert set(np.unique(o["regime"]).tolist()) == {0, 1, 2, 3}
    far = np.minimum.reduce([np.abs(L1), np.abs(1 - L1), np.abs(L1 - q)]) > 1e-7
    expected = np.where(L1 == 0, 0, np.where(L1 == 1, 3, np.where(L1 < q, 1, 2)))
    np.testing.assert_array_equal(o["regime"][far], expected[far])
    inside = (o["L1"] > 1e-6) & (o["L1"] < 1 - 1e-6)
    assert inside.sum() > 50
    # (38)-(39) and the paper's φ > 1 form (53)-(54) are the same lines.
    for form in (cf.labour_interior, cf.labour_phi_above_one):
        L1_cf, L2_cf = (np.asarray(a) for a in form(q[inside], phi[inside], h[inside]))
        np.testing.assert_allclose(o["L1"][inside], L1_cf, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(o["L2"][inside], L2_cf, rtol=1e-9, atol=1e-10)
    # Trade values (46)-(49), (47) corrected; the printed (47) is wrong.
    T = np.stack([o["T11"], o["T21"], o["T12"], o["T22"]])[:, inside]
    T_cf = np.stack(cf.trade_interior(q[inside], phi[inside], h[inside]))
    np.testing.assert_allclose(T, T_cf, rtol=1e-8, atol=1e-10)
    # It misses by a relative φ·h·q·(1+φ)(1−φ)/((1−φh) − (1+φ)(1−φ)q), i.e. visibly unless φ ≈ 0.
    printed = np.asarray(cf.t21_printed(q, phi, h))
    visible = inside & (phi > 0.2)
    assert visible.sum() > 20
    assert np.all(np.abs(printed[visible] / o["T21"][visible] - 1) > 1e-2)
    # Per-variety demands (34)-(37).
    sel = {k: v[inside] for k, v in p.items()}
    c_cf = np.stack(cf.demands_interior(sel["q"], phi[inside], h[inside], sel["tau"], sel["Q"],
                                        sel["sigma"], sel["mu_m"], sel["f"], sel["m"]))
    c = np.stack([o["c11"], o["c21"], o["c12"], o["c22"]])[:, inside]
    np.testing.assert_allclose(c, c_cf, rtol=1e-8)
    # Corners (spec §5): L1 = 1 sells everything from country 1.
    large = o["regime"] == 3
    np.testing.assert_allclose(o["T11"][large], q[large], rtol=1e-10)
    np.testing.assert_allclose(o["T12"][large], 1 - q[large], rtol=1e-10)
    assert np.all(np.abs(o["T21"][large]) < 1e-11) and np.all(np.abs(o["T22"][large]) < 1e-11)


def test_accounting_and_market_clearing(rng):
    p = _draws(rng)
    o = _solve(p)
    q, tau = p["q"], p["tau"]
    np.testing.assert_allclose(o["T11"] + o["T21"], q, rtol=1e-12)  # spending = income
    np.testing.assert_allclose(o["T12"] + o["T22"], 1 - q, rtol=1e-12)
    np.testing.assert_allclose(o["GDP1"], o["L1"], atol=1e-10)  # sales = wage bill (free entry)
    np.testing.assert_allclose(o["GDP2"], o["L2"], atol=1e-10)
    np.testing.assert_allclose(o["net_exports1"], o["L1"] - q, atol=1e-10)
    # Goods markets (17)-(18), per firm: demand = zero-profit output where firms are active,
    # and demand <= output for a would-be entrant where none are (no profitable entry).
    X1 = q * o["c11"] + (1 - q) * tau * o["c12"]
    X2 = q * tau * o["c21"] + (1 - q) * o["c22"]
    active1, active2 = o["regime"] != 0, o["regime"] != 3
    np.testing.assert_allclose(X1[active1], o["x1"][active1], rtol=1e-9)
    np.testing.assert_allclose(X2[active2], o["x2"][active2], rtol=1e-9)
    assert np.all(X1[~active1] <= o["x1"][~active1] * (1 + 1e-12))
    assert np.all(X2[~active2] <= o["x2"][~active2] * (1 + 1e-12))


def test_relabelling_countries_is_a_symmetry(rng):
    p = _draws(rng)
    # Country 2 becomes country 1: its quality is the unit, so Q -> 1/Q and the base labour
    # requirements absorb Q^μ (country 2's costs are then f, m as before).
    swapped = dict(p, q=1 - p["q"], Q=1 / p["Q"], f=p["f"] * p["Q"] ** p["mu_f"],
                   m=p["m"] * p["Q"] ** p["mu_m"])
    a, b = _solve(p), _solve(swapped)
    np.testing.assert_allclose(a["L1"], b["L2"], atol=1e-10)
    for x, y in [("T11", "T22"), ("T12", "T21"), ("T21", "T12"), ("N1", "N2")]:
        np.testing.assert_allclose(a[x], b[y], rtol=1e-9, atol=1e-12, err_msg=x)
    # Utility is measured in quality units of the home good, which rescales by Q.
    np.testing.assert_allclose(a["u1"], b["u2"] + np.log(p["Q"]), atol=1e-9)
    np.testing.assert_allclose(b["phi"], a["phi"], rtol=1e-13)
    np.testing.assert_allclose(b["h"], 1 / a["h"], rtol=1e-12)


def _bisect(p, start, stop):
    """Bisection on solves along segments in (q, Q), vmapped over the batch (one compile)."""
    n = len(start["q"])
    params = {k: jnp.broadcast_to(jnp.asarray(p.get(k, getattr(Takita2025(), k)), float), (n,))
              for k in FIELDS}

    def one(params, a, b):
        model = replace(Takita2025(), **params)
        def regime(point):
            return de.solve(replace(model, **point), throw=False)["regime"]

        t, _ = boundary(regime, a, b, steps=60)
        return {k: a[k] + t * (b[k] - a[k]) for k in a}

    found = jax.jit(jax.vmap(one))(params, {k: jnp.asarray(v) for k, v in start.items()},
                                   {k: jnp.asarray(v) for k, v in stop.items()})
    return {k: np.asarray(v) for k, v in found.items()}


def _segments_in_q(rng, n):
    """Random φ on both sides of 1 with h inside the interior band at q = 1/2 (μ_f = 0.5,
    μ_m = 1.5), and the analytic q-boundaries of their regimes."""
    tau, beta, sigma = rng.uniform(1.05, 1.5, n), rng.uniform(0.8, 1.6, n), rng.uniform(3.0, 5.0, n)
    phi = (tau / beta) ** (1 - sigma)
    h = np.exp(rng.uniform(np.log(2 * phi / (1 + phi**2)), np.log((1 + phi**2) / (2 * phi))))
    Q = h ** (1 / (0.5 + (sigma - 1) * 0.5))
    qb = {k: np.asarray(v) for k, v in cf.q_boundaries(phi, h).items()}
    # L1 reaches 1 (φ < 1) or 0 (φ > 1) at the outer boundary; L1 = q in between if at all.
    outer = np.where(phi < 1, qb["large"], qb["small"])
    has_eq = (qb["equal_share"] > 0.5) & (qb["equal_share"] < outer)
    return dict(tau=tau, beta=beta, sigma=sigma), Q, outer, np.where(has_eq, qb["equal_share"], np.nan)


def test_regime_boundaries_hit_the_analytic_thresholds(rng):
    n = 8
    p, Q, outer, equal = _segments_in_q(rng, n)
    after_eq = np.where(np.isnan(equal), 0.5, (np.nan_to_num(equal, nan=0.5) + outer) / 2)
    # Segments in q at fixed Q: the corner boundary, and the HME/RHME boundary L1 = q.
    q_lo = np.concatenate([after_eq, np.full(n, 0.5)])
    q_hi = np.concatenate([np.full(n, 0.999), np.where(np.isnan(equal), 0.999, after_eq)])
    pp = {k: np.concatenate([v, v]) for k, v in p.items()}
    QQ = np.concatenate([Q, Q])
    # Segments in Q at q = 1/2 through the Table 8/9 thresholds: L1(1/2) = 0 at
    # h = 2φ/(1+φ²), 1/2 at h = 1, 1 at h = (1+φ²)/(2φ); Q = h^(1/e), e = 2 at σ = 4.
    Q_star, t_tau, t_beta = [], [], []
    for tau, beta in [(1.3, 1.0), (1.1, 1.25)]:
        for h_star in cf.h_thresholds((tau / beta) ** -3.0).values():
            Q_star.append(float(np.sqrt(h_star))), t_tau.append(tau), t_beta.append(beta)
    Q_star = np.array(Q_star)
    m = len(Q_star)
    pp = {"tau": np.concatenate([pp["tau"], t_tau]), "beta": np.concatenate([pp["beta"], t_beta]),
          "sigma": np.concatenate([pp["sigma"], np.full(m, 4.0)])}
    start = {"q": np.concatenate([q_lo, np.full(m, 0.5)]), "Q": np.concatenate([QQ, Q_star * 0.97])}
    stop = {"q": np.concatenate([q_hi, np.full(m, 0.5)]), "Q": np.concatenate([QQ, Q_star * 1.03])}
    # h = φ lies outside the interior band at q = 1/2 (no regime change there): drop it.
    keep = np.concatenate([np.ones(2 * n, bool), np.tile([True, True, True, False], 2)])
    found = _bisect({k: v[keep] for k, v in pp.items()}, {k: v[keep] for k, v in start.items()},
                    {k: v[keep] for k, v in stop.items()})
    np.testing.assert_allclose(found["q"][:n], outer, atol=1e-8)
    ok = ~np.isnan(equal)
    assert ok.sum() >= 1
    np.testing.assert_allclose(found["q"][n:2 * n][ok], equal[ok], atol=1e-8)
    np.testing.assert_allclose(found["Q"][2 * n:], Q_star[np.tile([True, True, True, False], 2)],
                               atol=1e-8)


def test_exact_statics_match_finite_differences_and_closed_form(rng):
    p = _draws(rng)
    wrt = ["q", "Q", "beta"]
    o = _solve(p)
    L1 = o["L1"]
    inside = (L1 > 1e-3) & (L1 < 1 - 1e-3)
    assert inside.sum() > 50
    # Closed form dL1/dq = A inside, 0 in the corners.
    A = np.asarray(cf.slope_A(o["phi"], o["h"]))
    np.testing.assert_allclose(o["dL1/dq"][inside], A[inside], rtol=1e-9)
    corner = (L1 == 0) | (L1 == 1)
    assert corner.sum() > 50 and np.all(o["dL1/dq"][corner] == 0)
    # Sign claims (T3): A ≥ (1+φ)/(1−φ) > 1 when φ < 1, A < 0 when φ > 1.
    phi, slope = o["phi"][inside], o["dL1/dq"][inside]
    assert np.all(slope[phi < 1] >= ((1 + phi) / (1 - phi))[phi < 1] * (1 - 1e-12))
    assert np.all(slope[phi > 1] < 0)
    # Central differences of solves, where both sides stay in the same regime (away from kinks).
    for name in wrt:
        step = 1e-6 * p[name]
        up = _solve(dict(p, **{name: p[name] + step}))
        down = _solve(dict(p, **{name: p[name] - step}))
        fd = (up["L1"] - down["L1"]) / (2 * step)
        same = (up["regime"] == o["regime"]) & (down["regime"] == o["regime"])
        assert same.sum() > 300
        np.testing.assert_allclose(o[f"dL1/d{name}"][same], fd[same], rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_one_sided_derivatives_at_the_corner_kink():
    # At q* = 1/(1+φ) (Q = 1, φ < 1) the slope jumps from A = (1+φ)/(1−φ) to 0 (CA-large).
    phi = float(Takita2025().phi)
    q_star, d = 1 / (1 + phi), 1e-7
    o = _solve({"Q": np.ones(5), "q": q_star + np.array([-1e-6, 1e-6, -d, 0.0, d])})
    np.testing.assert_allclose(o["dL1/dq"][0], (1 + phi) / (1 - phi), rtol=1e-9)
    assert o["dL1/dq"][1] == 0.0
    # One-sided differences of the solves agree with them.
    L1 = o["L1"][2:5]
    np.testing.assert_allclose((L1[1] - L1[0]) / d, (1 + phi) / (1 - phi), rtol=1e-5)
    assert L1[2] == 1.0 and L1[1] >= 1 - 1e-15  # at the kink itself: the corner, to rounding


@pytest.mark.parametrize("field,value,domain", [("q", 0.0, "q in (0, 1)"), ("Q", 0.0, "Q > 0"),
                                                ("beta", -1.0, "beta > 0"), ("m", 0.0, "m > 0")])
def test_bad_inputs_name_parameter_and_domain(field, value, domain):
    with pytest.raises(ValueError, match=field) as err:
        Takita2025(**{field: value})
    assert domain in str(err.value)


def _log_phi_h(p):
    log_phi = (1 - p["sigma"]) * (np.log(p["tau"]) - np.log(p["beta"]))
    return log_phi, (p["mu_f"] + (p["sigma"] - 1) * (p["mu_m"] - 1)) * np.log(p["Q"])


def test_full_domain_draws_solve_and_match_the_closed_form(rng):
    """Issue 11: σ − 1 up to 100 (|ln φ|, |ln h| up to 700), sizes and costs over six orders of
    magnitude, τ = 1 exactly: every draw converges to the closed form (eq. 38 and the corner
    conditions, in logs), with finite outcomes and finite exact derivatives (corners too)."""
    _, p = full_domain_draw(rng, BATCH)
    o = _solve(p)
    log_phi, log_h = _log_phi_h(p)
    L1 = np.asarray(cf.labour_log_form(p["q"], log_phi, log_h))
    np.testing.assert_allclose(o["L1"], L1, rtol=1e-9, atol=1e-11)
    assert (L1 == 0).sum() > 20 and (L1 == 1).sum() > 20 and ((L1 > 0) & (L1 < 1)).sum() > 30
    for k, v in o.items():
        assert np.all(np.isfinite(v)), k
    # dL1/dq in closed form inside: 1/(1 − hφ) − 1/(1 − h/φ), via expm1 in logs
    inside = (L1 > 1e-6) & (L1 < 1 - 1e-6)
    with np.errstate(over="ignore"):
        slope = -1 / np.expm1(log_h + log_phi) + 1 / np.expm1(log_h - log_phi)
    np.testing.assert_allclose(o["dL1/dq"][inside], slope[inside], rtol=1e-7)
    assert np.all(o["dL1/dq"][(L1 == 0) | (L1 == 1)] == 0)
    np.testing.assert_allclose(o["T11"] + o["T21"], p["q"], rtol=1e-12)
    np.testing.assert_allclose(o["T11"] + o["T12"], o["L1"], atol=1e-12)


def test_full_domain_derivatives_match_central_differences_of_solves(rng):
    """Exact dL1/d(q, Q, τ, β) against central differences of solves at full-domain draws, where
    both sides stay in one regime; in a corner both are exactly 0."""
    n = BATCH // 9
    _, p = full_domain_draw(rng, n)
    rel = 1e-6
    names = ["q", "Q", "tau", "beta"]
    batch = {k: [v] for k, v in p.items()}
    for name in names:
        for sign in (1, -1):
            for k, v in p.items():
                if k != name:
                    batch[k].append(v)
                elif name == "tau":  # τ ≥ 1: step in τ − 1 (τ = 1 is stepped up and down from 1 + 1e-6)
                    base = np.maximum(v, 1 + 2e-6)
                    batch[k].append(base + sign * rel * (base - 1))
                else:
                    batch[k].append(v * (1 + sign * rel))
    o = _solve({k: np.concatenate(v) for k, v in batch.items()}, 9 * n)
    tau_ok = p["tau"] > 1 + 2e-6
    for j, name in enumerate(names):
        up, down = (o["L1"][(1 + 2 * j + s) * n:(2 + 2 * j + s) * n] for s in (0, 1))
        regimes = [o["regime"][(1 + 2 * j + s) * n:(2 + 2 * j + s) * n] for s in (0, 1)]
        h = (p[name] * rel if name != "tau" else rel * (p["tau"] - 1)) * 2
        with np.errstate(invalid="ignore", divide="ignore"):  # τ = 1 draws: h = 0, masked below
            fd = (up - down) / h
        exact = o[f"dL1/d{name}"][:n]
        same = (regimes[0] == o["regime"][:n]) & (regimes[1] == o["regime"][:n])
        same &= tau_ok if name == "tau" else True
        assert same.sum() > 0.8 * n * (tau_ok.mean() if name == "tau" else 1)
        scale = np.maximum(np.abs(exact), np.abs(fd))
        # truncation ~ rel², rounding of L1 ∈ [0, 1] ~ 1e-15 / h (a 1e-3 parameter: h = 2e-9)
        with np.errstate(divide="ignore"):
            rounding = 1e-15 / h
        assert np.all((np.abs(exact - fd) <= 1e-4 * scale + 1e-9 + rounding)[same]), name


def test_corner_solution_is_right_for_the_calibration_repro():
    """Issue 11 repro (calibrate(Takita2025(Q=5.), {"L1": 0.4946}, ["Q"])): Q = 5 is complete
    agglomeration in country 1, exactly, with dL1/dQ = 0 (a flat loss there is the truth)."""
    model = Takita2025(Q=5.0)
    eq = de.solve(model)
    h = 5.0 ** (0.5 + 3.0 * 0.5)
    assert h >= float(cf.corner_h_large(0.62, float(model.phi)))
    assert float(eq["L1"]) == 1.0 and int(eq["regime"]) == 3
    assert float(de.jacobian(model, "L1", "Q")) == 0.0


def test_domain_edges_are_clear_errors():
    with pytest.raises(ValueError, match=r"sigma.*\|\(sigma - 1\) ln\(tau/beta\)\| <= 700"):
        Takita2025(sigma=201.0, tau=1000.0, beta=0.001)
    with pytest.raises(ValueError, match=r"Q=.*mu_f \+ \(sigma - 1\)\(mu_m - 1\)"):
        Takita2025(sigma=101.0, mu_m=100.0, Q=1e3)
    for bad in (np.nan, np.inf, None, "x", [0.5, 0.6]):
        with pytest.raises(ValueError, match="q"):
            Takita2025(q=bad)


def test_a_failed_solve_names_where_the_equilibrium_lies():
    """explain_failure: a solver stopped early (one step from a poor start) is told in the
    model's terms, with the regime the primitives imply."""
    stopped = de.Solver(max_steps=1, fallback="none")
    with pytest.raises(de.SolveError, match=r"interior \(L1 = 0\.494628"):
        de.solve(Takita2025(), x0={"L1": 0.999}, solver=stopped)
    with pytest.raises(de.SolveError, match=r"complete agglomeration in country 1"):
        de.solve(Takita2025(Q=5.0), x0={"L1": 0.3}, solver=stopped)
