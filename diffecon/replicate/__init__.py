"""Replications of the seed papers: figures (PNG) and paper-vs-diffecon tables.

Every public module `diffecon.replicate.<paper>` (other than `*_reference`) is a paper: it
declares `PAPER`, a `Paper` of named sections, and its reference numbers live in
`diffecon.replicate.<paper>_reference`, each with its source in the paper (see `_protocol`).
Papers are discovered from the package's files: adding `<paper>.py` and `<paper>_reference.py`
is all it takes. Names are case-insensitive.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from pathlib import Path

from ._progress import Progress
from ._protocol import Context, Paper, Ref, Section
from ._report import Report, Row

__all__ = ["replicate", "available", "load", "describe", "Paper", "Section", "Context", "Ref", "Report",
           "Row", "Progress"]

_REFERENCE = "_reference"


def available() -> tuple[str, ...]:
    """The papers that can be replicated (module names, sorted)."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                        if not m.name.startswith("_") and not m.name.endswith(_REFERENCE)))


def _canonical(paper: str) -> str:
    name = str(paper).strip().lower()
    if name not in available():
        raise ValueError(f"unknown paper {paper!r}; choose from {', '.join(available())} or 'all'.")
    return name


def load(paper: str) -> Paper:
    """The `Paper` declared by the module of `paper` (case-insensitive)."""
    name = _canonical(paper)
    module = importlib.import_module(f"{__name__}.{name}")
    declared = getattr(module, "PAPER", None)
    if not isinstance(declared, Paper) or declared.name != name:
        raise TypeError(f"{module.__name__} must declare PAPER = Paper(name={name!r}, ...) "
                        "(see diffecon.replicate._protocol).")
    return declared


def describe(paper: str) -> str:
    """A one-line citation of `paper`, read from its reference module (which is light to import)."""
    name = _canonical(paper)
    try:
        ref = importlib.import_module(f"{__name__}.{name}{_REFERENCE}")
    except ImportError:
        return name
    return getattr(ref, "CITATION", name)


def replicate(paper: str | Sequence[str] = "all", out_dir: str | Path = "replication", *,
              progress: bool | Progress = True) -> dict[str, Report]:
    """Replicate one paper, several, or `"all"`, writing figures and tables under `out_dir/<paper>/`.

    **Arguments:**
    - `paper`: a name from `available()` (any case), a list of them, or `"all"`;
    - `out_dir`: the output folder;
    - `progress`: report each paper and section with its time while running (a bar on a
      terminal, plain lines elsewhere), or a `Progress`.

    **Returns:** dict paper -> `Report`.
    """
    names = [paper] if isinstance(paper, str) else list(paper)
    if [n.strip().lower() for n in names] == ["all"]:
        names = list(available())
    papers = [load(n) for n in names]
    bar = progress if isinstance(progress, Progress) else Progress(enabled=bool(progress))
    return {p.name: p.run(Path(out_dir) / p.name, progress=bar) for p in papers}
