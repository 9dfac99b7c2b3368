"""Experiments as data: copies of a bilateral table with some trade costs changed.

An experiment is the baseline table with cost covariates changed (e.g. `pta`) and optionally a
column `tau_change` of multiplicative iceberg-cost changes (1.1 = a 10% tariff equivalent). The
helpers below write such copies; any edit of the table by hand works too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data import countries_of

__all__ = ["set_pairs", "form_pta", "dissolve_pta", "change_iceberg", "raise_import_costs"]


def _check_codes(df: pd.DataFrame, codes: Sequence[str], exporter: str, importer: str, what: str) -> None:
    known = set(countries_of(df, exporter, importer))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"{what}: unknown country code(s) {unknown}; the table has {sorted(known)}.")


def _selected(df: pd.DataFrame, among: Sequence[str] | None, exporters: Sequence[str] | None,
              importers: Sequence[str] | None, international_only: bool, exporter: str, importer: str,
              what: str) -> np.ndarray:
    """The rows of the pairs chosen by `among` or `exporters`/`importers` (None = all)."""
    if among is not None and (exporters is not None or importers is not None):
        raise ValueError(f"{what}: give either among= or exporters=/importers=, not both.")
    if among is not None:
        exporters = importers = list(among)
    for codes in (exporters, importers):
        if codes is not None:
            _check_codes(df, codes, exporter, importer, what)
    sel = np.ones(len(df), bool)
    if exporters is not None:
        sel &= df[exporter].isin(exporters).to_numpy()
    if importers is not None:
        sel &= df[importer].isin(importers).to_numpy()
    if international_only:
        sel &= (df[exporter] != df[importer]).to_numpy()
    return sel


def set_pairs(df: pd.DataFrame, column: str, value: float, *, among: Sequence[str] | None = None,
              exporters: Sequence[str] | None = None, importers: Sequence[str] | None = None,
              international_only: bool = True, exporter: str = "exporter",
              importer: str = "importer") -> pd.DataFrame:
    """A copy of `df` with `column` set to `value` on the selected pairs.

    **Arguments:** `df`, the baseline table; `column`, a cost covariate; `value`; `among`: all
    pairs among these countries (both directions); or `exporters` / `importers` (None = all);
    `international_only`: leave domestic pairs unchanged (default); `exporter`, `importer`:
    the code columns.

    **Returns:** the experiment table (the baseline is not modified).
    """
    if column not in df.columns:
        raise ValueError(f"set_pairs: column {column!r} is not in the table.")
    sel = _selected(df, among, exporters, importers, international_only, exporter, importer, "set_pairs")
    out = df.copy()
    out.loc[sel, column] = value
    return out


def form_pta(df: pd.DataFrame, countries: Sequence[str], column: str = "pta", **names) -> pd.DataFrame:
    """Experiment: `countries` sign a preferential trade agreement (`column` = 1 among them)."""
    return set_pairs(df, column, 1, among=countries, **names)


def dissolve_pta(df: pd.DataFrame, countries: Sequence[str], column: str = "pta", **names) -> pd.DataFrame:
    """Experiment: set `column` = 0 for all pairs among `countries` (an agreement dissolved)."""
    return set_pairs(df, column, 0, among=countries, **names)


def change_iceberg(df: pd.DataFrame, factor: float, *, among: Sequence[str] | None = None,
                   exporters: Sequence[str] | None = None, importers: Sequence[str] | None = None,
                   international_only: bool = True, column: str = "tau_change",
                   exporter: str = "exporter", importer: str = "importer") -> pd.DataFrame:
    """Experiment: multiply the iceberg cost of the selected pairs by `factor` > 0 (1.1 = a 10%
    tariff equivalent, 0.9 a 10% cut), on top of earlier changes in `column` (created as 1).

    **Arguments:** `df`; `factor`; the pairs as in `set_pairs`; `column`, the multiplicative
    change column the counterfactual reads (`tau_column` there).

    **Returns:** the experiment table.
    """
    factor = float(factor)
    if not (np.isfinite(factor) and factor > 0):
        raise ValueError(
            f"change_iceberg: factor={factor} must be a finite number > 0 (costs stay positive).")
    sel = _selected(df, among, exporters, importers, international_only, exporter, importer, "change_iceberg")
    out = df.copy()
    out[column] = out[column].astype(float) if column in out.columns else 1.0
    out.loc[sel, column] = out.loc[sel, column] * factor
    return out


def raise_import_costs(df: pd.DataFrame, country: str, rate: float, column: str = "tau_change", *,
                       exporter: str = "exporter", importer: str = "importer") -> pd.DataFrame:
    """Experiment: a tariff-equivalent rise of `rate` (0.1 = 10%) in the iceberg cost of all of
    `country`'s imports from abroad (`change_iceberg` with factor 1 + rate on them).
    """
    if not rate > -1:
        raise ValueError(f"raise_import_costs: rate={rate} must be > -1 (costs stay positive).")
    _check_codes(df, [country], exporter, importer, "raise_import_costs")
    return change_iceberg(df, 1.0 + rate, importers=[country], column=column, exporter=exporter,
                          importer=importer)
