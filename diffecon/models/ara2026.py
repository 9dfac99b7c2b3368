"""Ara (2026), "Market Size, Firm Sourcing, and Vertical Specialization".

A two-country Melitz model with one factor. Final-good firms choose, market by market, whether
to export final goods (activity X) and whether to import intermediate inputs for each line
(activities DM and XM); every firm that survives sells at home (activity D). The only
asymmetry between the countries is size, L = L₁/L₂. The question is how the home-market
effect on wages, d ln ω/d ln L with ω = w₁/w₂, depends on the input trade cost τ_M.

Notation: ρ = (σ−1)/σ, κ = k/(σ−1); activities are ordered (D, DM, X, XM); country 2's wage
is the numeraire. The export cutoff uses the corrected ZCP τ_X^{σ−1} w_i^σ (the paper's eq. 1
prints w_i(τ_X w_j)^{σ−1}; its own export profits and A.5, A.11 give the corrected form).
The paper's reduced form and analytic statics are in `ara2026_closed_forms`, the diagnosis of
failed solves in `ara2026_diagnostics`.
"""

from __future__ import annotations

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..core import AbstractModel, Requirement, at_least, greater_than, param, positive
from . import _pareto, ara2026_diagnostics

__all__ = ["Ara2026", "ACTIVITIES", "TRADE_OPTIONS"]

ACTIVITIES = ("D", "DM", "X", "XM")
# Which activities exist under each trade option: masking (F = 0) nests the polar cases of
# eqs (6) and (7) without evaluating τ = ∞, whose 0·∞ gives NaN derivatives.
TRADE_OPTIONS = {
    "both": np.array([1.0, 1.0, 1.0, 1.0]),
    "final_only": np.array([1.0, 0.0, 1.0, 0.0]),
    "inputs_only": np.array([1.0, 1.0, 0.0, 0.0]),
}
PARETO_OPTIONS = ("formal", "exact")
# The outcomes also reported as logs (`log_<name>`): those that leave float64's range first as
# σ → 1 (cutoffs, welfare, the shares α and θ). Every other positive level is a sum or ratio of
# these and of finite ones (P_i = w_i/W_i, W = W₁/W₂, RX_EM_i = θ_i/ρ); each outcome costs
# compile and run time in a sweep with derivatives, so the list stays short.
LOG_OUTCOMES = tuple([f"phi_{a}{n}" for n in (1, 2) for a in ACTIVITIES]
                     + [f"{q}{n}" for q in ("W", "alpha_X", "alpha_M", "theta") for n in (1, 2)])


@final
class Ara2026(AbstractModel):
    """Ara (2026): heterogeneous firms that export final goods and import inputs.

    **Parameters** (defaults: the paper's Figure 1 calibration, P_A). The admissible domain is
    that of the paper's primitives (Pareto integrals finite, costs positive):
    - `L1`, `L2`: labour endowments (> 0); only L = L₁/L₂ matters for ratios;
    - `sigma`: elasticity of substitution σ between goods and between inputs (> 1);
    - `k`: Pareto shape (> σ − 1); `phi_min`: Pareto scale φ_min (> 0; the paper's 1);
    - `tau_x`, `tau_m`: iceberg costs of final goods τ_X and of inputs τ_M (≥ 1);
    - `f_d`, `f_x`, `f_dm`, `f_xm`: fixed costs of the activities D, X, DM, XM (> 0);
    - `f_e`: entry cost f_E (> 0).

    **Options** (static): `trade` = `"both"` (default), `"final_only"` (τ_M = ∞, eq. 6) or
    `"inputs_only"` (τ_X = ∞, eq. 7), implemented by removing activities; `pareto` =
    `"formal"` (default: the closed forms the paper uses at every cutoff, even below φ_min) or
    `"exact"` (the Pareto support truncated at φ_min; a kink where a cutoff crosses φ_min).

    **Unknowns** (13, all in logs): `log_phi[i, a]` the cutoffs φ_{a,i}, `log_B[i]` the demand
    shifters B_i, `log_R[i]` total final-good revenue R_i, `log_omega` = ln w₁.

    **Equations** (each a log-ratio, so no scale of the parameters overflows them): ZCP (8,
    eq. 1 corrected, divided by σ − 1), free entry (2, eq. 2), income (2, eqs 2–3:
    w_iL_i = R_Di + R_Xj) and trade balance (1, eq. 4, written exports = imports:
    R_X1 + E_M2 = R_X2 + E_M1).

    **Validity** (`validity`): a root of the equations (at which R_i, R_Xi > 0, spec R3, since
    they are solved in logs) is an equilibrium of the model only if
    - `selection_ordering` (spec R4): the solved cutoffs satisfy
      φ_Di < min(φ_DMi, φ_Xi) ≤ max(φ_DMi, φ_Xi) < φ_XMi in both countries (φ_D < φ_X with final
      goods only, φ_D < φ_DM with inputs only); otherwise the separable activities do not
      describe a consistent firm choice (e.g. importing for an export line without exporting);
    - `within_float64`: the equilibrium is representable in float64 in logs: the logarithm of
      every reported level and ratio is finite. The levels themselves need not be (see below);
      this condition holds wherever the equations have a finite root, i.e. throughout the
      documented domain.

    **Levels beyond float64 (σ − 1 near 0):** the unknowns, residuals and validity conditions
    are all in logs (logsumexp sums, log-ratio equations, R4 on ln φ), so an equilibrium whose
    levels overflow float64 is still found and reported as converged. In about 12% of the
    full-domain draws with one kind of trade (2% with both; `benchmarks/domains/ara2026.py`)
    the equilibrium has some level beyond e^709.78 (ln φ_XM up to ~1e4, ln α up to ~5e5 at
    σ − 1 = 1e-3 with very unequal costs or sizes). Such a level is returned as +inf (one below
    e^−745 as 0, its correctly rounded value), while its `log_` outcome (below) stays finite
    and has finite exact derivatives. The derivative of an infinite level is not finite, so a
    `sweep` that asks for it returns NaN there with the reason "derivative undefined"; so does
    the derivative of a finite level close to e^709.78 whose true value exceeds float64
    (e.g. α_M = 1e306 with d ln α_M/dσ = −4e4). Take derivatives of the `log_` outcomes there.

    **Outcomes:**
    - `omega` (ω = w₁/w₂), `w1`, `w2`;
    - cutoffs `phi_D1`, `phi_DM1`, `phi_X1`, `phi_XM1`, `phi_D2`, ... (∞ for a removed activity);
    - `B1`, `B2`; price indices `P1`, `P2`; welfare `W1`, `W2` (eq. 5) and `W` = W₁/W₂;
    - `R1`, `R2`; `R_D1`, `R_X1`, `E_D1`, `E_M1` (and for 2; Appendix A.1.2);
      `R_X` = R_X1/R_X2 and `E_M` = E_M1/E_M2 (eq. 17–19; absent where both are zero);
      `RX_EM1`, `RX_EM2` = R_Xi/E_Mi = θ_i/ρ (eq. 9);
    - `alpha_X1`, `alpha_X2` (α_Xi = R_Di/R_Xi), `alpha_M1`, `alpha_M2` (α_Mi = E_Di/E_Mi),
      `theta1`, `theta2` (θ_i = (1+α_Mi)/(1+α_Xi));
    - masses: entrants `M_E1`, `M_E2`; active firms `M_D1`, `M_DM1`, `M_X1`, `M_XM1`, ...;
    - `s1`, `s2`: an importer's domestic-input expenditure share;
    - `labour_final1`, `labour_inputs1` (and 2): labour in final goods and in inputs;
    - `exports1`, `exports2`: final-good plus input exports;
    - logs, finite wherever the level is positive: `log_phi_D1`, ..., `log_phi_XM2` (+inf for
      a removed activity), `log_W1`, `log_W2`, `log_alpha_X1`, `log_alpha_X2`, `log_alpha_M1`,
      `log_alpha_M2`, `log_theta1`, `log_theta2` (±inf where the level is ∞ or 0 because a flow
      is absent). The other levels follow from these and finite ones: ln P_i = ln w_i − ln W_i,
      ln W = ln W₁ − ln W₂, ln RX_EM_i = ln θ_i − ln ρ;
    - ±inf: the cutoffs of removed activities and the ratios and logs above with an absent
      flow (spec: eqs 6 and 7 as limits), and levels beyond float64 (see above). No outcome is
      ever NaN at a converged point;
    - flags (bool, spec §10): `selection_ordering` (R4), `interior` (R3), `pareto_support` (R5:
      every active cutoff ≥ φ_min; fails at the paper's own P_A under formal Pareto, a warning,
      not a validity condition), `assumption1` (R6: R_Xi > E_Mi), `regime_consistent`
      (sign(θ₁ − ρ) = sign(θ₂ − ρ)), and `valid` (R3 and R4).

    **Failed solves** say why (`explain_failure`, from `ara2026_diagnostics`): where the
    parameters rule out the selection ordering at any sizes, the pair of cutoffs; beyond the
    interior domain of L (spec R3; (0.12351, 8.09649) at P_A) the edge and the country whose
    final-good sector vanishes; otherwise (formal Pareto, any trade option) the relative sizes
    at which equilibria with the selection ordering exist, from the reduced form (spec §7), and
    the equations' equilibria out of order.
    """

    L1: jax.Array = param(1.0)
    L2: jax.Array = param(1.0)
    sigma: jax.Array = param(4.0)
    k: jax.Array = param(5.0)
    tau_x: jax.Array = param(1.3)
    tau_m: jax.Array = param(1.5)
    f_d: jax.Array = param(1.0)
    f_x: jax.Array = param(1.4)
    f_dm: jax.Array = param(1.4)
    f_xm: jax.Array = param(1.2)
    f_e: jax.Array = param(2.5)
    phi_min: jax.Array = param(1.0)
    trade: str = eqx.field(static=True, default="both")
    pareto: str = eqx.field(static=True, default="formal")

    def __check_init__(self):
        if self.trade not in TRADE_OPTIONS:
            raise ValueError(f"Ara2026: trade={self.trade!r} is not one of {', '.join(TRADE_OPTIONS)}.")
        if self.pareto not in PARETO_OPTIONS:
            raise ValueError(f"Ara2026: pareto={self.pareto!r} is not one of {', '.join(PARETO_OPTIONS)}.")

    # ------------------------------------------------------------------ domain
    def requirements(self):
        """Spec R1: σ > 1, k > σ − 1 (finite Pareto moments), τ ≥ 1, sizes and costs > 0."""
        reqs = [positive("L1", self.L1), positive("L2", self.L2), greater_than("sigma", self.sigma, 1.0),
                Requirement("k", self.k, jnp.all(self.k > self.sigma - 1), "k > sigma - 1", lower=0.0),
                at_least("tau_x", self.tau_x, 1.0), at_least("tau_m", self.tau_m, 1.0)]
        reqs += [positive(n, getattr(self, n)) for n in ("f_d", "f_x", "f_dm", "f_xm", "f_e", "phi_min")]
        return tuple(reqs)

    # ------------------------------------------------------------------ building blocks
    @property
    def _active(self) -> tuple[int, ...]:
        """Indices of the activities that exist under the trade option (static)."""
        return tuple(int(a) for a in np.flatnonzero(TRADE_OPTIONS[self.trade]))

    @property
    def _log_f(self) -> jax.Array:
        return jnp.log(jnp.stack([self.f_d, self.f_dm, self.f_x, self.f_xm]))

    def _cost_terms(self, log_w):
        """ℓ_a(w_i, w_j) of the ZCP conditions (eq. 1 corrected, spec §3), shape (2, 4).

        φ_{a,i}^{σ−1} = f_a exp(ℓ_a) / B_{m(a,i)}, with m = i for D, DM and m = j for X, XM.
        """
        s, ltx, ltm = self.sigma, jnp.log(self.tau_x), jnp.log(self.tau_m)
        own, other = log_w, log_w[::-1]
        return jnp.stack([
            s * own,
            own + (s - 1) * (ltm + other),
            (s - 1) * ltx + s * own,
            own + (s - 1) * (ltx + ltm + other),
        ], axis=1)

    @staticmethod
    def _market_of(log_B):
        """ln B_{m(a,i)} in the (2, 4) layout: home shifter for D, DM, foreign for X, XM."""
        home, foreign = log_B, log_B[::-1]
        return jnp.stack([home, home, foreign, foreign], axis=1)

    def _zcp_log_phi(self, log_w, log_B):
        """The cutoffs the ZCP conditions give for wages and demand shifters (eq. 1 corrected)."""
        return (self._log_f + self._cost_terms(log_w) - self._market_of(log_B)) / (self.sigma - 1)

    def _log_sum(self, terms, activities):
        """ln Σ_a exp(terms[:, a]) over those of `activities` that exist; None if none does."""
        idx = [a for a in activities if a in self._active]
        if not idx:
            return None
        return jax.nn.logsumexp(terms[:, np.array(idx)], axis=1)

    def _log_F(self, log_phi):
        """ln F_{a,i} = ln[f_a φ^{1−σ} V(φ)] at every cutoff (Appendix A.1.2), shape (2, 4)."""
        return self._log_f + _pareto.log_revenue_moment(
            log_phi, self.sigma, self.k, jnp.log(self.phi_min), self.pareto == "exact")

    def _log_flows(self, log_phi, log_R):
        """(ln R_D, ln R_X, ln E_D, ln E_M), ln F and ln ΣF per country (Appendix A.1.2; None for
        a flow the trade option removes)."""
        log_F = self._log_F(log_phi)
        log_rho = jnp.log((self.sigma - 1) / self.sigma)
        share = lambda acts: self._log_sum(log_F, acts)  # noqa: E731
        total = share((0, 1, 2, 3))
        home, abroad = share((0, 1)), share((2, 3))
        dom_in, imp_in = share((0, 2)), share((1, 3))
        flows = (
            log_R + home - total,
            None if abroad is None else log_R + abroad - total,
            log_rho + log_R + dom_in - total,
            None if imp_in is None else log_rho + log_R + imp_in - total,
        )
        return flows, log_F, total

    @staticmethod
    def _other(v):
        """The other country's value (None stays None: an absent flow)."""
        return None if v is None else v[::-1]

    @staticmethod
    def _log_add(a, b):
        """ln(e^a + e^b) where either may be absent (None: a zero flow)."""
        if a is None or b is None:
            return b if a is None else a
        return jnp.logaddexp(a, b)

    def _unpack(self, x):
        log_w = jnp.stack([x["log_omega"], jnp.zeros_like(x["log_omega"])])
        return x["log_phi"], x["log_B"], x["log_R"], log_w

    # ------------------------------------------------------------------ Model contract
    def guess(self):
        """The symmetric closed form (spec §7.5) in logs, with R_i = L_i and ω = 1."""
        s, k = self.sigma, self.k
        kappa = k / (s - 1)
        ell = self._cost_terms(jnp.zeros(2))[0]
        log_a = ((1 - kappa) * self._log_f - kappa * ell)[np.array(self._active)]
        # FE at symmetry: b Σ_a a_a = C, C = f_E (k−σ+1)/((σ−1) φ_min^k), b = B^κ (spec §7.1)
        log_C = jnp.log(self.f_e) + jnp.log(k - (s - 1)) - jnp.log(s - 1) - k * jnp.log(self.phi_min)
        log_B = (log_C - jax.nn.logsumexp(log_a)) / kappa
        log_phi = (self._log_f + ell - log_B) / (s - 1)
        return {
            "log_phi": jnp.stack([log_phi, log_phi]),
            "log_B": jnp.stack([log_B, log_B]),
            "log_R": jnp.log(jnp.stack([self.L1, self.L2])),
            "log_omega": jnp.zeros_like(log_B),
        }

    # ------------------------------------------------------------------ selection ordering
    def _ordering(self, log_phi):
        """Spec R4 on cutoffs (2, 4), per country: φ_D < min(φ_DM, φ_X) ≤ max(φ_DM, φ_X) < φ_XM
        (φ_D < φ_X with final goods only, φ_D < φ_DM with inputs only)."""
        D, DM, X, XM = (log_phi[..., a] for a in range(4))
        if self.trade == "both":
            return (D < jnp.minimum(DM, X)) & (jnp.maximum(DM, X) < XM)
        return D < (X if self.trade == "final_only" else DM)

    def residuals(self, x):
        log_phi, log_B, log_R, log_w = self._unpack(x)
        log_L = jnp.log(jnp.stack([self.L1, self.L2]))
        (R_D, R_X, _, E_M), _, _ = self._log_flows(log_phi, log_R)
        log_fJ = self._log_f + _pareto.log_profit_integral(
            log_phi, self.sigma, self.k, jnp.log(self.phi_min), self.pareto == "exact")
        exports = self._log_add(R_X, self._other(E_M))  # R_Xi + E_Mj: country i's exports
        return {
            "zero_cutoff_profit": log_phi - self._zcp_log_phi(log_w, log_B),
            "free_entry": self._log_sum(log_fJ, (0, 1, 2, 3)) - jnp.log(self.f_e),
            "labour_market": self._log_add(R_D, self._other(R_X)) - log_w - log_L,
            "trade_balance": exports[0] - exports[1],
        }

    def _levels(self, x):
        """Logs of every positive level outcome, and the pieces the ratios and flags need."""
        log_phi, log_B, log_R, log_w = self._unpack(x)
        s = self.sigma
        log_L = jnp.log(jnp.stack([self.L1, self.L2]))
        (R_D, R_X, E_D, E_M), log_F, total = self._log_flows(log_phi, log_R)
        log_M_E = log_R - jnp.log(s) - log_w - total
        survive = _pareto.log_survival(log_phi, self.k, jnp.log(self.phi_min), self.pareto == "exact")
        # welfare, eq. (5): W_i = ρ (L_i/(σ f_D))^{1/(σ−1)} φ_Di
        log_W = jnp.log((s - 1) / s) + (log_L - jnp.log(s) - jnp.log(self.f_d)) / (s - 1) + log_phi[:, 0]
        levels = {"w": log_w, "B": log_B, "R": log_R, "W": log_W, "P": log_w - log_W,
                  "R_D": R_D, "E_D": E_D, "M_E": log_M_E,
                  "labour_final": log_R - jnp.log(s) - log_w,
                  "labour_inputs": self._log_add(E_D, self._other(E_M)) - log_w,
                  "exports": self._log_add(R_X, self._other(E_M))}
        if R_X is not None:
            levels["R_X"] = R_X
        if E_M is not None:
            levels["E_M"] = E_M
        for a in self._active:
            levels[f"phi_{ACTIVITIES[a]}"] = log_phi[:, a]
            levels[f"M_{ACTIVITIES[a]}"] = log_M_E + survive[:, a]
        part = lambda acts: self._log_sum(log_F, acts)  # noqa: E731
        ratios = {"alpha_X": (part((0, 1)), part((2, 3))), "alpha_M": (part((0, 2)), part((1, 3))),
                  "theta": (part((2, 3)), part((1, 3)))}
        for name, (num, den) in ratios.items():
            if num is not None and den is not None:
                levels[name] = num - den
        for name in ("W", "R_X", "E_M"):  # the two countries' ratios, W = W₁/W₂ etc.
            if name in levels:
                levels[f"{name}_ratio"] = levels[name][0] - levels[name][1]
        return levels, log_F

    def _log_outcomes(self, x):
        """ln of every positive float outcome, by outcome name (±inf for an absent one: +inf for
        the cutoff of a removed activity and a ratio whose denominator's flow is absent, −inf
        for an absent flow or mass), and ln F."""
        log_w = self._unpack(x)[3]
        s = self.sigma
        levels, log_F = self._levels(x)
        # absent quantities are constants: no tangent, so their derivatives are 0, never NaN
        minus_inf, plus_inf = jnp.full_like(log_w[0], -jnp.inf), jnp.full_like(log_w[0], jnp.inf)
        logs = {"omega": log_w[0], "w1": log_w[0], "w2": log_w[1]}
        for i in range(2):
            for a, name in enumerate(ACTIVITIES):
                logs[f"phi_{name}{i + 1}"] = levels[f"phi_{name}"][i] if a in self._active else plus_inf
        # α_X, α_M, θ (eqs 14, 16, (9)): ∞ where the denominator's flow is absent, 0 where the
        # numerator's is
        absent = {"alpha_X": plus_inf, "alpha_M": plus_inf,
                  "theta": plus_inf if self.trade != "inputs_only" else minus_inf}
        log_rho = jnp.log((s - 1) / s)
        for i in range(2):
            n = i + 1
            get = lambda key, i=i: levels[key][i] if key in levels else minus_inf  # noqa: E731
            ratio = lambda r, i=i: levels[r][i] if r in levels else absent[r]  # noqa: E731
            logs |= {
                f"B{n}": get("B"), f"P{n}": get("P"), f"W{n}": get("W"), f"R{n}": get("R"),
                f"R_D{n}": get("R_D"), f"R_X{n}": get("R_X"), f"E_D{n}": get("E_D"), f"E_M{n}": get("E_M"),
                **{f"{r}{n}": ratio(r) for r in ("alpha_X", "alpha_M", "theta")},
                # θ/ρ in logs: ∞ · s/(s − 1) would make its derivatives NaN with final goods only
                f"RX_EM{n}": levels["theta"][i] - log_rho if "theta" in levels else absent["theta"],
                f"M_E{n}": get("M_E"),
                **{f"M_{a}{n}": get(f"M_{a}") for a in ACTIVITIES},
                f"labour_final{n}": get("labour_final"), f"labour_inputs{n}": get("labour_inputs"),
                f"exports{n}": get("exports"),
            }
        for name in ("W", "R_X", "E_M"):
            if f"{name}_ratio" in levels:
                logs[name] = levels[f"{name}_ratio"]
        return logs, log_F

    def outcomes(self, x):
        log_w = self._unpack(x)[3]
        s = self.sigma
        logs, log_F = self._log_outcomes(x)
        # a level beyond float64 is ±inf here (its log outcome stays finite); one below e^−745
        # is 0
        out = {name: jnp.exp(v) for name, v in logs.items()}
        for i in range(2):
            # an importer's domestic-input share 1/(1 + (w_i/(τ_M w_j))^{σ−1})
            out[f"s{i + 1}"] = jax.nn.sigmoid(-(s - 1) * (log_w[i] - jnp.log(self.tau_m) - log_w[1 - i]))
        out |= {f"log_{name}": logs[name] for name in LOG_OUTCOMES if name in logs}
        return out | self._regimes(x, log_F)

    def _regimes(self, x, log_F):
        """The regime flags of spec §10 (R3–R6), as bool."""
        log_phi, _, _, log_w = self._unpack(x)
        s = self.sigma
        ordering = self._ordering(log_phi)
        part = lambda acts: self._log_sum(log_F, acts)  # noqa: E731
        if self.trade == "inputs_only":
            interior = jnp.asarray(True)
        else:  # 1/α_X2 < ωL < α_X1 in logs (footnote 10)
            log_aX = part((0, 1)) - part((2, 3))
            log_wL = log_w[0] - log_w[1] + jnp.log(self.L1) - jnp.log(self.L2)
            interior = (-log_aX[1] < log_wL) & (log_wL < log_aX[0])
        active = np.array(self._active)
        support = jnp.all(log_phi[:, active] >= jnp.log(self.phi_min))
        # Assumption 1: θ_i/ρ > 1, i.e. R_Xi > E_Mi
        if self.trade == "final_only":
            a1 = jnp.ones(2, bool)
        elif self.trade == "inputs_only":
            a1 = jnp.zeros(2, bool)
        else:
            a1 = part((2, 3)) - part((1, 3)) > jnp.log((s - 1) / s)
        ordering = jnp.all(ordering)
        return {
            "selection_ordering": ordering,
            "interior": jnp.all(interior),
            "pareto_support": support,
            "assumption1": jnp.all(a1),
            "regime_consistent": a1[0] == a1[1],
            "valid": ordering & jnp.all(interior),
        }

    def validity(self, x):
        """Spec R4 on the solved cutoffs (in logs), and every reported log finite in float64.

        R3 (R_i, R_Xi > 0) holds at every root: revenues are unknowns in logs. (Its form
        1/α_X2 < ωL < α_X1, the `interior` flag, also needs α_X1 α_X2 > 1, which the
        selection ordering implies.)
        """
        levels, log_F = self._levels(x)
        # the levels may overflow (returned as inf) or underflow (0); their logs may not
        in_range = jnp.stack([jnp.all(jnp.isfinite(v)) for v in levels.values()])
        # keys in sorted order (the order JAX gives a dict's leaves) = the order of priority
        return {"selection_ordering": self._regimes(x, log_F)["selection_ordering"],
                "within_float64": jnp.all(in_range)}

    # ------------------------------------------------------------------ failed solves
    def explain_failure(self, eq):
        """Why a solve failed, in the model's terms (see `ara2026_diagnostics.explain`).

        **Arguments:** `eq`: the failed, unbatched `Equilibrium` (`throw=False`).

        **Returns:** one or two sentences, or None.
        """
        return ara2026_diagnostics.explain(self, eq)

