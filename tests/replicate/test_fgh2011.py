"""FGH (2011) replication: two cheap sections end to end (the full run, all nine sections, is
`diffecon replicate fgh2011`; it solves thousands of equilibria and takes minutes)."""

from diffecon.replicate import fgh2011

# rows the paper does not reproduce (spec §13 claims 5, 12, 16, 17, 24): each must carry a note
EXPECTED_MISMATCHES = ("claim 5", "claim 12", "footnote 28: diversified", "P looks qualitatively", "footnote 34: a small")


def test_tariff_and_specialisation_sections(tmp_path):
    report = fgh2011.run(tmp_path, sections=("integrated_and_specialised", "tariffs"))
    assert len(report.rows) >= 20
    for row in report.rows:
        if not row.reproduced:
            assert row.note, row.quantity
            assert any(key in row.quantity for key in EXPECTED_MISMATCHES), row.quantity
    quantities = " ".join(r.quantity for r in report.rows)
    assert "Cor. 1(ii)" in quantities and "footnote 34" in quantities
    assert (tmp_path / "fgh2011.md").read_text().count("**no**") == 1
