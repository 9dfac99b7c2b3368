"""Caliendo–Parro (2015) tables: the bundled NAFTA data and a checked loader for a user's own.

Layout (one table per file, long format; provenance and licence in `cp2015_nafta/README.md`):

- `trade`: `sector, exporter, importer, value` (flow net of tariffs), `tariff` (the data year's
  ad-valorem tariff), `tariff_bln`, `tariff_cfl` (baseline and counterfactual scenarios),
  `d_bln`, `d_cfl` (iceberg-cost changes, 1 = none);
- `intermediate_consumption`: `input, sector, region, value` (spending of `sector` on `input`);
- `final_consumption`, `value_added`: `sector, region, value`;
- `deficit`: `region, D`;
- `theta`: `sector, value` (the sectoral trade elasticity θ_j).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CP2015Data", "load_cp2015", "load_cp2015_nafta", "CP2015_TABLES"]

# table -> (key columns, value columns)
CP2015_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "trade": (
        ("sector", "exporter", "importer"),
        ("value", "tariff", "tariff_bln", "tariff_cfl", "d_bln", "d_cfl"),
    ),
    "intermediate_consumption": (("input", "sector", "region"), ("value",)),
    "final_consumption": (("sector", "region"), ("value",)),
    "value_added": (("sector", "region"), ("value",)),
    "deficit": (("region",), ("D",)),
    "theta": (("sector",), ("value",)),
}
_REGION_KEYS = ("exporter", "importer", "region")
_SECTOR_KEYS = ("sector", "input")
NAFTA_DIR = "cp2015_nafta"


@dataclasses.dataclass(frozen=True)
class CP2015Data:
    """Checked Caliendo–Parro tables and their dense arrays.

    **Fields:** `tables` (dict of the six checked DataFrames, copies of the input), `regions`,
    `sectors` (tuples, in the data's order of first appearance in `trade`).

    Dense arrays (NumPy, float64) via `arrays()`: `flows`, `tariff`, `tariff_baseline`,
    `tariff_counterfactual`, `d_baseline`, `d_counterfactual` (J×N×N, `[sector, exporter,
    importer]`), `intermediate` (N×J×J, `[region, input, sector]`), `final_consumption`,
    `value_added` (N×J), `deficit` (N), `theta` (J).
    """

    tables: Mapping[str, pd.DataFrame]
    regions: tuple[str, ...]
    sectors: tuple[str, ...]

    def arrays(self) -> dict[str, np.ndarray]:
        r = {c: i for i, c in enumerate(self.regions)}
        s = {c: i for i, c in enumerate(self.sectors)}
        n, j = len(self.regions), len(self.sectors)
        t = self.tables["trade"]
        ti = (t["sector"].map(s).to_numpy(), t["exporter"].map(r).to_numpy(), t["importer"].map(r).to_numpy())
        out: dict[str, np.ndarray] = {}
        for col, name in (
            ("value", "flows"),
            ("tariff", "tariff"),
            ("tariff_bln", "tariff_baseline"),
            ("tariff_cfl", "tariff_counterfactual"),
            ("d_bln", "d_baseline"),
            ("d_cfl", "d_counterfactual"),
        ):
            a = np.zeros((j, n, n))
            a[ti] = t[col].to_numpy(dtype=float)
            out[name] = a
        ic = self.tables["intermediate_consumption"]
        a = np.zeros((n, j, j))
        a[ic["region"].map(r).to_numpy(), ic["input"].map(s).to_numpy(), ic["sector"].map(s).to_numpy()] = ic[
            "value"
        ].to_numpy(dtype=float)
        out["intermediate"] = a
        for name in ("final_consumption", "value_added"):
            f = self.tables[name]
            a = np.zeros((n, j))
            a[f["region"].map(r).to_numpy(), f["sector"].map(s).to_numpy()] = f["value"].to_numpy(dtype=float)
            out[name] = a
        d = self.tables["deficit"]
        a = np.zeros(n)
        a[d["region"].map(r).to_numpy()] = d["D"].to_numpy(dtype=float)
        out["deficit"] = a
        th = self.tables["theta"]
        a = np.zeros(j)
        a[th["sector"].map(s).to_numpy()] = th["value"].to_numpy(dtype=float)
        out["theta"] = a
        return out


def _fail(table: str, df: pd.DataFrame, row: Any, rule: str, detail: str) -> None:
    keys = CP2015_TABLES[table][0]
    label = ", ".join(f"{k}={df.at[row, k]!r}" for k in keys if k in df.columns)
    raise ValueError(
        f"cp2015 data: table {table!r}, row {int(row)} ({label}) breaks the rule '{rule}': {detail}."
    )


def _first(mask: Any) -> Any:
    return mask[mask].index[0]


def _read(source: Any, name: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy(deep=True)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"cp2015 data: no file for table {name!r} at {str(path)!r}.")
    return pd.read_csv(path)


def _check_table(name: str, df: pd.DataFrame, allow_negative_inputs: bool) -> pd.DataFrame:
    keys, values = CP2015_TABLES[name]
    missing = [c for c in keys + values if c not in df.columns]
    if missing:
        raise ValueError(
            f"cp2015 data: table {name!r} lacks column(s) {missing}; the layout is {list(keys + values)}."
        )
    # Rows are named by their position in the caller's table (0-based), whatever its index.
    df = df[list(keys + values)].reset_index(drop=True)
    for k in keys:
        if df[k].isna().any():
            _fail(name, df, _first(df[k].isna()), "no missing keys", f"column {k!r} is empty")
        df[k] = df[k].astype(str)
    for v in values:
        col = pd.to_numeric(df[v], errors="coerce").astype(float)
        bad = ~np.isfinite(col.to_numpy())
        if bad.any():
            row = df.index[np.argmax(bad)]
            _fail(name, df, row, "finite numbers", f"column {v!r} is {df.at[row, v]!r}")
        df[v] = col
    dup = df.duplicated(list(keys), keep="first")
    if dup.any():
        _fail(name, df, _first(dup), "no duplicate rows", f"a second row for the same {list(keys)}")
    nonneg = {
        "trade": ("value", "tariff", "tariff_bln", "tariff_cfl"),
        "final_consumption": ("value",),
        "intermediate_consumption": () if allow_negative_inputs else ("value",),
    }.get(name, ())
    for v in nonneg:
        neg = df[v] < 0
        if neg.any():
            row = _first(neg)
            what = "negative tariffs" if v.startswith("tariff") else "negative flows"
            _fail(name, df, row, f"no {what}", f"{v}={df.at[row, v]!r} < 0")
    for v in {"trade": ("d_bln", "d_cfl"), "theta": ("value",)}.get(name, ()):
        bad = df[v] <= 0
        if bad.any():
            row = _first(bad)
            _fail(
                name,
                df,
                row,
                "positive " + ("iceberg changes" if name == "trade" else "theta"),
                f"{v}={df.at[row, v]!r} <= 0",
            )
    return df


def _check_sets(tables: dict[str, pd.DataFrame]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    trade = tables["trade"]
    regions = tuple(pd.unique(trade["exporter"]))
    sectors = tuple(pd.unique(trade["sector"]))
    for label, ref, cols in (("region", regions, _REGION_KEYS), ("sector", sectors, _SECTOR_KEYS)):
        ref_set = set(ref)
        for name, df in tables.items():
            for c in cols:
                if c not in df.columns:
                    continue
                extra = ~df[c].isin(ref_set)
                if extra.any():
                    _fail(
                        name,
                        df,
                        _first(extra),
                        f"{label}s match across tables",
                        f"{c}={df.at[_first(extra), c]!r} is not a {label} of the trade table "
                        f"({len(ref)} {label}s)",
                    )
                absent = ref_set - set(df[c])
                if absent:
                    raise ValueError(
                        f"cp2015 data: table {name!r} breaks the rule '{label}s match "
                        f"across tables': column {c!r} lacks {sorted(absent)[:5]}."
                    )
    # Every key combination must be present exactly once (missing rows).
    sizes = {
        "trade": len(sectors) * len(regions) ** 2,
        "intermediate_consumption": len(sectors) ** 2 * len(regions),
        "final_consumption": len(sectors) * len(regions),
        "value_added": len(sectors) * len(regions),
        "deficit": len(regions),
        "theta": len(sectors),
    }
    for name, size in sizes.items():
        if len(tables[name]) != size:
            keys = CP2015_TABLES[name][0]
            full = pd.MultiIndex.from_product(
                [regions if k in _REGION_KEYS else sectors for k in keys], names=keys
            )
            have = (
                pd.MultiIndex.from_frame(tables[name][list(keys)])
                if len(keys) > 1
                else pd.Index(tables[name][keys[0]])
            )
            have = set(have)
            lacking = [x for x in full if x not in have][:1]
            example = np.atleast_1d(lacking[0]) if len(keys) > 1 else lacking
            raise ValueError(
                f"cp2015 data: table {name!r} breaks the rule 'no missing rows': it has "
                f"{len(tables[name])} rows, not {size}; e.g. no row for {dict(zip(keys, example))}."
            )
    return regions, sectors


def _check_economics(data: CP2015Data) -> None:
    a = data.arrays()
    ic, va = a["intermediate"], a["value_added"]
    output = ic.sum(1) + va  # N×J gross output of the IO table
    # Input shares γ^{k,j} = inputs / (inputs + value added) add up to more than one exactly
    # where value added is negative (or gross output is not positive).
    bad = (va < 0) | ((output <= 0) & (ic.sum(1) != 0))
    if bad.any():
        n, j = np.unravel_index(int(np.argmax(bad)), bad.shape)
        t = data.tables["value_added"]
        row = t.index[(t["region"] == data.regions[n]) & (t["sector"] == data.sectors[j])][0]
        _fail(
            "value_added",
            t,
            row,
            "input shares add up to at most one",
            f"inputs {ic[n, :, j].sum():.6g} exceed gross output {output[n, j]:.6g} "
            f"(value added {va[n, j]:.6g})",
        )
    zero = va.sum(1) <= 0
    if zero.any():
        t = data.tables["value_added"]
        n = int(np.argmax(zero))
        row = t.index[t["region"] == data.regions[n]][0]
        _fail(
            "value_added",
            t,
            row,
            "every region has value added",
            f"region {data.regions[n]!r} has total value added {va.sum(1)[n]:.6g}",
        )
    absorption = (a["flows"] * (1 + a["tariff"])).sum(1)  # J×N spending by importer
    if (absorption <= 0).any():
        jj, n = np.unravel_index(int(np.argmax(absorption <= 0)), absorption.shape)
        t = data.tables["trade"]
        row = t.index[(t["importer"] == data.regions[n]) & (t["sector"] == data.sectors[jj])][0]
        _fail(
            "trade",
            t,
            row,
            "every region buys every sector",
            f"region {data.regions[n]!r} imports nothing of sector {data.sectors[jj]!r} "
            f"(not even from itself), so its trade shares are undefined",
        )


def load_cp2015(source: str | Path | Mapping[str, Any], *, allow_negative_inputs: bool = False) -> CP2015Data:
    """Load and check Caliendo–Parro tables in the layout of the bundled NAFTA data.

    **Arguments:**
    - `source`: a folder holding `<table>.csv` or `<table>.csv.gz` for the six tables, or a
      mapping table name -> DataFrame or path (the caller's frames are copied, never changed);
    - `allow_negative_inputs`: accept negative intermediate-consumption entries (the authors'
      data has one); trade, final consumption and value added must be non-negative regardless.

    **Returns:** a `CP2015Data`.

    **Raises:** `ValueError` naming the table, the row and the rule for missing or duplicate
    rows, negative flows or tariffs, non-positive θ or iceberg changes, input shares adding up to
    more than one, regions or sectors that differ across tables, a region with no value added.
    """
    if isinstance(source, (str, Path)):
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(f"load_cp2015: {str(folder)!r} is not a folder of tables.")
        found = {}
        for name in CP2015_TABLES:
            for ext in (".csv.gz", ".csv"):
                if (folder / (name + ext)).exists():
                    found[name] = folder / (name + ext)
                    break
        source = found
    if not isinstance(source, Mapping):
        raise TypeError(
            f"load_cp2015: expected a folder or a mapping of tables, got {type(source).__name__}."
        )
    lacking = [t for t in CP2015_TABLES if t not in source]
    if lacking:
        raise ValueError(
            f"load_cp2015: table(s) {lacking} are missing; the layout needs {list(CP2015_TABLES)}."
        )
    tables = {
        name: _check_table(name, _read(source[name], name), allow_negative_inputs) for name in CP2015_TABLES
    }
    regions, sectors = _check_sets(tables)
    data = CP2015Data({k: v.reset_index(drop=True) for k, v in tables.items()}, regions, sectors)
    _check_economics(data)
    return data


def load_cp2015_nafta() -> CP2015Data:
    """The Caliendo–Parro (2015) NAFTA data: 31 regions × 40 sectors, 1993 and NAFTA tariffs.

    Caliendo, L. and F. Parro (2015), "Estimates of the Trade and Welfare Effects of NAFTA",
    Review of Economic Studies 82(1), 1–44, via the MIT-licensed R package `cp2015`
    (`diffecon/data/cp2015_nafta/README.md`). One intermediate-consumption entry of the
    authors' data is negative (Canada, Basic metals buying Other: −9.49e6 USD); it is kept.

    **Returns:** a checked `CP2015Data` (regions: 30 countries and `Row` last; sectors: 20 traded
    goods, then 20 services).
    """
    folder = resources.files(__package__).joinpath(NAFTA_DIR)
    frames = {}
    for name in CP2015_TABLES:
        with folder.joinpath(name + ".csv.gz").open("rb") as fh:
            frames[name] = pd.read_csv(fh, compression="gzip")
    return load_cp2015(frames, allow_negative_inputs=True)
