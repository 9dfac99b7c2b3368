"""`diffecon replicate cp2015`: discovered like every paper; its reference numbers carry sources;
the Table 2 section reproduces the printed digits and writes its figures (slow: two NAFTA solves)."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

import diffecon.replicate as rep
from diffecon.replicate import cp2015_reference as ref


def test_cp2015_is_discovered_with_its_sections():
    assert "cp2015" in rep.available()
    paper = rep.load("cp2015")
    assert paper.section_names == ("nafta_table", "audit", "sensitivity")
    assert "Caliendo and Parro (2015)" in rep.describe("cp2015")


def test_every_reference_number_has_a_source_and_its_printed_decimals():
    for table in (ref.ZERO_DEFICITS, ref.DATA_DEFICITS):
        assert set(table) == set(ref.NAFTA)
        for values in table.values():
            for r in values.values():
                assert isinstance(r.value, float) and r.source.strip()
    for region, digits in ref.DECIMALS.items():
        for r, d in zip(ref.ZERO_DEFICITS[region].values(), digits):
            assert round(r.value, d) == r.value  # the decimals are the printed ones


@pytest.mark.slow
def test_nafta_table_section_reproduces_and_draws(tmp_path):
    report = rep.load("cp2015").run(tmp_path, sections=["nafta_table"])
    assert report.n_reproduced == len(report.rows) and len(report.rows) >= 3 * 4 + 3 + 3 * 4
    table = pd.read_csv(tmp_path / "cp2015.csv")
    assert len(table) == len(report.rows)
    regions = pd.read_csv(tmp_path / "cp2015_regions.csv", header=[0, 1], index_col=0)
    assert len(regions) == 31
    for png in ("cp2015_welfare.png", "cp2015_bilateral_trade.png"):
        img = matplotlib.image.imread(tmp_path / png)
        assert img.shape[0] > 300 and np.std(img) > 0.01
