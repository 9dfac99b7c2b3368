import jax
import jax.numpy as jnp
import numpy as np
import pytest

import diffecon as de
from diffecon.core._tree import replace_fields

from .toys import Arctan, Cubic, ExplainedQuadratic, MatrixFreeLinear, Quadratic, VectorLinear


def test_solution_matches_closed_form_root(rng):
    for _ in range(3):
        a, b = rng.uniform(0.1, 5), rng.uniform(-10, 10)
        eq = de.solve(Cubic(a, b))
        x = float(eq["x"])
        assert abs(x**3 + a * x - b) < 1e-10
        assert eq.x["x"].dtype == jnp.float64
        assert bool(eq.converged)


def test_newton_failure_falls_back_to_levenberg_marquardt():
    eq = de.solve(Arctan(c=5.0))
    assert abs(float(eq["x"]) - 5.0) < 1e-9
    # the derivative attached after the fallback is still the implicit one: dx/dc = 1
    assert abs(float(de.jacobian(Arctan(c=5.0), "x", "c")["x"]["c"]) - 1.0) < 1e-10


def test_unsolvable_model_raises_solve_error_naming_the_equation():
    with pytest.raises(de.SolveError, match="'square'"):
        de.solve(Quadratic(c=1.0))


def test_solve_error_carries_the_models_explanation():
    with pytest.raises(de.SolveError, match=r"'square'.*no real root when c = 2 > 0"):
        de.solve(ExplainedQuadratic(c=2.0))
    assert bool(de.solve(ExplainedQuadratic(c=-2.0)).converged)


def test_matrix_free_linear_solver_gives_the_dense_solution_and_derivatives(rng):
    b = rng.normal(size=3)
    dense, free = VectorLinear(b), MatrixFreeLinear(b)
    A_inv = np.linalg.inv(np.asarray(dense.matrix()))
    np.testing.assert_allclose(np.asarray(de.solve(free)["x"]), A_inv @ b, rtol=1e-11)
    for model in (dense, free):
        J = de.jacobian(model, "x", "b")["x"]["b"]
        np.testing.assert_allclose(np.asarray(J), A_inv, rtol=1e-10, atol=1e-12)
        grad = jax.grad(lambda bb: de.solve(replace_fields(model, {"b": bb}))["total"])(jnp.asarray(b))
        np.testing.assert_allclose(np.asarray(grad), A_inv.sum(0), rtol=1e-10)


def test_batch_with_one_unsolvable_element_flags_only_that_element():
    cs = jnp.array([-4.0, -1.0, 1.0, -9.0])
    eq = jax.vmap(lambda c: de.solve(Quadratic(c), throw=False))(cs)
    assert eq.converged.tolist() == [True, True, False, True]
    good = np.asarray(eq["x"])[[0, 1, 3]]
    np.testing.assert_allclose(np.abs(good), [2.0, 1.0, 3.0], rtol=1e-10)


def test_traced_inadmissible_parameter_fails_loudly_under_jit():
    model = Cubic(1.0, 2.0)

    @jax.jit
    def x_of(a):
        return de.solve(replace_fields(model, {"a": a}))["x"]

    assert abs(float(x_of(2.0)) - 0.7709169970592481) < 1e-12  # x³ + 2x = 2
    with pytest.raises(Exception, match="a > 0"):
        jax.block_until_ready(x_of(-1.0))


def test_equilibrium_lookup_of_unknown_outcome_lists_the_outcomes():
    eq = de.solve(Cubic())
    with pytest.raises(KeyError, match="x_squared"):
        eq["omega"]


def test_solve_rejects_non_models():
    with pytest.raises(TypeError, match="diffecon Model"):
        de.solve({"a": 1.0})


def test_no_recompilation_across_parameter_values():
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(event) if "backend_compile" in event else None
    )
    de.solve(Cubic(1.0, 1.0))
    before = len(compiles)
    for b in (3.0, 4.0, 5.0):
        de.solve(Cubic(1.0, b))
    assert len(compiles) == before
