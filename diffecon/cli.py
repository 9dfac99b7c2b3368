"""The `diffecon` command line."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time


def _papers_epilog() -> str:
    from .replicate import available, describe  # the reference modules only: no JAX, no matplotlib

    names = available()
    width = max(map(len, names), default=0)
    return "papers:\n" + "\n".join(f"  {n:{width}s}  {textwrap.shorten(describe(n), 96, placeholder=' …')}"
                                     for n in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="diffecon", description="Differentiable trade-model equilibria.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command")
    rep = sub.add_parser("replicate", help="replicate seed papers: figures (PNG) and paper-vs-ours tables",
                         description="Replicate seed papers: figures (PNG) and paper-vs-diffecon tables "
                                     "(Markdown, CSV); progress goes to standard error.",
                         epilog=_papers_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    rep.add_argument("papers", nargs="*", default=["all"], help="paper names (any case) or 'all' (default)")
    rep.add_argument("--out", default="replication", help="output folder (default: ./replication)")
    args = parser.parse_args(argv)

    if args.version:
        from ._version import __version__

        print(__version__)
        return 0
    if args.command != "replicate":
        parser.print_help()
        return 2
    import matplotlib

    matplotlib.use("Agg")  # the command only writes PNG files; no window, with or without a display
    from .replicate import available, replicate  # matplotlib and the papers load only here

    papers = [p.lower() for p in args.papers]  # names are case-insensitive
    papers = list(available()) if papers == ["all"] else papers
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
