"""Caliendo and Parro (2015), "Estimates of the Trade and Welfare Effects of NAFTA", REStud 82(1).

N regions × J sectors, Eaton–Kortum competition within each sector (sectoral trade elasticity
θ_j), Cobb–Douglas input–output links, ad-valorem tariffs whose revenue is rebated to the
importer's households, exogenous trade deficits. The equilibrium in changes ("exact hat
algebra", the paper's eqs. 10–14 in changes, Section 4.1):

    ĉ_n^j = ŵ_n^{γ_n^j} Π_k (P̂_n^k)^{γ_n^{k,j}}                                   (cost, eq. 10)
    P̂_n^j = [Σ_i π_ni^j (κ̂_ni^j ĉ_i^j)^{−θ_j}]^{−1/θ_j}                          (price, eq. 11)
    π'_ni^j = π_ni^j (ĉ_i^j κ̂_ni^j / P̂_n^j)^{−θ_j}                                (shares, eq. 12)
    X'_n^j = Σ_k γ_n^{j,k} Σ_i π'_in^k X'_i^k/(1+τ'_in^k) + α_n^j I'_n             (expenditure, eq. 13)
    I'_n = ŵ_n w_nL_n + Σ_j Σ_i τ'_ni^j π'_ni^j X'_n^j/(1+τ'_ni^j) + D_n
    ŵ_n w_nL_n = Σ_j γ_n^j Σ_i π'_in^j X'_i^j/(1+τ'_in^j)                          (labour, eq. 14)

with κ̂ = (1+τ')/(1+τ) · d̂ and world value added fixed, Σ_n ŵ_n w_nL_n = Σ_n w_nL_n (the
numeraire; Walras' law drops the last region's labour-market equation).

As in the paper (and its R port `cp2015`), the data are first taken to a *baseline*
equilibrium (the data tariffs replaced by `tariff_baseline`, the deficits by
`deficit_baseline`, e.g. zero), and the counterfactual is solved from the same data; every
reported change is counterfactual / baseline. Both systems are the model's unknowns, so every
outcome is differentiable in every parameter, baseline included.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import equinox.internal as eqxi
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np

from ..core import AbstractModel, Requirement, Solver, at_least, greater_than, param, positive
from . import _ces

__all__ = ["CaliendoParro2015", "DEFICIT_CLOSURES"]

DEFICIT_CLOSURES = ("zero", "data")
LINEAR_SOLVES = ("block", "dense", "matrix_free")
_SCENARIOS = ("baseline", "counterfactual")


def _f64(x: Any) -> jax.Array:
    return jnp.asarray(x, dtype=jnp.float64)


class BlockLU(lx.AbstractLinearSolver):
    """LU of a block-diagonal Jacobian, built column-chunk by column-chunk.

    The baseline and counterfactual equations share no unknowns, so the Newton Jacobian is
    block diagonal: two LU factorisations of 2NJ+N (2,511 on the NAFTA data) instead of one of
    twice that size (4× fewer flops). Columns come from Jacobian–vector products `chunk` at a
    time, so memory stays at `chunk` tangents of the residuals instead of one per unknown.
    The factors are assembled into one block-diagonal (lu, pivots) pair, so lineax's LU solve
    and its transpose (the implicit adjoint of reverse mode) apply unchanged.

    **Arguments:** `blocks`: the sizes of the diagonal blocks in flat order; `chunk`: columns
    per batch.
    """

    blocks: tuple = eqx.field(static=True)
    chunk: int = eqx.field(static=True, default=256)

    def init(self, operator, options):
        del options
        from jax.flatten_util import ravel_pytree
        from lineax._solver.misc import pack_structures

        n = operator.in_size()
        if n != operator.out_size() or sum(self.blocks) != n:
            raise ValueError(f"BlockLU: blocks {self.blocks} do not tile a square operator of size {n}.")
        zeros = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), operator.in_structure())
        _, unravel = ravel_pytree(zeros)

        def column(e):
            return ravel_pytree(operator.mv(unravel(e)))[0]

        lus, pivs, off = [], [], 0
        for size in self.blocks:
            basis = jnp.zeros((size, n)).at[jnp.arange(size), off + jnp.arange(size)].set(1.0)
            cols = jax.lax.map(column, basis, batch_size=min(self.chunk, size))  # size × n
            lu, piv = jax.scipy.linalg.lu_factor(cols[:, off : off + size].T)
            lus.append(lu)
            pivs.append(piv + off)
            off += size
        lu = jax.scipy.linalg.block_diag(*lus) if len(lus) > 1 else lus[0]
        return (lu, jnp.concatenate(pivs)), pack_structures(operator), eqxi.Static(False)

    # Solving with the factors is lineax's LU (not subclassed: the core treats an `lx.LU` as
    # "materialise the whole Jacobian at once", which this solver exists to avoid).
    def compute(self, state, vector, options):
        return lx.LU.compute(self, state, vector, options)

    def transpose(self, state, options):
        return lx.LU.transpose(self, state, options)

    def conj(self, state, options):
        return lx.LU.conj(self, state, options)

    def assume_full_rank(self):
        return True


class CaliendoParro2015(AbstractModel):
    """Caliendo–Parro (2015) multi-sector trade model with input–output links and tariffs.

    Arrays are indexed like the data: trade arrays `[sector, exporter, importer]` (J×N×N),
    `intermediate` `[region, input, sector]`, `value_added`, `final_consumption` `[region, sector]`.

    **Parameters (float, differentiable):**
    - `flows`: trade flows net of tariffs in the data (J×N×N, ≥ 0);
    - `tariff_data`: the data year's ad-valorem tariffs (J×N×N), defining the data's shares;
    - `tariff_baseline`, `tariff_counterfactual`: tariffs of the two scenarios (J×N×N, > −1);
    - `d_baseline`, `d_counterfactual`: iceberg-cost changes relative to the data (J×N×N, > 0);
    - `intermediate`: input purchases (N×J×J); `value_added`, `final_consumption` (N×J, ≥ 0);
    - `deficit_baseline`, `deficit_counterfactual`: trade deficits D_n of the scenarios (N);
    - `theta`: sectoral trade elasticities θ_j (J, > 0).

    **Static:** `regions`, `sectors` (the data's order); `linear_solve` ("block":
    block-diagonal LU, `BlockLU`, the default; "dense": one LU of the whole Jacobian;
    "matrix_free": GMRES on Jacobian–vector products — it stagnates on the NAFTA data, kept
    for measurement).

    **Unknowns**, per scenario: `log_cost` ln ĉ (J×N), `log_spending` ln(X'/X) (J×N),
    `log_wage` ln ŵ (N): 2·(2NJ + N) = 5,022 on the NAFTA data.

    **Outcomes** (per region in `regions` order; changes are counterfactual/baseline):
    - `welfare_pct` = `tot_pct` + `vot_pct` + `tech_pct`: the paper's first-order welfare
      decomposition (eq. 25, Table 2) with x̂ − 1 in place of d ln x, relative to baseline income;
      `tot_pct` Σ_j Σ_i [E_ni^j (ĉ_n^j − 1) − M_ni^j (ĉ_i^j − 1)]/I_n, `vot_pct`
      Σ τ_ni^j (M'_ni^j − ĉ_i^j M_ni^j)/I_n, `tech_pct` −Σ M_ni^j (1+τ_ni^j)(d̂_ni^j − 1)/I_n;
    - `real_income_pct`: 100·(Î_n/P̂_n − 1), the exact change in welfare (real income);
    - `real_wage_pct`: 100·(ŵ_n/P̂_n − 1); `wage_change` ŵ_n; `income_change` Î_n;
      `price_index_change` P̂_n = Π_j (P̂_n^j)^{α_n^j}; `sector_price_change` P̂_n^j (J×N);
      `cost_change` ĉ_n^j (J×N);
    - `trade_baseline`, `trade_counterfactual`: flows net of tariffs (J×N×N);
      `trade_change_pct`: 100·(M'/M − 1) (0 where the baseline flow is 0);
      `bilateral_trade_change_pct`: total (all sectors) flows exporter × importer (N×N);
      `exports_change_pct`, `imports_change_pct`: foreign trade of each region;
    - `tariff_revenue_baseline`, `tariff_revenue`: Σ τ M of each scenario;
      `income_baseline`, `income`: I_n of each scenario;
    - `market_clearing_gap`: max relative gap of the labour markets, the dropped one included.
    """

    flows: jax.Array = param(ndim=3)
    tariff_data: jax.Array = param(ndim=3)
    tariff_baseline: jax.Array = param(ndim=3)
    tariff_counterfactual: jax.Array = param(ndim=3)
    d_baseline: jax.Array = param(ndim=3)
    d_counterfactual: jax.Array = param(ndim=3)
    intermediate: jax.Array = param(ndim=3)
    value_added: jax.Array = param(ndim=2)
    final_consumption: jax.Array = param(ndim=2)
    deficit_baseline: jax.Array = param(ndim=1)
    deficit_counterfactual: jax.Array = param(ndim=1)
    theta: jax.Array = param(ndim=1)
    regions: tuple = eqx.field(static=True)
    sectors: tuple = eqx.field(static=True)
    linear_solve: str = eqx.field(static=True)

    def __init__(
        self,
        flows,
        intermediate,
        value_added,
        final_consumption,
        theta,
        *,
        tariff_data=None,
        tariff_baseline=None,
        tariff_counterfactual=None,
        d_baseline=None,
        d_counterfactual=None,
        deficit_baseline=None,
        deficit_counterfactual=None,
        regions=None,
        sectors=None,
        linear_solve="block",
    ):
        flows = _f64(flows)
        if flows.ndim != 3 or flows.shape[1] != flows.shape[2]:
            raise ValueError(
                f"CaliendoParro2015: parameter flows has shape {flows.shape}; the admissible "
                f"shape is (J, N, N) = (sectors, exporters, importers)."
            )
        j, n, _ = flows.shape
        zeros3 = np.zeros((j, n, n))
        self.flows = flows
        self.tariff_data = _f64(zeros3 if tariff_data is None else tariff_data)
        self.tariff_baseline = self.tariff_data if tariff_baseline is None else _f64(tariff_baseline)
        self.tariff_counterfactual = (
            self.tariff_baseline if tariff_counterfactual is None else _f64(tariff_counterfactual)
        )
        self.d_baseline = _f64(np.ones((j, n, n)) if d_baseline is None else d_baseline)
        self.d_counterfactual = _f64(np.ones((j, n, n)) if d_counterfactual is None else d_counterfactual)
        self.intermediate = _f64(intermediate)
        self.value_added = _f64(value_added)
        self.final_consumption = _f64(final_consumption)
        self.deficit_baseline = _f64(np.zeros(n) if deficit_baseline is None else deficit_baseline)
        self.deficit_counterfactual = (
            self.deficit_baseline if deficit_counterfactual is None else _f64(deficit_counterfactual)
        )
        self.theta = _f64(theta)
        shapes = {
            "tariff_data": (j, n, n),
            "tariff_baseline": (j, n, n),
            "tariff_counterfactual": (j, n, n),
            "d_baseline": (j, n, n),
            "d_counterfactual": (j, n, n),
            "intermediate": (n, j, j),
            "value_added": (n, j),
            "final_consumption": (n, j),
            "deficit_baseline": (n,),
            "deficit_counterfactual": (n,),
            "theta": (j,),
        }
        for name, shape in shapes.items():
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"CaliendoParro2015: parameter {name} has shape {getattr(self, name).shape}; "
                    f"the admissible shape is {shape} (J={j} sectors, N={n} regions)."
                )
        self.regions = tuple(f"r{i}" for i in range(n)) if regions is None else tuple(map(str, regions))
        self.sectors = tuple(f"s{i}" for i in range(j)) if sectors is None else tuple(map(str, sectors))
        if len(self.regions) != n or len(set(self.regions)) != n:
            raise ValueError(
                f"CaliendoParro2015: regions must be {n} distinct names, got {len(self.regions)}."
            )
        if len(self.sectors) != j or len(set(self.sectors)) != j:
            raise ValueError(
                f"CaliendoParro2015: sectors must be {j} distinct names, got {len(self.sectors)}."
            )
        if linear_solve not in LINEAR_SOLVES:
            raise ValueError(
                f"CaliendoParro2015: linear_solve={linear_solve!r} is not one of {LINEAR_SOLVES}."
            )
        self.linear_solve = linear_solve

    # -- construction from data ------------------------------------------------------------------
    @classmethod
    def from_data(
        cls, data: Any, deficits: str = "zero", *, linear_solve: str = "block"
    ) -> CaliendoParro2015:
        """The model of Caliendo–Parro tables, set up like the paper's NAFTA experiment.

        **Arguments:**
        - `data`: a `diffecon.data.CP2015Data` (e.g. `load_cp2015_nafta()`), or what
          `diffecon.data.load_cp2015` accepts (a folder, or a mapping of tables);
        - `deficits`: "zero" — baseline and counterfactual both with zero deficits (the paper's
          Table 2 procedure; R `cp2015`'s `zero_aggregate_deficit = TRUE`); "data" — both keep
          the data's deficits;
        - `linear_solve`: "block" (default), "dense" or "matrix_free" (see the class docstring).

        **Returns:** the model with the data's baseline (`tariff_bln`, `d_bln`) and
        counterfactual (`tariff_cfl`, `d_cfl`) scenarios.
        """
        from ..data import CP2015Data, load_cp2015

        if deficits not in DEFICIT_CLOSURES:
            raise ValueError(
                f"CaliendoParro2015.from_data: deficits={deficits!r} is not one of {DEFICIT_CLOSURES}."
            )
        if not isinstance(data, CP2015Data):
            data = load_cp2015(data)
        a = data.arrays()
        d = a["deficit"] if deficits == "data" else np.zeros_like(a["deficit"])
        return cls(
            a["flows"],
            a["intermediate"],
            a["value_added"],
            a["final_consumption"],
            a["theta"],
            tariff_data=a["tariff"],
            tariff_baseline=a["tariff_baseline"],
            tariff_counterfactual=a["tariff_counterfactual"],
            d_baseline=a["d_baseline"],
            d_counterfactual=a["d_counterfactual"],
            deficit_baseline=d,
            deficit_counterfactual=d,
            regions=data.regions,
            sectors=data.sectors,
            linear_solve=linear_solve,
        )

    # -- contract ----------------------------------------------------------------------------------
    def requirements(self) -> tuple[Requirement, ...]:
        return (
            at_least("flows", self.flows, 0.0),
            greater_than("tariff_data", self.tariff_data, -1.0),
            greater_than("tariff_baseline", self.tariff_baseline, -1.0),
            greater_than("tariff_counterfactual", self.tariff_counterfactual, -1.0),
            positive("d_baseline", self.d_baseline),
            positive("d_counterfactual", self.d_counterfactual),
            at_least("value_added", self.value_added, 0.0),
            at_least("final_consumption", self.final_consumption, 0.0),
            positive("theta", self.theta),
            positive("value_added (each region's total)", self.value_added.sum(-1)),
            positive("spending (each region and sector, tariffs included)", self._spending().sum(-2)),
        )

    def linear_solver(self):
        j, n, _ = self.flows.shape
        size = 2 * n * j + n
        if self.linear_solve == "block":
            return BlockLU(blocks=(size, size))
        if self.linear_solve == "dense":
            return BlockLU(blocks=(2 * size,))
        return lx.GMRES(rtol=1e-12, atol=1e-12, restart=100, stagnation_iters=100, max_steps=5000)

    def solver(self, tol: float = 1e-10) -> Any:
        """The recommended `diffecon.Solver` for this model: a chord method (Newton for a small
        economy of at most 100 region-sectors).

        Newton rebuilds and factorises the 5,022×5,022 Jacobian at every step; the chord
        method factorises it once at the start and converges linearly from the `guess`
        (about 50 cheap steps, measured), 4× faster than Newton on the NAFTA data. No
        fallback: the dense Levenberg–Marquardt fallback would materialise the whole Jacobian
        in one batch of tangents (gigabytes).

        **Arguments:** `tol`: the max-norm of the residuals accepted.

        **Returns:** a `Solver` for `solve(model, solver=...)`.
        """
        import optimistix as optx

        rtol = min(tol, 1e-10) / 10
        if len(self.regions) * len(self.sectors) <= 100:
            # A small economy: Newton with the default fallbacks is cheap and more robust than
            # the chord method, which can stall far from the data's prices.
            return Solver(tol=tol, rtol=rtol, atol=rtol)
        return Solver(
            tol=tol,
            fallback="none",
            max_steps=200,
            root_finder=optx.Chord(rtol=rtol, atol=rtol, linear_solver=self.linear_solver()),
        )

    def guess(self):
        """Data prices and wages; spending from the input–output system at those prices.

        The data's spending need not solve the model's expenditure equation (some cells are
        1 USD where the input–output table demands billions), so the start solves the linear
        system X = A X + α (wL + D) (eq. 13 with ĉ = ŵ = 1), (NJ)² once.
        """
        j, n, _ = self.flows.shape
        cal = self.calibration()
        out = {}
        for name, tariff, deficit in (
            ("baseline", self.tariff_baseline, self.deficit_baseline),
            ("counterfactual", self.tariff_counterfactual, self.deficit_counterfactual),
        ):
            net = cal["pi"] / (1.0 + tariff)  # J×i×n: sales of i per unit of n's spending
            # A[(j,n),(k,i)] = γ_n^{j,k} π_ni^k/(1+τ) (exporter n, importer i), plus the rebate.
            A = jnp.einsum("njk,kni->jnki", cal["gamma_io"], net)
            rebate = jnp.einsum("nj,kin->jnk", cal["alpha"], tariff * net)
            A = A + jnp.einsum("jnk,ni->jnki", rebate, jnp.eye(n))
            rhs = cal["alpha"].T * (cal["wL"] + deficit)[None, :]
            X = jnp.linalg.solve(jnp.eye(j * n) - A.reshape(j * n, j * n), rhs.reshape(-1)).reshape(j, n)
            ok = jnp.isfinite(X) & (X > 0)
            log_x = jnp.where(ok, jnp.log(jnp.where(ok, X, 1.0) / cal["X"]), 0.0)
            out[name] = {"log_cost": jnp.zeros((j, n)), "log_spending": log_x, "log_wage": jnp.zeros(n)}
        return out

    # -- calibration from the data ----------------------------------------------------------------
    def _spending(self) -> jax.Array:
        """Spending of importers on each source, tariffs included (J×N×N)."""
        return self.flows * (1.0 + self.tariff_data)

    def calibration(self) -> dict[str, jax.Array]:
        """The data's shares: π (J×N×N), γ_n^j (N×J), γ_n^{k,j} (N×J×J), α_n^j (N×J), X (J×N), wL (N)."""
        spend = self._spending()
        X = spend.sum(1)  # J×N, importer's spending by sector
        pi = spend / jnp.where(X > 0, X, 1.0)[:, None, :]
        output = self.intermediate.sum(1) + self.value_added  # N×J gross output of the IO table
        safe = jnp.where(output > 0, output, 1.0)
        gamma_va = jnp.where(output > 0, self.value_added / safe, 1.0)
        gamma_io = self.intermediate / safe[:, None, :]
        fc = self.final_consumption
        alpha = fc / fc.sum(-1, keepdims=True)
        return {
            "pi": pi,
            # log π with −inf where there is no trade (a source that then drops out of the index);
            # the inner `where` keeps the derivative finite there
            "log_pi": jnp.where(pi > 0, jnp.log(jnp.where(pi > 0, pi, 1.0)), -jnp.inf),
            "gamma_va": gamma_va,
            "gamma_io": gamma_io,
            "alpha": alpha,
            "X": X,
            "wL": self.value_added.sum(-1),
        }

    def _scenario(self, x, tariff, d, deficit, cal):
        """The equilibrium quantities of one scenario at unknowns `x` (dict of logs)."""
        th = self.theta[:, None, None]
        log_c, log_w = x["log_cost"], x["log_wage"]
        X = cal["X"] * jnp.exp(x["log_spending"])  # J×N
        log_kappa = jnp.log1p(tariff) - jnp.log1p(self.tariff_data) + jnp.log(d)
        a = -th * (log_kappa + log_c[:, :, None])  # J×i×n
        # the sectoral price index (CP2015 eq. 8 in hats) is a CES index with 1 − σ = −θ_j whose
        # masses are the baseline shares π_ij (zero where the data have no trade)
        log_P = _ces.log_price_index(log_kappa + log_c[:, :, None], 1.0 + self.theta[:, None], cal["log_pi"],
                                     axis=1)  # J×n
        pi_new = cal["pi"] * jnp.exp(a + th * log_P[:, None, :])
        M = pi_new * X[:, None, :] / (1.0 + tariff)  # imports net of tariffs, J×i×n
        Y = M.sum(2)  # J×i gross output
        revenue = (tariff * M).sum((0, 1))
        wL = cal["wL"]
        w = jnp.exp(log_w)
        income = w * wL + revenue + deficit
        return {
            "log_P": log_P,
            "pi": pi_new,
            "M": M,
            "Y": Y,
            "X": X,
            "revenue": revenue,
            "income": income,
            "log_c": log_c,
            "log_w": log_w,
            "w": w,
        }

    def _residuals_of(self, x, s, cal):
        gva, gio, alpha, wL = cal["gamma_va"], cal["gamma_io"], cal["alpha"], cal["wL"]
        cost = s["log_c"] - gva.T * s["log_w"][None, :] - jnp.einsum("nkj,kn->jn", gio, s["log_P"])
        demand = jnp.einsum("njk,kn->jn", gio, s["Y"]) + alpha.T * s["income"][None, :]
        # Log gaps: spending X may have to move by orders of magnitude from the data (a few
        # cells of the data are 1 USD), which a log-log equation reaches in one Newton step.
        spending = jnp.log(s["X"]) - jnp.log(demand)
        labour = jnp.log(jnp.einsum("nj,jn->n", gva, s["Y"])) - jnp.log(s["w"] * wL)
        numeraire = jnp.log((s["w"] * wL).sum() / wL.sum())
        return cost, spending, jnp.concatenate([labour[:-1], numeraire[None]]), labour

    def _both(self, x):
        cal = self.calibration()
        b = self._scenario(x["baseline"], self.tariff_baseline, self.d_baseline, self.deficit_baseline, cal)
        c = self._scenario(
            x["counterfactual"],
            self.tariff_counterfactual,
            self.d_counterfactual,
            self.deficit_counterfactual,
            cal,
        )
        return cal, b, c

    def residuals(self, x):
        cal, b, c = self._both(x)
        out = {}
        for name, s in (("baseline", b), ("counterfactual", c)):
            cost, spending, labour, _ = self._residuals_of(x[name], s, cal)
            out[f"{name}_cost"] = cost
            out[f"{name}_spending"] = spending
            out[f"{name}_labour"] = labour
        return out

    def validity(self, x):
        _, b, c = self._both(x)
        return {"positive income": jnp.all(b["income"] > 0) & jnp.all(c["income"] > 0)}

    def outcomes(self, x):
        cal, b, c = self._both(x)
        alpha = cal["alpha"]
        c_hat = jnp.exp(c["log_c"] - b["log_c"])  # J×N
        log_P_sector = c["log_P"] - b["log_P"]
        P_hat = jnp.exp(jnp.einsum("nj,jn->n", alpha, log_P_sector))
        w_hat = c["w"] / b["w"]
        I_b, I_c = b["income"], c["income"]
        I_hat = I_c / I_b
        Mb, Mc = b["M"], c["M"]
        tb = self.tariff_baseline
        # Terms of trade: exports valued at the exporter's cost change, imports at the source's.
        tot = ((c_hat - 1.0) * Mb.sum(2)).sum(0) - ((c_hat - 1.0)[:, :, None] * Mb).sum((0, 1))
        vot = (tb * (Mc - c_hat[:, :, None] * Mb)).sum((0, 1))
        tech = -(Mb * (1.0 + tb) * (self.d_counterfactual / self.d_baseline - 1.0)).sum((0, 1))
        safe = jnp.where(Mb > 0, Mb, 1.0)
        off = 1.0 - jnp.eye(Mb.shape[-1])
        bil_b, bil_c = Mb.sum(0), Mc.sum(0)
        exp_b, exp_c = (bil_b * off).sum(1), (bil_c * off).sum(1)
        imp_b, imp_c = (bil_b * off).sum(0), (bil_c * off).sum(0)
        _, _, _, labour = self._residuals_of(x["counterfactual"], c, cal)
        _, _, _, labour_b = self._residuals_of(x["baseline"], b, cal)
        return {
            "welfare_pct": 100.0 * (tot + vot + tech) / I_b,
            "tot_pct": 100.0 * tot / I_b,
            "vot_pct": 100.0 * vot / I_b,
            "tech_pct": 100.0 * tech / I_b,
            "real_income_pct": 100.0 * (I_hat / P_hat - 1.0),
            "real_wage_pct": 100.0 * (w_hat / P_hat - 1.0),
            "wage_change": w_hat,
            "income_change": I_hat,
            "price_index_change": P_hat,
            "sector_price_change": jnp.exp(log_P_sector),
            "cost_change": c_hat,
            "trade_baseline": Mb,
            "trade_counterfactual": Mc,
            "trade_change_pct": jnp.where(Mb > 0, 100.0 * (Mc / safe - 1.0), 0.0),
            "bilateral_trade_change_pct": jnp.where(
                bil_b > 0, 100.0 * (bil_c / jnp.where(bil_b > 0, bil_b, 1.0) - 1.0), 0.0
            ),
            "exports_change_pct": 100.0 * (exp_c / exp_b - 1.0),
            "imports_change_pct": 100.0 * (imp_c / imp_b - 1.0),
            "tariff_revenue_baseline": b["revenue"],
            "tariff_revenue": c["revenue"],
            "income_baseline": I_b,
            "income": I_c,
            "market_clearing_gap": jnp.maximum(jnp.max(jnp.abs(labour)), jnp.max(jnp.abs(labour_b))),
        }
