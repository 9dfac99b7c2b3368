"""Timing helpers and the results tables shared by every `bench_<model>.py`.

Protocol: a module `benchmarks/bench_<name>.py` defines `run(quick: bool) -> list[Result]`
(optionally `run(quick, batch)`, `batch` being the batch sizes asked for on the command line),
timing diffecon and its SciPy baseline (root finding + central finite differences) in the same
process. `python -m benchmarks.run` collects every module and writes one Markdown table, plus a
cost-growth table of the rows that carry a `series` (time against `n`: batch size, countries...).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

__all__ = [
    "Result", "Goal", "ISSUE_ROWS", "KRUGMAN_BATCH", "NIEM_KIM_BATCH", "ARA_BATCH", "FGH_BATCH", "SINGLE",
    "COMPILE", "GRAVITY_N2000", "single_goals", "max_rel_diff", "goals_table", "time_jax", "time_python",
    "markdown_table", "growth_table", "machine_description",
    "accelerators", "sweep_devices", "batch_sizes", "growth_exponent",
]


# The rows of issue 14's table, in its order: each goal below names one of these.
KRUGMAN_BATCH = "Krugman 1980, batch of 10^4 with ω̂/L̂"
NIEM_KIM_BATCH = "Niem–Kim 2020, batch of 10^4 with statics"
ARA_BATCH = "Ara 2026, batch of 10^4 with the full 56 × 12 Jacobian"
FGH_BATCH = "FGH 2011 autarky, batch of 10^4"
SINGLE = "single warm solve + elasticity (every model)"
COMPILE = "first call (compile) of a solve + elasticity"
GRAVITY_N2000 = "Gravity N = 2000, matrix-free counterfactual"
ISSUE_ROWS = (KRUGMAN_BATCH, NIEM_KIM_BATCH, ARA_BATCH, FGH_BATCH, SINGLE, COMPILE, GRAVITY_N2000)

_OPS = {"≥": lambda v, t: v >= t, "≤": lambda v, t: v <= t}


@dataclass(frozen=True)
class Goal:
    """A target for one measured quantity of a row, checked when the report is written.

    `metric`: "ratio" (baseline / diffecon, this row's baseline), "us_per_point" (diffecon warm
    µs per equilibrium), "warm_s", "compile_s", "first_call_s" (the whole first call: compile
    plus one warm run), or "growth" (the exponent b of time ∝ n^b between this row and the next
    smaller `n` of its series)."""

    row: str  # one of ISSUE_ROWS
    text: str  # the goal as the issue states it
    metric: str
    op: str  # "≥" or "≤"
    target: float

    def value(self, r: Result, results: list[Result] | None = None) -> float | None:
        if self.metric == "ratio":
            return r.ratio
        if self.metric == "us_per_point":
            return 1e6 * r.diffecon_s / r.n
        if self.metric == "warm_s":
            return r.diffecon_s
        if self.metric == "compile_s":
            return r.compile_s
        if self.metric == "first_call_s":
            return r.compile_s + r.diffecon_s
        if self.metric == "growth":
            smaller = [o for o in results or [] if o.series == r.series and o.model == r.model and o.n < r.n]
            if r.series is None or not smaller:
                return None
            prev = max(smaller, key=lambda o: o.n)
            return growth_exponent([prev.n, r.n], [prev.diffecon_s, r.diffecon_s])
        raise ValueError(f"unknown goal metric {self.metric!r}")

    def met(self, r: Result, results: list[Result] | None = None) -> bool | None:
        v = self.value(r, results)
        return None if v is None else bool(_OPS[self.op](v, self.target))

    def show(self, v: float | None) -> str:
        if v is None:
            return "—"
        seconds = f"{v:.3g} s"
        return {"ratio": f"{v:.0f}×" if v >= 10 else f"{v:.2g}×", "us_per_point": f"{v:.3g} µs/point",
                "warm_s": seconds, "compile_s": seconds, "first_call_s": seconds, "growth": f"N^{v:.2f}"}[self.metric]


@dataclass
class Result:
    """One benchmark line: a task solved by diffecon and by one baseline.

    Times are seconds for the whole task (`n` equilibria); `compile_s` is diffecon's first-call
    overhead (trace + compile) beyond a warm run. `deriv_err_*` are max relative errors of the
    comparative statics against the closed form / analytic reference (None if none exists).
    `baseline_label` says how the baseline was written (several rows may share one diffecon
    time, one per baseline); `goals` are issue 14's targets this row is checked against.
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
    series: str | None = None  # rows of one (model, series) form a cost-growth curve over n
    baseline_label: str = "see note"
    goals: list[Goal] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return None if self.baseline_s is None else self.baseline_s / self.diffecon_s

    @property
    def per_second(self) -> float:
        """Equilibria (with their statics) per second, warm."""
        return self.n / self.diffecon_s


def single_goals(compile_limit_s: float = 3.0, *, ratio: bool = True) -> list[Goal]:
    """Issue 14's goals for a model's single warm solve + elasticity row: warm not slower than
    the row's baseline (SciPy root + central differences), the whole first call (compile + run)
    within `compile_limit_s`."""
    text = "not slower than SciPy root + central difference (ratio ≥ 1)"
    out = [Goal(SINGLE, text, "ratio", "≥", 1.0)] if ratio else []
    return out + [Goal(COMPILE, f"first call ≤ {compile_limit_s:g} s", "first_call_s", "≤", compile_limit_s)]


def max_rel_diff(a: Any, b: Any, floor: float = 1.0) -> float:
    """max |a − b| / max(|b|, floor): a baseline's answers against diffecon's (note column)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))


def _block(out: Any) -> Any:
    return jax.block_until_ready(out)


def time_jax(fn: Callable[[], Any], repeats: int = 5, budget_s: float = 10.0) -> tuple[float, float, Any]:
    """(compile_s, median warm seconds, output) of a jitted, argument-free callable.

    Warm repeats stop early once they have used `budget_s` (a 10^6 batch is timed once)."""
    start = time.perf_counter()
    out = _block(fn())
    first = time.perf_counter() - start
    warm: list[float] = []
    while len(warm) < repeats and (not warm or sum(warm) < budget_s):
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


def accelerators() -> list[jax.Device]:
    """The GPUs (or TPUs) JAX can use; empty on a CPU-only machine."""
    return [d for d in jax.devices() if d.platform != "cpu"]


def sweep_devices() -> str | None:
    """`devices=` for `sweep`: shard over every device when there are several."""
    return "all" if len(jax.devices()) > 1 else None


def batch_sizes(quick: bool, batch: list[int] | None) -> list[int]:
    """Batch sizes to time: the command line's `--batch`, else 10^3 (quick) or 10^4 and 10^6."""
    if batch:
        return sorted(set(int(b) for b in batch))
    return [1_000] if quick else [10_000, 1_000_000]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def _gpu_names() -> str:
    """nvidia-smi's view of the GPUs (name, memory, driver), or "" when there is none."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return "; ".join(line.strip() for line in out.stdout.splitlines() if line.strip())


def machine_description() -> str:
    """CPU, RAM, the devices JAX computes on (GPU name and memory when present), versions."""
    kinds: dict[str, int] = {}
    for d in jax.devices():
        key = f"{d.platform}:{d.device_kind}"
        kinds[key] = kinds.get(key, 0) + 1
    devices = ", ".join(f"{n}× {k}" for k, n in sorted(kinds.items()))
    ram = _ram_gib()
    parts = [
        f"CPU {_cpu_model()} ({os.cpu_count()} cores visible"
        + (f", {ram:.0f} GiB RAM)" if ram else ")"),
        f"JAX {jax.__version__} ({jax.default_backend()} backend) on {devices}",
    ]
    gpus = _gpu_names()
    if gpus:
        parts.append(f"GPU {gpus}")
    elif not accelerators():
        parts.append("no GPU")
    parts.append(f"Python {platform.python_version()}")
    return "; ".join(parts)


def _num(x: float | None, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def _met(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "**no**")


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| model | task | baseline | n | diffecon warm (s) | µs/point | compile (s) | baseline (s) | "
        "ratio | deriv. rel. error diffecon | deriv. rel. error baseline | goal | met? | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        note = r.note
        if r.baseline_n is not None and r.baseline_n != r.n:
            note = (note + "; " if note else "") + f"baseline timed on {r.baseline_n} points, scaled"
        if r.n == 1 and r.diffecon_s > 1.0 and r.compile_s < r.diffecon_s:
            note = ((note + "; ") if note else "") + ("**a warm call takes most of a first call's time: the "
                                                      "program appears to be compiled again on every call**")
        goal = "; ".join(g.text for g in r.goals) or "—"
        met = "; ".join(_met(g.met(r, results)) for g in r.goals) or "—"
        ratio = "—" if r.ratio is None else (f"{r.ratio:.0f}×" if r.ratio >= 10 else f"{r.ratio:.2g}×")
        lines.append(
            f"| {r.model} | {r.task} | {r.baseline_label if r.baseline_s is not None else '—'} | {r.n} | "
            f"{r.diffecon_s:.4g} | {1e6 * r.diffecon_s / r.n:.3g} | {r.compile_s:.3g} | "
            f"{_num(r.baseline_s, '.4g')} | {ratio} | {_num(r.deriv_err_diffecon, '.1e')} | "
            f"{_num(r.deriv_err_baseline, '.1e')} | {goal} | {met} | {note} |"
        )
    return "\n".join(lines) + "\n"


def goals_table(results: list[Result]) -> str:
    """Issue 14's table: every row with its goals, the measured values and whether each is met
    (computed here from the results, never typed)."""
    lines = ["| issue 14 row | measured on | goal | measured | met? |", "|---|---|---|---|---|"]
    for row in ISSUE_ROWS:
        found = [(r, g) for r in results for g in r.goals if g.row == row]
        if not found:
            lines.append(f"| {row} | not measured in this run | — | — | — |")
        for r, g in found:
            vs = f", vs {r.baseline_label}" if g.metric == "ratio" else ""
            where = f"{r.model}: {r.task}{vs} (n = {r.n})"
            lines.append(f"| {row} | {where} | {g.text} | {g.show(g.value(r, results))} | {_met(g.met(r, results))} |")
    return "\n".join(lines) + "\n"


def growth_exponent(n: list[float], seconds: list[float]) -> float | None:
    """Slope b of log(time) = a + b·log(n), least squares (time ∝ n^b); None below 2 sizes."""
    if len(set(n)) < 2:
        return None
    return float(np.polyfit(np.log(n), np.log(seconds), 1)[0])


def growth_table(results: list[Result]) -> str:
    """Cost growth: warm time against n for every (model, series), with the fitted exponent
    over all sizes and over the two largest (where fixed per-call costs have faded)."""
    curves: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        if r.series is not None:
            curves.setdefault((r.model, r.series), []).append(r)
    if not curves:
        return ""
    lines = [
        "| model | series | n | warm (s) | compile (s) | µs per equilibrium | equilibria/s |",
        "|---|---|---|---|---|---|---|",
    ]
    exponents = []
    for (model, series), rows in curves.items():
        rows = sorted(rows, key=lambda r: r.n)
        for r in rows:
            lines.append(
                f"| {model} | {series} | {r.n} | {r.diffecon_s:.4g} | {r.compile_s:.3g} | "
                f"{1e6 * r.diffecon_s / r.n:.3g} | {r.per_second:.3g} |"
            )
        b_all = growth_exponent([r.n for r in rows], [r.diffecon_s for r in rows])
        b_top = growth_exponent([r.n for r in rows[-2:]], [r.diffecon_s for r in rows[-2:]])
        if b_all is not None:
            exponents.append(
                f"- {model} / {series}: time ∝ n^{b_all:.2f} over n = {rows[0].n}…{rows[-1].n}"
                + (f" (n^{b_top:.2f} between the two largest)" if len(rows) > 2 else "")
            )
    return "\n".join(lines) + "\n\n" + "\n".join(exponents) + ("\n" if exponents else "")

