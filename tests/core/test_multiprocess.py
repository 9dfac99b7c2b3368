"""A sweep over two processes (JAX's distributed runtime) equals the single-process sweep.

Two local CPU processes (one device each, gloo collectives) run `benchmarks/multihost_sweep.py`
on the same batch: tariff scenarios of a tiny Caliendo–Parro economy (each scenario a whole
J×N×N tariff array), two of them deliberately bad (one tariff below −1, one NaN; one in each
process's half of the batch), then a small Krugman (1980) sweep with a derivative. Each process
saves what it received; the test solves the same batches in its own process, unsharded, and
compares: every process has every result, the flags and reasons are the same, the values equal
to 1e-12 relative.

The solver runs without its fallback (`--no-fallback`): the bad scenarios are flagged by the
parameter checks either way, and compiling the fallback three times (two processes and this
one) would make the test's CPU time 55 s instead of 35 s (measured).
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

import diffecon as de
from benchmarks.multihost_sweep import CP2015_OUTCOMES, cp2015_scenarios, synthetic_cp2015
from diffecon.models import Krugman1980

N = 12  # scenarios: 6 per process
BAD, NAN = 3, 8  # process 0 holds scenarios 0–5, process 1 scenarios 6–11
TIMEOUT = 240.0


def _gloo_missing() -> str | None:
    if "jax_cpu_collectives_implementation" not in jax.config.values:
        return f"jax {jax.__version__} has no 'jax_cpu_collectives_implementation' option (CPU collectives)"
    try:
        from jax._src.lib import _jax
    except ImportError:  # a layout this check does not know: let the run itself tell
        return None
    if not hasattr(_jax, "make_gloo_tcp_collectives"):
        return f"jaxlib {jax.__version__} is built without gloo CPU collectives"
    return None


_MISSING = _gloo_missing()
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=f"multi-process CPU sweeps need gloo collectives: {_MISSING}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _launch(tmp_path: Path) -> list[tuple[subprocess.Popen, Path, Path]]:
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}  # no forced device count
    env["JAX_PLATFORMS"] = "cpu"
    # A cache of their own: programs compiled inside a distributed runtime (gloo collectives) are
    # kept out of the folder the test workers and notebook kernels load from.
    env["JAX_COMPILATION_CACHE_DIR"] = str(tmp_path / "xla-cache")
    common = [
        sys.executable, "-m", "benchmarks.multihost_sweep",
        "--coordinator", f"localhost:{_free_port()}", "--processes", "2", "--cpu-devices", "1",
        "--model", "cp2015,krugman", "--n", str(N), "--bad", str(BAD), "--nan", str(NAN),
        "--no-fallback", "--repeat", "1", "--no-check", "--save", str(tmp_path / "result-{id}.npz"),
    ]
    procs = []
    for me in (0, 1):
        out, err = tmp_path / f"stdout-{me}.txt", tmp_path / f"stderr-{me}.txt"
        with out.open("w") as fo, err.open("w") as fe:
            procs.append((subprocess.Popen(common + ["--id", str(me)], cwd=root, env=env,
                                           stdout=fo, stderr=fe), out, err))
    return procs


def _logs(procs) -> str:
    return "\n".join(
        f"--- process {me} (exit {p.returncode}) stdout:\n{out.read_text()[-4000:]}\n"
        f"--- process {me} stderr:\n{err.read_text()[-4000:]}"
        for me, (p, out, err) in enumerate(procs)
    )


def _wait(procs) -> None:
    """Wait for both processes. Kill those still running at the deadline, or once the other has
    failed (it would wait for its peer until JAX's own timeout), or when the test fails first:
    none is left behind."""
    deadline = time.monotonic() + TIMEOUT
    try:
        while any(p.poll() is None for p, _, _ in procs) and time.monotonic() < deadline:
            if any(p.poll() not in (None, 0) for p, _, _ in procs):
                break
            time.sleep(0.2)
    finally:
        late = any(p.poll() is None for p, _, _ in procs) and time.monotonic() >= deadline
        for p, _, _ in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    if late:
        pytest.fail(f"the two-process sweep ran past {TIMEOUT:.0f} s (killed)\n{_logs(procs)}")


def _assert_same(name: str, key: str, two: np.ndarray, one: np.ndarray) -> None:
    assert two.shape == one.shape, (name, key)
    if key == "residual_norm":  # ~1e-16 where converged: equal to far below the tolerance
        np.testing.assert_allclose(two, one, rtol=0, atol=1e-14, equal_nan=True, err_msg=f"{name}: {key}")
    elif two.dtype.kind == "f":
        # Relative 1e-12 per element (floored at 1e-12 of the key's scale for values near 0);
        # NaN and inf (the failed scenarios) in the same places.
        finite = np.abs(one[np.isfinite(one)])
        scale = finite.max() if finite.size else 1.0
        np.testing.assert_allclose(two, one, rtol=1e-12, atol=1e-12 * scale, equal_nan=True,
                                   err_msg=f"{name}: {key}")
    else:
        np.testing.assert_array_equal(two, one, err_msg=f"{name}: {key}")


def test_two_process_sweep_equals_single_process_sweep(tmp_path):
    procs = _launch(tmp_path)
    try:
        # The single-process sweeps, in this process, while the two processes run.
        model = synthetic_cp2015()
        scenarios = cp2015_scenarios(model, N, bad=[BAD], nan=[NAN])
        solver = dataclasses.replace(model.solver(), fallback="none")  # as --no-fallback
        single = {
            "cp2015": de.sweep(model, {"tariff_counterfactual": scenarios}, of=list(CP2015_OUTCOMES),
                               solver=solver, progress=False),
        }
        rng = np.random.default_rng(0)  # the draws of benchmarks/multihost_sweep.py
        over = {"L1": rng.uniform(0.2, 5.0, N), "tau": rng.uniform(1.0, 3.0, N)}
        single["krugman"] = de.sweep(Krugman1980(), over, of="omega", wrt="L1", progress=False)
    finally:
        _wait(procs)
    assert [p.returncode for p, _, _ in procs] == [0, 0], _logs(procs)

    expected = np.ones(N, bool)
    expected[[BAD, NAN]] = False
    assert single["cp2015"]["converged"].tolist() == expected.tolist()
    reasons = single["cp2015"].reasons()
    assert "tariff_counterfactual is outside its admissible domain" in reasons[BAD], reasons[BAD]
    assert "tariff_counterfactual is not finite" in reasons[NAN], reasons[NAN]
    assert np.isfinite(np.asarray(single["cp2015"]["real_income_pct"])[expected]).all()
    assert np.asarray(single["krugman"]["converged"]).all()

    for me in (0, 1):
        got = np.load(tmp_path / f"result-{me}.npz")
        assert int(got["process_index"]) == me and int(got["process_count"]) == 2, _logs(procs)
        for name, one in single.items():
            assert int(got[f"{name}__devices"]) == 2, (me, name)  # sharded over both processes
            keys = {k.split("__", 1)[1] for k in got.files if k.startswith(name + "__")}
            assert keys == set(one) | {"reason_words", "devices"}, (me, name, keys)
            for key in one:  # every scenario's results, on every process
                _assert_same(f"process {me}, {name}", key, got[f"{name}__{key}"], np.asarray(one[key]))
            np.testing.assert_array_equal(got[f"{name}__reason_words"], one.reasons().astype(str))
