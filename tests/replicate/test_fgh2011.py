"""FGH (2011) replication: two cheap sections end to end (the full run, all nine sections, is
`diffecon replicate fgh2011`; it solves thousands of equilibria and takes minutes)."""

import csv

from diffecon.replicate import fgh2011

from ._sources import check_rows

# rows the paper does not reproduce: each must carry a note
EXPECTED_MISMATCHES = ("claim 5", "claim 12", "footnote 28: diversified", "P looks qualitatively",
                       "footnote 34: a small")


def test_tariff_and_specialisation_sections(tmp_path):
    assert fgh2011.PAPER.section_names[0] == "autarky" and len(fgh2011.PAPER.section_names) == 9
    report = fgh2011.PAPER.run(tmp_path, sections=("tariffs", "integrated_and_specialised"))
    assert len(report.rows) >= 20
    for row in report.rows:
        if not row.reproduced:
            assert row.note, row.quantity
            assert any(key in row.quantity for key in EXPECTED_MISMATCHES), row.quantity
    quantities = [r.quantity for r in report.rows]
    # the paper's order, whatever order the subset was asked in
    assert quantities.index(next(q for q in quantities if "Cor. 1(ii)" in q)) < quantities.index(
        next(q for q in quantities if "footnote 34" in q))
    assert (tmp_path / "fgh2011.md").read_text().count("**no**") == 1
    with (tmp_path / "fgh2011.csv").open() as fh:
        check_rows(list(csv.DictReader(fh)))
