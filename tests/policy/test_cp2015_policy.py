"""Caliendo–Parro policy tools on small random economies (many solves each): sensitivities by
reverse mode against forward mode, the optimal uniform tariff against a grid search, a Nash
equilibrium in tariffs, delta-method standard errors against Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from diffecon.core import solve
from diffecon.policy import (
    grid_search_uniform,
    nash_tariffs,
    optimal_sectoral_tariffs,
    optimal_uniform_tariff,
    reverse_jacobian,
    sensitivities,
    tariff_derivative,
    theta_delta_method,
    theta_monte_carlo,
    with_import_tariffs,
)
from tests.models.test_caliendo_parro2015 import _tiny_model


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(20150101)
    m = _tiny_model(rng, n=3, j=2)
    return with_import_tariffs(m, "R1", 0.0)


def test_reverse_jacobian_equals_forward_mode_for_every_tariff(tiny):
    value, jac = reverse_jacobian(tiny, "real_income_pct", "tariff_counterfactual")
    assert jac.shape == (3, 2, 3, 3)
    for idx in [(0, 0, 1), (1, 2, 0), (1, 1, 1)]:
        _, fwd = tariff_derivative(tiny, idx)
        np.testing.assert_allclose(
            np.asarray(jac)[(slice(None),) + idx], np.asarray(fwd), rtol=1e-8, atol=1e-10
        )
    table = sensitivities(tiny, "R0", jacobian=jac, top=None)
    assert len(table) == 2 * 3 * 2  # the diagonal (own purchases) left out
    assert np.all(np.diff(np.abs(table["derivative"])) <= 0)


def test_reverse_jacobian_names_why_a_point_has_no_derivative():
    # The failure path is the core's (any model; toys keep it cheap): a failed solve is a
    # SolveError (a RuntimeError) naming the worst equation, a singular point a ValueError.
    import jax.numpy as jnp

    from diffecon.core import SolveError, Solver
    from tests.core.toys import Cubic, Quadratic

    with pytest.raises(SolveError, match="did not converge; the worst equation is 'cubic'"):
        reverse_jacobian(Cubic(1.0, 30.0), "x", "b", solver=Solver(max_steps=1, fallback="none"))
    with pytest.raises(ValueError, match="dx/dc is not defined"):
        reverse_jacobian(Quadratic(c=0.0), "x", "c", x0={"x": jnp.asarray(0.0)})


def test_optimal_uniform_tariff_matches_the_grid(tiny):
    best = optimal_uniform_tariff(tiny, "R1", t0=0.05)
    assert best["converged"]
    grid, values = grid_search_uniform(tiny, "R1", np.linspace(0.0, 2 * best["rate"] + 0.2, 41))
    k = int(np.nanargmax(values))
    assert 0 < k < len(grid) - 1  # an interior optimum, bracketed by the grid
    fine, fine_values = grid_search_uniform(tiny, "R1", np.linspace(grid[k - 1], grid[k + 1], 41))
    assert abs(fine[int(np.nanargmax(fine_values))] - best["rate"]) <= (fine[1] - fine[0])
    assert best["value"] >= np.nanmax(fine_values) - 1e-9
    # a positive optimal tariff raises real income above free trade (the terms-of-trade motive)
    assert best["value"] > values[0]


def test_sectoral_optimum_is_at_least_the_uniform_one(tiny):
    uni = optimal_uniform_tariff(tiny, "R1")
    sec = optimal_sectoral_tariffs(tiny, "R1")
    assert sec["converged"] and sec["rates"].shape == (2,)
    assert sec["value"] >= uni["value"] - 1e-8


@pytest.mark.slow
def test_nash_equilibrium_is_a_mutual_best_response(tiny):
    nash = nash_tariffs(tiny, ("R0", "R1"), rounds=15, tol=1e-4)
    assert nash["converged"]
    m = with_import_tariffs(with_import_tariffs(tiny, "R0", nash["rates"]["R0"]), "R1", nash["rates"]["R1"])
    for me in ("R0", "R1"):
        # no profitable unilateral deviation: the rate beats its neighbours on a grid
        t = nash["rates"][me]
        grid, values = grid_search_uniform(m, me, [max(t - 0.02, 0.0), t, t + 0.02])
        assert values[1] >= values.max() - 1e-10


def test_delta_method_matches_monte_carlo(tiny, rng):
    theta = np.asarray(tiny.theta)
    cov = np.diag((0.01 * theta) ** 2)
    dm = theta_delta_method(tiny, cov, of="welfare_pct")
    mc = theta_monte_carlo(tiny, cov, 400, rng, of="welfare_pct")
    assert mc["converged"].all()
    big = dm["se"] > 1e-6 * np.abs(dm["value"]).max()
    # 400 draws: the sample s.d. is within ~4 standard errors (√(1/(2·399)) ≈ 3.5%) of the truth
    np.testing.assert_allclose(mc["sd"][big], dm["se"][big], rtol=0.15)
    with pytest.raises(ValueError, match="positive semi-definite"):
        theta_delta_method(tiny, -cov)


def test_tariff_scenarios_in_one_sweep_with_per_scenario_flags(tiny):
    from diffecon.core import replace, sweep

    rng = np.random.default_rng(7)
    T = np.asarray(tiny.tariff_counterfactual)
    batch = rng.uniform(0, 0.5, (6,) + T.shape)
    batch[3] = -5.0  # inadmissible: flagged with its reason, the batch goes on
    res = sweep(tiny, {"tariff_counterfactual": batch}, of=["real_income_pct"], solver=tiny.solver())
    assert res["converged"].tolist() == [True, True, True, False, True, True]
    assert "tariff_counterfactual" in res.reasons()[3]
    for i in (0, 5):
        one = solve(replace(tiny, tariff_counterfactual=batch[i]), solver=tiny.solver())
        np.testing.assert_allclose(
            np.asarray(res["real_income_pct"])[i], np.asarray(one["real_income_pct"]), rtol=1e-10, atol=1e-12
        )
