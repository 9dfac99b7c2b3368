import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

import diffecon as de
from diffecon.core import replace

from .toys import (
    Arctan,
    Cubic,
    ExplainedQuadratic,
    ManyEquations,
    MatrixFreeLinear,
    PositiveRoot,
    Quadratic,
    VectorLinear,
)


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
    assert abs(float(de.jacobian(Arctan(c=5.0), "x", "c")) - 1.0) < 1e-10


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
        J = de.jacobian(model, "x", "b")
        np.testing.assert_allclose(np.asarray(J), A_inv, rtol=1e-10, atol=1e-12)
        grad = jax.grad(lambda bb: de.solve(replace(model, b=bb))["total"])(jnp.asarray(b))
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
        return de.solve(replace(model, a=a))["x"]

    assert abs(float(x_of(2.0)) - 0.7709169970592481) < 1e-12  # x³ + 2x = 2
    with pytest.raises(Exception, match="a > 0"):
        jax.block_until_ready(x_of(-1.0))


def test_equilibrium_lookup_of_unknown_outcome_lists_the_outcomes():
    eq = de.solve(Cubic())
    with pytest.raises(KeyError, match="x_squared"):
        eq["omega"]


def test_solve_rejects_non_models():
    with pytest.raises(TypeError, match="diffecon model"):
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


def test_a_root_that_breaks_validity_is_not_converged_and_says_which_condition():
    eq = de.solve(PositiveRoot(4.0), throw=False)
    assert float(eq.x["x"]) == pytest.approx(-2.0) and not bool(eq.converged)
    assert np.isnan(float(eq["x"]))  # outcomes of a non-equilibrium are NaN, never a number
    assert "positive_root" in eq.explain()
    with pytest.raises(de.SolveError, match="positive_root"):
        de.solve(PositiveRoot(4.0))
    assert float(de.solve(PositiveRoot(4.0), x0={"x": jnp.asarray(1.0)})["x"]) == pytest.approx(2.0)


def test_nan_residuals_never_pass_as_converged_in_a_large_batch():
    # Issue 11: `jnp.max` may drop NaN on CPU once a reduction covers a few thousand elements;
    # a vmapped batch of 400 points × 13 residuals reported converged=True, residual_norm=0.
    poison = jnp.ones(400)
    eq = jax.vmap(lambda p: de.solve(ManyEquations(1.0, p), throw=False))(poison)
    assert not np.any(np.asarray(eq.converged))
    assert np.all(np.isinf(np.asarray(eq.residual_norm)))
    clean = jax.vmap(lambda p: de.solve(ManyEquations(1.0, p), throw=False))(0 * poison)
    assert np.all(np.asarray(clean.converged))


def test_nan_parameter_under_jit_and_grad_with_throw_false_gives_nan_not_an_error():
    model = Cubic(1.0, 2.0)

    def x_of(b):
        return de.solve(replace(model, b=b), throw=False)["x"]

    grad = jax.jit(jax.grad(x_of))
    assert np.isnan(float(grad(jnp.nan)))  # issue 11: this raised "CpuCallback error"
    assert float(grad(2.0)) == pytest.approx(1 / (3 * 1.0**2 + 1.0), rel=1e-12)  # x = 1 at a=1, b=2


def test_solver_settings_are_validated_and_used():
    with pytest.raises(ValueError, match="tol"):
        de.Solver(tol=0.0)
    with pytest.raises(ValueError, match="fallback"):
        de.Solver(fallback="magic")
    with pytest.raises(TypeError, match="Solver"):
        de.solve(Cubic(), solver="newton")
    # Without a fallback Newton fails on arctan from 0; with the default it succeeds.
    assert not bool(de.solve(Arctan(c=5.0), solver=de.Solver(fallback="none"), throw=False).converged)
    assert bool(de.solve(Arctan(c=5.0), solver=de.Solver(fallback="levenberg_marquardt")).converged)


def test_newton_fallback_rescues_a_root_finder_of_its_own():
    # The chord method keeps arctan's slope at 0 (1/(1 + c²)): for c = 1.2 its steps overshoot
    # by a factor 1.44 and diverge, where Newton from the same start converges (|c| < 1.39).
    chord = optx.Chord(rtol=1e-12, atol=1e-12)
    alone = de.solve(Arctan(c=1.2), solver=de.Solver(root_finder=chord, fallback="none"), throw=False)
    assert not bool(alone.converged)
    solver = de.Solver(root_finder=chord, fallback="newton")
    assert float(de.solve(Arctan(c=1.2), solver=solver)["x"]) == pytest.approx(1.2, rel=1e-12)
    # in a batch, only the compacted failures take the fallback; the chord's own roots are kept
    c = np.array([0.5, 1.2, -0.3, 1.3])
    result = de.sweep(Arctan(), {"c": c}, ["x"], solver=solver, progress=False)
    assert np.all(np.asarray(result["converged"]))
    np.testing.assert_allclose(np.asarray(result["x"]), c, rtol=1e-12)


def test_continuation_reaches_a_root_newton_and_levenberg_marquardt_miss():
    # Newton from 0 diverges for arctan(x - c) with large c; LM crawls; the homotopy from the
    # default c = 5 walks the root along c.
    eq = de.solve(Arctan(c=60.0), solver=de.Solver(max_steps=20))
    assert float(eq["x"]) == pytest.approx(60.0, rel=1e-10)


def test_bad_parameters_name_the_parameter_value_and_domain():
    for value, words in [(None, "not a number"), ("x", "not a number"), (np.nan, "not finite"),
                         (np.inf, "not finite"), ([1.0, 2.0], "shape (2,)")]:
        with pytest.raises(ValueError, match="parameter a") as err:
            Cubic(a=value)
        assert words in str(err.value)
    with pytest.raises(ValueError, match=r"a=-1.*a > 0"):
        Cubic(a=-1.0)


def test_parameters_become_float64_arrays_and_bounds_are_checked_on_host_and_traced(rng):
    # Every input kind becomes a float64 jax.Array; a float64 array is kept as it is (no copy).
    a = jnp.asarray(rng.uniform(0.5, 2.0))
    assert Cubic(a=a).a is a
    for value in (2, 1.5, np.float32(1.5), np.asarray(1.5), jnp.asarray(1.5, jnp.float32)):
        leaf = Cubic(a=value).a
        assert isinstance(leaf, jax.Array) and leaf.dtype == jnp.float64
        assert float(leaf) == pytest.approx(float(np.asarray(value)), rel=1e-7)
    # the bound helpers answer the same on the host (concrete) and traced (under jit)
    from diffecon.core import at_least, between, greater_than, positive

    for value in rng.uniform(-2.0, 2.0, 6).tolist() + [0.0, 1.0]:
        checks = lambda v: jnp.stack([jnp.asarray(r.ok) for r in (  # noqa: E731
            positive("x", v), greater_than("x", v, 0.5), at_least("x", v, 1.0),
            between("x", v, -1.0, 1.0, closed="right"))])
        host = np.asarray(checks(jnp.asarray(value)))
        np.testing.assert_array_equal(host, np.asarray(jax.jit(checks)(jnp.asarray(value))))
        np.testing.assert_array_equal(host, [value > 0, value > 0.5, value >= 1.0, -1.0 < value <= 1.0])


def test_default_and_passed_solvers_resolve_to_their_precisions_tolerances():
    from diffecon.core._solver import as_solver

    assert as_solver(None) is as_solver(None) and as_solver(None).tol == 1e-8
    assert as_solver(None, dtype="float32").tol == 1e-4  # the default's unset tolerances, in float32
    mine = de.Solver(tol=1e-11)
    assert as_solver(mine).tol == 1e-11 and as_solver(mine).rtol == 1e-10
    assert as_solver(de.Solver(tol=1e-11)) is as_solver(mine)  # equal solvers share one program


def test_the_root_finder_searches_the_search_form_and_the_model_checks_its_answer(rng):
    # A search form with the model's residuals (here: computed another way) gives the model's
    # root; one whose root is elsewhere cannot pass as converged: the checks, outcomes and
    # derivatives use the model itself.
    import equinox as eqx

    class CubicResiduals(eqx.Module):
        a: jax.Array
        b: jax.Array

        def residuals(self, x):
            return {"cubic": x["x"] ** 3 + self.a * x["x"] - self.b}

    class Precomputed(Cubic):
        shift: float = 0.0

        def search_form(self):
            return CubicResiduals(self.a, self.b + self.shift)

    a, b = rng.uniform(0.5, 2.0), rng.uniform(-3.0, 3.0)
    eq = de.solve(Precomputed(a, b))
    assert float(eq["x"] ** 3 + a * eq["x"] - b) == pytest.approx(0.0, abs=1e-12)
    assert float(de.jacobian(Precomputed(a, b), "x", "b")) == pytest.approx(1 / (3 * float(eq["x"]) ** 2 + a))
    wrong = de.solve(Precomputed(a, b, shift=1.0), solver=de.Solver(fallback="none"), throw=False)
    assert not bool(wrong.converged)


def test_models_print_their_values():
    assert repr(Cubic(1.5, 2.0)) == "Cubic(a=1.5, b=2)"
    assert "converged=True" in repr(de.solve(Cubic(1.5, 2.0)))


def test_the_failed_validity_condition_is_named_whatever_the_dict_order():
    from .toys import PositiveRoot

    class TwoConditions(PositiveRoot):
        def validity(self, x):  # not in sorted order on purpose
            return {"zz_always": jnp.asarray(True), "positive_root": x["x"] > 0}

    eq = de.solve(TwoConditions(4.0), throw=False)
    assert "'positive_root'" in eq.explain() and "zz_always" not in eq.explain()


def test_a_parameter_no_equation_depends_on_has_a_zero_derivative():
    from .toys import ManyEquations

    # `poison` enters the residuals only through a `where` whose branches are constants.
    np.testing.assert_array_equal(np.asarray(de.jacobian(ManyEquations(), "x", "poison")), np.zeros(13))


def test_the_fallback_runs_under_vmap_only_when_some_element_needs_it():
    # A batched `cond` would be a `select` running the fallback for every element; `run_where`
    # runs it only when some element needs it, and then keeps it only there.
    from diffecon.core._solve import run_where

    calls = []

    def fallback(x):
        jax.debug.callback(lambda: calls.append(1))
        return x + 100.0

    f = jax.jit(jax.vmap(lambda x: run_where(x > 2.0, fallback, x, x)))
    x = jnp.linspace(0.0, 1.0, 8)
    np.testing.assert_array_equal(f(x), x)
    jax.effects_barrier()
    assert calls == []
    y = x.at[3].set(5.0)
    np.testing.assert_array_equal(f(y), jnp.where(y > 2.0, y + 100.0, y))
    jax.effects_barrier()
    assert len(calls) >= 1


def test_the_one_call_solve_gives_the_staged_paths_numbers_and_still_falls_back():
    from diffecon.core import _solve

    model = Cubic(1.5, 2.5)
    eq = de.solve(model)
    flat, steps = _solve.find(model, model.guess(), de.Solver().resolved())
    staged = _solve.finish_compiled(model, flat, model.guess(), de.Solver().resolved(), steps)
    for k in eq.outcomes:
        np.testing.assert_array_equal(eq[k], staged[k])
    assert int(eq.steps) == int(staged.steps) and int(eq.reason) == int(staged.reason)
    # Newton fails from the guess here: the fallback still runs, and its answer is returned.
    eq = de.solve(Arctan(5.0))
    assert bool(eq.converged) and abs(float(eq["x"]) - 5.0) < 1e-10


def test_a_model_closed_over_by_a_jitted_function_solves_and_differentiates():
    model = Cubic(1.0, 2.0)
    assert float(jax.jit(lambda: de.solve(model)["x"])()) == pytest.approx(1.0, rel=1e-12)
    assert float(jax.jit(lambda: de.jacobian(model, "x", "a"))()) == pytest.approx(-0.25, rel=1e-12)
    assert float(jax.jit(lambda: de.elasticity(model, "x", "a"))()) == pytest.approx(-0.25, rel=1e-12)
