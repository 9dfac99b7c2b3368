"""Where the time goes: the stages of issue 14's benchmark tasks timed apart.

Usage: `python -m benchmarks.profile [--out benchmarks/PROFILE.md] [--only single batch compile gravity]`

`benchmarks.run` measures each task whole; this splits it, so that every goal the run does not
meet comes with the stage that costs the time:

- **single calls**: building the model; `solve` and `elasticity`/`jacobian` whole; the same
  compiled programs called directly, returning only a flag or everything (the difference is
  what the returned arrays cost); the rest is Python-side dispatch;
- **batches of 10^4**: the start point alone, the start point and the root finder (the core's
  `first_stage`), the sweep without derivatives, the sweep with them, and the fixed cost of a
  sweep call (the same call on 8 points); the root finder's steps (a vmapped chunk runs until
  its slowest point stops);
- **compile**: a first call's time split into tracing, lowering to StableHLO and XLA's
  compilation (JAX's own monitoring events), each model in a fresh process, no disk cache;
- **gravity**: the N-country counterfactual's stages (building the model, the start point, the
  Newton solve; one residual and one Jacobian-vector product, against two bare N×N products).

Times are the minimum over repeats (warm), on whatever machine runs this; the report's header
says which.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

_SECTIONS = ("single", "batch", "compile", "gravity")


def _best(fn, repeats: int) -> float:
    import jax

    jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return min(times)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}"


# -- single calls -------------------------------------------------------------------------------

def _single_cases():
    from diffecon.models import FGH2011, Ara2026, Krugman1980, NiemKim2020, Takita2025

    from .bench_ara2026 import PARAMS, _float_outcomes
    ara = _float_outcomes()
    return [
        ("Krugman 1980", lambda: Krugman1980(L1=2.0, L2=1.0, sigma=4.0, tau=1.25), "omega", "L1", True),
        ("Niem–Kim 2020", lambda: NiemKim2020(10.0, 0.1, 4.0, 2.0), "quality", "size", True),
        ("Takita 2025", lambda: Takita2025(), "L1", ["q", "Q", "beta"], False),
        ("FGH 2011", lambda: FGH2011(), "n_L", "N", True),
        (f"Ara 2026 ({len(ara)} outcomes × 12)", lambda: Ara2026(), ara, list(PARAMS), False),
    ]


def _single_row(name, make, of, wrt, elastic) -> str:
    import jax

    import diffecon as de
    from diffecon.core._solve import _solve_first
    from diffecon.core._solver import as_solver
    from diffecon.core._statics import _question, outcome_selector
    from diffecon.core._tree import check_field_names

    solver = as_solver(None)
    model = make()
    n_out = len(model.outcomes(model.guess()))
    derivative = de.elasticity if elastic else de.jacobian
    flag = jax.jit(lambda m: _solve_first(m, None, solver)[2])
    whole = jax.jit(lambda m: _solve_first(m, None, solver)[0])
    statics = (check_field_names(model, wrt, "wrt"), outcome_selector(of), solver, "auto", elastic)
    question = jax.jit(lambda m: _question(m, None, *statics))
    build = _best(make, 200)
    solve_s, flag_s, whole_s = (_best(lambda: de.solve(model), 300), _best(lambda: flag(model), 300),
                                _best(lambda: whole(model), 300))
    deriv_s, question_s = _best(lambda: derivative(model, of, wrt), 300), _best(lambda: question(model), 300)
    python = solve_s - whole_s + deriv_s - question_s
    return (f"| {name} | {_us(build)} | {_us(solve_s)} | {_us(flag_s)} | {_us(whole_s)} ({n_out}) | "
            f"{_us(deriv_s)} | {_us(question_s)} | {_us(python)} |")


def profile_single() -> list[str]:
    rows = ["| model | build the model | `solve` | its program, flag only | its program, whole `Equilibrium` "
            "(outcomes) | derivative call | its program | Python dispatch of the two calls |",
            "|---|---|---|---|---|---|---|---|"]
    rows += [_single_row(*case) for case in _single_cases()]
    return ["## Single warm calls (µs, minimum of 300)", "",
            "`solve` returns every outcome as its own device array; the derivative call returns only "
            "the derivatives asked for. *Its program* is the compiled program `solve` (or "
            "`elasticity`/`jacobian`) runs, called directly through `jax.jit`. The last column is the "
            "calls minus their programs (argument checks, cache lookups, flattening the model, host "
            "reads); for calls of milliseconds (Ara's Jacobian) it is within the timing noise.",
            "", *rows, ""]


# -- batches ------------------------------------------------------------------------------------

def _batch_cases(n: int):
    import numpy as np

    from diffecon.models import FGH2011, Ara2026, Krugman1980, NiemKim2020

    from . import bench_ara2026, bench_fgh2011, bench_krugman1980
    nk = NiemKim2020(10.0, 0.1, 4.0, 2.0)
    ara = bench_ara2026._float_outcomes()
    return [
        ("Krugman 1980", Krugman1980(), bench_krugman1980._draws(n), "omega", "L1"),
        ("Niem–Kim 2020", nk, {"b": np.linspace(2.2, 4.3, n)}, "quality", "size"),
        ("FGH 2011", FGH2011(), bench_fgh2011._draws(n), "n_L", "N"),
        (f"Ara 2026 ({len(ara)} outcomes × 12)", Ara2026(), bench_ara2026._draws(n), ara,
         list(bench_ara2026.PARAMS)),
    ]


def _batch_row(name, model, over, of, wrt, n: int) -> str:
    import jax
    import jax.numpy as jnp
    import numpy as np

    import diffecon as de
    from diffecon.core._solve import first_stage
    from diffecon.core._solver import as_solver
    from diffecon.core._sweep_plan import CPU_AUTO_CHUNK
    from diffecon.core._tree import replace_fields

    solver = as_solver(None)

    def start(p):
        return replace_fields(model, p).guess()

    def search(p):
        at = replace_fields(model, p)
        return first_stage(at, at.guess(), solver)

    # In chunks of the sweep's own size (vmapping all 10^4 points at once is slower: cache misses)
    guess = jax.jit(lambda ps: jax.lax.map(start, ps, batch_size=CPU_AUTO_CHUNK))
    root = jax.jit(lambda ps: jax.lax.map(search, ps, batch_size=CPU_AUTO_CHUNK))
    points = {k: jnp.asarray(v) for k, v in over.items()}
    small = {k: v[:8] for k, v in over.items()}
    reps = 3 if "Ara" in name else 5
    t_guess, t_root = _best(lambda: guess(points), reps), _best(lambda: root(points), reps)
    t_plain = _best(lambda: de.sweep(model, over, of=of, progress=False), reps)
    t_full = _best(lambda: de.sweep(model, over, of=of, wrt=wrt, progress=False), reps)
    t_fixed = _best(lambda: de.sweep(model, small, of=of, wrt=wrt, progress=False), 20)
    steps = np.asarray(root(points)[2])
    per = [f"{t / n * 1e6:.3f}" for t in (t_guess, t_root, t_plain, t_full)]
    return f"| {name} | {' | '.join(per)} | {t_fixed * 1e3:.2f} ms | {steps.mean():.2f}, {steps.max()} |"


def profile_batch(n: int = 10_000) -> list[str]:
    from .bench_krugman1980 import _draws

    rows = ["| model | start point | start + root finder | sweep, no derivatives | sweep with derivatives "
            "| fixed cost of a sweep call | root-finder steps: mean, max |", "|---|---|---|---|---|---|---|"]
    rows += [_batch_row(*case, n) for case in _batch_cases(n)]
    floor, floor_error = _krugman_floor(_draws(n))
    return [f"## Batches of {n:,} (µs per point, minimum of 3–5)", "",
            "Each column's work includes the ones before it (the sweep builds on the start point and the "
            "root finder), but each is its own program, chunked as the sweep chunks (1,024 points): XLA "
            "fuses them differently, so a later column can come out a little below an earlier one. The "
            "last but one is a sweep of 8 points: the per-call cost every batch pays whatever its size.",
            "", *rows, "",
            f"The floor for Krugman: a hand-written JAX Newton on the same residual, from the same start, "
            f"with the implicit derivative by hand, no checks and nothing returned but ω and ω̂/L̂: "
            f"{floor / n * 1e6:.3f} µs per point (ln ω and ω̂/L̂ within {floor_error:.0e} of the closed form).", ""]


def _krugman_floor(over) -> tuple[float, float]:
    """(seconds, max error against the closed form) of Krugman's batch by the least a JAX user
    could write: Newton and the implicit derivative, no flags, no reasons."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from diffecon.core._tree import replace_fields
    from diffecon.models import Krugman1980

    from .bench_krugman1980 import reference
    base = Krugman1980()

    def one(p):
        model = replace_fields(base, p)

        def F(u, l1=model.L1):  # the balance of payments (eq. 14) at ln ω = u and L1 = l1
            return replace_fields(model, {"L1": l1}).residuals({"log_omega": u})["balance_of_payments"]

        def step(carry):
            u, k, _ = carry
            f, slope = jax.jvp(F, (u,), (jnp.ones_like(u),))
            return u - f / slope, k + 1, jnp.abs(f / slope) > 1e-10 * jnp.maximum(1.0, jnp.abs(u))

        u0 = model.guess()["log_omega"]
        u, _, _ = jax.lax.while_loop(lambda c: c[2] & (c[1] < 100), step, (u0, 0, jnp.asarray(True)))
        slope = jax.jvp(F, (u,), (jnp.ones_like(u),))[1]
        d_l1 = jax.jvp(lambda l1: F(u, l1), (model.L1,), (jnp.ones_like(u),))[1]
        return jnp.exp(u), -d_l1 / slope * model.L1

    points = {k: jnp.asarray(v) for k, v in over.items()}
    program = jax.jit(lambda ps: jax.lax.map(one, ps, batch_size=1 << 10))
    omega, elasticity = program(points)
    u, exact = reference(**over)  # the closed form: the floor must be computing the same numbers
    error = max(float(np.max(np.abs(np.log(omega) - u))), float(np.max(np.abs(elasticity - exact))))
    return _best(lambda: program(points), 5), error


# -- compile ------------------------------------------------------------------------------------

_COMPILE_CHILD = r"""
import json, sys, time, collections
import jax.monitoring as monitoring
totals = collections.Counter()
monitoring.register_event_duration_secs_listener(lambda e, d, **k: totals.__setitem__(e, totals[e] + d))
import diffecon as de
from benchmarks.profile import _single_cases
name, make, of, wrt, elastic = _single_cases()[int(sys.argv[1])]
model = make()
totals.clear()  # only what the first calls compile (not the import, not building the model)
start = time.perf_counter()
de.solve(model)
(de.elasticity if elastic else de.jacobian)(model, of, wrt)
total = time.perf_counter() - start
keys = {"trace": "/jax/core/compile/jaxpr_trace_duration", "lower": "/jax/core/compile/jaxpr_to_mlir_module_duration",
        "compile": "/jax/core/compile/backend_compile_duration"}
print(json.dumps({"name": name, "total": total, **{k: totals[v] for k, v in keys.items()}}))
"""


def profile_compile() -> list[str]:
    rows = ["| model | first solve + derivative call | tracing | lowering | XLA compilation | the rest "
            "(Python, running) |", "|---|---|---|---|---|---|"]
    env = {**os.environ, "DIFFECON_CACHE_DIR": "off", "PYTHONPATH": str(Path(__file__).parents[1])}
    for i in range(len(_single_cases())):
        out = subprocess.run([sys.executable, "-c", _COMPILE_CHILD, str(i)], capture_output=True, text=True,
                             env=env, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        rest = r["total"] - r["trace"] - r["lower"] - r["compile"]
        rows.append(f"| {r['name']} | {r['total']:.2f} s | {r['trace']:.2f} s | {r['lower']:.2f} s | "
                    f"{r['compile']:.2f} s | {rest:.2f} s |")
    return ["## First calls (a fresh process, no disk cache)", "",
            "Split by JAX's monitoring events (every program compiled on the way, the start point's and "
            "the checks' included). A trace nested in another is counted in both, so *the rest* can come "
            "out slightly below zero.", "", *rows, ""]


# -- gravity ------------------------------------------------------------------------------------

def _gravity_row(n: int) -> str:
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.flatten_util import ravel_pytree

    import diffecon as de
    from diffecon.core._model import initial_guess
    from diffecon.models import Gravity

    from .bench_gravity import SIGMA, _synthetic
    flows, dZ = _synthetic(n, np.random.default_rng(n))

    def make():
        return Gravity(flows, SIGMA, coef=[1.0], covariates=np.zeros_like(dZ), new_covariates=dZ,
                       linear_solve="matrix_free")

    model = make()
    eq = de.solve(model)
    flat, unravel = ravel_pytree(eq.x)
    residual = jax.jit(lambda m, v: ravel_pytree(m.residuals(unravel(v)))[0])
    jvp = jax.jit(lambda m, v: jax.jvp(lambda w: residual(m, w), (v,), (v,))[1])
    A, u = jnp.asarray(np.random.default_rng(0).random((n, n))), jnp.ones(n)
    products = jax.jit(lambda A, u: (u @ A, A @ u))
    ms = [_best(make, 3), _best(lambda: de.solve(model)["welfare_pct"], 3), _best(lambda: initial_guess(model), 3)]
    small = [_best(lambda: residual(model, flat), 10), _best(lambda: jvp(model, flat), 10),
             _best(lambda: products(A, u), 10)]
    return (f"| {n:,} | {' | '.join(f'{t * 1e3:.0f} ms' for t in ms)} | {int(eq.steps)} | "
            f"{' | '.join(f'{t * 1e3:.2f} ms' for t in small)} |")


def profile_gravity(sizes=(500, 1000, 2000)) -> list[str]:
    rows = ["| N | build the model | `solve` (warm) | of which the start point | Newton steps | one residual "
            "| one Jacobian-vector product | u·A and A·u alone |", "|---|---|---|---|---|---|---|---|"]
    rows += [_gravity_row(n) for n in sizes]
    return ["## Gravity, N countries, matrix-free (the benchmark's synthetic flows)", "", *rows, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=_SECTIONS, help="sections to run (default: all)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("PROFILE.md")))
    args = parser.parse_args(argv)
    import diffecon  # noqa: F401  (float64 on)

    from ._harness import machine_description

    sections = args.only or _SECTIONS
    lines = ["# Where the time goes (`python -m benchmarks.profile`)", "",
             f"Machine: {machine_description()}. Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
             ""]
    for section in sections:
        print(f"profiling {section} ...", flush=True)
        lines += globals()[f"profile_{section}"]()
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
