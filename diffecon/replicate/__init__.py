"""Replications of the seed papers: figures (PNG) and paper-vs-ours tables.

Each paper is a module `diffecon.replicate.<paper>` with a function `run(out_dir) -> Report`.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from ._report import Report, Row

__all__ = ["replicate", "available", "Report", "Row"]

# The order `replicate("all")` runs them in; a paper appears once its module exists.
_ORDER = ("krugman1980", "takita2025", "ara2026", "niem_kim2020", "fgh2011", "gravity")


def available() -> tuple[str, ...]:
    """The papers that can be replicated."""
    return tuple(p for p in _ORDER if importlib.util.find_spec(f"{__name__}.{p}") is not None)


def replicate(paper: str = "all", out_dir: str | Path = "replication") -> dict[str, Report]:
    """Replicate one paper (or `"all"`), writing figures and tables under `out_dir/<paper>/`.

    **Arguments:** `paper`, one of `available()` or `"all"`; `out_dir`, the output folder.

    **Returns:** dict paper -> `Report`.
    """
    papers = available() if paper == "all" else (paper,)
    unknown = [p for p in papers if p not in available()]
    if unknown:
        raise ValueError(f"unknown paper {unknown[0]!r}; choose from {', '.join(available())} or 'all'.")
    reports = {}
    for p in papers:
        module = importlib.import_module(f"{__name__}.{p}")
        target = Path(out_dir) / p
        report = module.run(target)
        report.write(target)
        reports[p] = report
    return reports
