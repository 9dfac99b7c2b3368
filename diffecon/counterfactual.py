"""Counterfactuals of the calibrated gravity model, with standard errors; experiments as data.

`diffecon.counterfactual` is both this module and a function: `diffecon.counterfactual(model,
new_df, mode=...)` calls `counterfactual` below, and the experiment helpers are its attributes
(`diffecon.counterfactual.form_pta(df, ["CAN", "JPN"])`).

An experiment is a copy of the baseline table with some cost covariates changed (e.g. `pta`),
and optionally a column `tau_change` of multiplicative iceberg-cost changes (1.1 = a 10% tariff
equivalent). The helpers below write such copies; any edit of the table by hand works too.
"""

from __future__ import annotations

import functools
import sys as _sys
import types as _types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .core.solve import Equilibrium, solve
from .core.statics import jacobian
from .core.sweep import sweep
from .data._load import _country_codes, _fill_matrices, _recode, countries_of
from .models.gravity import Gravity, GravityGegravity, closure_description

__all__ = ["counterfactual", "CounterfactualResult", "set_pairs", "form_pta", "dissolve_pta",
           "raise_import_costs", "MODES"]

MODES = ("full_ge", "gegravity")

# Country-level outcomes reported (and given standard errors), per mode.
_COUNTRY_OUTCOMES = {
    "full_ge": ("welfare_change", "real_wage_change", "wage_change_pct", "price_index_change_pct",
                "exports_change", "imports_change", "terms_of_trade_change"),
    "gegravity": ("welfare_change", "gdp_change", "factory_gate_price_change", "imr_change",
                  "omr_change", "terms_of_trade_change", "output_change", "expenditure_change",
                  "foreign_exports_change", "foreign_imports_change", "intranational_trade_change",
                  "welfare_statistic"),
}


@dataclass
class CounterfactualResult:
    """A counterfactual's results.

    **Fields:**
    - `welfare_change`: percent change in real income by country (a Series indexed by ISO code);
    - `countries`: every country-level outcome (percent changes), one row per country;
    - `trade`: bilateral baseline and counterfactual flows and their percent change;
    - `se`: delta-method standard errors of the country outcomes (a DataFrame) or None;
    - `mc_se`: Monte Carlo standard errors (DataFrame) or None; `mc_draws`: outcome draws
      (dict name -> array draws × countries), `mc_converged`: per-draw convergence flags;
    - `mode`, `closure` (in words), `equilibrium` (the `Equilibrium`), `model`.
    """

    welfare_change: pd.Series
    countries: pd.DataFrame
    trade: pd.DataFrame
    mode: str
    closure: str
    equilibrium: Equilibrium
    model: Any
    se: pd.DataFrame | None = None
    mc_se: pd.DataFrame | None = None
    mc_draws: dict = field(default_factory=dict)
    mc_converged: np.ndarray | None = None

    @property
    def welfare_se(self) -> pd.Series | None:
        """Delta-method standard error of `welfare_change` (else Monte Carlo, else None)."""
        table = self.se if self.se is not None else self.mc_se
        return None if table is None else table["welfare_change"]

    def summary(self) -> pd.DataFrame:
        """Welfare change with its standard errors, sorted, for printing."""
        out = pd.DataFrame({"welfare_change": self.welfare_change})
        if self.se is not None:
            out["se_delta"] = self.se["welfare_change"]
        if self.mc_se is not None:
            out["se_monte_carlo"] = self.mc_se["welfare_change"]
        return out.sort_values("welfare_change", ascending=False)

    def __repr__(self) -> str:
        top = self.welfare_change.sort_values(ascending=False)
        return (f"CounterfactualResult(mode={self.mode!r}, closure: {self.closure}; welfare change (%) "
                f"largest {top.index[0]} {top.iloc[0]:+.4f}, smallest {top.index[-1]} {top.iloc[-1]:+.4f})")


# -- experiments as data -------------------------------------------------------------------------

def _check_codes(df, codes, exporter, importer, what):
    known = set(countries_of(df, exporter, importer))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"{what}: unknown country code(s) {unknown}; the table has {sorted(known)}.")


def set_pairs(df: pd.DataFrame, column: str, value: float, *, among: Sequence[str] | None = None,
              exporters: Sequence[str] | None = None, importers: Sequence[str] | None = None,
              international_only: bool = True, exporter: str = "exporter",
              importer: str = "importer") -> pd.DataFrame:
    """A copy of `df` with `column` set to `value` on the selected pairs.

    **Arguments:** `among`: all pairs among these countries (both directions); or `exporters` /
    `importers` (None = all); `international_only`: leave domestic pairs unchanged (default).
    """
    if among is not None and (exporters is not None or importers is not None):
        raise ValueError("set_pairs: give either among= or exporters=/importers=, not both.")
    if column not in df.columns:
        raise ValueError(f"set_pairs: column {column!r} is not in the table.")
    if among is not None:
        exporters = importers = list(among)
    for codes in (exporters, importers):
        if codes is not None:
            _check_codes(df, codes, exporter, importer, "set_pairs")
    out = df.copy()
    sel = np.ones(len(out), bool)
    if exporters is not None:
        sel &= out[exporter].isin(exporters).to_numpy()
    if importers is not None:
        sel &= out[importer].isin(importers).to_numpy()
    if international_only:
        sel &= (out[exporter] != out[importer]).to_numpy()
    out.loc[sel, column] = value
    return out


def form_pta(df: pd.DataFrame, countries: Sequence[str], column: str = "pta", **names) -> pd.DataFrame:
    """Experiment: `countries` sign a preferential trade agreement (`column` = 1 among them)."""
    return set_pairs(df, column, 1, among=countries, **names)


def dissolve_pta(df: pd.DataFrame, countries: Sequence[str], column: str = "pta", **names) -> pd.DataFrame:
    """Experiment: set `column` = 0 for all pairs among `countries` (an agreement dissolved)."""
    return set_pairs(df, column, 0, among=countries, **names)


def raise_import_costs(df: pd.DataFrame, country: str, rate: float, column: str = "tau_change", *,
                       exporter: str = "exporter", importer: str = "importer") -> pd.DataFrame:
    """Experiment: a tariff-equivalent rise of `rate` (0.1 = 10%) in the iceberg cost of all of
    `country`'s imports from abroad (multiplies the `tau_change` column, created as 1 if absent).
    """
    if not rate > -1:
        raise ValueError(f"raise_import_costs: rate={rate} must be > -1 (costs stay positive).")
    _check_codes(df, [country], exporter, importer, "raise_import_costs")
    out = df.copy()
    if column not in out.columns:
        out[column] = 1.0
    sel = (out[importer] == country) & (out[exporter] != country)
    out[column] = out[column].astype(float)
    out.loc[sel, column] = out.loc[sel, column] * (1.0 + rate)
    return out


# -- the counterfactual ----------------------------------------------------------------------------

def _experiment_arrays(model, new_df, exporter, importer, tau_column):
    names = model.covariate_names
    missing = [c for c in (exporter, importer, *names) if c not in new_df.columns]
    if missing:
        raise ValueError(f"counterfactual: the experiment table lacks column(s) {missing}.")
    # Integer country codes, found once, serve the duplicate check and every matrix: pandas'
    # `duplicated` and lookups on string columns are slow (Python loops without pyarrow).
    countries, rows, cols = _country_codes(new_df, exporter, importer)
    n = len(countries)
    if np.bincount(rows * n + cols, minlength=n * n).max(initial=0) > 1:
        raise ValueError("counterfactual: the experiment table has duplicate exporter–importer pairs.")
    if set(countries) != set(model.countries):
        raise ValueError(f"counterfactual: the experiment's countries {list(countries)} differ from the "
                         f"model's {list(model.countries)}.")
    columns = [*names, tau_column] if tau_column in new_df.columns else list(names)
    mats = _fill_matrices(new_df, columns, tuple(model.countries),
                          *_recode(countries, tuple(model.countries), rows, cols))
    for c, m in mats.items():
        if not np.isfinite(m).all():
            raise ValueError(f"counterfactual: column {c!r} of the experiment has non-finite values.")
    n = len(model.countries)
    Z = np.stack([mats[c] for c in names]) if names else np.zeros((0, n, n))
    tau = mats.get(tau_column, np.ones((n, n)))
    if not (tau > 0).all():
        raise ValueError(f"counterfactual: column {tau_column!r} must be > 0 (a multiplicative cost change).")
    return Z, tau


def _with(model, **values):
    names = tuple(values)
    return eqx.tree_at(lambda m: tuple(getattr(m, n) for n in names), model,
                       tuple(jnp.asarray(values[n], dtype=jnp.float64) for n in names))


def _gegravity_model(model, new_df, Z, tau, output, expenditure, reference, exporter, importer):
    for c in (output, expenditure):
        if c not in new_df.columns:
            raise ValueError(f"counterfactual(mode='gegravity'): column {c!r} (reported output / "
                             f"expenditure, as gegravity uses) is not in the experiment table.")
    Y = new_df.groupby(exporter)[output].first().reindex(list(model.countries)).to_numpy(float)
    E = new_df.groupby(importer)[expenditure].first().reindex(list(model.countries)).to_numpy(float)
    if reference is None:
        reference = model.numeraire if model.numeraire != "world" else model.countries[int(np.argmax(E))]
    return GravityGegravity(Y, E, model.sigma, coef=model.coef, covariates=model.covariates,
                            new_covariates=Z, tau_change=tau, coef_cov=model.coef_cov,
                            countries=model.countries, covariate_names=model.covariate_names,
                            reference=reference)


def _country_values(eq, mode):
    out = dict(eq.outcomes)
    if mode == "full_ge":
        out["wage_change_pct"] = 100.0 * (out["wage_change"] - 1.0)
        out["price_index_change_pct"] = 100.0 * (out["price_index_change"] - 1.0)
    return out


@functools.lru_cache(maxsize=None)
def _country_selector(mode):
    # One function object per mode, so compiled jacobian/sweep calls are reused across calls.
    names = _COUNTRY_OUTCOMES[mode]

    def select(eq):
        values = _country_values(eq, mode)
        return jnp.stack([values[k] for k in names])

    select.__name__ = "country_outcomes"
    return select


def counterfactual(
    model: Gravity,
    new_df: pd.DataFrame,
    mode: str = "full_ge",
    *,
    se: str | None = None,
    draws: int = 500,
    seed: int = 0,
    cov: Any = None,
    output: str = "Y",
    expenditure: str = "E",
    reference_importer: str | None = None,
    tau_column: str = "tau_change",
    exporter: str = "exporter",
    importer: str = "importer",
) -> CounterfactualResult:
    """Solve the counterfactual of an experiment given as data.

    **Arguments:**
    - `model`: a calibrated `Gravity` (see `Gravity.from_data`);
    - `new_df`: the experiment: the baseline table with cost covariates changed (and an optional
      `tau_column` of iceberg-cost changes); see `form_pta`, `dissolve_pta`, `raise_import_costs`;
    - `mode`: "full_ge" (every market clears; exact hat algebra from the observed flows; the
      model's closure) or "gegravity" (the conventions of USITC gegravity's `OneSectorGE`,
      using the table's reported `output`/`expenditure` columns; `reference_importer` defaults
      to the model's numeraire country, else the largest importer);
    - `se`: None, "delta" (exact Jacobian of every country outcome w.r.t. the coefficients
      through the GE solve, Var = J V J'), "monte_carlo" (`draws` coefficient vectors from
      N(b, V), solved in one batched `sweep`, per-draw convergence flags), or "both";
    - `cov`: covariance V of the coefficients (default: the model's `coef_cov`);
    - `seed`: the Monte Carlo seed.

    **Returns:** a `CounterfactualResult`; `.welfare_change` is the percent change in real income
    by ISO code. Raises `SolveError` if the counterfactual does not solve.
    """
    if not isinstance(model, Gravity):
        raise TypeError(f"counterfactual expects a calibrated Gravity model, got {type(model).__name__}.")
    if mode not in MODES:
        raise ValueError(f"counterfactual: mode={mode!r} is not one of {MODES}.")
    if se not in (None, "delta", "monte_carlo", "both"):
        raise ValueError(f"counterfactual: se={se!r} is not one of None, 'delta', 'monte_carlo', 'both'.")
    Z, tau = _experiment_arrays(model, new_df, exporter, importer, tau_column)
    if cov is not None:
        model = _with(model, coef_cov=np.asarray(cov, float))
    if mode == "full_ge":
        experiment = _with(model, new_covariates=Z, tau_change=tau)
        closure = closure_description(model.closure)
    else:
        experiment = _gegravity_model(model, new_df, Z, tau, output, expenditure, reference_importer,
                                      exporter, importer)
        closure = "expenditure proportional to output (gegravity's E_j = φ_j Y_j; markets need not clear)"
    eq = solve(experiment)
    countries = list(model.countries)
    base_flows = model.flows if mode == "full_ge" else eq["baseline_flows"]
    welfare, table, trade = _result_tables(eq, mode, base_flows, tuple(countries))
    result = CounterfactualResult(welfare, table, trade, mode, closure, eq, experiment)
    V = np.asarray(experiment.coef_cov)
    if se is not None and len(model.covariate_names) == 0:
        raise ValueError("counterfactual: standard errors need trade-cost coefficients; the model has none.")
    if se in ("delta", "both"):
        result.se = _delta_se(experiment, mode, V, countries)
    if se in ("monte_carlo", "both"):
        _monte_carlo(result, experiment, mode, V, countries, draws, seed)
    return result


def _result_tables(eq, mode, base_flows, countries):
    """The welfare Series, country table and bilateral table of a solved counterfactual.

    **Arguments:** `eq`, the `Equilibrium`; `mode`; `base_flows`, the N×N baseline flows (array);
    `countries`, the N codes in the model's order.

    **Returns:** `(welfare_change, countries_table, trade_table)` as `CounterfactualResult` holds.
    """
    # pandas' per-column overhead rivals the solve at this size: the arrays come to the host in
    # one call, the country outcomes form one block, and the code columns are taken from one
    # Index rather than converting 2N² strings.
    names = _COUNTRY_OUTCOMES[mode]
    values = _country_values(eq, mode)
    host = jax.device_get({"outcomes": [values[k] for k in names], "baseline": base_flows,
                           "flows": eq["flows"], "change": eq["trade_change"]})
    outcomes = [np.asarray(v) for v in host["outcomes"]]
    index = pd.Index(countries, name="country")
    if len({v.dtype for v in outcomes}) == 1:
        table = pd.DataFrame(np.stack(outcomes, axis=1), index=index, columns=list(names))
    else:  # one block would change the dtype of some columns
        table = pd.DataFrame(dict(zip(names, outcomes)), index=index)
    welfare = pd.Series(outcomes[names.index("welfare_change")].copy(), index=index, name="welfare_change")
    n = len(countries)
    pairs = np.arange(n * n)
    trade = pd.DataFrame({
        "exporter": index.take(pairs // n).array,
        "importer": index.take(pairs % n).array,
        "baseline": np.asarray(host["baseline"]).ravel(),
        "counterfactual": np.asarray(host["flows"]).ravel(),
        "change": np.asarray(host["change"]).ravel(),
    })
    return welfare, table, trade


def _delta_se(experiment, mode, V, countries):
    select = _country_selector(mode)
    J = np.asarray(jacobian(experiment, select, "coef")["country_outcomes"]["coef"])  # outcomes×N×K
    var = np.einsum("onk,kl,onl->on", J, V, J)
    return pd.DataFrame(np.sqrt(np.maximum(var, 0.0)).T, index=pd.Index(countries, name="country"),
                        columns=list(_COUNTRY_OUTCOMES[mode]))


def _monte_carlo(result, experiment, mode, V, countries, draws, seed):
    rng = np.random.default_rng(seed)
    # A covariance that is PSD only up to rounding: draw through its eigen-decomposition.
    w, U = np.linalg.eigh((V + V.T) / 2)
    root = U * np.sqrt(np.clip(w, 0.0, None))
    b = np.asarray(experiment.coef)
    coef_draws = b + rng.standard_normal((draws, b.size)) @ root.T
    out = sweep(experiment, over={"coef": coef_draws}, of=_country_selector(mode))
    values = np.asarray(out["country_outcomes"])  # draws × outcomes × N
    ok = np.asarray(out["converged"]).astype(bool)
    if not ok.any():
        raise RuntimeError("counterfactual: no Monte Carlo draw converged.")
    names = _COUNTRY_OUTCOMES[mode]
    result.mc_draws = {k: values[:, i, :] for i, k in enumerate(names)}
    result.mc_draws["coef"] = coef_draws
    result.mc_converged = ok
    result.mc_se = pd.DataFrame(values[ok].std(axis=0, ddof=1).T, index=pd.Index(countries, name="country"),
                                columns=list(names))


class _CallableModule(_types.ModuleType):
    """This module's type: calling it calls `counterfactual`."""

    def __call__(self, *args, **kwargs):
        return counterfactual(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
