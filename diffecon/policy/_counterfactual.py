"""`counterfactual`: an experiment given as data, solved in general equilibrium, with standard
errors (delta method through the equilibrium, or Monte Carlo over the estimated coefficients).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ..core import Equilibrium, Solver, jacobian, replace, solve, sweep
from ..data import countries_of, country_values, pair_matrices
from ..models.gravity import Gravity, GravityGegravity, closure_description

__all__ = ["counterfactual", "CounterfactualResult", "MODES", "SE_METHODS"]

MODES = ("full_ge", "gegravity")
SE_METHODS = (None, "delta", "monte_carlo", "both")

# Country-level outcomes reported (and given standard errors), per mode: percent changes.
_COUNTRY_OUTCOMES = {
    "full_ge": ("welfare_pct", "real_wage_pct", "wage_pct", "price_index_pct", "exports_pct",
                "imports_pct", "terms_of_trade_pct"),
    "gegravity": ("welfare_pct", "gdp_pct", "factory_gate_price_pct", "imr_pct", "omr_pct",
                  "terms_of_trade_pct", "output_pct", "expenditure_pct", "foreign_exports_pct",
                  "foreign_imports_pct", "intranational_trade_pct", "welfare_statistic"),
}

_GEGRAVITY_CLOSURE = "expenditure proportional to output (gegravity's E_j = φ_j Y_j; markets need not clear)"


@dataclass
class CounterfactualResult:
    """A counterfactual's results.

    **Fields:**
    - `welfare_pct`: percent change in real income by country (a Series indexed by ISO code);
    - `countries`: every country-level outcome (percent changes), one row per country;
    - `trade`: bilateral `baseline` and `counterfactual` flows and their percent change
      `change_pct`;
    - `se`: delta-method standard errors of the country outcomes (a DataFrame) or None;
    - `mc_se`: Monte Carlo standard errors (DataFrame, over the converged draws) or None;
      `mc_draws`: outcome draws (dict name -> array draws × countries, NaN where a draw did not
      converge), `mc_converged`: per-draw convergence flags;
    - `mode`, `closure` (in words), `equilibrium` (the `Equilibrium`), `model` (the solved one).
    """

    welfare_pct: pd.Series
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
        """Delta-method standard error of `welfare_pct` (else Monte Carlo, else None)."""
        table = self.se if self.se is not None else self.mc_se
        return None if table is None else table["welfare_pct"]

    def summary(self) -> pd.DataFrame:
        """Welfare change (%) with its standard errors, sorted, for printing."""
        out = pd.DataFrame({"welfare_pct": self.welfare_pct})
        if self.se is not None:
            out["se_delta"] = self.se["welfare_pct"]
        if self.mc_se is not None:
            out["se_monte_carlo"] = self.mc_se["welfare_pct"]
        return out.sort_values("welfare_pct", ascending=False)

    def __repr__(self) -> str:
        top = self.welfare_pct.sort_values(ascending=False)
        text = (f"CounterfactualResult(mode={self.mode!r}, closure: {self.closure}; welfare change (%) "
                f"largest {top.index[0]} {top.iloc[0]:+.4f}, smallest {top.index[-1]} {top.iloc[-1]:+.4f}")
        if self.mc_converged is not None and not self.mc_converged.all():
            text += (f"; {int((~self.mc_converged).sum())} of {self.mc_converged.size} Monte Carlo draws "
                     "did not converge and are left out of mc_se")
        return text + ")"


# -- the experiment table -> model arrays -------------------------------------------------------

def _experiment_arrays(model: Gravity, experiment: pd.DataFrame, exporter: str, importer: str,
                       tau_column: str) -> tuple[np.ndarray, np.ndarray]:
    """(new covariates K×N×N, iceberg change N×N) of the experiment, in the model's order."""
    if not isinstance(experiment, pd.DataFrame):
        raise TypeError(f"counterfactual: the experiment must be a table (a pandas DataFrame: the "
                        f"baseline with costs changed), got {type(experiment).__name__}.")
    names = model.covariate_names
    missing = [c for c in (exporter, importer, *names) if c not in experiment.columns]
    if missing:
        raise ValueError(f"counterfactual: the experiment table lacks column(s) {missing}.")
    countries = countries_of(experiment, exporter, importer)
    if set(countries) != set(model.countries):
        raise ValueError(f"counterfactual: the experiment's countries {list(countries)} differ from the "
                         f"model's {list(model.countries)}.")
    columns = [*names, tau_column] if tau_column in experiment.columns else list(names)
    try:
        mats = pair_matrices(experiment, columns, model.countries, exporter=exporter, importer=importer)
    except ValueError as error:
        raise ValueError(f"counterfactual: experiment table: {error}") from None
    for c, m in mats.items():
        if not np.isfinite(m).all():
            raise ValueError(f"counterfactual: column {c!r} of the experiment has non-finite values.")
    n = len(model.countries)
    Z = np.stack([mats[c] for c in names]) if names else np.zeros((0, n, n))
    tau = mats.get(tau_column, np.ones((n, n)))
    if not (tau > 0).all():
        raise ValueError(f"counterfactual: column {tau_column!r} must be > 0 (a multiplicative cost change).")
    return Z, tau


def _gegravity_model(model: Gravity, experiment: pd.DataFrame, Z: np.ndarray, tau: np.ndarray,
                     output: str, expenditure: str, reference: str | None, exporter: str,
                     importer: str) -> GravityGegravity:
    for c in (output, expenditure):
        if c not in experiment.columns:
            raise ValueError(f"counterfactual(mode='gegravity'): column {c!r} (reported output / "
                             f"expenditure, as gegravity uses) is not in the experiment table.")
    kw = dict(exporter=exporter, importer=importer)
    Y = country_values(experiment, output, model.countries, by="exporter", **kw)
    E = country_values(experiment, expenditure, model.countries, by="importer", **kw)
    if reference is None:
        reference = model.numeraire if model.numeraire != "world" else model.countries[int(np.argmax(E))]
    return GravityGegravity(Y, E, model.sigma, coef=model.coef, covariates=model.covariates,
                            new_covariates=Z, tau_change=tau, coef_cov=model.coef_cov,
                            countries=model.countries, covariate_names=model.covariate_names,
                            reference=reference)


# -- outcomes by country ---------------------------------------------------------------------------

def _country_values(eq: Equilibrium, mode: str) -> dict:
    out = dict(eq.outcomes)
    if mode == "full_ge":  # the model reports these two as ratios
        out["wage_pct"] = 100.0 * (out["wage_change"] - 1.0)
        out["price_index_pct"] = 100.0 * (out["price_index_change"] - 1.0)
    return out


def _country_selector(mode: str):
    """`Equilibrium -> outcomes × N` for the mode (compared by code and `mode`, so compiled
    jacobian/sweep programs are reused across calls)."""
    names = _COUNTRY_OUTCOMES[mode]

    def country_outcomes(eq):
        values = _country_values(eq, mode)
        return jnp.stack([values[k] for k in names])

    return country_outcomes


def _result_tables(eq: Equilibrium, mode: str, base_flows: Any, countries: tuple[str, ...]):
    """The welfare Series, country table and bilateral table of a solved counterfactual.

    **Arguments:** `eq`, the `Equilibrium`; `mode`; `base_flows`, the N×N baseline flows (array);
    `countries`, the N codes in the model's order.

    **Returns:** `(welfare_pct, countries_table, trade_table)` as `CounterfactualResult` holds.
    """
    # pandas' per-column overhead rivals the solve at this size: the arrays come to the host in
    # one call, the country outcomes form one block, and the code columns are taken from one
    # Index rather than converting 2N² strings.
    names = _COUNTRY_OUTCOMES[mode]
    values = _country_values(eq, mode)
    host = jax.device_get({"outcomes": [values[k] for k in names], "baseline": base_flows,
                           "flows": eq["flows"], "change": eq["trade_pct"]})
    outcomes = [np.asarray(v) for v in host["outcomes"]]
    index = pd.Index(countries, name="country")
    if len({v.dtype for v in outcomes}) == 1:
        table = pd.DataFrame(np.stack(outcomes, axis=1), index=index, columns=list(names))
    else:  # one block would change the dtype of some columns
        table = pd.DataFrame(dict(zip(names, outcomes)), index=index)
    welfare = pd.Series(outcomes[names.index("welfare_pct")].copy(), index=index, name="welfare_pct")
    n = len(countries)
    pairs = np.arange(n * n)
    trade = pd.DataFrame({
        "exporter": index.take(pairs // n).array,
        "importer": index.take(pairs % n).array,
        "baseline": np.asarray(host["baseline"]).ravel(),
        "counterfactual": np.asarray(host["flows"]).ravel(),
        "change_pct": np.asarray(host["change"]).ravel(),
    })
    return welfare, table, trade


# -- standard errors -------------------------------------------------------------------------------

def _delta_se(experiment: Any, mode: str, V: np.ndarray, countries: list[str],
              solver: Solver | None) -> pd.DataFrame:
    J = np.asarray(jacobian(experiment, _country_selector(mode), "coef", solver=solver))  # outcomes×N×K
    var = np.einsum("onk,kl,onl->on", J, V, J)
    return pd.DataFrame(np.sqrt(np.maximum(var, 0.0)).T, index=pd.Index(countries, name="country"),
                        columns=list(_COUNTRY_OUTCOMES[mode]))


def _monte_carlo(result: CounterfactualResult, experiment: Any, mode: str, V: np.ndarray,
                 countries: list[str], draws: int, seed: int, solver: Solver | None) -> None:
    rng = np.random.default_rng(seed)
    # A covariance that is PSD only up to rounding: draw through its eigen-decomposition.
    w, U = np.linalg.eigh((V + V.T) / 2)
    root = U * np.sqrt(np.clip(w, 0.0, None))
    b = np.asarray(experiment.coef)
    coef_draws = b + rng.standard_normal((draws, b.size)) @ root.T
    out = sweep(experiment, over={"coef": coef_draws}, of=_country_selector(mode), solver=solver)
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


# -- the counterfactual ----------------------------------------------------------------------------

def counterfactual(
    model: Gravity,
    experiment: pd.DataFrame,
    *,
    se: str | None = None,
    mode: str = "full_ge",
    draws: int = 500,
    seed: int = 0,
    cov: Any = None,
    solver: Solver | None = None,
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
    - `experiment`: the baseline table with cost covariates changed (and an optional
      `tau_column` of iceberg-cost changes); see `form_pta`, `dissolve_pta`, `set_pairs`,
      `change_iceberg`, `raise_import_costs`;
    - `se`: None, "delta" (exact Jacobian of every country outcome w.r.t. the coefficients
      through the GE solve, Var = J V J'), "monte_carlo" (`draws` coefficient vectors from
      N(b, V), solved in one batched `sweep`, per-draw convergence flags), or "both";
    - `mode`: "full_ge" (every market clears; exact hat algebra from the observed flows; the
      model's closure) or "gegravity" (the conventions of USITC gegravity's `OneSectorGE`,
      using the table's reported `output`/`expenditure` columns, one value per country;
      `reference_importer` defaults to the model's numeraire country, else the largest importer);
    - `draws`, `seed`: the Monte Carlo's size and seed; `cov`: covariance V of the
      coefficients (default: the model's `coef_cov`); `solver`: a `diffecon.Solver`;
    - `tau_column`, `exporter`, `importer`: column names.

    **Returns:** a `CounterfactualResult`; `.welfare_pct` is the percent change in real income
    by ISO code. Raises `SolveError` if the counterfactual does not solve.
    """
    if not isinstance(model, Gravity):
        raise TypeError(f"counterfactual expects a calibrated Gravity model, got {type(model).__name__}.")
    if mode not in MODES:
        raise ValueError(f"counterfactual: mode={mode!r} is not one of {MODES}.")
    if se not in SE_METHODS:
        raise ValueError(f"counterfactual: se={se!r} is not one of None, 'delta', 'monte_carlo', 'both'.")
    if se is not None and len(model.covariate_names) == 0:
        raise ValueError("counterfactual: standard errors need trade-cost coefficients; the model has none.")
    Z, tau = _experiment_arrays(model, experiment, exporter, importer, tau_column)
    if cov is not None:
        model = replace(model, coef_cov=np.asarray(cov, float))
    if mode == "full_ge":
        solved = replace(model, new_covariates=Z, tau_change=tau)
        closure = closure_description(model.closure)
    else:
        solved = _gegravity_model(model, experiment, Z, tau, output, expenditure, reference_importer,
                                  exporter, importer)
        closure = _GEGRAVITY_CLOSURE
    eq = solve(solved, solver=solver)
    countries = list(model.countries)
    base_flows = model.flows if mode == "full_ge" else eq["baseline_flows"]
    welfare, table, trade = _result_tables(eq, mode, base_flows, tuple(countries))
    result = CounterfactualResult(welfare, table, trade, mode, closure, eq, solved)
    V = np.asarray(solved.coef_cov)
    if se in ("delta", "both"):
        result.se = _delta_se(solved, mode, V, countries, solver)
    if se in ("monte_carlo", "both"):
        _monte_carlo(result, solved, mode, V, countries, draws, seed, solver)
    return result
