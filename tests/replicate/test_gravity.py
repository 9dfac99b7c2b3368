"""`diffecon replicate gravity`: one run of the CLI (module fixture), then its table, the conventions
table and the figures are read back and checked against numbers known independently of the
replication: the PPML estimates printed in gegravity's README, gegravity 0.3's own welfare
statistics, direct `de.counterfactual` calls, and a plain-numpy exact-hat-algebra solve."""

import contextlib
import io
import re

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

import diffecon as de
from diffecon.cli import main

from ._sources import check_rows

# gegravity's README (USITC, PPML with exporter and importer fixed effects, Stata robust s.e.), as printed
PRINTED_COEF = {"lndist": "-0.3898623", "contiguity": "0.891577", "common_language": "0.0326249",
                "pta": "0.4711383", "international": "-3.412584"}
PRINTED_SE = {"lndist": "0.0729915", "contiguity": "0.1327354", "common_language": "0.0840702",
              "pta": "0.1076578", "international": "0.2151235"}
SHOWN = ("CAN", "JPN", "USA", "MEX", "CHN", "DEU", "KOR", "AUS")
OUTCOMES = ("factory_gate_price_change", "imr_change", "gdp_change", "welfare_statistic",
            "foreign_exports_change", "foreign_imports_change", "intranational_trade_change")
CLOSURE = "nominal trade deficits held fixed relative to world income (Dekle–Eaton–Kortum)"
FIGURES = ("gravity_nafta_welfare.png", "gravity_nafta_trade.png", "gravity_conventions.png")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("replication")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["replicate", "gravity", "--out", str(out)])
    folder = out / "gravity"
    table = pd.read_csv(folder / "gravity.csv", keep_default_na=False)
    return {"code": code, "stdout": stdout.getvalue(), "folder": folder, "table": table,
            "md": (folder / "gravity.md").read_text(),
            "conventions": pd.read_csv(folder / "gravity_conventions.csv", index_col="country"),
            "conventions_md": (folder / "gravity_conventions.md").read_text(),
            "counterfactuals": pd.read_csv(folder / "gravity_counterfactuals.csv", header=[0, 1],
                                           index_col=0)}


@pytest.fixture(scope="module")
def data():
    return de.data.load_trade_sample()


def _row(table, quantity):
    hit = table[table.quantity == quantity]
    assert len(hit) == 1, quantity
    return hit.iloc[0]


def _hat_algebra(df, log_shock, sigma=5.0):
    """Welfare change (%) of a full-GE counterfactual in plain numpy: exact hat algebra from the
    observed flows, deficits fixed relative to world income, world income the numeraire."""
    X = df.pivot(index="exporter", columns="importer", values="trade")
    countries = list(X.index)
    X = X.loc[countries, countries].to_numpy()
    Y, E = X.sum(1), X.sum(0)
    T, D = Y.sum(), E - Y
    A = X / E * np.exp(log_shock)
    w = np.ones(len(Y))
    for _ in range(20000):
        p = (w ** (1 - sigma)) @ A
        new_E = w * Y + D / T * (w * Y).sum()
        sales = w ** (1 - sigma) * (A @ (new_E / p))
        gap = sales / (w * Y) - 1
        if np.abs(gap).max() < 1e-13:
            break
        w = w * (sales / (w * Y)) ** (1 / sigma)
        w *= T / (w * Y).sum()
    else:
        raise AssertionError("hat-algebra iteration did not converge")
    return pd.Series(100 * (new_E / E / p ** (1 / (1 - sigma)) - 1), index=countries)


def _estimates(run):
    return {k: float(_row(run["table"], f"PPML coefficient {k} (exporter + importer FE)").diffecon)
            for k in PRINTED_COEF}


def _pair_matrix(df, column):
    m = df.pivot(index="exporter", columns="importer", values=column)
    return m.loc[m.index, m.index].to_numpy(float)


def test_cli_reports_every_row_reproduced(run):
    assert run["code"] == 0
    table = run["table"]
    assert len(table) == 10 + 6 + len(SHOWN) * len(OUTCOMES) + 2
    done, total, figures = map(int, re.search(r"gravity\s+(\d+)/\s*(\d+) reproduced, (\d+) figures",
                                              run["stdout"]).groups())
    assert done == total == len(table) and figures == len(FIGURES)
    assert table.reproduced.map({"True": True, "False": False}).all()
    check_rows(table.to_dict("records"))
    assert "**no**" not in run["md"] and f"{total} of {total} quantities reproduced" in run["md"]
    # the printed relative errors follow from the printed numbers (ours is printed to 10 digits)
    for _, r in table.iterrows():
        paper, ours = float(r.paper), float(r.diffecon)
        err = abs(ours - paper) / abs(paper) if paper != 0 else abs(ours)
        assert float(r.relative_error) == pytest.approx(err, rel=1e-3, abs=1e-9), r.quantity


def test_figures_are_real_images(run):
    for name in FIGURES:
        path = run["folder"] / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 10_000, name
        img = matplotlib.image.imread(path)
        assert img.shape[0] >= 300 and img.shape[1] >= 300, (name, img.shape)
        rgb = img[..., :3].reshape(-1, 3)
        assert rgb.std() > 0.05, name  # not blank
        assert len(np.unique((rgb * 255).astype(np.uint8), axis=0)) > 50, name
        assert f"]({name})" in run["md"]


def test_ppml_matches_gegravity_printed_estimates(run):
    # within one unit of the last digit gegravity's README prints (its common_language, 0.0326249,
    # is 6.7e-8 below the estimate: its own solver tolerance, or truncation)
    for printed, label in ((PRINTED_COEF, "PPML coefficient {} (exporter + importer FE)"),
                           (PRINTED_SE, "PPML robust s.e. {}")):
        for k, s in printed.items():
            row = _row(run["table"], label.format(k))
            assert float(row.paper) == float(s)
            unit = 10.0 ** -len(s.split(".")[1])
            assert abs(float(row.diffecon) - float(s)) <= unit, (k, row.diffecon, s)


def test_gegravity_mode_matches_gegravity_reference(run):
    table = run["table"]
    diffs = []
    for c in SHOWN:
        for k in OUTCOMES:
            row = _row(table, f"CAN–JPN PTA, {c} {k}")
            diff = abs(float(row.diffecon) - float(row.paper))
            assert diff <= 5e-6, (c, k, diff)  # the stated max abs. difference over all countries
            diffs.append(diff)
    overall = float(_row(table, "CAN–JPN PTA, all 30 countries × 7 outcomes: max abs. difference").diffecon)
    assert max(diffs) <= overall <= 5e-6
    # the experiment really moves the reference numbers (the comparison is not of zeros)
    assert float(_row(table, "CAN–JPN PTA, CAN foreign_exports_change").paper) > 1.0
    # gegravity's own welfare statistic (E/P)/(E'/P') gives the conventions table's welfare change
    conv = run["conventions"]
    for c in SHOWN:
        stat = float(_row(table, f"CAN–JPN PTA, {c} welfare_statistic").paper)
        assert conv.loc[c, "welfare_gegravity"] == pytest.approx(100 * (1 / stat - 1), abs=2e-5), c


def test_full_ge_invariants(run):
    rows = run["table"][run["table"].quantity.str.startswith("invariant:")]
    assert len(rows) == 6
    for _, r in rows.iterrows():
        assert float(r.paper) == 0.0
        assert abs(float(r.diffecon)) <= 1e-9, r.quantity
    assert float(_row(run["table"], "NAFTA dissolved: Monte Carlo draws converged (share)").diffecon) == 1.0


def test_closure_is_stated(run):
    assert CLOSURE in run["md"].splitlines()[0]
    assert f"Full GE closure: {CLOSURE}" in run["conventions_md"]


def test_counterfactuals_agree_with_independent_hat_algebra(run, data):
    b = _estimates(run)
    cf = run["counterfactuals"]
    nafta = de.policy.dissolve_pta(data, ["CAN", "MEX", "USA"])
    shock = b["pta"] * (_pair_matrix(nafta, "pta") - _pair_matrix(data, "pta"))
    assert (shock != 0).sum() == 6  # the six NAFTA pairs
    ours = _hat_algebra(data, shock)
    printed = cf["nafta_dissolved"]["welfare_pct"]
    assert np.abs(printed - ours.reindex(printed.index)).max() < 1e-8
    assert printed["CAN"] < -4  # a large shock, not a zero
    tariff = _hat_algebra(data, -4 * np.log(_pair_matrix(de.policy.raise_import_costs(data, "USA", 0.10),
                                                         "tau_change")))
    printed = cf["usa_tariff_10pct"]["welfare_pct"]
    assert np.abs(printed - tariff.reindex(printed.index)).max() < 1e-8
    # a tariff equivalent does not depend on the estimated coefficients: its delta s.e. is zero,
    # while NAFTA's (through b_pta) is not
    assert (cf["usa_tariff_10pct"]["se_delta"] == 0).all()
    assert (cf["nafta_dissolved"]["se_delta"] > 0).all()
    se_ratio = cf["nafta_dissolved"]["se_monte_carlo"] / cf["nafta_dissolved"]["se_delta"]
    assert se_ratio.between(0.8, 1.25).all()


def test_conventions_table_has_the_experiments(run, data):
    conv, text = run["conventions"], run["conventions_md"]
    assert len(conv) == 30
    np.testing.assert_allclose(conv.welfare_difference, conv.welfare_full_ge - conv.welfare_gegravity,
                               atol=1e-12)
    # CAN–JPN PTA: the full-GE column is what de.counterfactual gives directly
    from diffecon.replicate.gravity_reference import GEGRAVITY_COEF

    model = de.models.Gravity.from_data(data, GEGRAVITY_COEF, 5.0)
    pta = de.counterfactual(model, de.policy.form_pta(data, ["CAN", "JPN"]))
    np.testing.assert_allclose(conv.welfare_full_ge, pta.welfare_pct.reindex(conv.index), atol=1e-10)
    # the printed largest gap is the table's, and it is Canada's
    largest = conv.welfare_difference.abs().idxmax()
    assert largest == "CAN"
    m = re.search(r"Max \|welfare difference\| ([\d.]+) pp "
                  r"\(CAN: full GE ([-\d.]+)%, gegravity ([-\d.]+)%\)", text)
    assert m, text
    assert float(m[1]) == pytest.approx(abs(conv.loc["CAN", "welfare_difference"]), abs=1e-4)
    assert float(m[2]) == pytest.approx(conv.loc["CAN", "welfare_full_ge"], abs=1e-4)
    assert float(m[3]) == pytest.approx(conv.loc["CAN", "welfare_gegravity"], abs=1e-4)
    assert 0.05 < float(m[1]) < 0.1  # the conventions differ by a visible, small amount
    # market clearing: gegravity's conventions leave a gap, full GE closes it
    m = re.search(r"gegravity conventions ([\d.e+-]+) \(its baseline already ([\d.e+-]+),"
                  r".*full GE ([\d.e+-]+)\.", text)
    assert m, text
    gap, base_gap, full_gap = map(float, m.groups())
    assert 1e-3 < base_gap < gap < 0.1 and full_gap < 1e-12
    geg = de.counterfactual(model, de.policy.form_pta(data, ["CAN", "JPN"]), mode="gegravity",
                            reference_importer="DEU")
    Y = data.groupby("exporter")["Y"].first().reindex(conv.index) * (1 + geg.countries["output_pct"] / 100)
    sales = geg.trade.groupby("exporter")["counterfactual"].sum().reindex(conv.index)
    assert float((sales / Y - 1).abs().max()) == pytest.approx(gap, rel=1e-3)
    # NAFTA dissolved: both conventions' numbers for the three members
    nafta = {c: (float(f), float(g)) for c, f, g in
             re.findall(r"([A-Z]{3}) full GE ([-\d.]+) vs gegravity (-?\d+\.\d+)", text)}
    assert set(nafta) == {"CAN", "MEX", "USA"}
    full = run["counterfactuals"]["nafta_dissolved"]["welfare_pct"]
    est = _estimates(run)
    geg_nafta = de.counterfactual(de.models.Gravity.from_data(data, est, 5.0),
                                  de.policy.dissolve_pta(data, ["CAN", "MEX", "USA"]),
                                  mode="gegravity", reference_importer="DEU")
    for c, (f, g) in nafta.items():
        assert f == pytest.approx(full[c], abs=6e-4), c
        assert g == pytest.approx(geg_nafta.welfare_pct[c], abs=6e-4), c
        assert f < g < 0  # full GE loses more than gegravity's conventions say
