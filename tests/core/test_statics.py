import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import pytest

import diffecon as de

from .toys import Cubic, MatrixFreeLinear, Quadratic, VectorLinear


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


# -- forward and reverse mode -------------------------------------------------------------------


class _CubicKrylov(Cubic):
    """`Cubic` with its derivatives by GMRES (the matrix-free, lineax path)."""

    def linear_solver(self):
        return lx.GMRES(rtol=1e-12, atol=1e-12, max_steps=50)


class _QuadraticKrylov(Quadratic):
    def linear_solver(self):
        return lx.GMRES(rtol=1e-12, atol=1e-12, max_steps=50)


def _gravity(rng, n=5, k=2):
    """A random Gravity economy whose cost shock (coefficients, covariates, iceberg changes) has
    many more numbers (2 + 2·K·N² + N² = 127) than a country outcome pair has (2N = 10)."""
    from diffecon.models import Gravity

    flows = rng.uniform(0.5, 2.0, (n, n)) + np.diag(rng.uniform(5.0, 10.0, n))
    covariates = rng.normal(size=(k, n, n))
    return Gravity(flows, float(rng.uniform(3.0, 8.0)), coef=rng.normal(size=k), covariates=covariates,
                   new_covariates=covariates + 0.2 * rng.normal(size=(k, n, n)),
                   tau_change=rng.uniform(0.8, 1.2, (n, n)))


def _central_difference(model, of, direction, h):
    """(f(θ + h v) − f(θ − h v)) / 2h of each outcome, by two solves."""
    from diffecon.core import replace

    def at(sign):
        moved = replace(model, **{n: getattr(model, n) + sign * h * v for n, v in direction.items()})
        eq = de.solve(moved)
        return {k: np.asarray(eq[k]) for k in of}

    up, down = at(1.0), at(-1.0)
    return {k: (up[k] - down[k]) / (2 * h) for k in of}


@pytest.mark.parametrize("case", ["cubic", "krylov", "gravity"])
def test_reverse_equals_forward_equals_central_differences(case, rng):
    from diffecon.core._statics import choose_mode

    if case == "cubic":  # scalars, several outcomes and parameters (auto: forward)
        model, of, wrt = Cubic(rng.uniform(0.5, 3), rng.uniform(-5, 5)), ["x", "x_squared"], ["a", "b"]
    elif case == "krylov":  # an array parameter, GMRES (custom_linear_solve + lineax) both ways
        model, of, wrt = MatrixFreeLinear(b=rng.normal(size=3)), ["x", "total"], ["b"]
    else:  # 127 parameter numbers against 10 outcome numbers: auto is reverse
        model, of = _gravity(rng), ["welfare_pct", "real_wage_pct"]
        wrt = ["sigma", "coef", "new_covariates", "tau_change"]
        assert choose_mode("auto", sum(np.size(getattr(model, n)) for n in wrt), 10) == "reverse"
    forward = de.jacobian(model, of, wrt, mode="forward")
    reverse = de.jacobian(model, of, wrt, **({} if case == "gravity" else {"mode": "reverse"}))
    direction = {n: rng.normal(size=np.shape(getattr(model, n))) for n in wrt}
    fd = _central_difference(model, of, direction, h=1e-6)
    for k in of:
        for n in wrt:
            scale = max(np.abs(forward[k][n]).max(), 1e-300)
            np.testing.assert_allclose(reverse[k][n], forward[k][n], rtol=1e-9, atol=1e-12 * scale)
        along = sum(np.tensordot(np.asarray(reverse[k][n]), direction[n], axes=np.ndim(direction[n])) for n in wrt)
        assert np.shape(along) == np.shape(fd[k])
        np.testing.assert_allclose(along, fd[k], rtol=1e-6, atol=1e-7 * max(1.0, np.abs(fd[k]).max()))
    if case != "gravity":  # the single-name rule holds in either mode; elasticity shares the path
        single = de.jacobian(model, of[0], wrt[-1], mode="reverse")
        assert isinstance(single, jax.Array)
        np.testing.assert_allclose(single, forward[of[0]][wrt[-1]], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(de.elasticity(model, of[0], wrt[-1], mode="reverse"),
                                   de.elasticity(model, of[0], wrt[-1], mode="forward"), rtol=1e-9)


def test_auto_mode_takes_the_side_with_fewer_solves_and_a_bad_mode_is_named():
    from diffecon.core._statics import choose_mode

    assert choose_mode("auto", 40 * 31 * 31, 31) == "reverse"  # every NAFTA tariff, every region
    assert choose_mode("auto", 3, 3) == "forward"
    assert choose_mode("forward", 40 * 31 * 31, 31) == "forward"
    for fn in (de.jacobian, de.elasticity):
        with pytest.raises(ValueError, match="mode='backward'.*'auto'.*'forward'.*'reverse'"):
            fn(Cubic(), "x", "b", mode="backward")


@pytest.mark.parametrize("model_class", [Quadratic, _QuadraticKrylov])
def test_a_singular_point_raises_the_same_error_in_reverse_as_in_forward(model_class):
    # x² + c at c = 0, x = 0: ∂F/∂x = 0, no derivative; dense LU and GMRES, tangent and adjoint.
    messages = []
    for mode in ("forward", "reverse"):
        with pytest.raises(ValueError, match="dx/dc is not defined") as info:
            de.jacobian(model_class(c=0.0), "x", "c", x0={"x": jnp.asarray(0.0)}, mode=mode)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("model_class", [Cubic, _CubicKrylov])
def test_a_failed_point_in_a_batch_is_nan_in_both_modes_never_an_aborted_batch(model_class):
    # Two Newton steps from x = 0 solve b = 0.01, not b = 30 or b = 1e6: those get NaN rows (the
    # reverse sweep carries a NaN cotangent into the transposed solve, which must not raise).
    from diffecon.core import ift_jacobian

    solver = de.Solver(max_steps=2, fallback="none")
    b = jnp.array([0.01, 30.0, 1e6])

    def derivative(b, mode):
        model = model_class(1.0, b)
        _, jac, eq = ift_jacobian(model, None, "x", ("b",), solver, mode=mode)
        return jac["x"]["b"], eq.converged

    out = {mode: jax.jit(jax.vmap(lambda b: derivative(b, mode)))(b) for mode in ("forward", "reverse")}
    for jac, converged in out.values():
        assert converged.tolist() == [True, False, False]
        assert np.isnan(np.asarray(jac)[1:]).all()
    x = float(de.solve(Cubic(1.0, 0.01))["x"])
    np.testing.assert_allclose(out["reverse"][0][0], 1 / (3 * x**2 + 1), rtol=1e-8)
    np.testing.assert_allclose(out["reverse"][0][0], out["forward"][0][0], rtol=1e-12)


def test_the_one_call_path_gives_the_general_paths_numbers():
    # Named outcomes take the one-call path; a callable `of` takes the general one.
    for model in (Cubic(1.0, 2.0), Cubic(2.5, -3.0)):
        for wrt in ("a", "b"):
            fast = de.jacobian(model, "x", wrt)
            general = de.jacobian(model, lambda eq: eq["x"], wrt)
            assert float(fast) == pytest.approx(float(general), rel=1e-15, abs=1e-300)
            fast = de.elasticity(model, "x", wrt)
            general = de.elasticity(model, lambda eq: eq["x"], wrt)
            assert float(fast) == pytest.approx(float(general), rel=1e-15, abs=1e-300)
    # Failures on the one-call path still raise the general path's errors.
    with pytest.raises(de.SolveError):
        de.jacobian(Quadratic(3.0), "x", "c")
    with pytest.raises(ValueError, match="elasticity of 'x' is not defined"):
        de.elasticity(Cubic(1.0, 0.0), "x", "b")


def test_warm_single_calls_do_not_recompile_for_lists_or_new_equal_solvers():
    import jax

    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(event) if "backend_compile" in event else None
    )
    model = Cubic(1.0, 2.0)
    de.jacobian(model, ["x", "x_squared"], ["a", "b"], solver=de.Solver(tol=1e-9))
    de.elasticity(model, ["x"], "b")
    before = len(compiles)
    for b in (3.0, 4.0):
        de.jacobian(Cubic(1.0, b), ["x", "x_squared"], ["a", "b"], solver=de.Solver(tol=1e-9))
        de.elasticity(Cubic(1.0, b), ["x"], "b")
    assert len(compiles) == before
