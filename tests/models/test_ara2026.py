"""Ara (2026): spec anchors, the paper's analytic statics (6)-(8), (12), (21), (22) at random draws,
finite differences, symmetry and homogeneity, polar-case nesting, validity (selection ordering on the
solved cutoffs), equilibria beyond float64 (solved and checked in logs), failure explanations,
full-domain draws, Pareto integrals, bad input."""

import re

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

import diffecon as de
from benchmarks.domains.ara2026 import draw_in_regime
from diffecon.models import Ara2026, _pareto
from diffecon.models import ara2026_closed_forms as cf
from diffecon.models import ara2026_diagnostics as diagnostics
from diffecon.models.ara2026_closed_forms import reduced_form
from diffecon.replicate.ara2026 import solve_statics

PARAMS = ("L1", "L2", "sigma", "k", "tau_x", "tau_m", "f_d", "f_x", "f_dm", "f_xm", "f_e", "phi_min")
CUTOFFS = tuple(f"phi_{a}{i}" for i in (1, 2) for a in ("D", "DM", "X", "XM"))
H = 1e-4  # central-difference step in ln L1 (spec §16: ~1e-9 agreement)


def _draws(rng, n, trade="both"):
    """Random parameters whose selection ordering (R4) can hold (its necessary conditions do)."""
    out = {name: [] for name in PARAMS}
    while len(out["sigma"]) < n:
        s = rng.uniform(2.5, 6.0)
        p = dict(L1=1.0, L2=rng.uniform(0.5, 2.0), sigma=s, k=s - 1 + rng.uniform(0.6, 3.0),
                 tau_x=rng.uniform(1.1, 1.8), tau_m=rng.uniform(1.06, 2.0), f_d=rng.uniform(0.7, 1.3),
                 f_x=rng.uniform(1.0, 2.0), f_dm=rng.uniform(1.0, 2.0), f_xm=rng.uniform(0.8, 2.0),
                 f_e=rng.uniform(1.0, 4.0), phi_min=rng.uniform(0.5, 2.0))
        if diagnostics.ordering_impossible(Ara2026(**p, trade=trade)):
            continue
        for name in PARAMS:
            out[name].append(p[name])
    return {name: np.asarray(v) for name, v in out.items()}


def _spec_rows(n_random, draws, **changes):
    """Append the paper's calibration (defaults) with `changes` (name -> list) to `draws`."""
    n = len(next(iter(changes.values())))
    base = Ara2026()
    for name in PARAMS:
        extra = np.asarray(changes.get(name, [float(getattr(base, name))] * n), dtype=float)
        draws[name] = np.concatenate([draws[name][:n_random], extra])
    return draws


def _run(base, draws, L, scale=None):
    """Solve every draw at every column of relative sizes L = L1/L2 (L2 times `scale`), in one
    compiled sweep shared with the replication: levels, hats and flags as arrays (draw, column)."""
    n, cols = L.shape
    over = {name: np.repeat(draws[name][:, None], cols, 1) for name in PARAMS if name not in ("L1", "L2")}
    over["L2"] = draws["L2"][:, None] * (np.ones(cols) if scale is None else scale)
    over["L1"] = L * over["L2"]
    levels, hats, conv = solve_statics(base, {k: v.ravel() for k, v in over.items()})
    shape = lambda d: {k: v.reshape(n, cols) for k, v in d.items()}  # noqa: E731
    return shape(levels), shape(hats), conv.reshape(n, cols)


@pytest.fixture(scope="module")
def both(request):
    rng = np.random.default_rng(20260)
    # 16 random draws, then P_A, P_B and P_A with τ_M = 5 (rows 16, 17, 18)
    draws = _spec_rows(16, _draws(rng, 16), tau_m=[1.5, 1.1, 5.0])
    L = np.concatenate([np.exp(rng.uniform(-0.35, 0.35, 16)), [1.3, 1.3, 1.3]])
    # columns: asymmetric L, its FD neighbours, symmetric, swapped countries, scaled level
    cols = np.stack([L, L * np.exp(H), L * np.exp(-H), np.ones(19), 1 / L, L], axis=1)
    scale = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 3.0])
    levels, hats, conv = _run(Ara2026(), draws, cols, scale)
    return draws, L, levels, hats, conv


def _col(d, j):
    return {k: v[:, j] for k, v in d.items()}


def _rows(d, rows):
    return {k: v[rows] for k, v in d.items()}


def _pick_row(d, i):
    return {k: v[i] for k, v in d.items()}


def test_spec_anchor_values_at_PA_and_PB():
    ref = {  # spec §13, independent numpy/scipy solver
        1.5: dict(alpha_X1=4.4815142, alpha_M1=8.8938871, theta1=1.8049551, phi_D1=0.9589935,
                  phi_DM1=1.6092231, phi_X1=1.3946600, phi_XM1=1.9872112, B1=1.1338433, W1=0.4530960,
                  P1=2.2070376, R_D1=0.8175687, R_X1=0.1824313, E_D1=0.6741956, E_M1=0.0758044,
                  M_E1=0.06, M_D1=0.0739730, M_DM1=0.0055599, M_X1=0.0113713, M_XM1=0.0019361),
        1.1: dict(alpha_X1=4.1182000, alpha_M1=1.8862478, theta1=0.5639185, phi_D1=1.0221334,
                  phi_DM1=1.2577942, phi_X1=1.4864841, phi_XM1=1.5532357, B1=0.9364343, W1=0.4829278,
                  P1=2.0707031, R_D1=0.8046188, R_X1=0.1953812, E_D1=0.4901471, E_M1=0.2598529,
                  M_E1=0.06, M_D1=0.0537791, M_DM1=0.0190591, M_X1=0.0082670, M_XM1=0.0066369),
    }
    for tau_m, values in ref.items():
        eq = de.solve(Ara2026(tau_m=tau_m))
        for name, value in values.items():
            assert abs(float(eq[name]) - value) < 6e-8, (tau_m, name)
        assert abs(float(eq["omega"]) - 1) < 1e-12 and abs(float(eq["R_X"]) - 1) < 1e-12
    # the paper's printed R_Xi/E_Mi (eq. 9): 2.4 and 0.75
    assert round(float(de.solve(Ara2026())["RX_EM1"]), 1) == 2.4
    assert round(float(de.solve(Ara2026(tau_m=1.1))["RX_EM2"]), 2) == 0.75


def test_public_elasticity_matches_spec_reference_statics():
    e = de.elasticity(Ara2026(), ["omega", "W", "phi_DM1", "phi_D1", "phi_XM1", "phi_X1", "R_X", "E_M",
                                  "RX_EM1", "alpha_X1", "alpha_M1"], "L1")
    ref = dict(omega=0.0426769, W=0.3142277, phi_DM1=-0.0522297, phi_D1=-0.0095528, phi_XM1=0.0237784,
               phi_X1=0.0664553, R_X=0.680915, E_M=1.638696, RX_EM1=-0.478890, alpha_X1=0.373181,
               alpha_M1=-0.193329)
    for name, value in ref.items():
        assert abs(float(e[name]["L1"]) - value) < 2e-6, name


def test_eq8_and_zcp_algebra_hold_at_random_asymmetric_points(both):
    draws, _, levels, hats, conv = both
    lv, hv = _col(levels, 0), _col(hats, 0)
    ok = conv[:, 0]
    assert ok.sum() >= 12
    per_omega = cf.eq8_cutoffs_per_omega(lv, draws)
    for i in (1, 2):  # eq. (8): L moves φ_D only through ω (the ZCP + FE block is free of L)
        np.testing.assert_allclose(hv[f"phi_D{i}"][ok], (per_omega[f"phi_D{i}"] * hv["omega"])[ok], atol=1e-9)
    assert np.all(per_omega["Xi"][ok] > 0)
    np.testing.assert_allclose(  # Ξ = θ₁θ₂(α_X1 α_X2 − 1), spec C2
        per_omega["Xi"][ok], (lv["theta1"] * lv["theta2"] * (lv["alpha_X1"] * lv["alpha_X2"] - 1))[ok], rtol=1e-9)
    other = cf.c1_cutoff_hats(hv["omega"], hv["phi_D1"], hv["phi_D2"], draws)
    for name, value in other.items():
        np.testing.assert_allclose(hv[name][ok], value[ok], atol=1e-9, err_msg=name)
    # welfare at any point: Ŵ = L̂/(σ−1) + φ̂_D1 − φ̂_D2 (eq. 5)
    np.testing.assert_allclose(hv["W"][ok], (1 / (draws["sigma"] - 1) + hv["phi_D1"] - hv["phi_D2"])[ok], atol=1e-9)


def test_eqs_12_21_22_and_props_2_3_at_random_symmetric_points(both):
    draws, _, levels, hats, conv = both
    lv, hv = _col(levels, 3), _col(hats, 3)
    ok = conv[:, 3]
    assert ok.sum() >= 14
    sym = cf.symmetric_statics(lv, draws)
    for name in ("omega", "phi_D1", "phi_D2", "W", "R_X", "E_M", "RX_EM1", "alpha_X1", "alpha_M1"):
        np.testing.assert_allclose(hv[name][ok], sym[name][ok], atol=1e-8, err_msg=name)
    # the sign of ω̂ follows Assumption 1 (R_X/E_M > 1), and Ŵ ≤ 1/(σ−1) (spec C5, C11)
    a1 = (lv["theta1"] / cf.rho_of(draws) > 1)[ok]
    assert np.all((hv["omega"][ok] > 0) == a1)
    assert np.all(hv["W"][ok] <= 1 / (draws["sigma"][ok] - 1) + 1e-12)
    # Prop. 1, eqs (10)-(11): the cutoff ordering wherever Assumption 1 holds
    h = {n: hv[n][ok][a1] for n in CUTOFFS}
    assert a1.sum() >= 10
    assert np.all((h["phi_DM1"] < h["phi_D1"]) & (h["phi_D1"] < 0) & (0 < h["phi_XM1"]) & (h["phi_XM1"] < h["phi_X1"]))
    assert np.all((h["phi_X2"] < h["phi_XM2"]) & (h["phi_XM2"] < 0) & (0 < h["phi_D2"]) & (h["phi_D2"] < h["phi_DM2"]))
    # symmetry: every elasticity antisymmetric across countries
    for a in ("D", "DM", "X", "XM"):
        np.testing.assert_allclose(hv[f"phi_{a}1"][ok], -hv[f"phi_{a}2"][ok], atol=1e-10)
    np.testing.assert_allclose(hv["RX_EM1"][ok], -hv["RX_EM2"][ok], atol=1e-10)


def test_exact_derivatives_match_central_differences(both):
    _, _, levels, hats, conv = both
    ok = conv[:, 0] & conv[:, 1] & conv[:, 2]
    for name in ("omega", "W", "R_X", "E_M") + CUTOFFS:
        fd = (np.log(levels[name][:, 1]) - np.log(levels[name][:, 2])) / (2 * H)
        np.testing.assert_allclose(hats[name][ok, 0], fd[ok], atol=5e-8, err_msg=name)


def test_swapping_countries_and_scaling_sizes(both):
    _, _, levels, _, conv = both
    ok = conv[:, 0] & conv[:, 4] & conv[:, 5]
    base, swap, scaled = _col(levels, 0), _col(levels, 4), _col(levels, 5)
    np.testing.assert_allclose(swap["omega"][ok], 1 / base["omega"][ok], rtol=1e-10)
    for a in ("D", "DM", "X", "XM"):
        np.testing.assert_allclose(swap[f"phi_{a}1"][ok], base[f"phi_{a}2"][ok], rtol=1e-10)
    np.testing.assert_allclose(swap["theta1"][ok], base["theta2"][ok], rtol=1e-10)
    np.testing.assert_allclose(swap["W1"][ok] / swap["W2"][ok], base["W2"][ok] / base["W1"][ok], rtol=1e-10)
    # homogeneity: scaling (L1, L2) by 3 leaves ratios and cutoffs and scales revenues (spec C13)
    for name in ("omega", "R_X", "E_M", "alpha_M1", "theta2") + CUTOFFS:
        np.testing.assert_allclose(scaled[name][ok], base[name][ok], rtol=1e-10, err_msg=name)
    np.testing.assert_allclose(scaled["R1"][ok], 3 * base["R1"][ok], rtol=1e-10)
    assert ok.sum() >= 12


def test_homogeneity_in_sizes():
    eq1 = de.solve(Ara2026(L1=1.3, L2=1.0))
    eq2 = de.solve(Ara2026(L1=2.6, L2=2.0))
    for name in ("omega", "W", "R_X", "E_M", "RX_EM1", "alpha_M2") + CUTOFFS:
        assert abs(float(eq2[name]) / float(eq1[name]) - 1) < 1e-10, name
    for name in ("R1", "R2", "M_E1", "M_DM2"):
        assert abs(float(eq2[name]) / float(eq1[name]) - 2) < 1e-10, name
    # reduced form: the L-locus through the solved ω returns L (spec §7.4), and both curves meet
    red = reduced_form(Ara2026(L1=1.3), np.asarray(eq1["omega"]))
    assert abs(float(red["L_locus"]) - 1.3) < 1e-9
    assert abs(float(red["Phi"]) - float(eq1["R_X"])) < 1e-9 and abs(float(red["Psi"]) - float(eq1["R_X"])) < 1e-9


@pytest.mark.parametrize("trade", ["final_only", "inputs_only"])
def test_polar_cases_match_eqs_6_and_7(trade):
    rng = np.random.default_rng(7 if trade == "final_only" else 8)
    # 10 random draws, then the spec's polar reference points (rows 10, 11)
    draws = _spec_rows(10, _draws(rng, 10, trade), tau_m=[1.5, 1.1])
    L = np.concatenate([np.exp(rng.uniform(-0.4, 0.4, 10)), [1.3, 1.3]])
    levels, hats, conv = _run(Ara2026(trade=trade), draws, np.stack([L, np.ones(12)], axis=1))
    formula = cf.eq6_final_only if trade == "final_only" else cf.eq7_inputs_only
    for j in (0, 1):
        ok = conv[:, j]
        assert ok.sum() >= 8
        ref = formula(_col(levels, j), draws)
        for name in ("omega", "phi_D1", "phi_D2"):
            np.testing.assert_allclose(hats[name][ok, j], ref[name][ok], atol=1e-9, err_msg=(trade, name))
        removed = ("phi_DM1", "phi_XM2") if trade == "final_only" else ("phi_X1", "phi_XM2")
        assert all(np.all(np.isinf(levels[n][ok, j])) for n in removed)
    closed = (cf.final_only_symmetric if trade == "final_only" else cf.inputs_only_symmetric)(draws)
    np.testing.assert_allclose(hats["omega"][conv[:, 1], 1], closed["omega"][conv[:, 1]], atol=1e-9)
    # signs of the polar statics (paper §3.1): ω̂ > 0 with final goods only, < 0 with inputs only
    assert np.all((hats["omega"][conv[:, 0], 0] > 0) == (trade == "final_only"))
    assert np.all(hats["phi_D1"][conv[:, 0], 0] < 0) and np.all(hats["phi_D2"][conv[:, 0], 0] > 0)
    # spec §9 reference values at the paper's calibration (symmetric column)
    ref = {"final_only": {10: dict(omega=0.062540, phi_D1=-0.022867), 11: dict(omega=0.062540)},
           "inputs_only": {10: dict(omega=-0.099523, phi_D1=-0.009475),
                           11: dict(omega=-0.130144, phi_D1=-0.043158)}}[trade]
    for row, values in ref.items():
        for name, value in values.items():
            assert abs(hats[name][row, 1] - value) < 1e-6, (trade, row, name)


def test_polar_cases_nest(both):
    # as τ_M grows the general model tends to the final-goods-only case (spec §9)
    _, _, _, hats, conv = both
    assert conv[18, 3] and abs(hats["omega"][18, 3] - 0.062493) < 1e-6
    # far from the polar cases' τ = ∞, the general model reproduces eqs (6) and (7) to ~1e-7
    far = _spec_rows(0, {n: np.zeros(0) for n in PARAMS}, tau_m=[30.0, 30.0, 1.5, 1.5], tau_x=[1.3, 1.3, 30.0, 30.0])
    levels, hats, conv = _run(Ara2026(), far, np.array([[1.0], [1.3], [1.0], [1.3]]))
    assert conv.all()
    for rows, formula in ((slice(0, 2), cf.eq6_final_only), (slice(2, 4), cf.eq7_inputs_only)):
        ref = formula(_col(levels, 0), far)
        for name in ("omega", "phi_D1", "phi_D2"):
            np.testing.assert_allclose(hats[name][rows, 0], ref[name][rows], atol=1e-6, err_msg=name)
    np.testing.assert_allclose(hats["omega"][0, 0], cf.final_only_symmetric(_pick_row(far, 0))["omega"], atol=1e-6)
    np.testing.assert_allclose(hats["omega"][2, 0], cf.inputs_only_symmetric(_pick_row(far, 2))["omega"], atol=1e-6)
    final = Ara2026(trade="final_only")
    outcomes = final.outcomes(final.guess())
    assert np.isinf(float(outcomes["phi_DM1"])) and float(outcomes["E_M1"]) == 0.0
    assert "E_M" not in outcomes and bool(outcomes["assumption1"])
    inputs = Ara2026(trade="inputs_only")
    outcomes = inputs.outcomes(inputs.guess())
    assert np.isinf(float(outcomes["phi_XM2"])) and float(outcomes["R_X1"]) == 0.0
    assert "R_X" not in outcomes and not bool(outcomes["assumption1"])


def test_exact_pareto_option_and_support_flag():
    formal = de.solve(Ara2026())
    assert not bool(formal["pareto_support"]) and bool(formal["valid"])  # spec R5: φ_D = 0.959 < 1
    draws = _spec_rows(0, {n: np.zeros(0) for n in PARAMS}, tau_m=[1.5, 1.1])
    levels, hats, conv = _run(Ara2026(pareto="exact"), draws, np.ones((2, 2)), np.array([1.0, 1.7]))
    assert conv.all()
    ref = dict(phi_D1=0.957797, alpha_X1=4.146480, alpha_M1=8.289166)
    for name, value in ref.items():
        assert abs(levels[name][0, 0] - value) < 1e-6, name
    assert abs(levels["theta1"][0, 0] / 0.75 - 2.406607) < 1e-6
    assert abs(hats["omega"][0, 0] - 0.043985) < 1e-6 and abs(hats["W"][0, 0] - 0.311545) < 1e-6
    # both variants agree where every cutoff lies on the support (P_B, spec §13 values)
    assert abs(levels["phi_D1"][1, 0] - 1.0221334) < 1e-7 and abs(hats["omega"][1, 1] + 0.0362613) < 1e-7


def test_corner_and_validity_reporting():
    with pytest.raises(de.SolveError, match=r"did not converge.*No interior equilibrium.*spec R3"):
        de.solve(Ara2026(L1=9.0))  # beyond the interior range (0.12351, 8.09649) at P_A
    eq = de.solve(Ara2026(L1=8.0))
    assert bool(eq["interior"]) and bool(eq["selection_ordering"]) and bool(eq["valid"])
    assert {k: bool(v) for k, v in eq.model.validity(eq.x).items()} == {
        "selection_ordering": True, "within_float64": True}
    # spec R5 is a warning flag, not a validity condition: P_A solves with φ_D < φ_min
    assert not bool(de.solve(Ara2026())["pareto_support"])


def test_selection_ordering_is_checked_on_the_solved_cutoffs_not_at_construction():
    # issue 11: Ara2026(tau_m=1.0001) used to be rejected at construction, blaming f_xm. It is
    # admissible; its equilibrium violates the ordering, and the error names R4 and its cause
    model = Ara2026(tau_m=1.0001)
    eq = de.solve(model, throw=False)
    assert not bool(eq.converged) and float(eq.residual_norm) < 1e-10
    assert not bool(eq["selection_ordering"]) and "selection_ordering" in eq.explain()
    with pytest.raises(de.SolveError, match=r"'selection_ordering'.*No equilibrium with the selection "
                                            r"ordering.*tau_m\^\(sigma-1\) f_xm > f_x, which fails"):
        de.solve(model)
    # parameters that satisfy the symmetric-case conditions but whose asymmetric equilibrium
    # does not (334 of 978 such draws were reported converged): not converged, reason R4
    eq = de.solve(Ara2026(tau_m=1.06, L1=1.3), throw=False)
    assert not bool(eq.converged) and float(eq.residual_norm) < 1e-10
    assert diagnostics.out_of_order(eq.outcomes, "both")  # e.g. phi_XM <= phi_X in one country
    hint = eq.model.explain_failure(eq)
    assert hint.startswith("No equilibrium with the selection ordering") and "omega ≈ 0.98536" in hint
    # a solved point's ordering is the outcome flag, wherever it converged
    assert bool(de.solve(Ara2026(tau_m=1.06, L1=1.02))["selection_ordering"])


def test_ordering_impossible_is_exactly_the_product_of_the_two_countries_ratios(both):
    # each ordered pair's cutoff ratio, multiplied over the two countries, is parameter-only
    draws, _, levels, _, conv = both
    lv, ok = _col(levels, 0), conv[:, 0]
    s1 = draws["sigma"] - 1
    pairs = (("DM", "D", "tau_m", "f_dm", "f_d"), ("X", "D", "tau_x", "f_x", "f_d"),
             ("XM", "DM", "tau_x", "f_xm", "f_dm"), ("XM", "X", "tau_m", "f_xm", "f_x"))
    for high, low, tau, fh, fl in pairs:
        product = sum(np.log(lv[f"phi_{high}{i}"]) - np.log(lv[f"phi_{low}{i}"]) for i in (1, 2))
        expected = 2 * (np.log(draws[tau]) + (np.log(draws[fh]) - np.log(draws[fl])) / s1)
        np.testing.assert_allclose(product[ok], expected[ok], rtol=1e-9, atol=1e-9, err_msg=high + low)
    assert not diagnostics.ordering_impossible(Ara2026())
    assert len(diagnostics.ordering_impossible(Ara2026(tau_m=1.0, tau_x=1.0, f_x=0.5))) == 2


def test_sweep_of_a_point_without_interior_equilibrium_never_reports_converged():
    # issue 11 repro: a vmapped chunk of >= 320 points x 13 residuals used to report
    # converged=True, residual_norm=0 (a NaN-dropping max); a batch of 1 said False
    out = de.sweep(Ara2026(), {"L1": np.full(400, 20.0)}, of="omega")
    assert not np.any(np.asarray(out["converged"]))
    assert np.all(np.asarray(out["reason"]) != 0)
    eq = de.solve(Ara2026(L1=20.0), throw=False)
    assert not bool(eq.converged)
    assert eq.model.explain_failure(eq).startswith("No interior equilibrium: L1/L2 = 20 is beyond")


def test_levels_beyond_float64_are_returned_as_inf_with_finite_logs():
    # σ − 1 = 1e-3: W_i ∝ (L_i/(σ f_D))^{1/(σ−1)} and α_M overflow float64 at the equilibrium,
    # which is solved in logs and reported (issue 11: this used to fail "Not representable")
    model = Ara2026(sigma=1.001, k=2.0, f_d=1e-3, f_xm=2.0)
    eq = de.solve(model)
    assert bool(eq.converged) and float(eq.residual_norm) < 1e-10
    assert all(bool(v) for v in model.validity(eq.x).values())
    assert bool(eq["selection_ordering"]) and np.isinf(float(eq["alpha_M1"]))
    assert 1e4 < float(eq["log_alpha_M1"]) < 2e4
    assert model.explain_failure(eq) is None


# Draws of `python -m benchmarks.reliability --only Ara2026 Ara2026[final_only]
# Ara2026[inputs_only] --draws 1000 --seed 20261202` that failed as "Not representable in float64"
# before the outcomes were reported in logs (harness index: largest |ln level|)
_BEYOND_FLOAT64 = [
    ("both", 54, 3913.1, dict(  # "ln phi_XM1 = 3913" in the old RELIABILITY.md
        L1=0.8724301803520866, L2=902.69073883746, sigma=1.002348674871623, k=0.39769548441920743,
        tau_x=4.714243590051445, tau_m=1.5609865043723992, f_d=0.20104581471688238, f_x=192.43773106335445,
        f_dm=53.62159109256963, f_xm=617.0210087833492, f_e=594.8402337583427, phi_min=3.690470383682297)),
    ("both", 258, 236972.0, dict(
        L1=0.0017502532595501713, L2=0.39643381132967404, sigma=1.0041043402639716, k=82.16783924421193,
        tau_x=1.0018545841804334, tau_m=1.0000001002451533, f_d=0.002856761235755941, f_x=19.71253526413839,
        f_dm=395.2189754677393, f_xm=483.76106065082575, f_e=0.7767071708833816, phi_min=0.0033728427135266115)),
    ("final_only", 459, 2579.1, dict(
        L1=624.1632862932203, L2=42.54884273683929, sigma=1.0700840171659816, k=14.98364176351281,
        tau_x=1.0000707177137136, tau_m=1.008160759494479, f_d=0.005278628787863961, f_x=962.8460410117468,
        f_dm=10.500203318199864, f_xm=0.004677606914049344, f_e=591.5289967550128, phi_min=19.499097345302744)),
    ("final_only", 179, 488200.3, dict(
        L1=0.0564751955939106, L2=35.620779360066145, sigma=1.0010538444058708, k=41.249704956112296,
        tau_x=1.0294585643032361, tau_m=1.0000016730561379, f_d=0.0030355732697608805, f_x=792.6289948937522,
        f_dm=0.8920954723075705, f_xm=1.502448483841292, f_e=0.0010940959406062819, phi_min=80.48472901272632)),
    ("inputs_only", 810, 2526.3, dict(
        L1=0.8560616791397928, L2=3.1666330637230113, sigma=1.05898852902521, k=15.955121947658862,
        tau_x=1.8083038958727236, tau_m=1.0, f_d=0.0011319015880072994, f_x=5.505280002115035,
        f_dm=13.309682425312527, f_xm=4.997253258696552, f_e=0.4964555007686722, phi_min=61.513521074356724)),
    ("inputs_only", 490, 338486.0, dict(
        L1=0.003629138916346527, L2=608.6450300968401, sigma=1.0015360237638555, k=94.84519210763085,
        tau_x=1.000000711847581, tau_m=1.0000000111734078, f_d=1.9042030696832504, f_x=0.052346251903910915,
        f_dm=457.53683341710337, f_xm=10.768213207234183, f_e=695.3281278482744, phi_min=0.5036673801864646)),
]
_ACTIVE = {"both": (0, 1, 2, 3), "final_only": (0, 2), "inputs_only": (0, 1)}


def _lse(*terms):
    return np.logaddexp.reduce(np.asarray(terms, dtype=float))


def _independent_logs(p, x, trade):
    """The 13 equations (spec §3-§5, formal Pareto) and the logs of cutoffs, welfare and the
    shares α, θ, in NumPy and in logs throughout, from the parameters and the unknowns alone."""
    s, k = p["sigma"], p["k"]
    lphi, lB, lR = (np.asarray(x[n], dtype=float) for n in ("log_phi", "log_B", "log_R"))
    lw = np.array([float(x["log_omega"]), 0.0])
    lf = np.log([p["f_d"], p["f_dm"], p["f_x"], p["f_xm"]])
    ltx, ltm, lL = np.log(p["tau_x"]), np.log(p["tau_m"]), np.log([p["L1"], p["L2"]])
    act = _ACTIVE[trade]
    on = lambda a, v: v if a in act else -np.inf  # noqa: E731  (an absent activity: no flow)
    res, F, logs = [], [], {}
    for i in (0, 1):
        j = 1 - i
        # ZCP, eq. (1) corrected: φ_a^{σ−1} B_m = f_a × (cost term), divided by σ − 1
        cost = (s * lw[i], lw[i] + (s - 1) * (ltm + lw[j]), (s - 1) * ltx + s * lw[i],
                lw[i] + (s - 1) * (ltx + ltm + lw[j]))
        market = (lB[i], lB[i], lB[j], lB[j])
        res += [lphi[i, a] - (lf[a] + cost[a] - market[a]) / (s - 1) for a in range(4)]
        rel = lphi[i] - np.log(p["phi_min"])
        # free entry, eq. (2): Σ_a f_a J(φ_a) = f_E with J = (σ−1)/(k−σ+1) (φ/φ_min)^{−k}
        res.append(_lse(*[on(a, lf[a] + np.log(s - 1) - np.log(k - s + 1) - k * rel[a]) for a in range(4)])
                   - np.log(p["f_e"]))
        F.append([on(a, lf[a] + np.log(k) - np.log(k - s + 1) - k * rel[a]) for a in range(4)])
    F = np.asarray(F)
    total = np.array([_lse(*F[i]) for i in (0, 1)])
    R_D = lR + np.array([_lse(F[i, 0], F[i, 1]) for i in (0, 1)]) - total
    R_X = lR + np.array([_lse(F[i, 2], F[i, 3]) for i in (0, 1)]) - total
    E_M = np.log((s - 1) / s) + lR + np.array([_lse(F[i, 1], F[i, 3]) for i in (0, 1)]) - total
    res += [_lse(R_D[i], R_X[1 - i]) - lw[i] - lL[i] for i in (0, 1)]  # income, eqs (2)-(3)
    res.append(_lse(R_X[0], E_M[1]) - _lse(R_X[1], E_M[0]))  # trade balance, eq. (4)
    with np.errstate(invalid="ignore"):  # ∞ − ∞ never arises: each ratio has a present flow
        for i in (0, 1):
            n = i + 1
            for a, name in enumerate(("D", "DM", "X", "XM")):
                logs[f"phi_{name}{n}"] = lphi[i, a] if a in act else np.inf
            logs[f"W{n}"] = np.log((s - 1) / s) + (lL[i] - np.log(s) - np.log(p["f_d"])) / (s - 1) + lphi[i, 0]
            logs[f"alpha_X{n}"] = _lse(F[i, 0], F[i, 1]) - _lse(F[i, 2], F[i, 3])
            logs[f"alpha_M{n}"] = _lse(F[i, 0], F[i, 2]) - _lse(F[i, 1], F[i, 3])
            logs[f"theta{n}"] = _lse(F[i, 2], F[i, 3]) - _lse(F[i, 1], F[i, 3])
    return np.asarray(res), logs


def _ordered_in_logs(lphi, trade):
    D, DM, X, XM = (np.asarray(lphi)[:, a] for a in range(4))
    if trade == "both":
        return bool(np.all((D < np.minimum(DM, X)) & (np.maximum(DM, X) < XM)))
    return bool(np.all(D < (X if trade == "final_only" else DM)))


@pytest.mark.parametrize("trade, index, largest, params", _BEYOND_FLOAT64,
                         ids=[f"{t}-{i}" for t, i, _, _ in _BEYOND_FLOAT64])
def test_formerly_not_representable_draws_converge_in_logs(trade, index, largest, params):
    model = Ara2026(trade=trade, **params)
    eq = de.solve(model)
    assert bool(eq.converged) and bool(eq["valid"]) and model.explain_failure(eq) is None
    res, logs = _independent_logs(params, eq.x, trade)
    assert res.shape == (13,) and np.max(np.abs(res)) < 1e-8, res
    assert _ordered_in_logs(eq.x["log_phi"], trade)
    # the harness named this draw by its largest |ln level|: it is far beyond e^709.78
    finite = [abs(float(v)) for k, v in eq.outcomes.items() if k.startswith("log_") and np.isfinite(v)]
    assert abs(max(finite) / largest - 1) < 1e-3
    for name, ref in logs.items():
        got = float(eq[f"log_{name}"])
        if np.isfinite(ref):
            assert abs(got - ref) <= 1e-9 * max(1.0, abs(ref)), name
        else:
            assert got == ref, name
        with np.errstate(over="ignore"):
            level = np.exp(ref)  # ±inf where the level is beyond float64 (documented)
        np.testing.assert_allclose(float(eq[name]), level, rtol=1e-9, err_msg=name)
    beyond = [name for name, ref in logs.items() if np.isfinite(ref) and ref > 709.79]
    assert beyond and all(np.isinf(float(eq[name])) for name in beyond)
    # no NaN, anywhere; infinite values only where documented (levels, absent activities)
    for name, v in eq.outcomes.items():
        assert not np.any(np.isnan(np.asarray(v))), name
        if not name.startswith("log_") and np.isinf(float(v)) and name in logs:
            assert name in beyond or not np.isfinite(logs[name]), name


def test_derivatives_beyond_float64_are_finite_in_logs_and_match_central_differences():
    trade, _, _, params = _BEYOND_FLOAT64[0]
    model = Ara2026(trade=trade, **params)
    eq = de.solve(model)
    assert np.isinf(float(eq["phi_XM1"])) and np.isinf(float(eq["alpha_M2"]))
    names = ["omega", "phi_D1", "log_phi_XM1", "log_phi_X2", "log_W1", "log_alpha_M2", "log_alpha_X1",
             "log_theta2"]
    wrt = ["L1", "sigma", "tau_x", "f_d", "f_e"]
    jac = de.jacobian(model, names, wrt)
    for p in wrt:
        theta = float(getattr(model, p))
        h = 1e-6 * theta
        up = de.solve(de.core.replace(model, **{p: theta + h}))
        down = de.solve(de.core.replace(model, **{p: theta - h}))
        for k in names:
            exact = float(jac[k][p])
            fd = (float(up[k]) - float(down[k])) / (2 * h)
            assert np.isfinite(exact), (k, p)
            assert abs(exact - fd) <= 1e-5 * max(1.0, abs(fd)), (k, p, exact, fd)
    # a sweep over every formerly failing draw (one program per variant): converged, the log
    # outcomes' derivatives finite; where a level asked for is infinite, its derivative gives the
    # documented reason (4) instead
    logs = [f"log_{n}" for n in ("phi_D1", "phi_XM2", "W2", "alpha_X2", "alpha_M1")]
    levels = ["W1", "W2", "alpha_X1", "alpha_M2", "phi_X1", "phi_XM1", "phi_DM2"]
    for trade in ("both", "final_only", "inputs_only"):
        pts = [p for t, _, _, p in _BEYOND_FLOAT64 if t == trade]
        over = {n: np.array([p[n] for p in pts]) for n in PARAMS}
        of = logs + ["omega"] + levels + [f"log_{n}" for n in levels]
        out = de.sweep(Ara2026(trade=trade), over, of=of, wrt=["sigma", "L1"])
        assert np.all(np.asarray(out["converged"]))
        for k in logs:
            ok = np.isfinite(np.asarray(out[k]))  # ±inf: an absent activity or flow (constant)
            for p in ("sigma", "L1"):
                d = np.asarray(out[f"d{k}/d{p}"])
                assert np.all(np.isfinite(d[ok])) and np.all(d[~ok] == 0), (trade, k, p)
        beyond = np.any([np.isinf(np.asarray(out[n])) & np.isfinite(np.asarray(out[f"log_{n}"]))
                         for n in levels], axis=0)
        assert beyond.any()
        np.testing.assert_array_equal(np.asarray(out["reason"]), np.where(beyond, 4, 0))


_EDGE = re.compile(r"L1/L2 = ([0-9.e+-]+) is (beyond the largest|below the smallest) relative size with an "
                   r"interior equilibrium at these parameters, ≈ ([0-9.e+-]+) \(country (\d)'s final-good "
                   r"sector vanishes there, spec R3\)")


def _edge_in(message):
    found = _EDGE.search(message)
    assert found, message
    return float(found.group(1)), found.group(2), float(found.group(3)), found.group(4)


def _interior_solve(**params):
    eq = de.solve(Ara2026(**params), throw=False)
    return bool(eq.converged) and bool(eq["interior"])


@pytest.mark.parametrize("L1, words, country, ref", [(9.0, "beyond the largest", "2", 8.09649),
                                                      (0.1, "below the smallest", "1", 0.12351)])
def test_failed_solve_names_the_corner_and_the_edge_found_by_bisection_on_solves(L1, words, country, ref):
    with pytest.raises(de.SolveError, match="did not converge") as info:
        de.solve(Ara2026(L1=L1))
    size, side, edge, vanishing = _edge_in(str(info.value))
    assert (size, side, vanishing) == (L1, words, country)  # the smaller country's sector vanishes
    assert abs(edge / ref - 1) < 1e-5  # spec R3 reference range at P_A
    # bisection on the 13-equation solve itself: it converges (interior) just inside, fails outside
    inside, outside = 1.0, L1
    while abs(np.log(outside / inside)) > 1e-4:
        mid = np.sqrt(inside * outside)
        inside, outside = (mid, outside) if _interior_solve(L1=mid) else (inside, mid)
    assert abs(inside / edge - 1) < 1e-3 and abs(outside / edge - 1) < 1e-3, (inside, outside, edge)


def test_failure_explanations_elsewhere_and_converged_solves_unaffected():
    # P_B (sourcing-reallocation regime): spec R3 range (0.28433, 3.51703), no new compile
    for L1, ref in ((3.6, 3.51703), (0.28, 0.28433)):
        eq = de.solve(Ara2026(L1=L1, tau_m=1.1), throw=False)
        assert not bool(eq.converged)
        assert abs(_edge_in(eq.model.explain_failure(eq))[2] / ref - 1) < 2e-5
    # a converged solve: no explanation, and the values are those of the reduced form (spec §7.4)
    eq = de.solve(Ara2026(L1=8.0))
    assert eq.model.explain_failure(eq) is None
    assert abs(float(reduced_form(eq.model, np.asarray(eq["omega"]))["L_locus"]) - 8.0) < 1e-8
    # were it to fail inside the interior domain, the explanation gives the equilibrium it missed
    missed = eqx.tree_at(lambda e: e.converged, eq, jnp.asarray(False))
    hint = eq.model.explain_failure(missed)
    assert hint.startswith("An interior equilibrium exists") and "selection ordering" not in hint
    assert abs(float(re.search(r"omega ≈ ([0-9.]+)", hint).group(1)) / float(eq["omega"]) - 1) < 1e-5
    # the reduced form assumes formal Pareto: under exact Pareto only what the iterate shows, hedged
    failed = de.solve(Ara2026(L1=9.0), throw=False)
    hint = Ara2026(L1=9.0, pareto="exact").explain_failure(failed)
    assert hint.startswith(("The iterate diverged", "At the point where the solve stopped"))
    assert "Possibly" in hint and "≈" not in hint
    # with inputs only, no final-good sector can vanish: no claim about a corner
    assert "Possibly" not in (Ara2026(L1=9.0, trade="inputs_only").explain_failure(failed) or "")


def test_final_goods_only_has_no_edge_but_a_large_country_violates_the_selection_ordering():
    # with final goods only the interior domain is unbounded in L (L(omega) diverges at the R2
    # edge); at L = 1000 the only equilibrium violates R4 (spec §10): phi_X1 < phi_D1
    with pytest.raises(de.SolveError, match=r"No equilibrium with the selection ordering phi_D < phi_X "
                                            r"\(spec R4\).*omega ≈ 1\.2561"):
        de.solve(Ara2026(L1=1000.0, trade="final_only"))


def test_full_domain_draws_solve_or_say_why(rng):
    # draws over the whole documented domain, conditioned on R4's parameter-only necessary
    # conditions (elsewhere no equilibrium of the model exists, see the test above)
    base, over = draw_in_regime(rng, 24)
    # each draw at L1 and L1·e^{±H} (central differences of the exact d ln/d ln L1), one sweep
    stacked = {k: np.concatenate([v, v, v]) for k, v in over.items()}
    stacked["L1"] = np.concatenate([over["L1"], over["L1"] * np.exp(H), over["L1"] * np.exp(-H)])
    with np.errstate(invalid="ignore", divide="ignore"):  # a level beyond float64 (inf or 0): NaN hat
        levels3, hats3, conv3 = solve_statics(base, stacked)
    levels, hats, conv = _rows(levels3, slice(0, 24)), _rows(hats3, slice(0, 24)), conv3[:24]
    assert conv.sum() >= 4
    # levels within float64 (elsewhere σ − 1 is near 0 and the equilibrium is checked in logs)
    within = np.all([np.isfinite(v) & (v != 0) for v in levels3.values()], axis=0)
    within3 = within[:24] & within[24:48] & within[48:]
    fd_ok = conv3[:24] & conv3[24:48] & conv3[48:] & within3
    for name in ("omega", "W", "R_X", "E_M", "phi_D1", "phi_XM2", "alpha_X1", "RX_EM2"):
        with np.errstate(invalid="ignore", divide="ignore"):
            fd = (np.log(levels3[name][24:48]) - np.log(levels3[name][48:])) / (2 * H)
        exact = hats[name]
        np.testing.assert_allclose(exact[fd_ok], fd[fd_ok], rtol=1e-5,
                                   atol=1e-6 * max(1.0, np.max(np.abs(exact[fd_ok]), initial=0)), err_msg=name)
    for i in np.flatnonzero(conv):  # an independent check: the reduced form's locus L(omega), in logs
        m = de.core.replace(base, **{k: float(v[i]) for k, v in over.items()})
        gap = np.asarray(_reduced_on(m, jnp.log(jnp.asarray([levels["omega"][i]])))[0])[0]
        assert abs(gap) < 1e-6, m
        if within[i]:
            assert all(levels[n][i] < levels[f"phi_XM{n[-1]}"][i]
                       for n in ("phi_DM1", "phi_X1", "phi_DM2", "phi_X2"))
            assert all(np.isfinite(v[i]) for v in levels.values())
        else:  # some level overflows (inf) or underflows (0): the logs are finite and ordered
            eq = de.solve(m)
            logs = {k: float(v) for k, v in eq.outcomes.items() if k.startswith("log_")}
            assert all(np.isfinite(v) for v in logs.values()), logs
            assert _ordered_in_logs(eq.x["log_phi"], "both")
    said = []
    for i in np.flatnonzero(~conv):
        m = de.core.replace(base, **{k: float(v[i]) for k, v in over.items()})
        eq = de.solve(m, throw=False)
        hint = m.explain_failure(eq)
        assert hint, m
        said.append(hint)
    # every failure is a proven absence (or, never seen, an equilibrium whose logs overflow)
    known = ("No interior equilibrium", "No equilibrium with the selection ordering", diagnostics.NOT_REPRESENTABLE)
    assert all(h.startswith(known) for h in said), said


@eqx.filter_jit
def _reduced_on(model, log_omega):
    return jax.vmap(lambda u: cf.reduced_form_log(model, u))(log_omega)


def test_reduced_form_in_logs_matches_the_paper_form_and_solves_the_13_equations(rng):
    # the log-space reduced form (no 0/0 at θ = ρ) against eqs (17)-(20) as printed (spec §7.4)
    draws = _draws(rng, 4)
    for i in range(4):
        m = Ara2026(**{n: float(draws[n][i]) for n in PARAMS})
        omega = np.exp(np.sort(rng.uniform(-0.05, 0.05, 4001)))  # the diagnostics' grid size: no compile
        ref = reduced_form(m, omega)
        gap, ok, _, _ = _reduced_on(m, jnp.log(omega))
        ok = np.asarray(ok)
        assert np.all(np.asarray(ref["feasible"])[ok]) and ok.any()
        np.testing.assert_allclose(np.asarray(gap)[ok], np.log(np.asarray(ref["L_locus"])[ok] * m.L2 / m.L1),
                                   rtol=0, atol=1e-9)
        # its roots solve the 13 equations, and the solve from the symmetric start finds the same
        found = diagnostics.ordered_equilibria(m)
        eq = de.solve(m, throw=False)
        ordered = [r for r in found["roots"] if r[1]["selection_ordering"]]
        assert all(r[3] < 1e-9 for r in found["roots"])
        if bool(eq.converged):
            assert any(abs(r[0] / float(eq["omega"]) - 1) < 1e-9 for r in ordered)
            assert any(lo <= float(m.L1 / m.L2) <= hi for lo, hi in found["ordered_sizes"])


def test_inputs_only_ordered_sizes_are_the_closed_form_and_where_solves_succeed():
    # with inputs only L(omega) = (1 + a w^-k)/(w (1 + a w^k)), a = (f_D/f_DM)^(1-kappa) tau_M^k, is
    # decreasing (one equilibrium at every size), and R4 is |ln w| < c = ln tau_M + ln(f_DM/f_D)/(sigma-1)
    m = Ara2026(trade="inputs_only", tau_m=1.2, f_dm=1.1, sigma=3.0, k=4.0)
    s, k = 3.0, 4.0
    a = (1.0 / 1.1) ** (1 - k / (s - 1)) * 1.2**k
    c = np.log(1.2) + np.log(1.1) / (s - 1)
    locus = lambda w: (1 + a * w**-k) / (w * (1 + a * w**k))  # noqa: E731
    (lo, hi), = diagnostics.ordered_equilibria(m)["ordered_sizes"]
    np.testing.assert_allclose([lo, hi], [locus(np.exp(c)), locus(np.exp(-c))], rtol=1e-7)
    for L, inside in ((hi / 1.001, True), (hi * 1.001, False), (lo * 1.001, True), (lo / 1.001, False)):
        eq = de.solve(de.core.replace(m, L1=L), throw=False)
        assert bool(eq.converged) == inside, L
        if not inside:
            hint = eq.model.explain_failure(eq)
            assert hint.startswith("No equilibrium with the selection ordering phi_D < phi_DM"), hint
            assert "equilibrium is unique" in hint and f"{lo:.6g}" in hint


def test_ordered_sizes_with_both_trades_are_where_solves_succeed():
    # tau_M = 1.06 (spec C6 regime edge): only sizes near 1 have equilibria in order; at the two
    # ends of the reported range the 13-equation solve converges just inside and fails just outside
    m = Ara2026(tau_m=1.06)
    (lo, hi), = diagnostics.ordered_equilibria(m)["ordered_sizes"]
    assert lo < 1 < hi
    for L, inside in ((hi / 1.0001, True), (hi * 1.0001, False), (lo * 1.0001, True), (lo / 1.0001, False)):
        eq = de.solve(Ara2026(tau_m=1.06, L1=L), throw=False)
        assert bool(eq.converged) == inside, L
        assert inside or eq.model.explain_failure(eq).startswith("No equilibrium with the selection ordering")


@pytest.mark.parametrize("truncated", [False, True])
def test_pareto_integrals_match_quadrature(rng, truncated):
    for _ in range(6):
        sigma = 1 + np.exp(rng.uniform(np.log(0.05), np.log(5)))
        k = sigma - 1 + np.exp(rng.uniform(np.log(0.2), np.log(5)))
        phi_min = np.exp(rng.uniform(-1, 1))
        a = phi_min * np.exp(rng.uniform(-0.5 if truncated else 0.0, 1.0))
        lo = max(a, phi_min) if truncated else a
        # the Pareto density, extended below φ_min for the untruncated (formal) variant
        def density(p, k=k, phi_min=phi_min):
            return k * phi_min**k * p ** (-k - 1)

        def v_integrand(p, sigma=sigma):
            return p ** (sigma - 1) * density(p)

        def j_integrand(p, sigma=sigma, a=a):
            return ((p / a) ** (sigma - 1) - 1) * density(p)

        V = integrate.quad(v_integrand, lo, np.inf, epsabs=0, epsrel=1e-11)[0]
        J = integrate.quad(j_integrand, lo, np.inf, epsabs=0, epsrel=1e-11)[0]
        tail = (lo / phi_min) ** -k
        args = (np.log(a), sigma, k, np.log(phi_min), truncated)
        np.testing.assert_allclose(np.exp(_pareto.log_revenue_moment(*args)), a ** (1 - sigma) * V, rtol=1e-8)
        np.testing.assert_allclose(np.exp(_pareto.log_profit_integral(*args)), J, rtol=1e-8)
        np.testing.assert_allclose(np.exp(_pareto.log_survival(np.log(a), k, np.log(phi_min), truncated)),
                                   tail, rtol=1e-12)


@pytest.mark.parametrize(
    "field, value, text",
    [("sigma", 1.0, "sigma > 1"), ("k", 2.5, "k > sigma - 1"), ("tau_m", 0.9, "tau_m >= 1"),
     ("f_e", 0.0, "f_e > 0"), ("L2", -1.0, "L2 > 0"), ("phi_min", -1.0, "phi_min > 0"),
     ("tau_x", np.nan, "tau_x >= 1"), ("f_xm", np.inf, "f_xm > 0"), ("L1", None, "L1"), ("k", "5", "k"),
     ("tau_m", np.ones(2), "tau_m")],
)
def test_bad_input_raises_clear_errors(field, value, text):
    with pytest.raises(ValueError, match=text.replace("^", r"\^")):
        Ara2026(**{field: value})


def test_bad_option_raises():
    with pytest.raises(ValueError, match="trade='none'"):
        Ara2026(trade="none")
    with pytest.raises(ValueError, match="pareto"):
        Ara2026(pareto="lognormal")
