"""The shared CES block `diffecon.models._ces` against direct formulas (Krugman 1980, eqs 7, 12)."""

import jax
import numpy as np

from diffecon.models import _ces


def _direct(price, sigma, mass, spend):
    """P^{1−σ} = Σ mass·price^{1−σ}, shares and flows, in plain numpy (sources on axis 0)."""
    terms = mass * price ** (1 - sigma)
    denom = terms.sum(axis=0)
    return denom ** (1 / (1 - sigma)), terms / denom, terms / denom * spend


def test_against_direct_formulas_with_several_destinations(rng):
    price = rng.uniform(0.5, 3, (3, 4))  # 3 sources, 4 destinations
    mass = rng.uniform(0.1, 5, (3, 1))
    sigma = rng.uniform(1.2, 8, 4)  # one σ per destination
    spend = rng.uniform(1, 10, 4)
    P, shares, flows = _direct(price, sigma, mass, spend)
    lp, lm = np.log(price), np.log(mass)
    np.testing.assert_allclose(np.exp(_ces.log_price_index(lp, sigma, lm)), P, rtol=1e-13)
    np.testing.assert_allclose(np.exp(_ces.log_denominator(lp, sigma, lm)), P ** (1 - sigma), rtol=1e-13)
    np.testing.assert_allclose(np.exp(_ces.log_shares(lp, sigma, lm)), shares, rtol=1e-13)
    np.testing.assert_allclose(np.exp(_ces.log_flows(lp, sigma, np.log(spend), lm)), flows, rtol=1e-13)
    # the same with sources on the last axis
    flows_t = _ces.log_flows(lp.T, sigma[:, None][:, 0], np.log(spend), lm.T, axis=-1)
    np.testing.assert_allclose(np.exp(flows_t), flows.T, rtol=1e-13)


def test_symmetric_varieties_give_eq7_price_index_and_love_of_variety(rng):
    # n identical varieties at price p: P = p·n^{1/(1−σ)} (Krugman 1980, Section I).
    n, p, sigma = rng.uniform(1, 100), rng.uniform(0.5, 2), rng.uniform(1.5, 6)
    log_P = _ces.log_price_index(np.log([p]), sigma, np.log([n]))
    np.testing.assert_allclose(float(log_P), np.log(p) + np.log(n) / (1 - sigma), rtol=1e-13)


def test_extremes_stay_finite_and_an_empty_source_drops_out():
    # σ = 101 and a price ratio of 10³: price^{1−σ} = 1e-300 relative, outside what a direct sum
    # can compare; the logs are exact.
    lp = np.log(np.array([1.0, 1e3]))
    shares = _ces.log_shares(lp, 101.0)
    np.testing.assert_allclose(shares, [0.0, -100 * np.log(1e3)], rtol=1e-13, atol=1e-15)
    empty = _ces.log_shares(np.zeros(2), 3.0, np.array([-np.inf, 0.0]))
    assert float(empty[0]) == -np.inf and float(empty[1]) == 0.0


def test_shares_add_up_and_are_differentiable(rng):
    lp, lm = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    total = np.exp(np.asarray(_ces.log_shares(lp, 4.0, lm))).sum(axis=0)
    np.testing.assert_allclose(total, 1.0, rtol=1e-14)
    # d log P / d log p_i = λ_i (Shephard's lemma)
    grad = jax.grad(lambda v: _ces.log_price_index(v, 4.0, lm[:, 0]))(lp[:, 0])
    np.testing.assert_allclose(grad, np.exp(_ces.log_shares(lp[:, 0], 4.0, lm[:, 0])), rtol=1e-12)
