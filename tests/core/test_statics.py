import jax.numpy as jnp
import numpy as np
import pytest

import diffecon as de

from .toys import Cubic, VectorLinear


def test_jacobian_matches_implicit_function_theorem(rng):
    a, b = rng.uniform(0.5, 3), rng.uniform(-5, 5)
    x = float(de.solve(Cubic(a, b))["x"])
    jac = de.jacobian(Cubic(a, b), ["x", "x_squared"], ["a", "b"])
    denom = 3 * x**2 + a
    np.testing.assert_allclose(jac["x"]["b"], 1 / denom, rtol=1e-12)
    np.testing.assert_allclose(jac["x"]["a"], -x / denom, rtol=1e-12)
    np.testing.assert_allclose(jac["x_squared"]["b"], 2 * x / denom, rtol=1e-12)


def test_elasticity_is_scaled_jacobian(rng):
    a, b = rng.uniform(0.5, 3), rng.uniform(0.5, 5)
    x = float(de.solve(Cubic(a, b))["x"])
    e = de.elasticity(Cubic(a, b), "x", "b")
    assert np.ndim(e) == 0
    np.testing.assert_allclose(e, b / (x * (3 * x**2 + a)), rtol=1e-12)
    nested = de.elasticity(Cubic(a, b), ["x"], ["a", "b"])
    np.testing.assert_allclose(nested["x"]["b"], e, rtol=1e-14)


def test_array_parameter_gives_full_jacobian_and_elasticity_matrix():
    model = VectorLinear()
    jac = de.jacobian(model, "x", "b")
    inv = np.linalg.inv(np.asarray(model.matrix()))
    np.testing.assert_allclose(jac, inv, atol=1e-12)
    x = np.asarray(de.solve(model)["x"])
    b = np.asarray(model.b)
    np.testing.assert_allclose(de.elasticity(model, "x", "b"), inv * b[None, :] / x[:, None], atol=1e-12)


def test_callable_outcome():
    model = Cubic(1.0, 2.0)
    jac = de.jacobian(model, lambda eq: eq["x"] ** 3, "b")
    x = float(de.solve(model)["x"])
    np.testing.assert_allclose(jac, 3 * x**2 / (3 * x**2 + 1.0), rtol=1e-12)


def test_unknown_names_get_clear_errors():
    with pytest.raises(ValueError, match="'c' is not a float parameter of Cubic; its parameters are a, b"):
        de.jacobian(Cubic(), "x", "c")
    with pytest.raises(KeyError, match="no outcome 'y'"):
        de.jacobian(Cubic(), "y", "a")
    with pytest.raises(ValueError, match="not a float quantity"):
        de.jacobian(Cubic(), "sign", "a")
    with pytest.raises(TypeError, match="maxsteps"):
        de.jacobian(Cubic(), "x", "a", maxsteps=3)


def test_reverse_and_forward_mode_agree_under_vmap(rng):
    # vmap turns the Newton/LM `cond` into a `select`; derivatives must still flow through one path.
    import jax

    a = jnp.asarray(rng.uniform(0.5, 3, 16))
    b = jnp.asarray(rng.uniform(-5, 5, 16))

    def x_of(a, b):
        return de.solve(Cubic(a, b))["x"]

    rev = jax.vmap(jax.grad(x_of, argnums=1))(a, b)
    fwd = jax.vmap(jax.jacfwd(x_of, argnums=1))(a, b)
    x = jax.vmap(x_of)(a, b)
    np.testing.assert_allclose(rev, 1 / (3 * x**2 + a), rtol=1e-12)
    np.testing.assert_allclose(fwd, rev, rtol=1e-12)


def test_single_names_give_an_array_lists_give_nested_dicts_for_both_functions():
    model = Cubic(1.0, 2.0)
    for fn in (de.jacobian, de.elasticity):
        assert np.ndim(fn(model, "x", "b")) == 0
        nested = fn(model, ["x"], "b")
        assert set(nested) == {"x"} and set(nested["x"]) == {"b"}
        np.testing.assert_allclose(nested["x"]["b"], fn(model, "x", "b"), rtol=1e-14)


def test_elasticity_of_an_outcome_that_is_zero_in_equilibrium_raises():
    # x³ + x = 0 has the root x = 0: d ln x / d ln b is not defined there (issue 11: it was inf).
    with pytest.raises(ValueError, match="'x' is not defined.*x = 0"):
        de.elasticity(Cubic(1.0, 0.0), "x", "b")
    np.testing.assert_allclose(de.jacobian(Cubic(1.0, 0.0), "x", "b"), 1.0, rtol=1e-12)


def test_derivative_at_a_singular_jacobian_raises_instead_of_returning_inf():
    # x³ − b = 0 (a → 0 is outside the domain, so build the singular point with a tiny a and b=0:
    # the Jacobian 3x² + a is a, the derivative 1/a is finite) — instead use a model whose
    # Jacobian is exactly singular at its root: x² + c at c = 0 (x = 0, dF/dx = 0).
    from .toys import Quadratic

    with pytest.raises(ValueError, match="not defined"):
        de.jacobian(Quadratic(c=0.0), "x", "c", x0={"x": jnp.asarray(0.0)})


def test_a_fresh_lambda_with_the_same_code_does_not_recompile():
    import jax

    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(event) if "backend_compile" in event else None
    )
    model = Cubic(1.0, 2.0)

    def scaled_root(scale):
        return de.jacobian(model, lambda eq: scale * eq["x"], "b")  # a new lambda every call

    first = scaled_root(3.0)
    before = len(compiles)
    again = [scaled_root(3.0) for _ in range(3)]
    assert len(compiles) == before
    assert all(float(a) == float(first) for a in again)
    assert float(scaled_root(6.0)) == pytest.approx(2 * float(first), rel=1e-14)  # new closure value


def test_elasticity_zero_test_compares_each_element_with_its_own_response():
    # Outcomes 10 orders of magnitude apart: neither is zero, both elasticities are defined.
    model = VectorLinear(b=(1e-6, 2.0, 1e4))
    e = np.asarray(de.elasticity(model, "x", "b"))
    assert np.all(np.isfinite(e))


def test_elasticity_inside_a_sweeps_callable_is_traced_not_checked_on_the_host():
    # A callable `of=` that takes elasticities runs under vmap: no host checks there.
    def statics(eq):
        return de.elasticity(eq.model, "x", "b")

    out = de.sweep(Cubic(), {"b": np.array([1.0, 2.0, 5.0])}, of=statics)
    for b, e in zip((1.0, 2.0, 5.0), out["statics"]):
        assert e == pytest.approx(float(de.elasticity(Cubic(1.0, b), "x", "b")), rel=1e-10)
