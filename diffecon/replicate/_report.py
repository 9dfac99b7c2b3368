"""The paper-vs-ours table every replication writes (Markdown and CSV)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Row", "Report"]


@dataclass(frozen=True)
class Row:
    """One line of a paper-vs-ours table.

    **Fields:**
    - `quantity`: what is compared (with the paper's equation, table or figure);
    - `paper`: the paper's printed value (a number) or statement (text);
    - `ours`: diffecon's value (a number) or finding (text);
    - `ok`: True if reproduced; for numbers, default |ours − paper| ≤ `tol`·|paper| (or ≤ `tol`
      when the paper value is 0), for text it must be given;
    - `tol`: relative tolerance (default: half a unit in the paper's last printed digit is the
      caller's choice; 1e-6 if not given);
    - `note`: why a difference is expected (a typo in the paper, rounding, ...);
    - `source`: where the paper prints the reference value (page, equation, table, figure) or
      how a derived reference value was derived.
    """

    quantity: str
    paper: float | str
    ours: float | str
    ok: bool | None = None
    tol: float = 1e-6
    note: str = ""
    source: str = ""

    @property
    def relative_error(self) -> float | None:
        if isinstance(self.paper, str) or isinstance(self.ours, str):
            return None
        p, o = float(self.paper), float(self.ours)
        if not (math.isfinite(p) and math.isfinite(o)):
            return 0.0 if p == o else math.inf
        return abs(o - p) / abs(p) if p != 0 else abs(o)

    @property
    def reproduced(self) -> bool:
        if self.ok is not None:
            return bool(self.ok)
        err = self.relative_error
        if err is None:
            raise ValueError(f"row {self.quantity!r} compares text; pass ok=True/False.")
        return err <= self.tol


def _fmt(value: float | str) -> str:
    if isinstance(value, str):
        return value
    v = float(value)
    if math.isinf(v) or math.isnan(v):
        return str(v)
    return f"{v:.10g}"


@dataclass
class Report:
    """A paper's replication: its table rows and the figures written."""

    paper: str
    title: str
    rows: list[Row] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    source: str = ""

    def add(self, quantity: str, paper, ours: float | str, *, source: str | None = None, **kwargs) -> Row:
        """Add a row. `paper` is a number or statement with `source=` given, or a `Ref`
        (value and source); a row without a source is an error."""
        if hasattr(paper, "source") and hasattr(paper, "value"):
            source = paper.source if source is None else f"{paper.source}; {source}"
            paper = paper.value
        if not source or not str(source).strip():
            raise ValueError(f"row {quantity!r}: the reference value {paper!r} needs a source.")
        row = Row(quantity, paper, ours, source=source, **kwargs)
        self.rows.append(row)
        return row

    @property
    def n_reproduced(self) -> int:
        return sum(r.reproduced for r in self.rows)

    def markdown(self) -> str:
        lines = [
            f"# {self.title}",
            "",
            *([f"Source: {self.source}", ""] if self.source else []),
            f"{self.n_reproduced} of {len(self.rows)} quantities reproduced.",
            "",
            "| quantity | paper | diffecon | relative error | reproduced | source | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            err = r.relative_error
            err_s = "" if err is None else f"{err:.1e}"
            cells = [r.quantity, _fmt(r.paper), _fmt(r.ours), err_s, "yes" if r.reproduced else "**no**",
                     r.source, r.note]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        if self.figures:
            lines += ["", "Figures:", ""] + [f"- ![{p.stem}]({p.name})" for p in self.figures]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        """Write `<paper>.md` and `<paper>.csv` into `out_dir`; return their paths."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        md = out_dir / f"{self.paper}.md"
        md.write_text(self.markdown())
        path_csv = out_dir / f"{self.paper}.csv"
        with path_csv.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["quantity", "paper", "diffecon", "relative_error", "reproduced", "source", "note"])
            for r in self.rows:
                err = r.relative_error
                w.writerow([r.quantity, _fmt(r.paper), _fmt(r.ours), "" if err is None else f"{err:.3e}",
                            r.reproduced, r.source, r.note])
        return md, path_csv
