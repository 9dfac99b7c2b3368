"""Loading bilateral trade tables and checking that a gravity model can use them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["load_trade_sample", "load_trade", "check_trade", "pair_matrix", "pair_matrices", "countries_of",
           "SAMPLE_FILE"]

SAMPLE_FILE = "trade_30_countries_2006.csv"


def load_trade_sample() -> pd.DataFrame:
    """The bundled 30-country, 2006 trade table (domestic flows included).

    Columns: `exporter`, `importer` (ISO-3), `year`, `trade`, `Y` (exporter output), `E`
    (importer expenditure), `pta`, `contiguity`, `common_language`, `lndist`, `international`.
    Provenance and licence: `diffecon/data/README.md`.

    **Returns:** a checked `pandas.DataFrame`, sorted by exporter then importer.
    """
    with resources.files(__package__).joinpath(SAMPLE_FILE).open("rb") as fh:
        raw = pd.read_csv(fh)
    return check_trade(raw)


def load_trade(
    source: str | Path | pd.DataFrame,
    *,
    flow: str = "trade",
    exporter: str = "exporter",
    importer: str = "importer",
    year: Any = None,
    year_column: str = "year",
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load a user's bilateral trade table (CSV, Parquet, or a DataFrame) with the same checks.

    **Arguments:**
    - `source`: a `.csv` / `.parquet` path or a DataFrame;
    - `flow`, `exporter`, `importer`: the user's names of the trade-value and country columns;
      they are renamed to `trade`, `exporter`, `importer`;
    - `year`: keep only this year (required when the table holds several years);
    - `year_column`: the user's name of the year column (if any);
    - `columns`: further renames, user name -> diffecon name (e.g. `{"dist": "lndist"}`).

    **Returns:** the checked table (see `check_trade`).
    """
    if isinstance(source, pd.DataFrame):
        raw = source.copy()
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"load_trade: no file at {str(path)!r}.")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            raw = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            raw = pd.read_parquet(path)
        else:
            raise ValueError(f"load_trade: source={str(path)!r} must be a .csv or .parquet file.")
    rename = {flow: "trade", exporter: "exporter", importer: "importer", **dict(columns or {})}
    if year_column in raw.columns:
        rename[year_column] = "year"
    raw = raw.rename(columns={k: v for k, v in rename.items() if k != v})
    if "year" in raw.columns:
        years = pd.unique(raw["year"])
        if year is not None:
            raw = raw[raw["year"] == year]
            if raw.empty:
                raise ValueError(f"load_trade: year={year!r} is not in the table (it holds {sorted(years)}).")
        elif len(years) > 1:
            raise ValueError(
                f"load_trade: the table holds several years {sorted(years)}; pass year= to pick one."
            )
    return check_trade(raw)


def check_trade(df: pd.DataFrame, *, covariates: Sequence[str] = (), flow: str = "trade",
                exporter: str = "exporter", importer: str = "importer",
                structural: bool = True) -> pd.DataFrame:
    """Check a bilateral table and return it tidy (sorted, string codes, float flows).

    Raises `ValueError` naming the problem for: missing columns, missing values, duplicate
    exporter–importer pairs, negative or non-finite flows, a country without a positive domestic
    flow, or an incomplete panel (every exporter–importer pair must be present; add absent
    pairs with a zero flow).

    **Arguments:** `df`; `covariates`, further columns that must be present and finite; `flow`,
    `exporter`, `importer`, the column names; `structural=False` skips the two checks only a
    general-equilibrium model needs (domestic flows, complete panel), as for estimation.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}.")
    needed = [exporter, importer, flow, *covariates]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(
            f"trade table: missing column(s) {missing}; it has {list(df.columns)}. Map your names "
            f"with load_trade(..., flow=, exporter=, importer=, columns=)."
        )
    out = df.copy()
    for c in (exporter, importer):
        if out[c].isna().any():
            raise ValueError(f"trade table: column {c!r} has missing country codes.")
        out[c] = out[c].astype(str)
    for c in (flow, *covariates):
        values = pd.to_numeric(out[c], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            row = out.loc[bad].iloc[0]
            raise ValueError(
                f"trade table: column {c!r} must be finite numbers; pair ({row[exporter]}, "
                f"{row[importer]}) has {row[c]!r}."
            )
        out[c] = values.astype(float)
    dup = out.duplicated([exporter, importer], keep=False)
    if dup.any():
        row = out.loc[dup].iloc[0]
        times = int(((out[exporter] == row[exporter]) & (out[importer] == row[importer])).sum())
        raise ValueError(
            f"trade table: duplicate pair ({row[exporter]}, {row[importer]}) appears {times} "
            f"times; keep one row per exporter–importer pair."
        )
    negative = out[flow] < 0
    if negative.any():
        row = out.loc[negative].iloc[0]
        raise ValueError(
            f"trade table: flow {flow!r} must be >= 0; pair ({row[exporter]}, {row[importer]}) "
            f"has {row[flow]:g}."
        )
    if not structural:
        return out.sort_values([exporter, importer]).reset_index(drop=True)
    countries = sorted(set(out[exporter]) | set(out[importer]))
    domestic = out[out[exporter] == out[importer]].set_index(exporter)[flow]
    lacking = [c for c in countries if not (c in domestic.index and domestic[c] > 0)]
    if lacking:
        raise ValueError(
            f"trade table: every country needs a positive domestic flow (exporter == importer); "
            f"{lacking} have none. Gravity models need domestic sales to pin down trade shares."
        )
    n = len(countries)
    if len(out) != n * n:
        have = set(zip(out[exporter], out[importer]))
        absent = next((i, j) for i in countries for j in countries if (i, j) not in have)
        raise ValueError(
            f"trade table: incomplete panel, {len(out)} rows for {n} countries (need {n * n}); "
            f"e.g. pair {absent} is absent. Add absent pairs with a zero flow."
        )
    return out.sort_values([exporter, importer]).reset_index(drop=True)


def countries_of(df: pd.DataFrame, exporter: str = "exporter", importer: str = "importer") -> tuple[str, ...]:
    """The sorted country codes of a bilateral table."""
    codes = np.concatenate([df[exporter].to_numpy(dtype=str), df[importer].to_numpy(dtype=str)])
    return tuple(str(c) for c in np.unique(codes))


def pair_matrix(df: pd.DataFrame, column: str, countries: Sequence[str] | None = None, *,
                exporter: str = "exporter", importer: str = "importer") -> np.ndarray:
    """The N×N matrix of `column` (rows exporters, columns importers, in `countries` order).

    Raises `ValueError` if a pair of `countries` is absent from `df` or appears twice.
    """
    return pair_matrices(df, [column], countries, exporter=exporter, importer=importer)[column]


def pair_matrices(df: pd.DataFrame, columns: Sequence[str], countries: Sequence[str] | None = None, *,
                  exporter: str = "exporter", importer: str = "importer") -> dict[str, np.ndarray]:
    """`pair_matrix` for several columns at once (the pairs are located once)."""
    countries = tuple(countries) if countries is not None else countries_of(df, exporter, importer)
    n = len(countries)
    index = pd.Index(countries)
    rows = index.get_indexer(df[exporter].to_numpy(dtype=str))
    cols = index.get_indexer(df[importer].to_numpy(dtype=str))
    keep = (rows >= 0) & (cols >= 0)
    flat = rows[keep] * n + cols[keep]
    if np.bincount(flat, minlength=n * n).max(initial=0) > 1:
        raise ValueError("the table has duplicate exporter–importer pairs.")
    out = {}
    for column in columns:
        values = np.full(n * n, np.nan)
        values[flat] = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)[keep]
        values = values.reshape(n, n)
        if np.isnan(values).any():
            i, j = np.argwhere(np.isnan(values))[0]
            raise ValueError(
                f"column {column!r}: pair ({countries[i]}, {countries[j]}) is absent or missing; every "
                f"exporter–importer pair of the baseline must be present."
            )
        out[column] = values
    return out
