"""sweep: closed-form batches, exact derivatives, memory-bounded chunks and blocks, warm starts,
float32 opt-in with its measured accuracy, per-element failure flags, tracing through sweep,
progress on stderr for long sweeps only (plain lines in a log, one redrawn line on a terminal)."""

import io
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import diffecon as de
from diffecon.core import progress as _progress
from diffecon.core._sweep_plan import plan
from diffecon.models import Krugman1980

from .toys import Cubic, Quadratic, VectorLinear


def _cubic_root(a, b):
    """The real root of x³ + a x − b (a > 0) by Cardano's formula."""
    d = np.sqrt((b / 2) ** 2 + (a / 3) ** 3)
    return np.cbrt(b / 2 + d) + np.cbrt(b / 2 - d)


def test_broadcast_batch_matches_closed_form_roots_and_derivatives(rng):
    a = rng.uniform(0.1, 5.0, (7, 1))
    b = rng.uniform(-10.0, 10.0, (1, 9))
    out = de.sweep(Cubic(), {"a": a, "b": b}, of=["x", "sign"], wrt=["a", "b"])
    x = _cubic_root(a, b)
    assert out["x"].shape == (7, 9) and out["sign"].dtype.kind == "i"
    np.testing.assert_allclose(out["x"], x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out["dx/db"], 1 / (3 * x**2 + a), rtol=1e-10)
    np.testing.assert_allclose(out["dx/da"], -x / (3 * x**2 + a), rtol=1e-10, atol=1e-14)
    assert "dsign/da" not in out  # integer outcomes have no derivative
    assert np.all(out["converged"]) and np.all(out["residual_norm"] <= 1e-8)
    assert out.dtype == "float64" and out["x"].dtype == np.float64
    grid = de.sweep(Cubic(), {"a": a[:, 0], "b": b[0]}, grid=True, of="x")
    np.testing.assert_array_equal(grid["x"], out["x"])


def test_vector_parameter_derivative_is_the_inverse_matrix(rng):
    b = rng.normal(size=(5, 3))
    out = de.sweep(VectorLinear(), {"b": b}, of="x", wrt="b")
    A = np.asarray(VectorLinear().matrix())
    np.testing.assert_allclose(out["x"], np.linalg.solve(A, b.T).T, rtol=1e-12)
    assert out["dx/db"].shape == (5, 3, 3)
    np.testing.assert_allclose(out["dx/db"], np.broadcast_to(np.linalg.inv(A), (5, 3, 3)), atol=1e-12)


def test_memory_bounded_blocks_equal_one_block_and_return_host_arrays(rng):
    a = rng.uniform(0.1, 5.0, 1003)
    b = rng.uniform(-10.0, 10.0, 1003)
    whole = de.sweep(Cubic(), {"a": a, "b": b}, of="x")
    tiny = de.sweep(Cubic(), {"a": a, "b": b}, of="x", memory=40_000, chunk=7)
    assert whole.blocks == 1 and tiny.blocks > 1 and tiny.chunk == 7
    assert isinstance(tiny["x"], np.ndarray) and tiny["x"].shape == (1003,)
    np.testing.assert_array_equal(tiny["x"], whole["x"])


def test_plan_respects_the_memory_budget(rng):
    for _ in range(200):
        n, devices = int(rng.integers(1, 10**7)), int(rng.integers(1, 9))
        solve_bytes, io_bytes = int(rng.integers(100, 10**6)), int(rng.integers(8, 10**4))
        budget = int(rng.integers(10**6, 10**10))
        p = plan(n, devices, solve_bytes, io_bytes, budget, None)
        step = p.chunk * devices
        assert p.chunk == 1 or p.chunk * solve_bytes <= budget // 2
        assert p.block % step == 0 and p.n_blocks * p.block >= n > (p.n_blocks - 1) * p.block
        assert p.block == step or p.block * io_bytes <= budget // 2 * devices
        assert p.n_blocks * p.block - n < p.n_blocks * step  # padding: under one step per block


def test_warm_start_follows_a_path_and_survives_a_failed_point():
    # x² + c = 0 has roots ±√−c: warm starts stay on the branch of the first point, and the
    # unsolvable c > 0 is flagged without disturbing the points after it.
    c = np.array([[-4.0, -3.0, 1.0, -2.0, -1.0]])
    out = de.sweep(Quadratic(), {"c": c}, of="x", warm_start=True, x0={"x": jnp.asarray(-3.0)})
    np.testing.assert_array_equal(out["converged"], [[True, True, False, True, True]])
    ok = out["converged"]
    np.testing.assert_allclose(out["x"][ok], -np.sqrt(-c[ok]), rtol=1e-10)
    assert out.warm_start


def test_warm_start_along_a_fine_path_needs_fewer_steps(rng):
    a = rng.uniform(0.5, 2.0, 4)
    b = np.linspace(-20.0, 20.0, 60)
    cold = de.sweep(Cubic(), {"a": a, "b": b}, grid=True, of="x")
    warm = de.sweep(Cubic(), {"a": a, "b": b}, grid=True, of="x", warm_start=True)
    np.testing.assert_allclose(warm["x"], cold["x"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(warm["x"], _cubic_root(a[:, None], b[None]), rtol=1e-12, atol=1e-12)
    assert warm["steps"].sum() < 0.8 * cold["steps"].sum()


def test_float32_is_opt_in_and_its_accuracy_loss_is_bounded(rng):
    # The documented accuracy of dtype="float32", measured against float64 on random draws of
    # a real model: ~1e-6 relative in outcomes, ~1e-3 in derivatives.
    over = {"L1": rng.uniform(0.2, 5.0, 300), "tau": rng.uniform(1.0, 3.0, 300),
            "sigma": rng.uniform(1.5, 10.0, 300)}
    f64 = de.sweep(Krugman1980(), over, of="omega", wrt="L1")
    f32 = de.sweep(Krugman1980(), over, of="omega", wrt="L1", dtype="float32")
    assert f32.dtype == "float32" and f32["omega"].dtype == np.float32
    assert f32["domega/dL1"].dtype == np.float32 and f64["omega"].dtype == np.float64
    assert np.all(f64["converged"]) and np.all(f32["converged"])
    assert np.max(f32["residual_norm"]) <= f32.tol == 1e-4
    for k, bound in (("omega", 1e-5), ("domega/dL1", 1e-3)):
        exact = np.asarray(f64[k])
        scale = np.maximum(np.abs(exact), np.max(np.abs(exact)) * 1e-3)
        assert np.max(np.abs(np.asarray(f32[k], np.float64) - exact) / scale) < bound, k


def test_failed_elements_are_flagged_not_raised():
    out = de.sweep(Quadratic(), {"c": np.array([-4.0, 2.0, -9.0])}, of="x")
    np.testing.assert_array_equal(out["converged"], [True, False, True])
    assert out["residual_norm"][1] > 1e-8
    np.testing.assert_allclose(np.abs(np.asarray(out["x"])[[0, 2]]), [2.0, 3.0], rtol=1e-10)


def test_sweep_is_differentiable_under_jit(rng):
    a = jnp.asarray(rng.uniform(0.5, 3.0, 6))
    b = rng.uniform(-5.0, 5.0, 6)
    grad = jax.jit(jax.grad(lambda a: jnp.sum(de.sweep(Cubic(), {"a": a, "b": b}, of="x")["x"])))(a)
    x = _cubic_root(np.asarray(a), b)
    np.testing.assert_allclose(grad, -x / (3 * x**2 + np.asarray(a)), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(dtype="float16"), "float32"),
        (dict(chunk=0), "chunk=0"),
        (dict(devices=99), "devices=99"),
        (dict(devices="gpu"), "devices='gpu'"),
        (dict(wrt="nope"), "'nope' is not a float parameter"),
    ],
)
def test_bad_options_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        de.sweep(Cubic(), {"b": np.arange(3.0)}, of="x", **kwargs)


def test_warm_start_needs_a_batch_axis():
    with pytest.raises(ValueError, match="warm_start=True needs"):
        de.sweep(Cubic(), {"b": 1.0}, of="x", warm_start=True)


def test_a_bad_point_never_aborts_a_derivative_sweep():
    # Issue 11: `sweep(Krugman1980(), {"tau": [1.2, 1.3, nan]}, of="omega", wrt="L1")` raised
    # "A linear solver received non-finite input"; now the bad point is flagged with its reason.
    taus = [1.2, 1.3, np.nan, 0.5]
    out = de.sweep(Krugman1980(), {"tau": taus}, of="omega", wrt="L1")
    np.testing.assert_array_equal(out["converged"], [True, True, False, False])
    assert np.all(np.isnan(out["omega"][2:])) and np.all(np.isnan(out["domega/dL1"][2:]))
    words = out.reasons()
    assert words[0] == "converged" and "tau is not finite" in words[2]
    assert "tau is outside its admissible domain (tau >= 1)" in words[3]
    for k, tau in enumerate(taus[:2]):
        model = Krugman1980(tau=tau)
        assert out["omega"][k] == pytest.approx(float(de.solve(model)["omega"]), rel=1e-12)
        assert out["domega/dL1"][k] == pytest.approx(float(de.jacobian(model, "omega", "L1")), rel=1e-10)
    assert out.failures() == {words[2]: 1, words[3]: 1}


def test_a_large_chunk_with_nan_residuals_is_not_converged():
    from .toys import ManyEquations

    out = de.sweep(ManyEquations(), {"poison": np.r_[np.ones(399), 0.0]}, of="total", chunk=400)
    assert not out["converged"][:399].any() and out["converged"][399]
    assert np.isnan(out["total"][:399]).all() and out["total"][399] == pytest.approx(91.0)


def test_validity_failures_are_reasons_in_a_sweep():
    from .toys import PositiveRoot

    out = de.sweep(PositiveRoot(), {"c": [1.0, 4.0]}, of="x")
    assert not out["converged"].any()
    assert all("positive_root" in w for w in out.reasons())


@pytest.mark.parametrize("value", [None, "abc", [["a", "b"]]])
def test_non_numeric_over_values_name_the_parameter(value):
    with pytest.raises(ValueError, match="over\\['b'\\].*not an array of numbers"):
        de.sweep(Cubic(), {"b": value}, of="x")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _quick_progress(monkeypatch, stream):
    """Progress from the first moment, a log line for every report, written to `stream`."""
    monkeypatch.setattr(_progress, "DELAY", 0.0)
    monkeypatch.setattr(_progress, "EVERY", 0.0)
    monkeypatch.setattr(sys, "stderr", stream)


def test_a_short_sweep_prints_nothing(capsys):
    over = {"tau": np.linspace(1.1, 2.0, 50)}
    de.sweep(Krugman1980(), over, progress=False)  # compiled: the next call takes milliseconds
    capsys.readouterr()
    de.sweep(Krugman1980(), over)
    assert capsys.readouterr().err == ""


def test_sweep_progress_in_a_log_is_plain_lines_per_block(monkeypatch):
    log = io.StringIO()
    _quick_progress(monkeypatch, log)
    tau = np.linspace(1.1, 2.0, 64)
    out = de.sweep(Krugman1980(), {"tau": tau}, wrt="tau", chunk=8, memory=20_000)
    assert out.blocks > 1
    text = log.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and text.endswith("\n")
    assert all(line.startswith("sweep Krugman1980: ") for line in lines)
    assert any(f"block 2/{out.blocks}: solve, outcomes and derivatives" in line for line in lines)
    assert re.fullmatch(r"sweep Krugman1980: 64/64 points, done, \d+\.\d s", lines[-1])
    # Points are counted as blocks finish, never backwards.
    counts = [int(re.search(r": ([\d,]+)/64 points", line)[1].replace(",", "")) for line in lines]
    assert counts == sorted(counts) and 0 < counts[-2] < 64


def test_sweep_progress_counts_failed_points_and_is_silent_when_off(monkeypatch):
    log = io.StringIO()
    _quick_progress(monkeypatch, log)
    de.sweep(Quadratic(), {"c": np.array([-4.0, 2.0, -9.0])}, of="x", progress=False)
    with _progress.quiet():  # a caller with its own progress lines (replicate's sections)
        de.sweep(Quadratic(), {"c": np.array([-4.0, 2.0, -9.0])}, of="x")
    assert log.getvalue() == ""
    de.sweep(Quadratic(), {"c": np.array([-4.0, 2.0, -9.0])}, of="x")
    assert "fallback on 1 points" in log.getvalue()
    assert re.search(r"3/3 points, done, 1 not converged \(result.failures\(\)\), \d+\.\d s\n\Z",
                     log.getvalue())


def test_sweep_progress_on_a_terminal_redraws_one_line(monkeypatch):
    term = _Terminal()
    _quick_progress(monkeypatch, term)
    de.sweep(Krugman1980(), {"tau": np.linspace(1.1, 2.0, 16)}, warm_start=True)
    text = term.getvalue()
    assert text.startswith("\r") and text.endswith("\n") and text.count("\n") == 1
    assert "sweep Krugman1980 [" in text and "paths" in text
    assert re.search(r"\[#{28}\] 16/16 points  done  \d+\.\d s\n\Z", text)


def test_sweep_under_jit_prints_nothing(monkeypatch):
    log = io.StringIO()
    _quick_progress(monkeypatch, log)
    f = jax.jit(lambda a: de.sweep(Cubic(), {"a": a, "b": jnp.ones(3)}, of="x")["x"])
    f(jnp.array([1.0, 2.0, 3.0]))
    assert log.getvalue() == ""
