"""Counterfactuals as data: the experiment helpers, standard errors through the GE solve, and
the gegravity-compatible mode against numbers computed by gegravity 0.3 itself."""

from __future__ import annotations

import numpy as np
import pytest

import diffecon as de
from diffecon.data import load_trade_sample, pair_matrix
from diffecon.models import Gravity
from diffecon.policy import change_iceberg, dissolve_pta, form_pta, raise_import_costs
from diffecon.replicate.gravity_reference import GEGRAVITY_CAN_JPN, GEGRAVITY_COEF, GEGRAVITY_SE


@pytest.fixture(scope="module")
def sample():
    return load_trade_sample()


def test_experiment_helpers_change_exactly_the_named_pairs(sample, rng):
    codes = sorted(set(sample.exporter))
    trio = list(rng.choice(codes, 3, replace=False))
    before = pair_matrix(sample, "pta", codes)
    idx = [codes.index(c) for c in trio]
    after = pair_matrix(form_pta(sample, trio), "pta", codes)
    expect = before.copy()
    for i in idx:
        for j in idx:
            if i != j:
                expect[i, j] = 1
    np.testing.assert_array_equal(after, expect)
    gone = pair_matrix(dissolve_pta(sample, ["CAN", "MEX", "USA"]), "pta", codes)
    nafta = [codes.index(c) for c in ("CAN", "MEX", "USA")]
    assert all(gone[i, j] == 0 for i in nafta for j in nafta if i != j)
    assert (np.delete(np.delete(gone - before, nafta, 0), nafta, 1) == 0).all()
    country, rate = str(rng.choice(codes)), float(rng.uniform(0.01, 0.5))
    tau = pair_matrix(raise_import_costs(sample, country, rate), "tau_change", codes)
    k = codes.index(country)
    expect = np.ones_like(tau)
    expect[:, k] = 1 + rate
    expect[k, k] = 1.0
    np.testing.assert_allclose(tau, expect)
    with pytest.raises(ValueError, match=r"unknown country code\(s\) \['XYZ'\]"):
        form_pta(sample, ["CAN", "XYZ"])
    with pytest.raises(ValueError, match="rate=-2"):
        raise_import_costs(sample, "CAN", -2)


def test_delta_method_is_the_exact_jacobian_and_agrees_with_monte_carlo(sample):
    names = list(GEGRAVITY_COEF)
    rho = np.corrcoef(np.random.default_rng(3).normal(size=(len(names), 8)))  # a full covariance
    cov = rho * np.outer(*[[GEGRAVITY_SE[c] for c in names]] * 2)
    model = Gravity.from_data(sample, GEGRAVITY_COEF, sigma=5.0, cov=cov)
    new = form_pta(sample, ["CAN", "JPN"])
    res = de.counterfactual(model, new, se="both", draws=400, seed=1)
    # finite-difference Jacobian of welfare w.r.t. each coefficient, same experiment
    J = np.zeros((len(res.welfare_pct), len(names)))
    b = np.array([GEGRAVITY_COEF[c] for c in names])
    for k in range(len(names)):
        h = 1e-5
        up, down = b.copy(), b.copy()
        up[k] += h
        down[k] -= h
        w_up = de.counterfactual(Gravity.from_data(sample, dict(zip(names, up)), sigma=5.0), new).welfare_pct
        w_dn = de.counterfactual(Gravity.from_data(sample, dict(zip(names, down)), sigma=5.0),
                                 new).welfare_pct
        J[:, k] = (w_up - w_dn).to_numpy() / (2 * h)
    se_fd = np.sqrt(np.einsum("nk,kl,nl->n", J, cov, J))
    np.testing.assert_allclose(res.se["welfare_pct"].to_numpy(), se_fd, rtol=1e-5, atol=1e-5 * se_fd.max())
    # only pta moves in this experiment: welfare depends on the pta coefficient alone
    assert np.abs(np.delete(J, names.index("pta"), axis=1)).max() < 1e-8
    # Monte Carlo: every draw converged and the spread matches the delta method (400 draws)
    assert res.mc_converged.shape == (400,) and res.mc_converged.all()
    big = res.se["welfare_pct"] > 1e-3
    ratio = (res.mc_se["welfare_pct"] / res.se["welfare_pct"])[big]
    assert ((ratio > 0.85) & (ratio < 1.15)).all(), ratio
    assert res.welfare_pct["CAN"] > 2 * res.se.loc["CAN", "welfare_pct"]  # CAN gains, significantly


def test_gegravity_mode_reproduces_gegravity(sample):
    # gegravity's README run: CAN and JPN sign a PTA, sigma = 5, reference importer DEU
    model = Gravity.from_data(sample, GEGRAVITY_COEF, sigma=5.0)
    res = de.counterfactual(model, form_pta(sample, ["CAN", "JPN"]), mode="gegravity",
                            reference_importer="DEU")
    # gegravity solves to scipy's tolerance 1e-8 (in ratios): 1e-6 percentage points
    for country, ref in GEGRAVITY_CAN_JPN.items():
        for key, value in ref.items():
            # gegravity's percent changes are named *_change; ours *_pct
            ours = float(res.countries.loc[country, key.replace("_change", "_pct")])
            assert abs(ours - value) <= 1e-6 * (1 + abs(value)), (country, key, ours, value)
    # its conventions do not clear markets exactly; full GE does
    assert float(res.equilibrium["market_clearing_gap"]) > 1e-3
    full = de.counterfactual(model, form_pta(sample, ["CAN", "JPN"]))
    assert float(full.equilibrium["market_clearing_gap"]) < 1e-9
    # the two agree on who gains (CAN, JPN) and roughly by how much
    assert full.welfare_pct.nlargest(2).index.tolist() == res.welfare_pct.nlargest(2).index.tolist()
    assert abs(full.welfare_pct["CAN"] / res.welfare_pct["CAN"] - 1) < 0.3


def test_counterfactual_is_a_plain_function_and_experiments_are_tables(sample, rng):
    import inspect
    import pickle
    import pydoc

    from diffecon import policy

    assert de.counterfactual is policy.counterfactual and type(de.counterfactual).__name__ == "function"
    params = inspect.signature(de.counterfactual).parameters
    assert list(params)[:2] == ["model", "experiment"] and params["se"].kind is inspect.Parameter.KEYWORD_ONLY
    assert pickle.loads(pickle.dumps(de.counterfactual)) is de.counterfactual
    assert "Solve the counterfactual of an experiment" in pydoc.render_doc(de.counterfactual)
    # change_iceberg: a cut on the pairs among three countries, on top of an earlier rise
    codes = sorted(set(sample.exporter))
    trio = list(rng.choice(codes, 3, replace=False))
    factor = float(rng.uniform(0.5, 0.99))
    tau = pair_matrix(change_iceberg(raise_import_costs(sample, trio[0], 0.2), factor, among=trio),
                      "tau_change", codes)
    expect = np.ones((len(codes), len(codes)))
    expect[:, codes.index(trio[0])] = 1.2
    idx = [codes.index(c) for c in trio]
    for i in idx:
        for j in idx:
            expect[i, j] *= factor if i != j else 1.0
    np.fill_diagonal(expect, 1.0)
    np.testing.assert_allclose(tau, expect, rtol=1e-15)
    with pytest.raises(ValueError, match="factor=0.0"):
        change_iceberg(sample, 0.0)
    with pytest.raises(TypeError, match="must be a table"):
        de.counterfactual(Gravity.from_data(sample, GEGRAVITY_COEF, sigma=5.0), {"pta": 1})
