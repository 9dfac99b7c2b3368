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
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx

from ..core import AbstractModel, Requirement, Solver, at_least, greater_than, param, positive
from . import _ces

__all__ = ["CaliendoParro2015", "DEFICIT_CLOSURES"]

DEFICIT_CLOSURES = ("zero", "data")
LINEAR_SOLVES = ("block", "dense", "matrix_free")
_SCENARIOS = ("baseline", "counterfactual")


def _f64(x: Any) -> jax.Array:
    return jnp.asarray(x, dtype=jnp.float64)


class _LU(eqx.Module):
    """LU factors of one diagonal block; calling it solves with the block."""

    lu: jax.Array
    pivots: jax.Array

    @property
    def size(self) -> int:
        return self.lu.shape[0]

    def __call__(self, r: jax.Array) -> jax.Array:
        return jax.scipy.linalg.lu_solve((self.lu, self.pivots), r)


class _Schur(eqx.Module):
    """One scenario's Jacobian solved by block elimination; calling it solves with the block.

    Rows (cost, labour, spending), columns (ln ĉ, ln X̂, ln ŵ), sizes (NJ, N, NJ) × (NJ, NJ, N).
    The cost equations do not involve spending (C_v = 0), so
        δu = C_u⁻¹(r_c − C_s δs),  δv = S_v⁻¹(r_S − S_u δu − S_s δs),
    and δs solves the N×N Schur complement of the labour rows. Two explicit inverses of NJ
    (1,240 on the NAFTA data) instead of one LU of 2NJ + N: fewer flops (4(NJ)³ against
    ⅔(2NJ + N)³, 7.6 against 10.5 GFlop on NAFTA), and each solve is a few matrix–vector
    products, which XLA's CPU backend runs ~20× faster than its triangular solves (measured at
    2,511 rows: `lu_solve` 50 ms, a matrix–vector product 2.3 ms).
    """

    cost_inv: jax.Array  # C_u⁻¹
    spending_inv: jax.Array  # S_v⁻¹
    schur_inv: jax.Array  # (L_s + L_u U_s + L_v V_s)⁻¹
    u_of_s: jax.Array  # U_s = −C_u⁻¹ C_s
    v_of_s: jax.Array  # V_s = −S_v⁻¹ (S_s + S_u U_s)
    spending_u: jax.Array  # S_u
    labour_u: jax.Array  # L_u
    labour_v: jax.Array  # L_v

    @classmethod
    def of(cls, matrix: jax.Array, jn: int, n: int) -> _Schur:
        c, lab, s = slice(0, jn), slice(jn, jn + n), slice(jn + n, 2 * jn + n)
        u, v, w = slice(0, jn), slice(jn, 2 * jn), slice(2 * jn, 2 * jn + n)
        cost_inv = jnp.linalg.inv(matrix[c, u])
        spending_inv = jnp.linalg.inv(matrix[s, v])
        u_of_s = -cost_inv @ matrix[c, w]
        v_of_s = -spending_inv @ (matrix[s, w] + matrix[s, u] @ u_of_s)
        schur = matrix[lab, w] + matrix[lab, u] @ u_of_s + matrix[lab, v] @ v_of_s
        return cls(cost_inv, spending_inv, jnp.linalg.inv(schur), u_of_s, v_of_s, matrix[s, u], matrix[lab, u],
                   matrix[lab, v])

    @property
    def size(self) -> int:
        return 2 * self.cost_inv.shape[0] + self.schur_inv.shape[0]

    def __call__(self, r: jax.Array) -> jax.Array:
        jn, n = self.cost_inv.shape[0], self.schur_inv.shape[0]
        r_c, r_l, r_s = r[:jn], r[jn : jn + n], r[jn + n :]
        u0 = self.cost_inv @ r_c
        v0 = self.spending_inv @ (r_s - self.spending_u @ u0)
        ds = self.schur_inv @ (r_l - self.labour_u @ u0 - self.labour_v @ v0)
        return jnp.concatenate([u0 + self.u_of_s @ ds, v0 + self.v_of_s @ ds, ds])


class BlockLU(lx.AbstractLinearSolver):
    """The block-diagonal equilibrium Jacobian, factorised one scenario at a time.

    The baseline and counterfactual equations share no unknowns, so the Jacobian is block
    diagonal with one block of 2NJ + N per scenario (2,511 on the NAFTA data). `schur=(NJ, N)`
    solves each block by elimination (`_Schur`); `schur=None` by LU (with `blocks=(2·size,)`:
    one LU of the whole matrix). On the model's own Jacobian (a `lx.JacobianLinearOperator`
    whose `args` is the `CaliendoParro2015`, as in the implicit derivatives) the blocks are
    built analytically (`CaliendoParro2015.scenario_jacobians`); on any other operator
    (Newton's linearisation) from Jacobian–vector products, `chunk` columns at a time.

    **Arguments:** `blocks`: the sizes of the diagonal blocks in flat order; `schur`: (NJ, N)
    or None; `chunk`: columns per batch of Jacobian–vector products.
    """

    blocks: tuple = eqx.field(static=True)
    schur: tuple | None = eqx.field(static=True, default=None)
    chunk: int = eqx.field(static=True, default=256)

    def factorise(self, matrices) -> tuple:
        """Factors of the diagonal blocks `matrices` (one matrix per entry of `blocks`)."""
        if self.schur is not None:
            return tuple(_Schur.of(a, *self.schur) for a in matrices)
        return tuple(_LU(*jax.scipy.linalg.lu_factor(a)) for a in matrices)

    @staticmethod
    def apply(factors: tuple, vector: jax.Array, transposed: bool = False) -> jax.Array:
        """The block-diagonal solve with `factors` (`transposed`: with the transposed matrix)."""

        def solve(v):
            parts, off = [], 0
            for f in factors:
                parts.append(f(v[off : off + f.size]))
                off += f.size
            return jnp.concatenate(parts)

        if transposed:  # every step of `solve` is linear in v, so JAX transposes it exactly
            return jax.linear_transpose(solve, vector)(vector)[0]
        return solve(vector)

    def init(self, operator, options):
        del options
        n = operator.in_size()
        if n != operator.out_size() or sum(self.blocks) != n:
            raise ValueError(f"BlockLU: blocks {self.blocks} do not tile a square operator of size {n}.")
        model = getattr(operator, "args", None)
        if isinstance(operator, lx.JacobianLinearOperator) and isinstance(model, CaliendoParro2015):
            return self.factors_at(model, operator.x), False
        return self.factorise(self._from_products(operator, n)), False

    def factors_at(self, model: CaliendoParro2015, flat: jax.Array) -> tuple:
        """Factors of `model`'s analytic Jacobian at the flat unknowns `flat`."""
        blocks = model.scenario_jacobians(flat)
        if len(self.blocks) == 1:
            blocks = (jax.scipy.linalg.block_diag(*blocks),)
        return self.factorise(blocks)

    def _from_products(self, operator, n):
        from jax.flatten_util import ravel_pytree

        zeros = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), operator.in_structure())
        _, unravel = ravel_pytree(zeros)

        def column(e):
            return ravel_pytree(operator.mv(unravel(e)))[0]

        out, off = [], 0
        for size in self.blocks:
            basis = jnp.zeros((size, n)).at[jnp.arange(size), off + jnp.arange(size)].set(1.0)
            cols = jax.lax.map(column, basis, batch_size=min(self.chunk, size))  # size × n
            out.append(cols[:, off : off + size].T)
            off += size
        return out

    def compute(self, state, vector, options):
        del options
        factors, transposed = state
        return self.apply(factors, vector, transposed), lx.RESULTS.successful, {}

    def transpose(self, state, options):
        factors, transposed = state
        return (factors, not transposed), options

    def conj(self, state, options):
        return state, options

    def assume_full_rank(self):
        return True


class _AnalyticChord(optx.AbstractRootFinder):
    """The chord method on a `CaliendoParro2015`'s analytic Jacobian (`args` is the model).

    Factorises the Jacobian at the start once (`BlockLU`'s blocks) and iterates
    x ← x − J₀⁻¹F(x); stops when the max-norm of F is at most `atol` and the last step is small
    relative to `rtol`·|x| + `atol`, and fails on a non-finite step.
    """

    rtol: float
    atol: float
    norm: Any = optx.max_norm

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        del options, aux_struct, tags
        factors = jax.lax.stop_gradient(args.linear_solver().factors_at(args, y))
        inf = jnp.full(f_struct.shape, jnp.inf, f_struct.dtype)
        return _ChordState(factors, inf, jnp.full(y.shape, jnp.inf, y.dtype), jnp.array(0))

    def step(self, fn, y, args, options, state, tags):
        del options, tags
        f, aux = fn(y, args)
        diff = BlockLU.apply(state.factors, f)
        return y - diff, _ChordState(state.factors, f, diff, state.step + 1), aux

    def terminate(self, fn, y, args, options, state, tags):
        del fn, args, options, tags
        scale = self.atol + self.rtol * jnp.abs(y)
        started = state.step > 0
        finite = jnp.all(jnp.isfinite(state.diff))
        small = (jnp.max(jnp.abs(state.f)) <= self.atol) & (jnp.max(jnp.abs(state.diff) / scale) <= 1.0)
        failed = started & ~finite
        result = optx.RESULTS.where(failed, optx.RESULTS.nonlinear_divergence, optx.RESULTS.successful)
        return (started & small) | failed, result

    def postprocess(self, fn, y, aux, args, options, state, tags, result):
        return y, aux, {}


class _ChordState(eqx.Module):
    factors: tuple
    f: jax.Array
    diff: jax.Array
    step: jax.Array


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

    **Static:** `regions`, `sectors` (the data's order); `linear_solve` ("block": each
    scenario's analytic Jacobian solved by block elimination, `BlockLU`, the default; "dense":
    one LU of the whole Jacobian; "matrix_free": GMRES on Jacobian–vector products — it
    stagnates on the NAFTA data, kept for measurement).

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
            return BlockLU(blocks=(size, size), schur=(n * j, n))
        if self.linear_solve == "dense":
            return BlockLU(blocks=(2 * size,))
        return lx.GMRES(rtol=1e-12, atol=1e-12, restart=100, stagnation_iters=100, max_steps=5000)

    def solver(self, tol: float = 1e-10, method: str = "auto") -> Any:
        """The recommended `diffecon.Solver` for this model.

        `method="chord"` factorises the analytic Jacobian once, at the `guess` (`BlockLU`), and
        iterates x ← x − J₀⁻¹F(x): about 50 steps of a few matrix–vector products on the NAFTA
        data, where one factorisation costs as much as ~200 steps. Far from the data's prices
        the chord can stall (3 of 60 small random economies with a 10-point tariff rise); where
        it fails, Newton with the same analytic factorisation runs from the start (the dense
        Levenberg–Marquardt fallback would materialise the whole Jacobian in one batch of
        tangents: gigabytes). `"newton"`: Newton with the default fallbacks, cheap and more
        robust for a small economy. `"auto"`: Newton up to 100 region-sectors, else the chord
        method.

        **Arguments:** `tol`: the max-norm of the residuals accepted; `method`: "auto",
        "chord" or "newton".

        **Returns:** a `Solver` for `solve(model, solver=...)`.
        """
        if method not in ("auto", "chord", "newton"):
            raise ValueError(f"CaliendoParro2015.solver: method={method!r} is not one of 'auto', 'chord', 'newton'.")
        rtol = min(tol, 1e-10) / 10
        if method == "newton" or (method == "auto" and len(self.regions) * len(self.sectors) <= 100):
            return Solver(tol=tol, rtol=rtol, atol=rtol)
        if self.linear_solve == "matrix_free":
            finder = optx.Newton(rtol=rtol, atol=rtol, linear_solver=self.linear_solver())
        else:
            finder = _AnalyticChord(rtol=rtol, atol=rtol)
        return Solver(tol=tol, fallback="newton", max_steps=200, root_finder=finder)

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

    def scenario_jacobians(self, flat: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The two diagonal blocks (baseline, counterfactual) of ∂F/∂x at the flat unknowns
        `flat` (in `jax.flatten_util.ravel_pytree` order of `guess()`), built analytically."""
        from jax.flatten_util import ravel_pytree

        shapes = jax.eval_shape(self.guess)
        _, unravel = ravel_pytree(jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes))
        x = unravel(flat)
        cal, b, c = self._both(x)
        return (
            self._scenario_jacobian(b, self.tariff_baseline, cal),
            self._scenario_jacobian(c, self.tariff_counterfactual, cal),
        )

    def _scenario_jacobian(self, s, tariff, cal):
        """∂F/∂x of one scenario, analytically: rows (cost, labour, spending), columns
        (log_cost, log_spending, log_wage), each flattened in C order; (2NJ+N)².

        Every dependence on ln ĉ runs through the shares π' (∂ ln P_n^j/∂ ln ĉ_i^j = π'_ni^j,
        ∂ ln π'_ni^j/∂ ln ĉ_m^j = −θ_j(δ_im − π'_nm^j)), so the whole matrix is a few einsums
        of N×J×J and J×N×N arrays: about 10⁴× fewer flops than one Jacobian–vector product per
        unknown, which took 2.1 of the 3.4 s of a NAFTA solve.
        """
        j, n, _ = tariff.shape
        gva, gio, alpha, wL = cal["gamma_va"], cal["gamma_io"], cal["alpha"], cal["wL"]
        th = self.theta
        pi, M, Y = s["pi"], s["M"], s["Y"]  # π'[k,i,m], M[k,i,m] (exporter i, importer m), Y[k,i]
        eye_n = jnp.eye(n)
        tM = tariff * M
        R = tM.sum(1)  # R[k,m]: tariff revenue of m in sector k
        wwL = s["w"] * wL
        # dY[k,i,l] = ∂Y_i^k/∂ ln ĉ_l^k and dI[m,k,l] = ∂I_m/∂ ln ĉ_l^k (sector-diagonal in ĉ)
        dY = -th[:, None, None] * (eye_n[None] * Y[:, :, None] - jnp.einsum("kim,klm->kil", M, pi))
        dI = -th[None, :, None] * (jnp.transpose(tM, (2, 0, 1)) - jnp.einsum("klm,km->mkl", pi, R))
        # cost[j,n] = u[j,n] − γva[n,j] s[n] − Σ_k γio[n,k,j] ln P[k,n]
        cost_u = jnp.eye(j * n).reshape(j, n, j, n) - jnp.einsum("nkj,kin->jnki", gio, pi)
        cost_v = jnp.zeros((j, n, j, n))
        cost_s = -gva.T[:, :, None] * eye_n[None]
        # demand[j,n] = Σ_k γio[n,j,k] Y[k,n] + α[n,j] I[n]; spending = v − ln demand
        demand = jnp.einsum("njk,kn->jn", gio, Y) + alpha.T * s["income"][None, :]
        dd_u = jnp.einsum("njk,knl->jnkl", gio, dY) + alpha.T[:, :, None, None] * dI[None]
        dd_v = jnp.einsum("njk,knm->jnkm", gio, M) + alpha.T[:, :, None, None] * (
            R.T[None, :, :, None] * eye_n[None, :, None, :])
        dd_s = (alpha.T * wwL[None, :])[:, :, None] * eye_n[None]
        inv = 1.0 / demand
        spend_u = -dd_u * inv[:, :, None, None]
        spend_v = jnp.eye(j * n).reshape(j, n, j, n) - dd_v * inv[:, :, None, None]
        spend_s = -dd_s * inv[:, :, None]
        # labour[n] = ln Σ_k γva[n,k] Y[k,n] − ln(ŵ_n wL_n) (n < N−1); last: ln(Σ ŵ wL / Σ wL)
        va = jnp.einsum("nk,kn->n", gva, Y)
        lab_u = jnp.einsum("nk,knl->nkl", gva, dY) / va[:, None, None]
        lab_v = jnp.einsum("nk,knm->nkm", gva, M) / va[:, None, None]
        lab_s = -eye_n
        last = wwL / wwL.sum()
        lab_u = lab_u.at[-1].set(0.0)
        lab_v = lab_v.at[-1].set(0.0)
        lab_s = lab_s.at[-1].set(last)
        jn = j * n
        rows = [
            jnp.concatenate([cost_u.reshape(jn, jn), cost_v.reshape(jn, jn), cost_s.reshape(jn, n)], 1),
            jnp.concatenate([lab_u.reshape(n, jn), lab_v.reshape(n, jn), lab_s], 1),
            jnp.concatenate([spend_u.reshape(jn, jn), spend_v.reshape(jn, jn), spend_s.reshape(jn, n)], 1),
        ]
        return jnp.concatenate(rows, 0)

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
