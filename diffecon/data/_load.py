"""Loading bilateral trade tables and checking that a gravity model can use them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["load_trade_sample", "load_trade", "check_trade", "pair_matrix", "pair_matrices", "country_values",
           "countries_of", "SAMPLE_FILE"]

SAMPLE_FILE = "trade_30_countries_2006.csv"

# The dtype `Series.astype(str)` gives: object before pandas 3, the "str" dtype from pandas 3.
_TEXT_DTYPE = pd.Series([], dtype=object).astype(str).dtype


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

    **Returns:** a new DataFrame sorted by exporter then importer, with a fresh 0..n-1 index.
    """
    # The checks run on numpy arrays and integer country codes: pandas' string columns are slow
    # (without pyarrow every operation loops in Python), and this runs on every model built.
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}.")
    needed = [exporter, importer, flow, *covariates]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(
            f"trade table: missing column(s) {missing}; it has {list(df.columns)}. Map your names "
            f"with load_trade(..., flow=, exporter=, importer=, columns=)."
        )
    codes = {c: _present_codes(df, c) for c in (exporter, importer)}
    numbers = {c: _finite_numbers(df, c, exporter, importer) for c in (flow, *covariates)}
    countries, rows, cols = _code_pairs(codes[exporter], codes[importer])
    n = len(countries)
    flat = rows * n + cols
    counts = np.bincount(flat, minlength=n * n)
    _check_unique(counts, flat, countries)
    _check_nonnegative(numbers[flow], rows, cols, countries, flow)
    if structural:
        _check_domestic(numbers[flow], rows, cols, countries)
        _check_complete(counts, len(df), countries)
    return _tidy(df, np.argsort(flat, kind="stable"), codes, numbers)


def _present_codes(df: pd.DataFrame, column: str) -> np.ndarray:
    """The country codes of `column` as strings; raises if any is missing.

    **Returns:** a numpy array of the codes as `astype(str)` writes them.
    """
    values = df[column].to_numpy()
    if pd.isna(values).any():
        raise ValueError(f"trade table: column {column!r} has missing country codes.")
    return _as_text(values)


def _finite_numbers(df: pd.DataFrame, column: str, exporter: str, importer: str) -> np.ndarray:
    """`column` as float64; raises naming the first pair whose value is not a finite number.

    **Returns:** a float64 numpy array in row order (text that reads as a number is converted).
    """
    series = df[column]
    values = _as_floats(series)
    bad = ~np.isfinite(values)
    if bad.any():
        row = _shown_row(df, int(np.flatnonzero(bad)[0]), exporter, importer)
        raise ValueError(
            f"trade table: column {column!r} must be finite numbers; pair ({row[exporter]}, "
            f"{row[importer]}) has {row[column]!r}."
        )
    return values


def _check_unique(counts: np.ndarray, flat: np.ndarray, countries: tuple[str, ...]) -> None:
    """Raise for the first row (in table order) whose exporter–importer pair appears twice.

    **Arguments:** `counts`, rows per flat pair index; `flat`, each row's flat pair index
    (exporter code × N + importer code); `countries`, the code book (N codes).
    """
    n = len(countries)
    repeated = counts[flat] > 1
    if repeated.any():
        pair = int(flat[np.flatnonzero(repeated)[0]])
        i, j = divmod(pair, n)
        raise ValueError(
            f"trade table: duplicate pair ({countries[i]}, {countries[j]}) appears {int(counts[pair])} "
            f"times; keep one row per exporter–importer pair."
        )


def _check_nonnegative(flows: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                       countries: tuple[str, ...], flow: str) -> None:
    """Raise for the first row (in table order) with a negative flow."""
    negative = flows < 0
    if negative.any():
        k = int(np.flatnonzero(negative)[0])
        raise ValueError(
            f"trade table: flow {flow!r} must be >= 0; pair ({countries[rows[k]]}, "
            f"{countries[cols[k]]}) has {flows[k]:g}."
        )


def _check_domestic(flows: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                    countries: tuple[str, ...]) -> None:
    """Raise unless every country has a positive domestic flow (pairs are unique by now)."""
    domestic = rows == cols
    has = np.zeros(len(countries), bool)
    has[rows[domestic]] = flows[domestic] > 0
    if not has.all():
        lacking = [countries[k] for k in np.flatnonzero(~has)]
        raise ValueError(
            f"trade table: every country needs a positive domestic flow (exporter == importer); "
            f"{lacking} have none. Gravity models need domestic sales to pin down trade shares."
        )


def _check_complete(counts: np.ndarray, n_rows: int, countries: tuple[str, ...]) -> None:
    """Raise unless every exporter–importer pair is present, naming the first absent one.

    **Arguments:** `counts`, rows per flat pair index (pairs are unique by now); `n_rows`, the
    table's length; `countries`, the code book.
    """
    n = len(countries)
    if n_rows != n * n:
        i, j = divmod(int(np.flatnonzero(counts == 0)[0]), n)
        raise ValueError(
            f"trade table: incomplete panel, {n_rows} rows for {n} countries (need {n * n}); "
            f"e.g. pair {(countries[i], countries[j])} is absent. Add absent pairs with a zero flow."
        )


def _tidy(df: pd.DataFrame, order: np.ndarray, codes: Mapping[str, np.ndarray],
          numbers: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """A sorted copy of a checked table: rows in `order`, index 0..n-1, string codes, float numbers.

    **Arguments:** `df`, the table as given; `order`, the row order (by exporter, importer code);
    `codes`, the country columns as `_present_codes` gave them; `numbers`, the checked columns as
    float64 arrays in `df`'s row order.

    **Returns:** the new DataFrame (the caller's table is never modified).
    """
    out = df.take(order)  # a copy, in every pandas version
    out.index = pd.RangeIndex(len(out))
    for column, values in codes.items():
        # `_as_text` keeps only object arrays of str as they are; a column of that dtype
        # already holds what `astype(str)` would give.
        if values.dtype != object or out[column].dtype != _TEXT_DTYPE:
            out[column] = out[column].astype(str)
    for column, values in numbers.items():
        # Columns already float64 hold exactly these values; rewriting them only costs time.
        if out[column].dtype != np.float64:
            out[column] = values[order]
    return out


def _as_text(values: np.ndarray) -> np.ndarray:
    """Country codes as strings: object arrays of `str` as they are, anything else `astype(str)`.

    **Returns:** a numpy array (object or unicode) whose elements are `str`.
    """
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return values.astype(str)


def _as_floats(series: pd.Series) -> np.ndarray:
    """A column as float64, NaN where a value is not a number (as `pd.to_numeric(errors="coerce")`).

    **Returns:** a float64 numpy array in row order.
    """
    # Plain numpy numbers convert directly; `pd.to_numeric` costs more than the conversion itself.
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        return series.to_numpy(dtype=float)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def _shown_row(df: pd.DataFrame, k: int, exporter: str, importer: str) -> pd.Series:
    """Row `k` of `df` as error messages show it: string codes, the other values as given."""
    return df.iloc[[k]].astype({exporter: str, importer: str}).iloc[0]


def _code_pairs(exporters: np.ndarray,
                importers: np.ndarray) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Integer codes for string exporter and importer codes, in one sorted code book.

    **Returns:** `(countries, rows, cols)`: the sorted distinct codes, and each row's exporter
    and importer position in them (int64 arrays).
    """
    # A hash table with sorted uniques: much faster than np.unique on Python strings.
    codes, uniques = pd.factorize(np.concatenate([exporters, importers]), sort=True)
    m = len(exporters)
    return tuple(str(c) for c in uniques), codes[:m].astype(np.int64), codes[m:].astype(np.int64)


def _country_codes(df: pd.DataFrame, exporter: str = "exporter",
                   importer: str = "importer") -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """`_code_pairs` of a table's exporter and importer columns (codes compared as text).

    **Returns:** `(countries, rows, cols)`, as `_code_pairs`.
    """
    return _code_pairs(_as_text(df[exporter].to_numpy()), _as_text(df[importer].to_numpy()))


def countries_of(df: pd.DataFrame, exporter: str = "exporter", importer: str = "importer") -> tuple[str, ...]:
    """The sorted country codes of a bilateral table."""
    return _country_codes(df, exporter, importer)[0]


def pair_matrix(df: pd.DataFrame, column: str, countries: Sequence[str] | None = None, *,
                exporter: str = "exporter", importer: str = "importer", absent: str = "raise") -> np.ndarray:
    """The N×N matrix of `column` (rows exporters, columns importers, in `countries` order).

    **Arguments:** `df`, a bilateral table; `column`; `countries`, the order of rows and columns
    (default: the table's sorted codes; rows of other countries are left out); `exporter`,
    `importer`, the code columns; `absent`: "raise" (default) for a `ValueError` when a pair of
    `countries` is absent or its value missing, "nan" to leave it NaN (estimation on an
    incomplete table).

    **Returns:** an N×N float64 array. Raises `ValueError` for a pair that appears twice.
    """
    return pair_matrices(df, [column], countries, exporter=exporter, importer=importer, absent=absent)[column]


def pair_matrices(df: pd.DataFrame, columns: Sequence[str], countries: Sequence[str] | None = None, *,
                  exporter: str = "exporter", importer: str = "importer",
                  absent: str = "raise") -> dict[str, np.ndarray]:
    """`pair_matrix` for several columns at once (the pairs are located once).

    **Returns:** column name -> N×N float64 array.
    """
    if absent not in ("raise", "nan"):
        raise ValueError(f"absent={absent!r} is not one of 'raise', 'nan'.")
    missing = [c for c in (exporter, importer, *columns) if c not in df.columns]
    if missing:
        raise ValueError(f"trade table: missing column(s) {missing}; it has {list(df.columns)}.")
    book, rows, cols = _country_codes(df, exporter, importer)
    countries = tuple(countries) if countries is not None else book
    return _fill_matrices(df, columns, countries, *_recode(book, countries, rows, cols), absent == "raise")


def country_values(df: pd.DataFrame, column: str, countries: Sequence[str] | None = None, *,
                   by: str = "exporter", exporter: str = "exporter",
                   importer: str = "importer") -> np.ndarray:
    """A country-level column of a bilateral table (such as exporter output `Y` or importer
    expenditure `E`, repeated on every row of the country) as a vector.

    **Arguments:** `df`; `column`; `countries`, the vector's order (default: the table's sorted
    codes); `by`: "exporter" or "importer", whose country the column describes; `exporter`,
    `importer`, the code columns.

    **Returns:** an N float64 array. Raises `ValueError` when the column is missing, a country
    has no row or a missing value, or its value differs between its rows.
    """
    if by not in ("exporter", "importer"):
        raise ValueError(f"by={by!r} is not one of 'exporter', 'importer'.")
    if column not in df.columns:
        raise ValueError(f"trade table: missing column {column!r}; it has {list(df.columns)}.")
    book, rows, cols = _country_codes(df, exporter, importer)
    countries = tuple(countries) if countries is not None else book
    rows, cols = _recode(book, countries, rows, cols)
    owner = rows if by == "exporter" else cols
    values = _as_floats(df[column])
    keep = owner >= 0
    owner, values = owner[keep], values[keep]
    n = len(countries)
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    np.minimum.at(low, owner, values)
    np.maximum.at(high, owner, values)
    for k in range(n):
        if not np.isfinite(low[k]) or not np.isfinite(high[k]):
            raise ValueError(f"column {column!r}: {by} {countries[k]} has no row or a missing value.")
        if low[k] != high[k]:
            raise ValueError(f"column {column!r} must be one value per {by}; {countries[k]} has "
                             f"values from {low[k]:g} to {high[k]:g}.")
    return low


def _recode(book: tuple[str, ...], countries: tuple[str, ...], rows: np.ndarray,
            cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into `book` re-expressed as positions in `countries` (-1: not among them).

    **Returns:** `(rows, cols)` as int64 arrays.
    """
    if book == countries:  # the usual case: the model's countries are the table's, sorted
        return rows, cols
    position = pd.Index(countries).get_indexer(np.array(book, dtype=object))
    return position[rows], position[cols]


def _fill_matrices(df: pd.DataFrame, columns: Sequence[str], countries: tuple[str, ...],
                   rows: np.ndarray, cols: np.ndarray, complete: bool = True) -> dict[str, np.ndarray]:
    """The N×N matrices of `columns` from each row's exporter and importer position.

    **Arguments:** `df`; `columns`; `countries`, the matrices' order; `rows`, `cols`, each row's
    position in `countries` (-1: a country not among them; the row is left out); `complete`:
    raise for a pair that is absent or missing (else it stays NaN).

    **Returns:** column name -> N×N float64 matrix. Raises `ValueError` for a duplicate pair.
    """
    n = len(countries)
    keep = (rows >= 0) & (cols >= 0)
    flat = rows[keep] * n + cols[keep]
    if np.bincount(flat, minlength=n * n).max(initial=0) > 1:
        raise ValueError("the table has duplicate exporter–importer pairs.")
    out = {}
    for column in columns:
        values = np.full(n * n, np.nan)
        values[flat] = _as_floats(df[column])[keep]
        values = values.reshape(n, n)
        if complete and np.isnan(values).any():
            i, j = np.argwhere(np.isnan(values))[0]
            raise ValueError(
                f"column {column!r}: pair ({countries[i]}, {countries[j]}) is absent or missing; every "
                f"exporter–importer pair of the baseline must be present."
            )
        out[column] = values
    return out
