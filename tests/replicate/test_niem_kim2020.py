import csv
import re

from diffecon.cli import main

from ._sources import check_rows


def test_cli_replicates_table3_and_the_scaling_claims(tmp_path, capsys):
    assert main(["replicate", "niem_kim2020", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "niem_kim2020"
    table = (folder / "niem_kim2020.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and "quantity" not in line]
    table3 = [r for r in rows if r.startswith("| Table 3 ")]
    assert len(table3) == 38  # every printed cell (37 distinct numbers; 157.353 twice)
    assert all("| yes |" in r for r in table3)
    # the two rows not reproduced are the paper's typos, each explained
    failed = [r for r in rows if "**no**" in r]
    assert len(failed) == 2 and all("typo" in r for r in failed)
    assert any("Ψ^{1/(z−1)}" in r and "| yes |" in r for r in rows)
    assert (folder / "niem_kim_scaling.png").read_bytes()[:4] == b"\x89PNG"
    done, total = re.search(r"(\d+)/\s*(\d+) reproduced", capsys.readouterr().out).groups()
    assert int(total) == len(rows) and int(done) == len(rows) - 2
    with (folder / "niem_kim2020.csv").open() as fh:
        check_rows(list(csv.DictReader(fh)))
