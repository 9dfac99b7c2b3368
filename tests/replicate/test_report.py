import math

import pytest

from diffecon.cli import main
from diffecon.replicate import Report, available, replicate


def test_numeric_rows_use_relative_error():
    r = Report("p", "t")
    ok = r.add("a", 2.0, 2.0 + 1e-9, tol=1e-6)
    bad = r.add("b", 2.0, 2.1, tol=1e-6)
    zero = r.add("c", 0.0, 1e-12, tol=1e-9)
    assert ok.reproduced and not bad.reproduced and zero.reproduced
    assert math.isclose(bad.relative_error, 0.05)
    assert r.n_reproduced == 2
    assert "**no**" in r.markdown()


def test_text_rows_need_an_explicit_verdict():
    r = Report("p", "t")
    row = r.add("claim", "x > 0", "holds in 3 of 3 draws")
    with pytest.raises(ValueError, match="pass ok"):
        row.reproduced


def test_written_table_has_markdown_and_csv(tmp_path):
    r = Report("p", "title")
    r.add("q|with pipe", 1.0, 1.0)
    md, csv = r.write(tmp_path)
    assert "q\\|with pipe" in md.read_text()
    assert csv.read_text().splitlines()[0].startswith("quantity,paper,diffecon")


def test_unknown_paper_is_a_clear_error(tmp_path, capsys):
    assert "krugman1980" in available()
    with pytest.raises(ValueError, match="unknown paper 'nope'"):
        replicate("nope", tmp_path)
    with pytest.raises(SystemExit):
        main(["replicate", "nope", "--out", str(tmp_path)])
    assert "unknown paper" in capsys.readouterr().err
