"""Progress of a long computation on stderr (calibrate's fit, sweep's blocks), shown only once a
run has lasted a moment: a bar redrawn in place on a terminal, plain lines (no carriage returns)
in a log file, a pipe or a notebook, at most one every few seconds."""

from __future__ import annotations

import contextlib
import contextvars
import sys
import threading
import time
from collections.abc import Iterator

# Seconds before a run shows any progress, and between two lines in a log (not a terminal).
DELAY = 1.0
EVERY = 5.0

_QUIET = contextvars.ContextVar("diffecon_progress_quiet", default=False)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No progress bar inside: for a caller that reports progress itself (`replicate`'s
    sections run sweeps and fits whose own bars would break into its lines)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


class ProgressBar:
    """`update(done, loss, note)` redraws one line; `close(done, loss, note)` ends it.

    Silent for short runs (nothing before `delay` seconds, default `DELAY`), when `enabled` is
    False, and inside `quiet()`. On a terminal the line is redrawn in place; anywhere else (a log
    file, a pipe, a notebook) each report is a whole line, one every `every` seconds at most
    (default `EVERY`), plus the last.

    `running()` keeps the line alive while the caller waits on work it cannot see into (a
    compiled call): a background thread redraws the latest state given to `update`.
    """

    def __init__(self, total: int, label: str, enabled: bool, delay: float | None = None,
                 width: int = 28, unit: str = "steps", every: float | None = None):
        self.total, self.label, self.width, self.unit = total, label, width, unit
        self.enabled = bool(enabled) and not _QUIET.get()
        self.delay = DELAY if delay is None else delay
        self.every = EVERY if every is None else every
        self.start = time.perf_counter()
        self.shown = False
        self.tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self.last_line = -float("inf")
        self._state: tuple[int, float | None, str] = (0, None, "")
        self._drawn = 0  # characters of the last line drawn on a terminal
        self._lock = threading.Lock()
        self._watched = False  # inside `running()`: the shared thread redraws it

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def due(self) -> bool:
        """Whether the bar shows (or would show) now: enabled and past its delay."""
        return self.enabled and self.elapsed() >= self.delay

    def _text(self, done: int, loss: float | None, note: str, sep: str) -> str:
        parts = [f"{done:,}/{self.total:,} {self.unit}"]
        if loss is not None:
            parts.append(f"loss {loss:.3e}")
        if note:
            parts.append(note)
        return sep.join(parts)

    def update(self, done: int, loss: float | None = None, note: str = "") -> None:
        self._state = (done, loss, note)
        if self.enabled and self.elapsed() >= self.delay:
            self._draw(done, loss, note, final=False)

    def _draw(self, done: int, loss: float | None, note: str, final: bool, ticked: bool = False) -> None:
        with self._lock:
            if ticked and not self._watched:  # the block has ended meanwhile
                return
            elapsed = self.elapsed()
            if not self.tty:
                # A log keeps every line: one every `every` seconds at most, and the last.
                if not final and elapsed - self.last_line < self.every and done < self.total:
                    return
                self.last_line = elapsed
                line = f"{self.label}: {self._text(done, loss, note, ', ')}, {elapsed:.1f} s\n"
            else:
                filled = int(self.width * min(done, self.total) / max(self.total, 1))
                bar = "#" * filled + "-" * (self.width - filled)
                text = f"{self.label} [{bar}] {self._text(done, loss, note, '  ')}  {elapsed:.1f} s"
                # Blank the previous line first: a shorter one must not leave its end behind.
                line = "\r" + " " * self._drawn + "\r" + text + ("\n" if final else "")
                self._drawn = len(text)
            sys.stderr.write(line)
            sys.stderr.flush()
            self.shown = True

    @contextlib.contextmanager
    def running(self) -> Iterator[ProgressBar]:
        """Redraw the latest state given to `update` every quarter second (a log: every `every`
        seconds) while the block runs. Cheap: one shared thread serves every bar."""
        if not self.enabled:
            yield self
            return
        with self._lock:
            self._watched = True
        _watch(self)
        try:
            yield self
        except BaseException:
            with self._lock:
                self._watched = False
                if self.shown and self.tty:  # end the bar's line before the traceback
                    sys.stderr.write("\n")
            raise
        finally:
            _unwatch(self)
            self._watched = False

    def _tick(self) -> None:
        done, loss, note = self._state
        if self.elapsed() >= self.delay:
            self._draw(done, loss, note, final=False, ticked=True)

    def close(self, done: int, loss: float | None = None, note: str = "") -> None:
        """End the bar with `note` and the time taken (only for a run that lasted past the delay)."""
        if self.enabled and (self.shown or self.due()):
            self._draw(done, loss, note, final=True)


# One daemon thread, started on first use, redraws every bar inside `running()` (starting and
# joining a thread per call would cost a short sweep a few percent of its time).
_cond = threading.Condition()
_bars: list[ProgressBar] = []
_thread: threading.Thread | None = None
_INTERVAL = 0.25


def _serve() -> None:
    while True:
        with _cond:
            while not _bars:
                _cond.wait()
        time.sleep(_INTERVAL)
        with _cond:
            bars = list(_bars)
        for bar in bars:
            bar._tick()


def _watch(bar: ProgressBar) -> None:
    global _thread
    with _cond:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_serve, name="diffecon-progress", daemon=True)
            _thread.start()
        _bars.append(bar)
        _cond.notify()


def _unwatch(bar: ProgressBar) -> None:
    with _cond:
        _bars.remove(bar)
