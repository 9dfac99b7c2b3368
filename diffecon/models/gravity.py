"""N-country structural gravity: Krugman (1980) generalised to N countries, calibrated to data.

Two models:

- `Gravity`: full general equilibrium in exact hat algebra (Dekle, Eaton and Kortum 2008). CES
  demand with elasticity σ, iceberg trade costs, one factor (labour) per country, free entry, so
  the number of varieties is proportional to L_i and trade shares follow
  λ_ij = L_i (w_i τ_ij)^{1−σ} / Σ_k L_k (w_k τ_kj)^{1−σ}. The baseline reproduces the observed
  flows X_ij exactly (the unobservables L_i, τ_ij are recovered from them, see `unobservables`);
  a counterfactual changes trade costs by τ̂_ij^{1−σ} = exp(Σ_k b_k Δz_kij) · t̂_ij^{1−σ} (b the
  PPML coefficients, Δz the change in cost covariates, t̂ an extra iceberg change such as a
  tariff equivalent), and wages ŵ_i solve market clearing in every country.
- `GravityGegravity`: the conventions of the USITC `gegravity` package's `OneSectorGE` (v0.3),
  so its users can compare: see the class docstring for where they differ from full GE.

Notation: rows are exporters i, columns importers j. Y_i = Σ_j X_ij (output), E_j = Σ_i X_ij
(expenditure), D_j = E_j − Y_j (deficit), T = Σ_i Y_i (world income).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, final

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
from jax.nn import logsumexp

from ..core import AbstractModel, Requirement, at_least, greater_than, param, positive

__all__ = ["Gravity", "GravityGegravity", "CLOSURES", "LINEAR_SOLVES", "closure_description"]

CLOSURES = ("deficits", "proportional")
_TATONNEMENT_ROUNDS = 40  # rounds of `Gravity.guess`
_SINKHORN_ROUNDS = 2000  # most rounds of `GravityGegravity.guess` (it stops when settled)
LINEAR_SOLVES = ("dense", "matrix_free")

_CLOSURE_TEXT = {
    "deficits": "nominal trade deficits held fixed relative to world income (Dekle–Eaton–Kortum)",
    "proportional": "expenditure proportional to output (E_j/Y_j fixed, rescaled so world "
                    "expenditure equals world output)",
}


def closure_description(closure: str) -> str:
    """One line saying what the trade-deficit closure holds fixed."""
    return _CLOSURE_TEXT[closure]


def _shock_log(coef, covariates, new_covariates, tau_change, sigma):
    """ln τ̂_ij^{1−σ}: the covariate change weighted by the coefficients, plus the iceberg change."""
    shift = jnp.einsum("k,kij->ij", coef, new_covariates - covariates) if coef.shape[0] else 0.0
    return shift + (1.0 - sigma) * jnp.log(tau_change)


class _CostShock(AbstractModel):
    """The trade-cost experiment both gravity models share: elasticity, coefficients, covariates.

    Each concrete model's `__init__` calls `_set_costs` (the defaults depend on its N) and
    declares its own size parameters; `__check_init__` checks the shapes fit together.
    """

    sigma: jnp.ndarray = param()
    coef: jnp.ndarray = param(ndim=1)
    covariates: jnp.ndarray = param(ndim=3)
    new_covariates: jnp.ndarray = param(ndim=3)
    tau_change: jnp.ndarray = param(ndim=2)
    coef_cov: jnp.ndarray = param(ndim=2)
    countries: tuple = eqx.field(static=True)
    covariate_names: tuple = eqx.field(static=True)

    def _set_costs(self, n, sigma, coef, covariates, new_covariates, tau_change, coef_cov, countries,
                   covariate_names):
        """Fill the cost fields, with defaults for N countries: no covariates, no change."""
        coef = np.zeros(0) if coef is None else coef
        k = 0 if isinstance(coef, (str, bytes)) else int(np.size(coef))  # a bad coef: the core says so
        covariates = np.zeros((k, n, n)) if covariates is None else covariates
        self.sigma = sigma
        self.coef = coef
        self.covariates = covariates
        self.new_covariates = covariates if new_covariates is None else new_covariates
        self.tau_change = np.ones((n, n)) if tau_change is None else tau_change
        self.coef_cov = np.zeros((k, k)) if coef_cov is None else coef_cov
        self.countries = tuple(f"c{i}" for i in range(n)) if countries is None else tuple(map(str, countries))
        self.covariate_names = (tuple(f"z{i}" for i in range(k)) if covariate_names is None
                                else tuple(map(str, covariate_names)))

    def _cost_requirements(self) -> tuple[Requirement, ...]:
        return (greater_than("sigma", self.sigma, 1.0), positive("tau_change", self.tau_change))

    def _check_shapes(self, n: int) -> None:
        """Raise `ValueError` when the cost fields do not fit N countries and K coefficients.
        (Non-numbers and wrong ranks are left to the core's check, which names them.)"""
        if not all(_numeric(getattr(self, f)) for f in ("coef", "covariates", "new_covariates",
                                                       "tau_change", "coef_cov")):
            return
        k = self.coef.shape[0] if self.coef.ndim == 1 else 0
        for name, shape in (("covariates", (k, n, n)), ("new_covariates", (k, n, n)),
                            ("tau_change", (n, n)), ("coef_cov", (k, k))):
            value = getattr(self, name)
            if value.ndim == len(shape) and value.shape != shape:
                raise ValueError(f"{type(self).__name__}: parameter {name} has shape {value.shape}; "
                                 f"the admissible shape is {shape} ({k} coefficients, {n} countries).")
        if len(self.countries) != n or len(set(self.countries)) != n:
            raise ValueError(f"{type(self).__name__}: countries={self.countries} must be {n} distinct codes.")
        if len(self.covariate_names) != k:
            raise ValueError(
                f"{type(self).__name__}: covariate_names={self.covariate_names} must be {k} names.")

    def log_cost_change(self) -> jnp.ndarray:
        """ln τ̂_ij^{1−σ}, the experiment's change in bilateral trade costs (trade elasticity form)."""
        return _shock_log(self.coef, self.covariates, self.new_covariates, self.tau_change, self.sigma)


def _numeric(value: Any) -> bool:
    """True for a float array (what the core's converter makes of a number)."""
    return eqx.is_array(value) and jnp.issubdtype(value.dtype, jnp.floating)


def _numeraire_index(numeraire: str, countries: Sequence[str]) -> int:
    """-1 for world income, else the country's position."""
    if numeraire == "world":
        return -1
    if numeraire not in countries:
        raise ValueError(
            f"numeraire={numeraire!r} must be 'world' or one of the country codes {list(countries)}.")
    return list(countries).index(numeraire)


@final
def _pct_change(new, old):
    """100 (new/old − 1), and 0 where the baseline is 0 (a zero flow stays zero)."""
    safe = jnp.where(old > 0, old, 1.0)
    return jnp.where(old > 0, 100.0 * (new / safe - 1.0), 0.0)


class Gravity(_CostShock):
    """N-country Krugman (1980) / structural gravity in full general equilibrium (exact hat algebra).

    **Parameters:**
    - `flows`: N×N baseline trade flows X_ij ≥ 0 (exporter i, importer j), domestic X_ii > 0;
    - `sigma`: elasticity of substitution σ > 1 (the trade elasticity is σ − 1);
    - `coef`: K trade-cost coefficients b (PPML estimates: τ_ij^{1−σ} ∝ exp(z_ij'b));
    - `covariates`, `new_covariates`: K×N×N cost covariates z in the baseline and the experiment
      (equal by default: the zero-change experiment);
    - `tau_change`: N×N multiplicative change t̂_ij > 0 in iceberg costs on top of the covariates
      (e.g. 1.1 for a 10% tariff equivalent; default 1);
    - `coef_cov`: K×K covariance of `coef` (for standard errors; not used by the solve);
    - static: `countries` (codes), `covariate_names`, `closure` ("deficits" or "proportional",
      see `CLOSURES`), `numeraire` ("world": world income is fixed, or a country code: its wage),
      `linear_solve` ("dense": LU of the N×N Newton Jacobian, fastest up to a few hundred
      countries; "matrix_free": GMRES on Jacobian-vector products, O(N²) work and memory per
      iteration, for large N; both give the same equilibrium and derivatives).

    **Unknowns:** `log_wage_change`, ln ŵ_i (N). **Equations:** market clearing
    ln(Σ_j λ'_ij E'_j) − ln(ŵ_i Y_i) = 0 for every country but one (Walras' law drops the last;
    the numeraire's own when it is a country), and the numeraire ln ŵ_c = 0 or ln(Σ ŵ_i Y_i / T) = 0.
    λ'_ij = λ_ij (ŵ_i τ̂_ij)^{1−σ} / Σ_k λ_kj (ŵ_k τ̂_kj)^{1−σ}  (hat form of the gravity shares).
    Closures: "deficits" E'_j = ŵ_j Y_j + (D_j/T)·Σ_i ŵ_i Y_i; "proportional"
    E'_j = φ_j ŵ_j Y_j · (Σ ŵ Y)/(Σ φ ŵ Y), φ_j = E_j/Y_j. **Validity:** `positive_expenditure`,
    E'_j > 0: under "deficits" a large shock to a surplus country can leave none (no equilibrium;
    the error says so), "proportional" always has one. The start is a tâtonnement from ŵ = 1.

    **Outcomes** (`*_change` are counterfactual/baseline ratios, hats; `*_pct` are percent
    changes, 100·(hat − 1)):
    - `wage_change`: ŵ_i, factory-gate price (wage) change, relative to the numeraire;
    - `price_index_change`: P̂_j = (Σ_i λ_ij (ŵ_i τ̂_ij)^{1−σ})^{1/(1−σ)};
    - `welfare_pct`: 100·(Ê_j/P̂_j − 1), percent change in real income (real expenditure);
    - `real_wage_pct`: 100·(ŵ_j/P̂_j − 1) (= 100·(λ̂_jj^{1/(1−σ)}/τ̂_jj − 1), the ACR formula);
    - `flows`: counterfactual X'_ij = λ'_ij E'_j; `trade_pct`: 100·(X'_ij/X_ij − 1) (0 where X_ij = 0);
    - `output`, `expenditure`, `deficit`: Y'_i, E'_j, E'_j − Y'_j; `world_income`: Σ Y'_i;
    - `exports`, `imports`: foreign sales and purchases; `exports_pct`, `imports_pct` (0 for a
      country with none in the data: zero flows stay zero);
    - `domestic_share`: λ'_jj; `terms_of_trade_pct`: 100·(ŵ_j / P̂ᴹ_j − 1), P̂ᴹ_j the CES import
      price index over foreign sources (baseline import shares as weights);
    - `market_clearing_gap`: max_i |Σ_j X'_ij / Y'_i − 1| (every market, including the dropped one).
    """

    flows: jnp.ndarray = param(ndim=2)
    closure: str = eqx.field(static=True)
    numeraire: str = eqx.field(static=True)
    linear_solve: str = eqx.field(static=True)

    def __init__(self, flows, sigma, coef=None, covariates=None, new_covariates=None, tau_change=None,
                 coef_cov=None, countries=None, covariate_names=None, closure="deficits",
                 numeraire="world", linear_solve="dense"):
        shape = np.shape(flows) if not isinstance(flows, (str, bytes)) else ()
        self.flows = flows
        self._set_costs(shape[-1] if shape else 0, sigma, coef, covariates, new_covariates, tau_change,
                        coef_cov, countries, covariate_names)
        self.closure = closure
        self.numeraire = numeraire
        self.linear_solve = linear_solve

    def __check_init__(self) -> None:
        if _numeric(self.flows) and self.flows.ndim == 2:
            n = self.flows.shape[0]
            if self.flows.shape != (n, n):
                raise ValueError(f"Gravity: parameter flows has shape {self.flows.shape}; the admissible "
                                 "shape is (N, N).")
            self._check_shapes(n)
        if self.closure not in CLOSURES:
            raise ValueError(f"Gravity: closure={self.closure!r} is not one of {CLOSURES}.")
        _numeraire_index(self.numeraire, self.countries)
        if self.linear_solve not in LINEAR_SOLVES:
            raise ValueError(f"Gravity: linear_solve={self.linear_solve!r} is not one of {LINEAR_SOLVES}.")

    def linear_solver(self):
        if self.linear_solve == "dense":
            return super().linear_solver()
        # Market clearing is diagonally dominant (domestic shares are large), so restarted GMRES
        # converges in a few dozen products; tight tolerances keep the implicit derivatives exact.
        return lx.GMRES(rtol=1e-12, atol=1e-12, restart=50, stagnation_iters=50)

    def requirements(self):
        return (
            at_least("flows", self.flows, 0.0),
            positive("flows (domestic, the diagonal)", jnp.diagonal(self.flows, axis1=-2, axis2=-1)),
        ) + self._cost_requirements()

    # -- baseline quantities -------------------------------------------------------------------
    def baseline(self) -> dict[str, jnp.ndarray]:
        """Output Y, expenditure E, deficits D, world income T and trade shares λ of the data."""
        Y, E = self.flows.sum(1), self.flows.sum(0)
        return {"output": Y, "expenditure": E, "deficit": E - Y, "world_income": Y.sum(),
                "shares": self.flows / E[None, :]}

    def unobservables(self) -> dict[str, jnp.ndarray]:
        """Krugman's fundamentals recovered from the data (baseline wages w_i = 1).

        `L`: labour in efficiency units, L_i = Y_i; `tau`: iceberg costs with τ_jj = 1,
        τ_ij = (X_ij/X_jj · L_j/L_i)^{1/(1−σ)} (∞ where X_ij = 0); `deficit_share`: D_j/T. With
        these, λ_ij = L_i τ_ij^{1−σ} / Σ_k L_k τ_kj^{1−σ} reproduces the observed shares exactly.
        """
        base = self.baseline()
        L = base["output"]
        ratio = self.flows / jnp.diagonal(self.flows)[None, :] * L[None, :] / L[:, None]
        tau = jnp.where(ratio > 0, jnp.where(ratio > 0, ratio, 1.0) ** (1.0 / (1.0 - self.sigma)), jnp.inf)
        return {"L": L, "tau": tau, "deficit_share": base["deficit"] / base["world_income"]}

    # -- equilibrium -----------------------------------------------------------------------------
    def guess(self):
        # Tâtonnement from ŵ = 1: raise the wage of every country in excess demand,
        # ln ŵ_i += (ln sales_i − ln Y'_i)/σ, renormalised to the numeraire. With CES demand
        # (gross substitutes) it heads for the equilibrium from anywhere; a few dozen rounds put
        # Newton close even after cost shocks of many orders of magnitude. A round that leaves
        # the region where the conditions are finite (negative expenditure) is not taken.
        n = self.flows.shape[-1]
        k = _numeraire_index(self.numeraire, self.countries)
        world = self.baseline()["world_income"]

        def normalised(log_w, parts):
            return log_w - (log_w[k] if k >= 0 else jnp.log(parts["T"] / world))

        def round_(_, log_w):
            parts = self._solve_parts(log_w)
            step = normalised(log_w + (parts["log_sales"] - parts["log_Y"]) / self.sigma, parts)
            new = normalised(step, self._solve_parts(step))
            return jnp.where(jnp.all(jnp.isfinite(new)), new, log_w)

        log_w = jax.lax.fori_loop(0, _TATONNEMENT_ROUNDS, round_, jnp.zeros(n))
        return {"log_wage_change": log_w}

    def _solve_parts(self, log_w):
        s = self.sigma
        base = self.baseline()
        Y, E, T, lam = base["output"], base["expenditure"], base["world_income"], base["shares"]
        # λ'_ij ∝ A_ij ŵ_i^{1−σ} with A_ij = λ_ij τ̂_ij^{1−σ} fixed by the experiment, so market
        # clearing is two matrix-vector products with A: no N×N exponentials per evaluation, and
        # the Newton Jacobian's N tangents become matrix products (N² memory, not N³). Each
        # column of A is scaled so its largest entry is 1 (the scale cancels in every share), so
        # τ̂^{1−σ} never overflows however large σ and the cost change are.
        positive = lam > 0
        log_A = jnp.where(positive, jnp.log(jnp.where(positive, lam, 1.0)) + self.log_cost_change(), -jnp.inf)
        col = jnp.max(log_A, axis=0)  # finite: every domestic share is positive
        A = jnp.exp(log_A - col[None, :])
        scaled = (1.0 - s) * log_w
        top = jnp.max(scaled)  # ŵ^{1−σ} up to a common factor, which cancels in the shares
        u = jnp.exp(scaled - top)
        p = u @ A  # P̂_j^{1−σ} e^{−top − col_j}
        log_Y = log_w + jnp.log(Y)
        new_Y = jnp.exp(log_Y)
        new_T = new_Y.sum()
        if self.closure == "deficits":
            new_E = new_Y + (E - Y) / T * new_T
        else:
            ratio = E / Y * new_Y
            new_E = ratio * new_T / ratio.sum()
        # log of sales_i = u_i Σ_j A_ij E'_j / p_j, written so that a tiny u_i cannot underflow
        log_sales = scaled - top + jnp.log(A @ (new_E / p))
        return {"log_p": jnp.log(p) + top + col, "A": A, "u": u, "p": p, "Y": new_Y, "log_Y": log_Y,
                "E": new_E, "T": new_T, "log_sales": log_sales}

    def _shares(self, parts):
        """λ'_ij, the counterfactual trade shares (N×N; only outcomes need them)."""
        return parts["A"] * parts["u"][:, None] / parts["p"][None, :]

    def residuals(self, x):
        log_w = x["log_wage_change"]
        parts = self._solve_parts(log_w)
        gap = parts["log_sales"] - parts["log_Y"]
        k = _numeraire_index(self.numeraire, self.countries)
        if k < 0:
            keep = gap[:-1]
            anchor = jnp.log(parts["T"] / self.baseline()["world_income"])
        else:
            keep = jnp.delete(gap, k, assume_unique_indices=True)
            anchor = log_w[k]
        return {"market_clearing": keep, "numeraire": anchor}

    def validity(self, x):
        # With deficits fixed relative to world income, E'_j = ŵ_j Y_j + D_j/T·ΣŵY is negative
        # when a surplus country's income falls far enough: no equilibrium of this closure.
        return {"positive_expenditure": self._solve_parts(x["log_wage_change"])["E"] > 0}

    def explain_failure(self, eq):
        E = np.asarray(self._solve_parts(eq.x["log_wage_change"])["E"])
        if self.closure == "deficits" and np.any(E <= 0):
            who = [self.countries[i] for i in np.flatnonzero(E <= 0)]
            return (f"No equilibrium with trade deficits held fixed relative to world income: the "
                    f"expenditure of {', '.join(who)} would be negative (its surplus exceeds its "
                    "income after the shock); closure='proportional' always has one.")
        return None

    def outcomes(self, x):
        s = self.sigma
        log_w = x["log_wage_change"]
        parts = self._solve_parts(log_w)
        w_hat = jnp.exp(log_w)
        P_hat = jnp.exp(parts["log_p"] / (1.0 - s))
        new_lam = self._shares(parts)
        flows = new_lam * parts["E"][None, :]
        base_flows = self.flows
        off = 1.0 - jnp.eye(base_flows.shape[-1])
        exports, imports = (flows * off).sum(1), (flows * off).sum(0)
        base_exports, base_imports = (base_flows * off).sum(1), (base_flows * off).sum(0)
        # Import price index over foreign sources, baseline import shares as CES weights.
        lam = self.baseline()["shares"]
        # (a country without imports in the data has no import price index: weights 0, ToT change 0)
        import_weights = lam * off / jnp.where((lam * off).sum(0) > 0, (lam * off).sum(0), 1.0)[None, :]
        log_w_cost = (1.0 - s) * log_w[:, None] + self.log_cost_change()
        PM_hat = jnp.exp(logsumexp(log_w_cost, axis=0, b=import_weights) / (1.0 - s))
        base = self.baseline()
        return {
            "wage_change": w_hat,
            "price_index_change": P_hat,
            "welfare_pct": 100.0 * (parts["E"] / base["expenditure"] / P_hat - 1.0),
            "real_wage_pct": 100.0 * (w_hat / P_hat - 1.0),
            "flows": flows,
            "trade_pct": _pct_change(flows, base_flows),
            "output": parts["Y"],
            "expenditure": parts["E"],
            "deficit": parts["E"] - parts["Y"],
            "world_income": parts["T"],
            "exports": exports,
            "imports": imports,
            # A country with no exports (imports) in the data has none after the shock either
            # (exact hat algebra keeps zero flows at zero): its change is 0, not 0/0.
            "exports_pct": _pct_change(exports, base_exports),
            "imports_pct": _pct_change(imports, base_imports),
            "domestic_share": jnp.diagonal(new_lam),
            "terms_of_trade_pct": jnp.where(base_imports > 0, 100.0 * (w_hat / PM_hat - 1.0), 0.0),
            "market_clearing_gap": jnp.max(jnp.abs(jnp.expm1(parts["log_sales"] - parts["log_Y"]))),
        }

    # -- construction from data ------------------------------------------------------------------
    @classmethod
    def from_data(cls, df, coef: Mapping[str, float] | Any, sigma: float, closure: str = "deficits", *,
                  flow: str = "trade", exporter: str = "exporter", importer: str = "importer",
                  numeraire: str = "world", cov: Any = None, linear_solve: str = "dense") -> Gravity:
        """The calibrated baseline: reproduces the flows of `df` exactly.

        **Arguments:**
        - `df`: a complete bilateral table with domestic flows (see `diffecon.data.check_trade`);
        - `coef`: covariate name -> coefficient (a dict, or a `PPMLResult`, whose covariance is
          then kept for standard errors); the names are the cost covariates read from `df`;
        - `sigma`: elasticity of substitution σ > 1;
        - `closure`: "deficits" (default) or "proportional" (see the class docstring);
        - `flow`, `exporter`, `importer`: column names; `numeraire`: "world" or a country code;
        - `cov`: K×K covariance of the coefficients (overrides a `PPMLResult`'s);
        - `linear_solve`: "dense" or "matrix_free" (see the class docstring).

        **Returns:** a `Gravity` model at the zero-change experiment (new covariates = baseline).
        """
        from ..data import check_trade, countries_of, pair_matrices

        if hasattr(coef, "coef") and hasattr(coef, "cov"):
            cov = coef.cov if cov is None else cov
            coef = coef.coef
        names = tuple(coef)
        table = check_trade(df, covariates=names, flow=flow, exporter=exporter, importer=importer)
        countries = countries_of(table, exporter, importer)
        mats = pair_matrices(table, [flow, *names], countries, exporter=exporter, importer=importer)
        flows = mats[flow]
        Z = np.stack([mats[c] for c in names]) if names else np.zeros((0, len(countries), len(countries)))
        return cls(flows=flows, sigma=sigma, coef=np.array([float(coef[c]) for c in names]),
                   covariates=Z, new_covariates=Z, coef_cov=cov, countries=countries,
                   covariate_names=names, closure=closure, numeraire=numeraire, linear_solve=linear_solve)


@final
class GravityGegravity(_CostShock):
    """Structural gravity with the conventions of USITC `gegravity`'s `OneSectorGE` (v0.3).

    Inputs as in gegravity: reported output Y_i and expenditure E_j (not the flows), trade costs
    t_ij^{1−σ} = exp(z_ij'b), a reference importer whose inward resistance is 1. Shares are
    y_i = Y_i/ΣY, e_j = E_j/ΣE. With Ω_i = Π_i^{1−σ} (outward) and Φ_j = P_j^{1−σ} (inward):

        Φ_j = Σ_i t_ij^{1−σ} y_i / Ω_i,   Ω_i = Σ_j t_ij^{1−σ} e_j / Φ_j,   Φ_ref = 1,

    solved once with the baseline costs and once with the experiment costs, both with the
    *baseline* shares y, e. Factory-gate prices follow from gegravity's y_i = (β_i p_i)^{1−σ}/Ω_i
    with y_i held fixed: p̂_i = (Ω_i/Ω'_i)^{1/(1−σ)}; Y'_i = p̂_i Y_i; E'_j = (E_j/Y_j) Y'_j; modelled flows
    X_ij = t_ij^{1−σ} E_j (Y_i/ΣY) / (Φ_j Ω_i). Welfare: gegravity's statistic (E/P)/(E'/P');
    `welfare_pct` = 100·((E'/P')/(E/P) − 1) to match `Gravity`.

    **How it differs from full GE (`Gravity`):** (1) the baseline does not reproduce the observed
    flows (it is the fitted gravity model, and uses reported Y, E); (2) the experiment's
    resistances are solved with baseline output shares, so wage changes do not feed back into
    demand: the "full GE" resistances equal the conditional ones and markets do not clear
    exactly (`market_clearing_gap` measures by how much); (3) expenditure is proportional to
    output. The replication `diffecon replicate gravity` quantifies the differences on the
    sample data.

    **Parameters:** `output` Y (N), `expenditure` E (N), plus `sigma`, `coef`, `covariates`,
    `new_covariates`, `tau_change`, `coef_cov`, `countries`, `covariate_names` as in `Gravity`,
    and static `reference` (the reference importer's code).

    **Unknowns:** logs of 1/Φ (N−1, reference excluded) and 1/Ω (N), baseline and experiment,
    started from Sinkhorn's iteration (the resistance system is a matrix scaling).

    **Outcomes** (percent changes, gegravity's names with `_change` written `_pct`):
    `factory_gate_price_pct`, `omr_pct`, `imr_pct`, `gdp_pct` (Y/P), `welfare_pct`,
    `terms_of_trade_pct` (p/P), `output_pct`, `expenditure_pct`, `foreign_exports_pct`,
    `foreign_imports_pct`, `intranational_trade_pct`; `welfare_statistic` (gegravity's ratio
    (E/P)/(E'/P')); `baseline_flows`, `flows` (modelled), `trade_pct`; `market_clearing_gap` and
    `baseline_market_clearing_gap`: max_i |Σ_j X_ij / Y_i − 1| in the experiment and the baseline.
    """

    output: jnp.ndarray = param(ndim=1)
    expenditure: jnp.ndarray = param(ndim=1)
    reference: str = eqx.field(static=True)

    def __init__(self, output, expenditure, sigma, coef=None, covariates=None, new_covariates=None,
                 tau_change=None, coef_cov=None, countries=None, covariate_names=None, reference=None):
        shape = np.shape(output) if not isinstance(output, (str, bytes)) else ()
        self.output, self.expenditure = output, expenditure
        self._set_costs(shape[-1] if shape else 0, sigma, coef, covariates, new_covariates, tau_change,
                        coef_cov, countries, covariate_names)
        self.reference = self.countries[0] if reference is None or not self.countries else str(reference)

    def __check_init__(self) -> None:
        if _numeric(self.output) and _numeric(self.expenditure) and self.output.ndim == 1:
            if self.expenditure.shape != self.output.shape:
                raise ValueError(f"GravityGegravity: parameters output {self.output.shape} and expenditure "
                                 f"{self.expenditure.shape} must be vectors of the same length N.")
            self._check_shapes(self.output.shape[0])
        if self.reference not in self.countries:
            raise ValueError(
                f"GravityGegravity: reference={self.reference!r} is not one of {list(self.countries)}.")

    def requirements(self):
        return (positive("output", self.output), positive("expenditure", self.expenditure)) \
            + self._cost_requirements()

    def _ref(self) -> int:
        return self.countries.index(self.reference)

    def guess(self):
        base_cost, new_cost = self._log_costs()
        b_imr, b_omr = self._sinkhorn(base_cost)
        imr, omr = self._sinkhorn(new_cost)
        return {"base_imr": b_imr, "base_omr": b_omr, "imr": imr, "omr": omr}

    def _sinkhorn(self, log_cost):
        """The resistance system is a matrix scaling: alternate its two equations (Sinkhorn's
        iteration, in logs, so no cost overflows) from 1, then pin Φ_ref = 1. It converges for
        any positive costs; Newton polishes the last digits."""
        y, e = self._shares()
        log_y, log_e = jnp.log(y), jnp.log(e)

        def round_(carry):
            _, lo, k, _ = carry
            li = -logsumexp(log_cost + log_y[:, None] + lo[:, None], axis=0)
            new = -logsumexp(log_cost + log_e[None, :] + li[None, :], axis=1)
            return li, new, k + 1, jnp.max(jnp.abs(new - lo))

        def going(carry):
            _, _, k, change = carry
            return (k < _SINKHORN_ROUNDS) & ~(change <= 1e-12)  # a NaN change stops too

        n = self.output.shape[-1]
        zero = jnp.zeros(n)
        li, lo, _, _ = jax.lax.while_loop(going, round_, (zero, zero, 0, jnp.asarray(jnp.inf)))
        shift = li[self._ref()]
        return jnp.delete(li - shift, self._ref(), assume_unique_indices=True), lo + shift

    def _log_costs(self):
        base = jnp.einsum("k,kij->ij", self.coef, self.covariates) if self.coef.shape[0] else \
            jnp.zeros(self.tau_change.shape)
        return base, base + self.log_cost_change()

    def _shares(self):
        return self.output / self.output.sum(), self.expenditure / self.expenditure.sum()

    def _full_imr(self, log_inv_phi):
        # log(1/Φ) with the reference importer's Φ = 1 reinserted.
        return jnp.insert(log_inv_phi, self._ref(), 0.0)

    def _mr_residuals(self, log_cost, log_inv_phi, log_inv_omega):
        y, e = self._shares()
        li = self._full_imr(log_inv_phi)
        # 1 = (1/Φ_j) Σ_i t_ij y_i (1/Ω_i), 1 = (1/Ω_i) Σ_j t_ij e_j (1/Φ_j), in logs.
        imr = li + logsumexp(log_cost + jnp.log(y)[:, None] + log_inv_omega[:, None], axis=0)
        omr = log_inv_omega + logsumexp(log_cost + jnp.log(e)[None, :] + li[None, :], axis=1)
        return jnp.delete(imr, self._ref(), assume_unique_indices=True), omr

    def residuals(self, x):
        base_cost, new_cost = self._log_costs()
        b_imr, b_omr = self._mr_residuals(base_cost, x["base_imr"], x["base_omr"])
        imr, omr = self._mr_residuals(new_cost, x["imr"], x["omr"])
        return {"baseline_imr": b_imr, "baseline_omr": b_omr, "imr": imr, "omr": omr}

    def outcomes(self, x):
        s = self.sigma
        base_cost, new_cost = self._log_costs()
        li0, li1 = self._full_imr(x["base_imr"]), self._full_imr(x["imr"])  # ln(1/Φ)
        lo0, lo1 = x["base_omr"], x["omr"]  # ln(1/Ω)
        Y, E = self.output, self.expenditure
        y = Y / Y.sum()
        # (1−σ) ln p̂ = ln(1/Ω') − ln(1/Ω): gegravity's factory-gate equation with p = 1 at baseline.
        # Everything in logs, ratios as expm1 of log differences: at large σ the resistances and
        # flows span hundreds of orders of magnitude, and a ratio of two underflowed flows is 0/0.
        log_p_hat = (lo1 - lo0) / (1.0 - s)
        log_P_hat = (li0 - li1) / (1.0 - s)  # P = Φ^{1/(1−σ)}
        log_Y1 = log_p_hat + jnp.log(Y)
        log_E1 = jnp.log(E) - jnp.log(Y) + log_Y1
        log_y1 = log_Y1 - logsumexp(log_Y1)
        log_f0 = base_cost + jnp.log(E)[None, :] + jnp.log(y)[:, None] + li0[None, :] + lo0[:, None]
        log_f1 = new_cost + log_E1[None, :] + log_y1[:, None] + li1[None, :] + lo1[:, None]
        off = 1.0 - jnp.eye(Y.shape[-1])

        def pct(log_ratio):
            return 100.0 * jnp.expm1(log_ratio)

        def foreign(log_f, axis):
            return logsumexp(log_f, axis=axis, b=off)

        log_real = log_E1 - jnp.log(E) - log_P_hat
        return {
            "factory_gate_price_pct": pct(log_p_hat),
            "omr_pct": pct(-log_p_hat),
            "imr_pct": pct(log_P_hat),
            "gdp_pct": pct(log_p_hat - log_P_hat),
            "welfare_statistic": jnp.exp(-log_real),
            "welfare_pct": pct(log_real),
            "terms_of_trade_pct": pct(log_p_hat - log_P_hat),
            "output_pct": pct(log_Y1 - jnp.log(Y)),
            "expenditure_pct": pct(log_E1 - jnp.log(E)),
            "foreign_exports_pct": pct(foreign(log_f1, 1) - foreign(log_f0, 1)),
            "foreign_imports_pct": pct(foreign(log_f1, 0) - foreign(log_f0, 0)),
            "intranational_trade_pct": pct(jnp.diagonal(log_f1) - jnp.diagonal(log_f0)),
            "baseline_flows": jnp.exp(log_f0),
            "flows": jnp.exp(log_f1),
            "trade_pct": pct(log_f1 - log_f0),
            "market_clearing_gap": jnp.max(jnp.abs(jnp.expm1(logsumexp(log_f1, axis=1) - log_Y1))),
            "baseline_market_clearing_gap":
                jnp.max(jnp.abs(jnp.expm1(logsumexp(log_f0, axis=1) - jnp.log(Y)))),
        }
