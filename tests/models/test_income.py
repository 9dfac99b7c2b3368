"""Income distributions: quadrature against closed forms, convergence, shift/spread semantics,
derivatives and validation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as st
from jax.nn import logsumexp

from diffecon.models.income import Empirical, LogNormal, Mixture, ShiftedExponential, ShiftedGamma, Uniform


def _beta_H_closed_form(scale, B_per_scale, C):
    """E[β_H] for exponential income (spec §11): ₂F₁(1, 1/B; 1 + 1/B; −C), B = (q_H − q_L)s."""
    B = B_per_scale * scale
    return sps.hyp2f1(1.0, 1.0 / B, 1.0 + 1.0 / B, -C)


@pytest.mark.parametrize("scale", [2.0, 6.0])
def test_gauss_laguerre_converges_to_the_hypergeometric_closed_form(scale, rng):
    dq = 0.15  # q_H − q_L of Figure 1
    C = float(rng.uniform(0.2, 5.0))
    exact = _beta_H_closed_form(scale, dq, C)
    errors = []
    for n in (8, 16, 32, 64):
        y, log_w = ShiftedExponential(1.0, scale, n_nodes=n).quadrature()
        u = (y - 1.0) / scale
        log_beta = -jnp.logaddexp(0.0, jnp.log(C) - dq * scale * u)
        errors.append(abs(float(jnp.exp(logsumexp(log_w + log_beta))) - exact))
    assert errors[-1] < 1e-12
    assert errors[0] > errors[1] > errors[2] or errors[2] < 1e-13
    # the reported accuracy (doubling the nodes) is an honest bound on the true error at 32 nodes
    dist = ShiftedExponential(1.0, scale, n_nodes=32)
    h = lambda y: jnp.exp(-jnp.logaddexp(0.0, jnp.log(C) - dq * (y - 1.0)))  # noqa: E731
    # (below a few ulps of the integral both the error and its estimate are rounding noise)
    assert float(dist.quadrature_error(h)) + 8 * np.finfo(float).eps * abs(exact) >= 0.1 * errors[2]


def test_weights_sum_to_one_and_moments(rng):
    shape = float(rng.uniform(0.5, 3.0))
    scale = float(rng.uniform(1.0, 5.0))
    dists = [
        (ShiftedGamma(1.0, scale, shape, 64), st.gamma(shape, loc=1.0, scale=scale)),
        (LogNormal(0.5, 0.6, 1.0), None),
        (Uniform(1.0, 3.0), st.uniform(1.0, 2.0)),
    ]
    for dist, ref in dists:
        y, log_w = dist.quadrature()
        assert abs(float(logsumexp(log_w))) < 1e-12
        np.testing.assert_allclose(float(jnp.sum(jnp.exp(log_w) * y)), float(dist.mean()), rtol=1e-10)
        if ref is not None:
            np.testing.assert_allclose(float(jnp.sum(jnp.exp(log_w) * y**2)), ref.moment(2), rtol=1e-9)
    ln = LogNormal(0.5, 0.6, 1.0)
    y, log_w = ln.quadrature()
    exact_var = (np.exp(0.36) - 1) * np.exp(1.0 + 0.36)
    np.testing.assert_allclose(float(jnp.sum(jnp.exp(log_w) * (y - ln.mean()) ** 2)), exact_var, rtol=1e-8)
    np.testing.assert_allclose(float(ShiftedExponential(1.0, 6.0).median()), 5.158883, atol=1e-6)
    np.testing.assert_allclose(float(ShiftedExponential(1.0, 2.0).median()), 2.386294, atol=1e-6)


def test_shift_is_fosd_and_spread_preserves_mean_and_raises_variance(rng):
    dist = ShiftedExponential(1.0, float(rng.uniform(1, 6)))
    delta, lam = float(rng.uniform(0.1, 2)), float(rng.uniform(1.1, 3))
    moved = ShiftedExponential(1.0, dist.scale, shift=delta)
    spread = ShiftedExponential(1.0, dist.scale, spread=lam)
    np.testing.assert_allclose(float(moved.mean()), float(dist.mean()) + delta, rtol=1e-12)
    np.testing.assert_allclose(float(spread.mean()), float(dist.mean()), rtol=1e-12)
    var = lambda d: float(d.expectation(lambda y: (y - d.mean()) ** 2))  # noqa: E731
    np.testing.assert_allclose(var(spread), lam**2 * var(dist), rtol=1e-10)
    np.testing.assert_allclose(float(moved.support_min()), 1.0 + delta)
    # derivative of E[h] with respect to the shift is E[h'] (here h = log y)
    g = jax.grad(lambda d: ShiftedExponential(1.0, 3.0, shift=d).expectation(jnp.log))(0.0)
    np.testing.assert_allclose(float(g), float(ShiftedExponential(1.0, 3.0).expectation(lambda y: 1 / y)), rtol=1e-10)


def test_empirical_and_mixture():
    inc = np.array([1.0, 2.0, 5.0, 20.0])
    w = np.array([4.0, 3.0, 2.0, 1.0])
    emp = Empirical(inc, w)
    np.testing.assert_allclose(float(emp.mean()), (inc * w).sum() / w.sum())
    assert float(emp.quadrature_error()) == 0.0
    g = jax.grad(lambda x: Empirical(x, w).expectation(jnp.log))(jnp.asarray(inc))
    np.testing.assert_allclose(np.asarray(g), w / w.sum() / inc, rtol=1e-12)
    mix = Mixture([ShiftedExponential(1, 6), ShiftedExponential(1, 2)], [1.0, 1.0])
    np.testing.assert_allclose(float(mix.mean()), 5.0, rtol=1e-12)
    y, log_w = mix.quadrature()
    np.testing.assert_allclose(float(jnp.sum(jnp.exp(log_w) * y)), 5.0, rtol=1e-10)
    assert float(mix.support_min()) == 1.0


def test_no_overflow_at_extreme_incomes():
    # 96 Laguerre nodes at scale 40: incomes beyond exp's limit; weights down to 1e-155
    y, log_w = ShiftedExponential(1.0, 40.0, n_nodes=96).quadrature()
    assert float(jnp.max(y)) > 709.8 and np.all(np.isfinite(np.asarray(log_w)))


def test_bad_distribution_parameters_raise():
    with pytest.raises(ValueError, match="scale > 0"):
        ShiftedExponential(1.0, 0.0)
    with pytest.raises(ValueError, match="sigma > 0"):
        LogNormal(0.0, -1.0)
    with pytest.raises(ValueError, match="weights > 0"):
        Empirical([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="spread > 0"):
        Uniform(1.0, 2.0, spread=-1.0)


@pytest.mark.parametrize("value, text", [(float("nan"), "scale=nan is not finite"), ("x", "scale='x' is not a number"),
                                         (None, "scale=None is not a number"), (-1.0, "scale=-1.0 is outside")])
def test_bad_distribution_parameters_are_named(value, text):
    with pytest.raises(ValueError, match=text):
        ShiftedExponential(1.0, value)


def test_distributions_print_values_and_refine_by_doubling_nodes():
    dist = ShiftedGamma(1.0, 6.0, 2.0, 16)
    assert repr(dist) == "ShiftedGamma(y_min=1, scale=6, shape=2.0, n_nodes=16, shift=0, spread=1)"
    assert dist.refined().n_nodes == 32 and dist.refined().shape == 2.0
    assert Empirical([1.0, 2.0]).refined() == Empirical([1.0, 2.0])
