"""Caliendo–Parro (2015): the published NAFTA table, exact derivatives, invariants.

The NAFTA solves are the expensive part (a 5,022-unknown system): one module-scoped solve per
closure, reused by every test; the small random economies check what needs many solves.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

import diffecon as de
from diffecon.core import replace
from diffecon.data import load_cp2015, load_cp2015_nafta
from diffecon.models import CaliendoParro2015
from diffecon.policy.sensitivities import tariff_derivative

# The published table (data README: R package cp2015's README, the paper's Table 2), percent:
# (terms of trade, volume of trade, welfare, real wage), each with its printed decimals.
ZERO_DEFICITS = {
    "Canada": ((-0.108, 3), (0.0443, 4), (-0.0638, 4), (0.323, 3)),
    "Mexico": ((-0.412, 3), (1.72, 2), (1.31, 2), (1.72, 2)),
    "USA": ((0.0435, 4), (0.0412, 4), (0.0848, 4), (0.112, 3)),
}
# Keeping the data's deficits (the R package's tests, two decimals): welfare, real wage.
DATA_DEFICITS = {"Canada": (-0.04, 0.33), "Mexico": (1.17, 1.64), "USA": (0.08, 0.12)}


@pytest.fixture(scope="module")
def nafta():
    return load_cp2015_nafta()


@pytest.fixture(scope="module")
def zero(nafta):
    m = CaliendoParro2015.from_data(nafta, "zero")
    return m, de.solve(m, solver=m.solver(tol=1e-11))


@pytest.mark.slow
def test_zero_deficit_closure_reproduces_the_published_table(zero):
    m, eq = zero
    for region, printed in ZERO_DEFICITS.items():
        k = m.regions.index(region)
        ours = [float(eq[q][k]) for q in ("tot_pct", "vot_pct", "welfare_pct", "real_wage_pct")]
        for value, (paper, digits) in zip(ours, printed):
            assert round(value, digits) == pytest.approx(paper, abs=1e-12), (region, value, paper)
    # the decomposition adds up, and tariffs alone leave the technology term at zero
    np.testing.assert_allclose(eq["welfare_pct"], eq["tot_pct"] + eq["vot_pct"] + eq["tech_pct"], atol=1e-12)
    assert np.all(np.asarray(eq["tech_pct"]) == 0)


@pytest.mark.slow
def test_data_deficit_closure_reproduces_the_r_package(nafta):
    m = CaliendoParro2015.from_data(nafta, "data")
    eq = de.solve(m, solver=m.solver(tol=1e-11))
    for region, (welfare, real_wage) in DATA_DEFICITS.items():
        k = m.regions.index(region)
        assert round(float(eq["welfare_pct"][k]), 2) == pytest.approx(welfare, abs=1e-12)
        assert round(float(eq["real_wage_pct"][k]), 2) == pytest.approx(real_wage, abs=1e-12)


@pytest.mark.slow
def test_equilibrium_invariants_hold_on_nafta(zero):
    m, eq = zero
    # Walras' law: the labour market dropped from the system clears too
    assert float(eq["market_clearing_gap"]) < 1e-9
    # the numeraire: world value added is the same in both scenarios
    wL = np.asarray(m.value_added).sum()
    va_b = np.asarray(eq["income_baseline"] - eq["tariff_revenue_baseline"]) - np.asarray(m.deficit_baseline)
    va_c = np.asarray(eq["income"] - eq["tariff_revenue"]) - np.asarray(m.deficit_counterfactual)
    assert va_b.sum() / wL == pytest.approx(1.0, abs=1e-10) and va_c.sum() / wL == pytest.approx(
        1.0, abs=1e-10
    )
    np.testing.assert_allclose(np.asarray(eq["wage_change"]), va_c / va_b, rtol=1e-12)
    # exact real income and first-order welfare differ most for Mexico (its large tariff cut)
    k = m.regions.index("Mexico")
    assert abs(float(eq["real_income_pct"][k]) - float(eq["welfare_pct"][k])) > 1.0
    # tariff revenue is what the tariffs raise on the flows
    np.testing.assert_allclose(
        eq["tariff_revenue"], (m.tariff_counterfactual * eq["trade_counterfactual"]).sum((0, 1)), rtol=1e-12
    )


@pytest.mark.slow
def test_one_tariffs_derivative_matches_central_differences_on_nafta(zero):
    m, eq = zero
    S = m.solver(tol=1e-12)
    idx = (m.sectors.index("Auto"), m.regions.index("USA"), m.regions.index("Mexico"))
    _, exact = tariff_derivative(m, idx, solver=S, x0=eq.x)
    h = 1e-4
    T = m.tariff_counterfactual

    def at(t):
        return np.asarray(
            de.solve(replace(m, tariff_counterfactual=T.at[idx].set(t)), eq.x, solver=S)["real_income_pct"]
        )

    fd = (at(T[idx] + h) - at(T[idx] - h)) / (2 * h)
    k = m.regions.index("Mexico")
    assert abs(fd[k]) > 1e-3  # a derivative that matters
    np.testing.assert_allclose(np.asarray(exact), fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


# ---------------------------------------------------------------------------------------------
# Small random economies: what needs many solves


def _tiny_model(rng, n=3, j=2, deficits="zero"):
    from tests.data.test_cp2015 import _tiny

    tables = _tiny(rng, n, j)
    tables["trade"]["value"] = np.exp(rng.uniform(np.log(0.1), np.log(100), len(tables["trade"])))
    tables["theta"]["value"] = np.exp(rng.uniform(np.log(0.5), np.log(20), j))
    return CaliendoParro2015.from_data(load_cp2015(tables), deficits)


def test_no_change_means_no_change(rng):
    m = _tiny_model(rng, deficits="data")
    m = replace(m, tariff_counterfactual=m.tariff_baseline)
    eq = de.solve(m, solver=m.solver())
    for q in ("welfare_pct", "real_income_pct", "real_wage_pct", "tot_pct", "vot_pct"):
        np.testing.assert_allclose(eq[q], 0.0, atol=1e-9)
    np.testing.assert_allclose(eq["wage_change"], 1.0, atol=1e-10)


def test_tiny_derivatives_match_central_differences(rng):
    m = _tiny_model(rng)
    S = m.solver(tol=1e-12)
    eq = de.solve(m, solver=S)
    idx = (int(rng.integers(2)), 0, 1)
    _, exact = tariff_derivative(m, idx, solver=S)
    h = 1e-5
    T = m.tariff_counterfactual
    up = de.solve(replace(m, tariff_counterfactual=T.at[idx].add(h)), eq.x, solver=S)["real_income_pct"]
    down = de.solve(replace(m, tariff_counterfactual=T.at[idx].add(-h)), eq.x, solver=S)["real_income_pct"]
    fd = (np.asarray(up) - np.asarray(down)) / (2 * h)
    np.testing.assert_allclose(np.asarray(exact), fd, rtol=1e-6, atol=1e-7 * max(1.0, np.abs(fd).max()))


@pytest.mark.parametrize("deficits", ["zero", "data"])
def test_analytic_jacobian_equals_autodiff_away_from_equilibrium(rng, deficits):
    import jax
    from jax.flatten_util import ravel_pytree

    m = _tiny_model(rng, n=4, j=3, deficits=deficits)
    # pairs with no trade (log π = −inf), new tariffs and iceberg changes in both scenarios
    flows = m.flows.at[0, 0, 1].set(0.0).at[2, 3, 0].set(0.0)
    shape = m.flows.shape
    m = replace(
        m,
        flows=flows,
        tariff_baseline=jnp.asarray(rng.uniform(0.0, 0.3, shape)),
        tariff_counterfactual=jnp.asarray(rng.uniform(0.0, 0.5, shape)),
        d_counterfactual=jnp.asarray(np.exp(rng.uniform(-0.3, 0.3, shape))),
    )
    x = jax.tree_util.tree_map(lambda a: a + 0.2 * rng.standard_normal(a.shape), m.guess())
    flat, unravel = ravel_pytree(x)
    autodiff = jax.jacfwd(lambda v: ravel_pytree(m.residuals(unravel(v)))[0])(flat)
    analytic = jax.scipy.linalg.block_diag(*m.scenario_jacobians(flat))
    np.testing.assert_allclose(analytic, autodiff, rtol=0, atol=1e-12 * float(jnp.abs(autodiff).max()))


def test_every_linear_solve_gives_the_same_chord_equilibrium_and_derivative(rng):
    # the chord method (NAFTA's) on a small economy, against the default Newton solve
    m = _tiny_model(rng, n=3, j=2)
    m = replace(m, tariff_counterfactual=m.tariff_counterfactual + 0.1)
    idx = (1, 0, 2)
    S = m.solver(tol=1e-12, method="newton")
    ref_value = np.asarray(de.solve(m, solver=S)["real_income_pct"])
    ref_d = np.asarray(tariff_derivative(m, idx, solver=S)[1])
    assert np.abs(ref_d).max() > 1e-3  # a derivative that matters
    for linear_solve in ("block", "dense", "matrix_free"):
        mm = dataclasses.replace(m, linear_solve=linear_solve)  # a static field: rebuilt by __init__
        S = mm.solver(tol=1e-12, method="chord")
        value = np.asarray(de.solve(mm, solver=S)["real_income_pct"])
        d = np.asarray(tariff_derivative(mm, idx, solver=S)[1])
        np.testing.assert_allclose(value, ref_value, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(d, ref_d, rtol=1e-7, atol=1e-9 * np.abs(ref_d).max())


def test_bad_parameters_are_named(rng, nafta):
    m = _tiny_model(rng)
    with pytest.raises(ValueError, match="theta"):
        replace(m, theta=-jnp.ones(2))
    with pytest.raises(ValueError, match="tariff_counterfactual"):
        replace(m, tariff_counterfactual=m.tariff_counterfactual - 2.0)
    with pytest.raises(ValueError, match="deficits"):
        CaliendoParro2015.from_data(nafta, "balanced")
