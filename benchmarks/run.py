"""Run every model's benchmark in one process and write a Markdown report.

Usage: `python -m benchmarks.run [--quick] [--only krugman1980 ...] [--batch 10000 1000000]
[--out benchmarks/RESULTS.md]`

JAX computes on a GPU when one is present (nothing to configure); the report's first line says
which machine and devices were used. Benchmarks whose `run` takes a `batch` argument time every
size given by `--batch` (default: 10^3 with `--quick`, else 10^4 and 10^6).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import time
from pathlib import Path

import diffecon  # noqa: F401  (enables float64 before any benchmark builds arrays)

from ._harness import growth_table, machine_description, markdown_table


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
    args = parser.parse_args(argv)
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
    text = (
        "# diffecon benchmarks\n\n"
        f"Machine: {machine}. Mode: {'quick' if args.quick else 'full'}. "
        f"Total wall time {time.perf_counter() - started:.0f} s.\n\n"
        "Ratio = SciPy baseline time / diffecon warm time for the same task, measured in this "
        "run. Compile time is reported separately and not included in the warm time.\n\n"
        + markdown_table(results)
        + ("\n## Cost growth\n\nWarm time against the size `n` of the problem.\n\n" + growth if growth else "")
    )
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
