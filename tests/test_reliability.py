"""A small run of the reliability harness (`benchmarks/reliability.py`; its full run of 1,000
draws per model is committed as `benchmarks/RELIABILITY.md`): fresh full-domain draws of every
model, each converged point re-checked by an independent residual and validity evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.reliability import check_model, domains

DOMAINS = domains()


def test_every_model_has_a_domain_sampler():
    import diffecon.models as models

    expected = {"Krugman1980", "Krugman1980HME", "Krugman1980OutsideGood", "Takita2025", "Ara2026",
                "NiemKim2020", "FGH2011", "Gravity"}
    assert expected <= set(DOMAINS), sorted(expected - set(DOMAINS))
    assert all(hasattr(models, name) for name in expected)


# One entry per model class (the bracketed variants, e.g. "FGH2011[trade]", run in the full
# harness only: each costs a compilation of its own).
MODELS = sorted(name for name in DOMAINS if "[" not in name)


@pytest.mark.parametrize("name", MODELS)
def test_no_converged_point_is_invalid_and_every_failure_has_a_reason(name, rng):
    row = check_model(name, DOMAINS[name], 24, rng, derivatives=False)
    assert row["converged_but_invalid"] == 0, row["invalid_examples"]
    assert row["nan_outcomes"] == 0
    parts = (row["bad_input"] + row["no_equilibrium"] + row["not_representable"] + row["solver_failure"]
             + row["not_explained"])
    assert row["converged"] + parts == 24 and row["not_explained"] == 0
    assert all(words for (_, words), _ in row["reasons"])
    assert np.isfinite(row["seconds"])
