"""Caliendo–Parro tables: the bundled NAFTA data and named errors for bad user tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diffecon.data import CP2015Data, load_cp2015, load_cp2015_nafta


@pytest.fixture(scope="module")
def nafta():
    return load_cp2015_nafta()


def test_nafta_tables_have_the_documented_shape_and_values(nafta):
    assert len(nafta.regions) == 31 and len(nafta.sectors) == 40
    assert nafta.regions[-1] == "Row" and {"Canada", "Mexico", "USA"} <= set(nafta.regions)
    a = nafta.arrays()
    assert a["flows"].shape == (40, 31, 31) and a["intermediate"].shape == (31, 40, 40)
    # README: 38,440 trade rows, 49,600 IO rows; services (last 20 sectors) trade only at home
    assert len(nafta.tables["trade"]) == 38_440 and len(nafta.tables["intermediate_consumption"]) == 49_600
    off = ~np.eye(31, dtype=bool)
    assert np.all(a["flows"][20:][:, off] == 0)
    assert np.allclose(a["theta"][20:], 8.22)
    # NAFTA lowers tariffs only among Canada, Mexico and the USA
    changed = np.argwhere(a["tariff_counterfactual"] != a["tariff_baseline"])
    nafta_idx = {nafta.regions.index(r) for r in ("Canada", "Mexico", "USA")}
    assert len(changed) > 0 and all(e in nafta_idx and i in nafta_idx for _, e, i in changed)
    assert np.array_equal(a["tariff_baseline"], a["tariff"])


def test_arrays_round_trip_every_row(nafta, rng):
    a = nafta.arrays()
    t = nafta.tables["trade"]
    for row in t.sample(25, random_state=int(rng.integers(1 << 30))).itertuples():
        s, e, i = (
            nafta.sectors.index(row.sector),
            nafta.regions.index(row.exporter),
            nafta.regions.index(row.importer),
        )
        assert a["flows"][s, e, i] == row.value and a["tariff_counterfactual"][s, e, i] == row.tariff_cfl
    ic = nafta.tables["intermediate_consumption"]
    for row in ic.sample(25, random_state=int(rng.integers(1 << 30))).itertuples():
        assert (
            a["intermediate"][
                nafta.regions.index(row.region),
                nafta.sectors.index(row.input),
                nafta.sectors.index(row.sector),
            ]
            == row.value
        )


def _tiny(rng, n=3, j=2):
    """A small valid data set in the NAFTA layout."""
    regions = [f"R{k}" for k in range(n)]
    sectors = [f"S{k}" for k in range(j)]
    rows = [(s, e, i) for s in sectors for e in regions for i in regions]
    trade = pd.DataFrame(rows, columns=["sector", "exporter", "importer"])
    trade["value"] = rng.uniform(1, 10, len(trade))
    trade["tariff"] = rng.uniform(0, 0.2, len(trade))
    trade["tariff_bln"] = trade["tariff"]
    trade["tariff_cfl"] = trade["tariff"] / 2
    trade["d_bln"] = 1.0
    trade["d_cfl"] = 1.0
    ic = pd.DataFrame(
        [(k, s, r) for k in sectors for s in sectors for r in regions], columns=["input", "sector", "region"]
    )
    ic["value"] = rng.uniform(0, 5, len(ic))
    sr = pd.DataFrame([(s, r) for s in sectors for r in regions], columns=["sector", "region"])
    fc = sr.assign(value=rng.uniform(1, 10, len(sr)))
    va = sr.assign(value=rng.uniform(5, 20, len(sr)))
    deficit = pd.DataFrame({"region": regions, "D": rng.normal(size=n)})
    theta = pd.DataFrame({"sector": sectors, "value": rng.uniform(1, 10, j)})
    return {
        "trade": trade,
        "intermediate_consumption": ic,
        "final_consumption": fc,
        "value_added": va,
        "deficit": deficit,
        "theta": theta,
    }


def test_user_tables_load_and_are_never_mutated(rng):
    tables = _tiny(rng)
    before = {k: v.copy(deep=True) for k, v in tables.items()}
    data = load_cp2015(tables)
    assert isinstance(data, CP2015Data) and data.regions == ("R0", "R1", "R2")
    for k in tables:
        pd.testing.assert_frame_equal(tables[k], before[k])
    data.tables["trade"].loc[0, "value"] = -1.0  # the loaded copy is not the caller's
    assert tables["trade"].loc[0, "value"] == before["trade"].loc[0, "value"]


def test_folder_of_csv_files(rng, tmp_path):
    tables = _tiny(rng)
    for name, df in tables.items():
        df.to_csv(tmp_path / f"{name}.csv", index=False)
    data = load_cp2015(tmp_path)
    np.testing.assert_allclose(data.arrays()["theta"], tables["theta"]["value"].to_numpy())


def _broken(rng, fix):
    tables = _tiny(rng)
    fix(tables)
    return tables


@pytest.mark.parametrize(
    "fix, match",
    [
        (lambda t: t.__setitem__("trade", t["trade"].drop(index=4)), r"'trade'.*'no missing rows'"),
        (
            lambda t: t.__setitem__("trade", pd.concat([t["trade"], t["trade"].iloc[[3]]])),
            r"'trade', row 18 .*sector='S0', exporter='R1', importer='R0'.*'no duplicate rows'",
        ),
        (
            lambda t: t["trade"].__setitem__("value", t["trade"]["value"].where(t["trade"].index != 5, -2.0)),
            r"'trade', row 5 .*'no negative flows'",
        ),
        (
            lambda t: t["trade"].__setitem__(
                "tariff_cfl", t["trade"]["tariff_cfl"].where(t["trade"].index != 7, -0.1)
            ),
            r"'trade', row 7 .*'no negative tariffs'",
        ),
        (
            lambda t: t["value_added"].__setitem__(
                "value", t["value_added"]["value"].where(t["value_added"].index != 2, -100.0)
            ),
            r"'value_added', row 2 .*'input shares add up to at most one'",
        ),
        (
            lambda t: t["intermediate_consumption"].__setitem__(
                "value",
                t["intermediate_consumption"]["value"].where(t["intermediate_consumption"].index != 1, -0.5),
            ),
            r"'intermediate_consumption', row 1 .*'no negative flows'",
        ),
        (
            lambda t: (
                t["intermediate_consumption"].__setitem__(
                    "value", t["intermediate_consumption"]["value"] * 0 + 1e3
                )
                or t["value_added"].__setitem__("value", t["value_added"]["value"] * 0)
            ),
            r"'input shares add up to at most one'|'every region has value added'",
        ),
        (
            lambda t: t["value_added"].__setitem__(
                "value", t["value_added"]["value"].where(t["value_added"]["region"] != "R1", 0.0)
            ),
            r"'value_added', row .*region='R1'.*'every region has value added'",
        ),
        (
            lambda t: t["deficit"].__setitem__("region", t["deficit"]["region"].replace("R2", "Atlantis")),
            r"'deficit', row 2 .*'regions match across tables'.*Atlantis",
        ),
        (
            lambda t: t["theta"].__setitem__("sector", t["theta"]["sector"].replace("S1", "Nothing")),
            r"'theta', row 1 .*'sectors match across tables'",
        ),
        (
            lambda t: t["theta"].__setitem__("value", t["theta"]["value"] * 0),
            r"'theta', row 0 .*'positive theta'",
        ),
        (
            lambda t: t["trade"].__setitem__(
                "value", t["trade"]["value"].astype(object).where(t["trade"].index != 9, "n/a")
            ),
            r"'trade', row 9 .*'finite numbers'",
        ),
        (lambda t: t.pop("deficit"), r"table\(s\) \['deficit'\] are missing"),
    ],
)
def test_bad_tables_get_errors_naming_table_row_and_rule(rng, fix, match):
    tables = _broken(rng, fix)
    with pytest.raises(ValueError, match=match):
        load_cp2015(tables)


def test_negative_inputs_are_an_option_not_a_default(rng):
    tables = _tiny(rng)
    ic = tables["intermediate_consumption"]
    ic.loc[3, "value"] = -0.25
    with pytest.raises(ValueError, match="'intermediate_consumption', row 3 .*'no negative flows'"):
        load_cp2015(tables)
    data = load_cp2015(tables, allow_negative_inputs=True)
    assert data.arrays()["intermediate"].min() == -0.25
