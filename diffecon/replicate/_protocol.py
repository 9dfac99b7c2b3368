"""The one protocol every replication follows.

A paper module `diffecon.replicate.<paper>` declares

    PAPER = Paper(name="<paper>", title=..., reference=<paper>_reference, sections=(
        Section("name", function), ...), seed=...)

where every section is a function `function(ctx: Context) -> None` that adds rows to `ctx.report`
(and figures with `ctx.figure(...)`), and `<paper>_reference` is the module holding every
reference number of the paper as a `Ref` (the value and where it is printed, or how it was
derived). `diffecon.replicate` discovers the paper modules; nothing lists them by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ..core.progress import quiet
from ._progress import Progress
from ._report import Report

__all__ = ["Ref", "Section", "Context", "Paper"]


@dataclass(frozen=True)
class Ref:
    """A reference value and its source.

    **Fields:**
    - `value`: the number the paper prints (or a derived reference number), or a statement;
    - `source`: where the paper prints it (page, equation, table, figure, section) or, for a
      derived value, how it was derived. Never empty.
    """

    value: float | str
    source: str

    def __post_init__(self):
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError(f"reference value {self.value!r} has no source.")


@dataclass(frozen=True)
class Section:
    """One named part of a replication: `run(ctx)` adds rows (and figures) to `ctx.report`."""

    name: str
    run: Callable[[Context], None]


@dataclass
class Context:
    """What a section works with.

    **Fields:** `report` (the table being filled); `out_dir` (where figures go); `rng` (one
    generator per run, seeded by the paper, drawn from in section order); `store` (values that
    several sections share, computed once by `shared`).
    """

    report: Report
    out_dir: Path
    rng: Any
    store: dict = field(default_factory=dict)

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """The value stored under `key`, computed by `make()` on first use (so any subset of
        sections can run on its own)."""
        if key not in self.store:
            self.store[key] = make()
        return self.store[key]

    def figure(self, path: Path) -> Path:
        """Record a written figure in the report."""
        self.report.figures.append(Path(path))
        return Path(path)


@dataclass(frozen=True)
class Paper:
    """A replication: its sections, run in order, and the module of its reference numbers.

    **Fields:** `name` (the module name, lower case); `title` (the table's heading);
    `reference` (the `<name>_reference` module, whose `CITATION` names the paper);
    `sections`; `seed` (of the run's random generator).
    """

    name: str
    title: str
    reference: ModuleType
    sections: tuple[Section, ...]
    seed: int = 0

    def __post_init__(self):
        names = [s.name for s in self.sections]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: section names repeat: {names}.")
        if not getattr(self.reference, "CITATION", ""):
            raise ValueError(f"{self.name}: the reference module {self.reference.__name__} has no CITATION.")

    @property
    def section_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sections)

    def run(self, out_dir: str | Path, sections: Sequence[str] | None = None,
            progress: bool | Progress = False) -> Report:
        """Run the sections (default: all, in order), write the tables into `out_dir`.

        **Arguments:**
        - `out_dir`: folder for the figures and `<name>.md`/`<name>.csv`;
        - `sections`: names of a subset, run in the paper's order;
        - `progress`: print each section and its time (`True`: to standard error).

        **Returns:** the `Report`.
        """
        import numpy as np

        chosen = self.section_names if sections is None else tuple(sections)
        unknown = [s for s in chosen if s not in self.section_names]
        if unknown:
            raise ValueError(f"{self.name}: unknown section {unknown[0]!r}; "
                             f"choose from {', '.join(self.section_names)}.")
        todo = [s for s in self.sections if s.name in chosen]
        out_dir = Path(out_dir)
        report = Report(self.name, self.title, source=self.reference.CITATION)
        ctx = Context(report, out_dir, np.random.default_rng(self.seed))
        bar = progress if isinstance(progress, Progress) else Progress(enabled=bool(progress))
        bar.start_paper(self.name, [s.name for s in todo])
        for section in todo:
            bar.start_section(section.name)
            start = time.perf_counter()
            try:
                with quiet():  # this report's lines, not the sweeps' and fits' own bars inside
                    section.run(ctx)
            except Exception:
                report.write(out_dir)  # keep the rows of the sections that ran, then fail loudly
                raise
            bar.end_section(section.name, time.perf_counter() - start)
        bar.end_paper(f"{report.n_reproduced}/{len(report.rows)} reproduced")
        report.write(out_dir)
        return report
