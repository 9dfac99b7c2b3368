"""The fit's progress reads well in a log: plain lines, no carriage returns."""

import io
import sys

from diffecon.estimate._progress import ProgressBar


def test_progress_in_a_log_is_plain_lines(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    bar = ProgressBar(total=10, label="calibrate", enabled=True, delay=0.0)
    for step in range(1, 11):
        bar.update(step, 1.0 / step)
    bar.close(10, 0.1, "converged")
    text = log.getvalue()
    assert "\r" not in text and text.endswith("calibrate: 10/10 steps, loss 1.000e-01, converged\n")
    assert "calibrate: 1/10 steps" in text and "calibrate: 10/10 steps" in text
