"""Ara (2026) replication: every printed number and claim, and the figures, via the CLI."""

import csv
import re

from diffecon.cli import main

from ._sources import check_rows

# the paper's prose statements that the model contradicts
CONTRADICTED = ("§3.5 / Fig. A.1(a)", "§3.6 / Fig. 4(b)", "§3.6: |Ψ_ω − Φ_ω| shrinks")


def test_cli_replicates_ara2026(tmp_path, capsys):
    assert main(["replicate", "ara2026", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "ara2026"
    with (folder / "ara2026.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 120
    check_rows(rows)
    failed = [r for r in rows if r["reproduced"] != "True"]
    # exactly the contradicted statements fail, each with both numbers in the row and a note
    assert len(failed) == len(CONTRADICTED)
    assert all(any(r["quantity"].startswith(c) for r in failed) for c in CONTRADICTED)
    for r in failed:
        assert "contradicts" in r["note"] and re.search(r"\d+\.\d+.* vs \d+\.\d+", r["diffecon"])
    printed = {r["quantity"][:40]: r for r in rows if r["paper"] in ("2.4", "0.75")}
    assert len(printed) == 2 and all(r["reproduced"] == "True" for r in printed.values())
    for png in ("figure1_lmc_tb_curves.png", "figure2_trade_composition.png", "figure3_lmc_tb_curves.png",
                "figure4_wage_and_welfare.png", "figureA1_trade_composition_low_tau_m.png"):
        assert (folder / png).read_bytes()[:4] == b"\x89PNG"
    done, total = re.search(r"(\d+)/\s*(\d+) reproduced", capsys.readouterr().out).groups()
    assert int(total) == len(rows) and int(done) == len(rows) - len(CONTRADICTED)
