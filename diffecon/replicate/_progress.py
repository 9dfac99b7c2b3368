"""Progress of a replication: each paper and section as it runs, with times.

On a terminal a tqdm bar per paper (section times written above it); in a notebook with
ipywidgets a tqdm widget; anywhere else (a log file, a pipe, a notebook without widgets) plain
lines, one when a section starts and one with its time when it ends, with no carriage returns.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        return type(shell.get_ipython()).__name__ == "ZMQInteractiveShell"
    except Exception:  # IPython present but no running shell
        return False


def _mode(stream) -> str:
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401  (tqdm.notebook needs it)
        except ImportError:
            return "lines"
        return "notebook"
    isatty = getattr(stream, "isatty", None)
    return "bar" if isatty is not None and isatty() else "lines"


class Progress:
    """Reports papers and sections as they run.

    **Arguments:** `stream` (default: standard error, read when used); `enabled`; `mode`:
    `"bar"`, `"notebook"`, `"lines"` or `None` (chosen from the stream: a bar only on a terminal).
    """

    def __init__(self, stream=None, *, enabled: bool = True, mode: str | None = None):
        self.enabled = enabled
        self._stream = stream
        self._mode = mode
        self._bar = None
        self._t_paper = 0.0
        self._paper = ""

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stderr

    @property
    def mode(self) -> str:
        return self._mode or _mode(self.stream)

    def _line(self, text: str, end: str = "\n") -> None:
        self.stream.write(text + end)
        self.stream.flush()

    def start_paper(self, name: str, sections: list[str]) -> None:
        if not self.enabled:
            return
        self._paper, self._t_paper = name, time.perf_counter()
        if self.mode == "lines":
            self._line(f"{name}: {len(sections)} sections ({', '.join(sections)})")
            return
        if self.mode == "notebook":
            from tqdm.notebook import tqdm
        else:
            from tqdm import tqdm
        self._bar = tqdm(total=len(sections), desc=name, unit="section", file=self.stream, leave=True,
                         bar_format="{desc}: {n_fmt}/{total_fmt} sections |{bar}| {elapsed} {postfix}")

    def start_section(self, name: str) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix_str(name)
        else:  # a whole line: warnings written meanwhile (e.g. by XLA) cannot split it
            self._line(f"  {self._paper} · {name} …")

    def end_section(self, name: str, seconds: float) -> None:
        if not self.enabled:
            return
        total = time.perf_counter() - self._t_paper
        done = f"  {self._paper} · {name}: {seconds:.1f} s (elapsed {total:.1f} s)"
        if self._bar is not None:
            self._bar.write(done, file=self.stream)
            self._bar.update(1)
        else:
            self._line(done)

    def end_paper(self, summary: str) -> None:
        if not self.enabled:
            return
        total = time.perf_counter() - self._t_paper
        if self._bar is not None:
            self._bar.set_postfix_str(summary)
            self._bar.close()
            self._bar = None
        else:
            self._line(f"{self._paper}: done in {total:.1f} s, {summary}")
