"""Progress of a long fit on stderr, shown only once a run has lasted a moment: a bar redrawn in
place on a terminal, plain lines (no carriage returns) in a log file or a pipe."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """`update(step, loss)` redraws one line; `close()` ends it. Silent for short runs (the
    bar appears after `delay` seconds) and when `enabled` is False."""

    def __init__(self, total: int, label: str, enabled: bool, delay: float = 1.0, width: int = 28):
        self.total, self.label, self.enabled = total, label, enabled
        self.delay, self.width = delay, width
        self.start = time.perf_counter()
        self.shown = False
        self.tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self.last_line = -float("inf")

    def update(self, step: int, loss: float) -> None:
        elapsed = time.perf_counter() - self.start
        if not self.enabled or elapsed < self.delay:
            return
        if not self.tty:
            # A log keeps every line: one every 5 seconds at most.
            if elapsed - self.last_line < 5.0 and step < self.total:
                return
            self.last_line = elapsed
            sys.stderr.write(f"{self.label}: {step}/{self.total} steps, loss {loss:.3e}, {elapsed:.1f} s\n")
            sys.stderr.flush()
            self.shown = True
            return
        filled = int(self.width * min(step, self.total) / max(self.total, 1))
        bar = "#" * filled + "-" * (self.width - filled)
        sys.stderr.write(
            f"\r{self.label} [{bar}] {step}/{self.total} steps  loss {loss:.3e}  {elapsed:.1f} s"
        )
        sys.stderr.flush()
        self.shown = True

    def close(self, step: int, loss: float, note: str) -> None:
        if self.shown:
            if self.tty:
                self.update(step, loss)
                sys.stderr.write(f"  {note}\n")
            else:
                sys.stderr.write(f"{self.label}: {step}/{self.total} steps, loss {loss:.3e}, {note}\n")
            sys.stderr.flush()
