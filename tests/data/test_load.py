"""The trade-table loader: the bundled sample and clear errors for bad tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diffecon.data import check_trade, load_trade, load_trade_sample, pair_matrix


def test_sample_is_a_complete_square_panel_with_domestic_flows():
    df = load_trade_sample()
    countries = sorted(set(df.exporter))
    assert len(countries) == 30 and len(df) == 900
    assert set(df.importer) == set(countries)
    X = pair_matrix(df, "trade")
    assert X.shape == (30, 30) and (np.diag(X) > 0).all() and (X >= 0).all()
    # domestic rows are exactly the non-international ones
    assert ((df.exporter == df.importer) == (df.international == 0)).all()
    # the flows the source reports: USA exports to AUS (first lines of the file)
    assert df.set_index(["exporter", "importer"]).loc[("USA", "AUS"), "trade"] == 16619


def test_user_csv_with_other_names_and_several_years(tmp_path):
    df = load_trade_sample().rename(columns={"trade": "value", "exporter": "orig", "importer": "dest"})
    other = df.assign(year=2007, value=df.value * 2)
    path = tmp_path / "flows.csv"
    pd.concat([df, other]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="several years"):
        load_trade(path, flow="value", exporter="orig", importer="dest")
    got = load_trade(path, flow="value", exporter="orig", importer="dest", year=2007,
                     columns={"lndist": "log_distance"})
    assert "log_distance" in got.columns and {"trade", "exporter", "importer"} <= set(got.columns)
    np.testing.assert_allclose(pair_matrix(got, "trade"), 2 * pair_matrix(load_trade_sample(), "trade"))
    with pytest.raises(ValueError, match="year=1999"):
        load_trade(path, flow="value", exporter="orig", importer="dest", year=1999)


def test_user_parquet_loads_like_the_csv_and_keeps_the_checks(tmp_path, rng):
    df = load_trade_sample()
    path = tmp_path / "flows.parquet"
    df.sample(frac=1.0, random_state=int(rng.integers(2**31))).to_parquet(path, index=False)
    got = load_trade(path)
    np.testing.assert_array_equal(pair_matrix(got, "trade"), pair_matrix(df, "trade"))
    assert list(got.exporter) == list(df.exporter) and list(got.importer) == list(df.importer)
    df[~((df.exporter == "JPN") & (df.importer == "CAN"))].to_parquet(path, index=False)
    with pytest.raises(ValueError, match=r"incomplete panel.*\('JPN', 'CAN'\)"):
        load_trade(path)


def _bad(df, what):
    with pytest.raises(ValueError) as err:
        check_trade(df)
    assert what in str(err.value), str(err.value)
    return str(err.value)


def test_bad_tables_get_clear_errors(rng):
    df = load_trade_sample()
    _bad(df.drop(columns="trade"), "missing column(s) ['trade']")
    dup = pd.concat([df, df.iloc[[5]]])
    msg = _bad(dup, "duplicate pair")
    assert f"({df.exporter.iloc[5]}, {df.importer.iloc[5]})" in msg
    neg = df.copy()
    k = int(rng.integers(len(df)))
    neg.loc[k, "trade"] = -1.0
    msg = _bad(neg, "must be >= 0")
    assert f"({neg.exporter[k]}, {neg.importer[k]})" in msg
    nodom = df.copy()
    nodom.loc[(nodom.exporter == "FIN") & (nodom.importer == "FIN"), "trade"] = 0.0
    assert "['FIN']" in _bad(nodom, "positive domestic flow")
    gone = df[~((df.exporter == "FIN") & (df.importer == "FIN"))]
    _bad(gone, "positive domestic flow")
    hole = df[~((df.exporter == "USA") & (df.importer == "MEX"))]
    assert "('USA', 'MEX')" in _bad(hole, "incomplete panel")
    nan = df.copy()
    nan.loc[3, "trade"] = np.nan
    _bad(nan, "must be finite")
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        load_trade(__file__)
