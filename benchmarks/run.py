"""Run every model's benchmark in one process and write a Markdown report.

Usage: `python -m benchmarks.run [--quick] [--only krugman1980 ...] [--batch 10000 1000000]
[--out benchmarks/RESULTS.md] [--remark "..."]`

JAX computes on a GPU when one is present (nothing to configure); the report's first line says
which machine and devices were used. Benchmarks whose `run` takes a `batch` argument time every
size given by `--batch` (default: 10^3 with `--quick`, else 10^4 and 10^6).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import time
from pathlib import Path


def _available() -> list[str]:
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                  if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small batches (a smoke run)")
    parser.add_argument("--only", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--batch", nargs="+", type=lambda s: int(float(s)),
                        help="batch sizes, e.g. 1e4 1e6 (benchmarks that support it)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    parser.add_argument("--disk-cache", action="store_true",
                        help="keep diffecon's persistent compilation cache (default: off, so compile times are cold)")
    parser.add_argument("--remark", default="", help="a line added under the report's header (e.g. why a mode)")
    args = parser.parse_args(argv)
    if not args.disk_cache:
        # compile times are first calls in a fresh session with nothing compiled before; diffecon's
        # disk cache would turn them into cache loads (set before diffecon configures JAX)
        os.environ["DIFFECON_CACHE_DIR"] = "off"
    import jax

    import diffecon  # noqa: F401  (enables float64 before any benchmark builds arrays)

    from ._harness import goals_table, growth_table, machine_description, markdown_table

    folder = jax.config.jax_compilation_cache_dir
    cache = f"on ({folder}: compile times may be cache loads)" if folder else "off (compile times are cold)"
    names = _available()
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(names)}")
        names = [n for n in names if n in args.only]
    machine = machine_description()
    print(f"machine: {machine}", flush=True)
    results, started = [], time.perf_counter()
    for name in names:
        print(f"running {name} ...", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        kwargs = {"batch": args.batch} if "batch" in inspect.signature(module.run).parameters else {}
        results += module.run(quick=args.quick, **kwargs)
    growth = growth_table(results)
    mode = "quick" if args.quick else "full"
    if args.batch:
        mode += ", batch " + " ".join(f"{b:.0e}".replace("e+0", "e") for b in sorted(set(args.batch)))
    text = (
        "# diffecon benchmarks\n\n"
        f"Machine: {machine}. Mode: {mode}. Persistent compilation cache: {cache}. "
        f"Total wall time {time.perf_counter() - started:.0f} s.\n\n"
        + (args.remark + "\n\n" if args.remark else "")
        + "## Goals (issue 14)\n\n"
        "Each goal is checked against the row named, measured in this run; *met?* is computed from "
        "the numbers, not typed. A ratio is baseline time / diffecon warm time for the same task; "
        "batch goals are checked against the strongest baseline of their kind.\n\n"
        + goals_table(results)
        + "\n## All rows\n\n"
        "Ratio = baseline time / diffecon warm time for the same task, measured in this run; one "
        "diffecon time may appear on several rows, one per baseline (the *baseline* column says "
        "how it was written). Compile time is reported separately and not included in the warm "
        "time.\n\n"
        + markdown_table(results)
        + ("\n## Cost growth\n\nWarm time against the size `n` of the problem.\n\n" + growth if growth else "")
    )
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
