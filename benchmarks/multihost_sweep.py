"""One sweep spread over several processes (hosts) with JAX's distributed runtime.

Start the same command once per process; every process builds the same `over` (same seed), each
solves the slice of the batch that lives on its own devices, and every process receives all
results. On a cluster, run one process per host (or per GPU); locally, several CPU processes:

    python -m benchmarks.multihost_sweep --coordinator localhost:12355 --processes 2 --id 0 --cpu-devices 2 &
    python -m benchmarks.multihost_sweep --coordinator localhost:12355 --processes 2 --id 1 --cpu-devices 2

Under SLURM or Open MPI, `jax.distributed.initialize()` with no arguments reads the process
count and ids from the environment; pass `--auto`.

Models (`--model`, several comma-separated ones run in turn in the same session):

- `krugman` (default): Krugman (1980) over random `L1` and `tau` (`--n` points, default 1e5);
- `cp2015`: Caliendo–Parro (2015) over tariff scenarios, each a whole J×N×N counterfactual tariff
  array: random tariffs of a small synthetic economy (`--regions`, `--sectors`; `--n` scenarios,
  default 16), or with `--nafta` the bundled NAFTA data along the NAFTA path,
  tariff = (1 − t)·baseline + t·NAFTA for `--n` values of t in [0, 1] (default 5).
  `--bad K` (repeatable) makes scenario K inadmissible (one tariff of −5, below −1): it comes
  back `converged=False` with its reason, and the rest of the batch is solved as usual;
  `--nan K` puts a NaN in one tariff of scenario K instead.

`--save PATH` writes every result array (`<model>__<key>`, plus `<model>__reason_words`) to an
`.npz` file; `{id}` in PATH is replaced by the process id (with several processes and no `{id}`,
`-<id>` is added before the suffix), so a test can compare what each process received.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

MODELS = ("krugman", "cp2015")
CP2015_OUTCOMES = ("real_income_pct", "welfare_pct", "real_wage_pct", "wage_change")


def synthetic_cp2015(seed: int = 2015, regions: int = 3, sectors: int = 2):
    """A small random Caliendo–Parro economy in the NAFTA data layout (the same for a seed)."""
    import numpy as np
    import pandas as pd

    from diffecon.data import load_cp2015
    from diffecon.models import CaliendoParro2015

    rng = np.random.default_rng(seed)
    names = [f"R{k}" for k in range(regions)]
    goods = [f"S{k}" for k in range(sectors)]
    trade = pd.DataFrame([(s, e, i) for s in goods for e in names for i in names],
                         columns=["sector", "exporter", "importer"])
    trade["value"] = np.exp(rng.uniform(np.log(0.1), np.log(100), len(trade)))
    trade["tariff"] = rng.uniform(0, 0.2, len(trade))
    trade["tariff_bln"] = trade["tariff"]
    trade["tariff_cfl"] = trade["tariff"] / 2
    trade["d_bln"] = trade["d_cfl"] = 1.0
    ic = pd.DataFrame([(k, s, r) for k in goods for s in goods for r in names],
                      columns=["input", "sector", "region"])
    ic["value"] = rng.uniform(0, 5, len(ic))
    sr = pd.DataFrame([(s, r) for s in goods for r in names], columns=["sector", "region"])
    tables = {
        "trade": trade,
        "intermediate_consumption": ic,
        "final_consumption": sr.assign(value=rng.uniform(1, 10, len(sr))),
        "value_added": sr.assign(value=rng.uniform(5, 20, len(sr))),
        "deficit": pd.DataFrame({"region": names, "D": rng.normal(size=regions)}),
        "theta": pd.DataFrame({"sector": goods, "value": np.exp(rng.uniform(np.log(0.5), np.log(20), sectors))}),
    }
    return CaliendoParro2015.from_data(load_cp2015(tables), "zero")


def cp2015_scenarios(model, n: int, seed: int = 2016, *, path: bool = False, bad=(), nan=()):
    """`n` counterfactual tariff arrays (n×J×N×N): random in [0, 0.5], or with `path` the
    baseline-to-counterfactual path at t = linspace(0, 1, n); scenarios in `bad` get one tariff
    of −5 (inadmissible), those in `nan` one NaN tariff."""
    import numpy as np

    base = np.asarray(model.tariff_baseline)
    if path:
        t = np.linspace(0.0, 1.0, n).reshape((n,) + (1,) * base.ndim)
        batch = (1.0 - t) * base + t * np.asarray(model.tariff_counterfactual)
    else:
        batch = np.random.default_rng(seed).uniform(0.0, 0.5, (n,) + base.shape)
    for k in bad:
        batch[k, 0, 0, -1] = -5.0
    for k in nan:
        batch[k, -1, -1, 0] = np.nan
    return batch


def _krugman(args, de, np):
    from diffecon.models import Krugman1980

    n = int(args.n or 1e5)
    rng = np.random.default_rng(0)  # the same draws in every process
    over = {"L1": rng.uniform(0.2, 5.0, n), "tau": rng.uniform(1.0, 3.0, n)}
    kw = dict(of="omega", wrt="L1")
    return Krugman1980(), over, kw, "omega"


def _cp2015(args, de, np):
    if args.nafta:
        from diffecon.data import load_cp2015_nafta
        from diffecon.models import CaliendoParro2015

        model = CaliendoParro2015.from_data(load_cp2015_nafta(), "zero")
        n = int(args.n or 5)
    else:
        model = synthetic_cp2015(args.seed, args.regions, args.sectors)
        n = int(args.n or 16)
    batch = cp2015_scenarios(model, n, args.seed + 1, path=args.nafta, bad=args.bad, nan=args.nan)
    solver = model.solver()
    if args.no_fallback:
        solver = dataclasses.replace(solver, fallback="none")
    kw = dict(of=list(CP2015_OUTCOMES), solver=solver)
    return model, {"tariff_counterfactual": batch}, kw, "real_income_pct"


def _save_path(template: str, me: int, count: int) -> Path:
    if "{id}" in template:
        return Path(template.format(id=me))
    path = Path(template)
    return path if count == 1 else path.with_name(f"{path.stem}-{me}{path.suffix or '.npz'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coordinator", help="host:port of process 0")
    parser.add_argument("--processes", type=int, help="number of processes")
    parser.add_argument("--id", type=int, help="this process's id, 0 … processes−1")
    parser.add_argument("--auto", action="store_true", help="cluster environment (SLURM, MPI)")
    parser.add_argument("--model", default="krugman",
                        help=f"model(s) to sweep, comma-separated: {', '.join(MODELS)} (default krugman)")
    parser.add_argument("--n", type=float, default=None,
                        help="batch size (default: 1e5 Krugman points, 16 CP2015 scenarios, 5 with --nafta)")
    parser.add_argument("--nafta", action="store_true", help="cp2015: the NAFTA data along the NAFTA path")
    parser.add_argument("--regions", type=int, default=3, help="cp2015: regions of the synthetic economy")
    parser.add_argument("--sectors", type=int, default=2, help="cp2015: sectors of the synthetic economy")
    parser.add_argument("--seed", type=int, default=2015, help="cp2015: seed of the economy (scenarios: seed+1)")
    parser.add_argument("--bad", type=int, action="append", default=[],
                        help="cp2015: make scenario K inadmissible (a tariff of -5)")
    parser.add_argument("--nan", type=int, action="append", default=[],
                        help="cp2015: put a NaN tariff in scenario K")
    parser.add_argument("--no-fallback", action="store_true",
                        help="cp2015: no fallback solver where Newton fails (bad scenarios fail at once; "
                             "nothing more to compile)")
    parser.add_argument("--repeat", type=int, default=2, help="sweeps per model (the first compiles)")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip re-solving up to 64 points on this process's own device")
    parser.add_argument("--save", help="write the results to this .npz ({id}: the process id)")
    parser.add_argument("--cpu-devices", type=int, default=0,
                        help="compute on N virtual CPU devices per process (a local try-out)")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.model.split(",") if m.strip()]
    unknown = sorted(set(models) - set(MODELS))
    if unknown or not models:
        parser.error(f"--model {args.model!r}: choose from {', '.join(MODELS)}")

    import jax

    if args.cpu_devices:
        # CPU processes need a cross-process collectives library (GPUs use NCCL by themselves).
        jax.config.update("jax_platforms", "cpu")
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.config.update("jax_num_cpu_devices", args.cpu_devices)
    if args.auto:
        jax.distributed.initialize()
    else:
        jax.distributed.initialize(args.coordinator, num_processes=args.processes, process_id=args.id)

    import numpy as np

    import diffecon as de

    me = jax.process_index()
    print(f"process {me}/{jax.process_count()}: {len(jax.local_devices())} local of "
          f"{len(jax.devices())} global devices", flush=True)
    ok = True
    saved = {}
    for name in models:
        model, over, kw, key = (_krugman if name == "krugman" else _cp2015)(args, de, np)
        n = len(next(iter(over.values())))
        for r in range(max(args.repeat, 1)):
            label = "first call (compile)" if r == 0 else "warm call"
            start = time.perf_counter()
            out = de.sweep(model, over, devices="all", progress=False, **kw)
            print(f"process {me}: {name}: {label}: {time.perf_counter() - start:.2f} s", flush=True)
        converged = np.asarray(out["converged"])
        expected = np.ones(n, bool)
        if name == "cp2015":
            expected[list(args.bad) + list(args.nan)] = False
        ok &= bool(np.array_equal(converged, expected))
        line = (f"process {me}: {name}: {n} equilibria over {out.devices} devices; "
                f"converged {int(converged.sum())}/{n} (as expected: {np.array_equal(converged, expected)})")
        if args.check:
            # A check every process can make: up to 64 points spread over every device's slice,
            # solved again on this process's default device alone.
            pick = np.unique(np.linspace(0, n - 1, min(n, 64)).astype(int))
            local = de.sweep(model, {k: v[pick] for k, v in over.items()}, progress=False, **kw)
            # Equal to `rtol` of the outcome's scale: 1e-12 for Krugman; 1e-10 (the solver's
            # tolerance) for CP2015, whose chord method on the NAFTA data stops ~4e-12 from the
            # root, so another batch layout lands ~1e-12 of the scale away (measured).
            rtol = 1e-12 if name == "krugman" else 1e-10
            a, b = np.asarray(out[key])[pick], np.asarray(local[key])
            scale = max(float(np.nanmax(np.abs(b), initial=0.0)), 1e-300)
            diff = float(np.nanmax(np.abs(a - b), initial=0.0)) / scale
            same = bool(np.array_equal(np.isnan(a), np.isnan(b))) and diff <= rtol
            same &= bool(np.array_equal(converged[pick], np.asarray(local["converged"])))
            ok &= bool(same)
            line += (f"; {len(pick)} spread points equal the single-device solve: {same} "
                     f"(max difference {diff:.1e} of the scale)")
        print(line, flush=True)
        for i in np.flatnonzero(~converged)[:5]:
            print(f"process {me}: {name}: point {i} not converged: {out.reasons()[i]}", flush=True)
        saved.update({f"{name}__{k}": np.asarray(v) for k, v in out.items()})
        saved[f"{name}__reason_words"] = np.asarray(out.reasons(), dtype=str)
        saved[f"{name}__devices"] = np.asarray(out.devices)
    if args.save:
        target = _save_path(args.save, me, jax.process_count())
        np.savez(target, process_index=me, process_count=jax.process_count(), **saved)
        print(f"process {me}: saved {target}", flush=True)
    jax.distributed.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
