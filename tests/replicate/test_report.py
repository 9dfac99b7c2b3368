import io
import math

import pytest

from diffecon.cli import main
from diffecon.replicate import (
    Paper,
    Progress,
    Ref,
    Report,
    Section,
    available,
    describe,
    krugman1980_reference,
    load,
    replicate,
)


def test_numeric_rows_use_relative_error():
    r = Report("p", "t")
    ok = r.add("a", 2.0, 2.0 + 1e-9, tol=1e-6, source="eq. (1)")
    bad = r.add("b", 2.0, 2.1, tol=1e-6, source="eq. (2)")
    zero = r.add("c", 0.0, 1e-12, tol=1e-9, source="derived")
    assert ok.reproduced and not bad.reproduced and zero.reproduced
    assert math.isclose(bad.relative_error, 0.05)
    assert r.n_reproduced == 2
    assert "**no**" in r.markdown()


def test_text_rows_need_an_explicit_verdict():
    r = Report("p", "t")
    row = r.add("claim", Ref("x > 0", "Proposition 1"), "holds in 3 of 3 draws")
    with pytest.raises(ValueError, match="pass ok"):
        _ = row.reproduced


def test_written_table_has_markdown_and_csv_with_sources(tmp_path):
    r = Report("p", "title", source="A. Author (2000)")
    r.add("q|with pipe", Ref(1.0, "Table 2, p. 7"), 1.0)
    md, csv = r.write(tmp_path)
    text = md.read_text()
    assert "q\\|with pipe" in text and "Table 2, p. 7" in text and "Source: A. Author (2000)" in text
    assert csv.read_text().splitlines()[0] == "quantity,paper,diffecon,relative_error,reproduced,source,note"


def test_unknown_paper_is_a_clear_error(tmp_path, capsys):
    assert "krugman1980" in available()
    with pytest.raises(ValueError, match="unknown paper 'nope'"):
        replicate("nope", tmp_path)
    with pytest.raises(SystemExit):
        main(["replicate", "nope", "--out", str(tmp_path)])
    assert "unknown paper" in capsys.readouterr().err


def test_paper_names_are_case_insensitive_and_listed_in_help(capsys):
    assert load("Krugman1980") is load("KRUGMAN1980") is load("krugman1980")
    assert describe("FGH2011").startswith("Fajgelbaum")
    with pytest.raises(SystemExit) as exit_:
        main(["replicate", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name in available():
        assert name in out
    assert "Krugman, P. (1980)" in out


def _toy(calls):
    def first(ctx):
        calls.append("first")
        ctx.report.add("x", Ref(1.0, "eq. (1)"), float(ctx.shared("value", lambda: 1.0)))

    def second(ctx):
        calls.append("second")
        ctx.report.add("y", Ref(2.0, "eq. (2)"), 2.0 * ctx.shared("value", lambda: 1.0))

    return Paper(name="toy", title="Toy (2000)", reference=krugman1980_reference,
                 sections=(Section("first", first), Section("second", second)), seed=1)


def test_sections_run_in_the_paper_order_and_alone(tmp_path):
    calls = []
    paper = _toy(calls)
    report = paper.run(tmp_path, sections=("second", "first"))
    assert calls == ["first", "second"] and [r.quantity for r in report.rows] == ["x", "y"]
    calls.clear()
    alone = paper.run(tmp_path, sections=("second",))  # makes the shared value itself
    assert [r.quantity for r in alone.rows] == ["y"]
    with pytest.raises(ValueError, match="unknown section 'third'"):
        paper.run(tmp_path, sections=("third",))
    assert (tmp_path / "toy.md").exists() and (tmp_path / "toy.csv").exists()


def test_progress_in_a_log_is_plain_lines(tmp_path):
    log = io.StringIO()  # not a terminal: one line per section, no carriage returns
    _toy([]).run(tmp_path, progress=Progress(log))
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "toy: 2 sections (first, second)"
    assert lines[1] == "  toy · first …" and lines[3] == "  toy · second …"
    assert lines[2].startswith("  toy · first: ") and lines[2].endswith(" s)") and "elapsed" in lines[2]
    assert lines[4].startswith("  toy · second: ")
    assert lines[5].startswith("toy: done in ") and lines[5].endswith("2/2 reproduced")


def test_progress_on_a_terminal_is_a_tqdm_bar(tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    _toy([]).run(tmp_path, progress=Progress(out))
    text = out.getvalue()
    assert "\r" in text and "toy: 2/2 sections" in text  # the bar redraws in place
    assert "toy · first: " in text and "toy · second: " in text  # each section's time stays on screen
    quiet = io.StringIO()
    _toy([]).run(tmp_path, progress=Progress(quiet, enabled=False))
    assert quiet.getvalue() == ""


def test_a_failing_section_keeps_the_rows_before_it(tmp_path):
    def broken(ctx):
        raise RuntimeError("no equilibrium")

    good = _toy([]).sections[0]
    paper = Paper(name="toy", title="Toy (2000)", reference=krugman1980_reference,
                  sections=(good, Section("bad", broken)))
    with pytest.raises(RuntimeError, match="no equilibrium"):
        paper.run(tmp_path)
    assert "| x | 1 |" in (tmp_path / "toy.md").read_text()
