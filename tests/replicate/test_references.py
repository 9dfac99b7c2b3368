"""Every paper's reference module: each value has a source, and no source (nor anything else in
the module) cites the development spec or `shared/`."""

import importlib
import pkgutil

import pytest

import diffecon.replicate as rep
from diffecon.replicate import Ref

from ._sources import FORBIDDEN, forbidden


def _strings_and_refs(value, seen=None):
    """Every string and `Ref` reachable from `value` (containers walked)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Ref):
        yield value
        yield from _strings_and_refs(value.value, seen)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings_and_refs(k, seen)
            yield from _strings_and_refs(v, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _strings_and_refs(v, seen)


def test_forbidden_pattern_is_a_word_match():
    assert forbidden("(spec §6)") and forbidden("see ../shared/design.md") and forbidden("Spec C12b")
    assert not forbidden("complete specialisation") and not forbidden("a specific tariff")


def test_papers_are_discovered_from_the_package_files():
    files = {m.name for m in pkgutil.iter_modules(rep.__path__)}
    expected = sorted(n for n in files if not n.startswith("_") and not n.endswith("_reference"))
    assert list(rep.available()) == expected
    assert {"krugman1980", "takita2025", "ara2026", "niem_kim2020", "fgh2011", "gravity"} <= set(expected)
    for name in expected:
        assert f"{name}_reference" in files, f"{name} has no reference module"


@pytest.mark.parametrize("paper", rep.available())
def test_reference_module_cites_only_the_paper(paper):
    module = importlib.import_module(f"diffecon.replicate.{paper}_reference")
    assert module.CITATION.strip()
    values = [v for k, v in vars(module).items() if not k.startswith("__") and not callable(v)
              and not isinstance(v, type(module))]
    found = list(_strings_and_refs(values))
    refs = [v for v in found if isinstance(v, Ref)]
    for r in refs:
        assert r.source.strip(), f"{paper}: {r.value!r} has an empty source"
    for s in found:
        text = s.source if isinstance(s, Ref) else s
        assert not FORBIDDEN.search(text), f"{paper}_reference cites an unshipped document: {text!r}"
    assert (module.__doc__ or "").strip() and not forbidden(module.__doc__)


@pytest.mark.parametrize("paper", rep.available())
def test_paper_module_declares_the_protocol(paper):
    declared = rep.load(paper.upper())
    assert declared.name == paper and declared.sections
    assert declared.reference.__name__ == f"diffecon.replicate.{paper}_reference"
    name = f"diffecon.replicate.{paper}"
    source = importlib.import_module(name).__loader__.get_source(name)
    assert "globals()" not in source
    assert not FORBIDDEN.search(source), f"{paper}.py cites an unshipped document"


def test_a_ref_needs_a_source():
    with pytest.raises(ValueError, match="no source"):
        Ref(1.0, " ")
    report = rep.Report("p", "t")
    with pytest.raises(ValueError, match="needs a source"):
        report.add("q", 1.0, 1.0)
    row = report.add("q", Ref(2.0, "eq. (1)"), 2.0)
    assert (row.paper, row.source) == (2.0, "eq. (1)")
