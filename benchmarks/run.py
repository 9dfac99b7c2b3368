"""Run every model's benchmark in one process and write a Markdown table.

Usage: `python -m benchmarks.run [--quick] [--only krugman1980 ...] [--out benchmarks/RESULTS.md]`
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import time
from pathlib import Path

import diffecon  # noqa: F401  (enables float64 before any benchmark builds arrays)

from ._harness import machine_description, markdown_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small batches (a smoke run)")
    parser.add_argument("--only", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if n in args.only]
    results, started = [], time.perf_counter()
    for name in names:
        print(f"running {name} ...", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        results += module.run(quick=args.quick)
    table = markdown_table(results)
    text = (
        "# diffecon benchmarks\n\n"
        f"Machine: {machine_description()}. Mode: {'quick' if args.quick else 'full'}. "
        f"Total wall time {time.perf_counter() - started:.0f} s.\n\n"
        "Ratio = SciPy baseline time / diffecon warm time for the same task, measured in this "
        "run. Compile time is reported separately and not included in the warm time.\n\n"
        + table
    )
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
