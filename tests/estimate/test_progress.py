"""Progress (calibrate's fit, sweep's blocks) reads well in a log: plain lines, no carriage returns."""

import io
import re
import sys
import time

from diffecon.core.progress import ProgressBar


def test_progress_in_a_log_is_plain_lines(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    bar = ProgressBar(total=10, label="calibrate", enabled=True, delay=0.0)
    for step in range(1, 11):
        bar.update(step, 1.0 / step)
    bar.close(10, 0.1, "converged")
    text = log.getvalue()
    assert "\r" not in text
    assert re.search(r"calibrate: 10/10 steps, loss 1.000e-01, converged, \d+\.\d s\n\Z", text)
    assert "calibrate: 1/10 steps" in text and "calibrate: 10/10 steps" in text


def test_calibrate_and_sweep_share_one_progress_bar():
    from diffecon.core import _sweep
    from diffecon.estimate import _calibrate

    assert _calibrate.ProgressBar is _sweep.ProgressBar is ProgressBar


def test_a_running_bar_is_redrawn_while_the_caller_waits(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    bar = ProgressBar(total=4, label="sweep M", enabled=True, delay=0.0, every=0.0, unit="points")
    with bar.running():
        bar.update(0, note="compiling root finding")
        time.sleep(0.6)  # a compiled call the caller cannot see into
    ticks = log.getvalue().count("sweep M: 0/4 points, compiling root finding")
    assert ticks >= 2  # the call itself, then the shared thread's redraws
    bar.close(4, note="done")
    after = log.getvalue()
    time.sleep(0.3)
    assert log.getvalue() == after and after.endswith("s\n")  # nothing drawn once closed
