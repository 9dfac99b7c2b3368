import csv
import re

from diffecon.cli import main

from ._sources import check_rows


def test_cli_replicates_every_krugman_claim(tmp_path, capsys):
    assert main(["replicate", "krugman1980", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "krugman1980"
    table = (folder / "krugman1980.md").read_text()
    assert "**no**" not in table
    rows = [line for line in table.splitlines() if line.startswith("| ") and "quantity" not in line]
    assert len(rows) >= 30
    for png in ("figure1_balance_of_payments.png", "figure2_home_market_effect.png"):
        assert (folder / png).read_bytes()[:4] == b"\x89PNG"
    done, total = re.search(r"(\d+)/\s*(\d+) reproduced", capsys.readouterr().out).groups()
    assert done == total == str(len(rows))
    with (folder / "krugman1980.csv").open() as fh:
        check_rows(list(csv.DictReader(fh)))
