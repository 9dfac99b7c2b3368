"""The `diffecon` command line."""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="diffecon", description="Differentiable trade-model equilibria.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command")
    rep = sub.add_parser("replicate", help="replicate seed papers: figures (PNG) and paper-vs-ours tables")
    rep.add_argument("papers", nargs="*", default=["all"], help="paper names or 'all' (default)")
    rep.add_argument("--out", default="replication", help="output folder (default: ./replication)")
    args = parser.parse_args(argv)

    from . import __version__
    from .replicate import available, replicate

    if args.version:
        print(__version__)
        return 0
    if args.command != "replicate":
        parser.print_help()
        return 2
    papers = list(available()) if args.papers == ["all"] else args.papers
    unknown = [p for p in papers if p not in available()]
    if unknown:
        parser.error(f"unknown paper {unknown[0]!r}; choose from {', '.join(available())} or 'all'")
    failed = []
    for paper in papers:
        start = time.perf_counter()
        report = replicate(paper, args.out)[paper]
        seconds = time.perf_counter() - start
        print(
            f"{paper:14s} {report.n_reproduced:3d}/{len(report.rows):3d} reproduced, "
            f"{len(report.figures)} figures, {seconds:6.1f} s -> {args.out}/{paper}/{paper}.md"
        )
        failed += [f"{paper}: {r.quantity}" for r in report.rows if not r.reproduced and not r.note]
    if failed:
        print("Not reproduced and not explained:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
