"""Properties every model shares (the Model contract), parametrised over tests/models/cases.py."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import diffecon as de
from diffecon.core import replace

from .cases import CASES

NAMES = sorted(CASES)


def _float_outcomes(eq):
    return [k for k, v in eq.outcomes.items() if jnp.issubdtype(jnp.asarray(v).dtype, jnp.floating)]


@pytest.mark.parametrize("name", NAMES)
def test_random_draw_converges_with_small_residuals(name, rng):
    model = CASES[name].make(rng)
    eq = de.solve(model)
    assert bool(jnp.all(eq.converged))
    assert float(eq.residual_norm) < 1e-8
    for k in _float_outcomes(eq):
        assert np.all(np.isfinite(np.asarray(eq[k])) | np.isinf(np.asarray(eq[k]))), k
    for value in eq.model.residuals(eq.x).values():
        assert np.max(np.abs(np.asarray(value))) < 1e-8


@pytest.mark.parametrize("name", NAMES)
def test_bad_parameters_raise_clear_errors(name, rng):
    model = CASES[name].make(rng)
    for param, value, domain in CASES[name].bad:
        fields = {f: getattr(model, f) for f in model.__dataclass_fields__}
        fields[param] = value
        with pytest.raises(ValueError) as err:
            type(model)(**fields)
        message = str(err.value)
        assert param in message and domain in message, message


@pytest.mark.parametrize("name", NAMES)
def test_traced_bad_parameter_flags_only_that_element(name, rng):
    model = CASES[name].make(rng)
    param, bad_value, _ = CASES[name].bad[0]
    good = getattr(model, param)
    bad = jnp.broadcast_to(jnp.asarray(bad_value, good.dtype), good.shape)
    values = jnp.stack([good, bad, good])

    def one(v):
        return de.solve(replace(model, **{param: v}), throw=False).converged

    converged = jax.vmap(one)(values)
    assert converged.tolist() == [True, False, True]


@pytest.mark.parametrize("name", NAMES)
def test_exact_derivatives_match_central_differences(name, rng):
    case = CASES[name]
    model = case.make(rng)
    eq = de.solve(model)
    outcomes = case.fd_outcomes or tuple(_float_outcomes(eq))
    jac = de.jacobian(model, list(outcomes), list(case.fd_params))
    for p in case.fd_params:
        theta = np.asarray(getattr(model, p))
        h = 1e-5 * max(1.0, float(np.max(np.abs(theta))))
        up = de.solve(replace(model, **{p: theta + h}))
        down = de.solve(replace(model, **{p: theta - h}))
        for k in outcomes:
            fd = (np.asarray(up[k]) - np.asarray(down[k])) / (2 * h)
            exact = np.asarray(jac[k][p])
            if exact.ndim > fd.ndim:  # array parameter: compare the sum over its entries
                exact = exact.reshape(fd.shape + (-1,)).sum(-1)
            scale = max(1.0, float(np.max(np.abs(fd))))
            np.testing.assert_allclose(exact, fd, atol=1e-6 * scale, rtol=1e-5, err_msg=f"d{k}/d{p}")


@pytest.mark.parametrize("name", NAMES)
def test_models_are_frozen_pytrees_with_float64_parameters(name, rng):
    model = CASES[name].make(rng)
    with pytest.raises(AttributeError):  # frozen dataclass (FrozenInstanceError)
        model.sigma = 2.0
    for leaf in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array)):
        assert leaf.dtype == jnp.float64


@pytest.mark.parametrize("name", NAMES)
def test_outcomes_follow_the_naming_convention(name, rng):
    # Flags are bool, `*_change` a ratio (positive), `*_pct` a percent, shares in [0, 1].
    model = CASES[name].make(rng)
    eq = de.solve(model)
    for k, v in eq.outcomes.items():
        v = np.asarray(v)
        if k.endswith(("_valid", "_produced")) or k.startswith(("is_", "has_")):
            assert v.dtype == np.bool_, (k, v.dtype)
        if v.dtype == np.bool_ or not np.issubdtype(v.dtype, np.floating):
            continue
        if k.endswith("_change"):
            assert np.all(v > 0), (k, v)  # a ratio x'/x, never a percent
        if k.endswith("_share") or "_share_" in k or k.startswith("share_"):
            assert np.all((v >= -1e-12) & (v <= 1 + 1e-12)), (k, v)


@pytest.mark.parametrize("name", NAMES)
def test_validity_conditions_hold_at_every_converged_solution(name, rng):
    model = CASES[name].make(rng)
    eq = de.solve(model)
    for condition, ok in model.validity(eq.x).items():
        assert bool(np.all(np.asarray(ok))), condition


@pytest.mark.parametrize("name", NAMES)
def test_models_print_their_parameter_values(name, rng):
    model = CASES[name].make(rng)
    text = repr(model)
    assert text.startswith(type(model).__name__ + "(") and "f64[" not in text
