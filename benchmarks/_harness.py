"""Timing helpers and the results table shared by every `bench_<model>.py`.

Protocol: a module `benchmarks/bench_<name>.py` defines `run(quick: bool) -> list[Result]`,
timing diffecon and its SciPy baseline (root finding + central finite differences) in the same
process. `python -m benchmarks.run` collects every module and writes one Markdown table.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

import jax

__all__ = ["Result", "time_jax", "time_python", "markdown_table", "machine_description"]


@dataclass
class Result:
    """One benchmark line: a task solved by diffecon and by the SciPy baseline.

    Times are seconds for the whole task (`n` equilibria); `compile_s` is diffecon's first-call
    overhead (trace + compile) beyond a warm run. `deriv_err_*` are max relative errors of the
    comparative statics against the closed form / analytic reference (None if none exists).
    """

    model: str
    task: str
    n: int
    diffecon_s: float
    compile_s: float
    baseline_s: float | None = None
    deriv_err_diffecon: float | None = None
    deriv_err_baseline: float | None = None
    baseline_n: int | None = None  # baseline run on fewer points, time scaled up to n
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.baseline_s is None else self.baseline_s / self.diffecon_s


def _block(out: Any) -> Any:
    return jax.block_until_ready(out)


def time_jax(fn: Callable[[], Any], repeats: int = 5) -> tuple[float, float, Any]:
    """(compile_s, median warm seconds, output) of a jitted, argument-free callable."""
    start = time.perf_counter()
    out = _block(fn())
    first = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = _block(fn())
        warm.append(time.perf_counter() - start)
    median = statistics.median(warm)
    return max(first - median, 0.0), median, out


def time_python(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    """(median seconds, output) of a plain Python callable (the SciPy baseline)."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def machine_description() -> str:
    devices = ", ".join(sorted({f"{d.platform}:{d.device_kind}" for d in jax.devices()}))
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"JAX {jax.__version__} on {devices}, Python {platform.python_version()}"
    )


def _num(x: float | None, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| model | task | n | diffecon warm (s) | compile (s) | SciPy baseline (s) | ratio | "
        "deriv. rel. error diffecon | deriv. rel. error baseline | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        note = r.note
        if r.baseline_n is not None and r.baseline_n != r.n:
            note = (note + "; " if note else "") + f"baseline timed on {r.baseline_n} points, scaled"
        lines.append(
            f"| {r.model} | {r.task} | {r.n} | {r.diffecon_s:.4g} | {r.compile_s:.3g} | "
            f"{_num(r.baseline_s, '.4g')} | {_num(r.ratio, '.0f')}× | {_num(r.deriv_err_diffecon, '.1e')} | "
            f"{_num(r.deriv_err_baseline, '.1e')} | {note} |"
        )
    return "\n".join(lines) + "\n"
