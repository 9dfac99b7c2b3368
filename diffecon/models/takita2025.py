"""Takita (2025), national-brand goods: quality, cultural distance and (reverse) home-market effects.

Two countries with residents q and 1 − q share one world labour market (workers live where they
live but may work for firms in either country), so the wage is common (the numeraire, w = 1) and
the only locational unknown is country 1's share of employment L₁. Firms in country 2 make goods
of quality Q (country 1's quality is 1) with fixed labour f·Q^{μ_f} and marginal labour
m·Q^{μ_m}. Residents weight foreign goods by the cultural affinity β, which enters demand exactly
like an inverse trade cost: only φ = (τ/β)^{1−σ} matters, and φ may exceed 1.

The equilibrium is solved from the primitives — markup pricing (eqs 20–21), zero-profit output
(eqs 24–25), CES demand (eqs 8–12), labour-market clearing (eq. 19) and the goods markets
(eqs 17–18) — not from the closed forms (38)–(49), which are in `takita2025_closed_forms`.
Complete agglomeration (L₁ = 0 or 1) is a box complementarity, so one solver covers every regime
of the paper's Tables 8 and 9. Everything is computed from ln φ and ln h, so no power of σ
overflows (σ = 101 with τ/β = 10³ gives φ = e^{−690}).
"""

from __future__ import annotations

from typing import final

import jax
import jax.numpy as jnp

from ..core import (
    AbstractModel,
    Requirement,
    at_least,
    between,
    bisect,
    box_complementarity,
    greater_than,
    param,
    positive,
)

__all__ = ["Takita2025", "REGIMES"]

#: Names of the `regime` outcome's values (for the large country 1, q ≥ ½).
REGIMES = ("CA-small", "RHME", "HME", "CA-large")

# L₁ within this distance of 0 or 1 counts as complete agglomeration. The complementarity puts a
# corner solution at the bound to machine precision, and an interior L₁ this close to a bound is
# within ~1e-12/|dL₁/dq| of the regime boundary in q.
_CORNER_TOL = 1e-12
# ln φ and ln h beyond this leave float64 (e^709.78 is the largest double).
_LOG_RANGE = 700.0
# Bisection for the start point runs on t = logit(L₁) ∈ [−750, 750]: 64 halvings leave a bracket
# of 8e-17 in t, i.e. L₁ to a relative 1e-16 near 0 and 1 − L₁ likewise near 1.
_LOGIT_RANGE = 750.0
_GUESS_STEPS = 64


@final
class Takita2025(AbstractModel):
    """Takita (2025): two countries, national-brand goods of different quality, one labour market.

    **Parameters:**
    - `q`: share of world residents living in country 1 (in (0, 1); the paper's large country has
      q ≥ ½);
    - `sigma`: elasticity of substitution σ (> 1);
    - `tau`: iceberg trade cost τ (≥ 1);
    - `beta`: cultural affinity β (> 0; β < 1 prefers domestic brands, β > 1 foreign ones);
    - `Q`: quality of country 2's goods relative to country 1's (> 0);
    - `mu_f`, `mu_m`: elasticities of fixed and marginal labour in quality (> 0; eqs 14–15);
    - `f`, `m`: base fixed and marginal labour per firm (> 0).

    The admissible domain also asks that φ and h be float64 numbers:
    |ln φ| = |(σ − 1) ln(τ/β)| ≤ 700 and |ln h| = |(μ_f + (σ − 1)(μ_m − 1)) ln Q| ≤ 700 (beyond,
    the outcomes `phi` and `h` themselves overflow; the solve would not).

    **Unknown:** `L1` ∈ [0, 1], country 1's share of world employment. With labour-market
    clearing imposed, N₁ = L₁/(fσ) and N₂ = (1 − L₁)/(fσQ^{μ_f}) (eqs 26–29). **Equation:**
    `goods_market`: box complementarity on the log gap between demand per firm and zero-profit
    output per firm, log(X₁ᵈ/x₁) − log(X₂ᵈ/x₂) (eqs 17–18); L₁ = 1 when country-1 goods are in
    excess demand even with all firms there, L₁ = 0 in the mirror case. Since world spending
    equals world income, a zero gap clears both goods markets (Walras). In logs the gap is
    ln(world spending on country-1 goods / L₁) − ln(world spending on country-2 goods / L₂),
    a function of L₁, q, ln(h/φ) and ln(hφ) only.

    **Validity:** `employment_share_in_unit_interval` (0 ≤ L₁ ≤ 1 up to 1e-10) and
    `within_float64_range` (every float outcome finite: per-variety consumption c_ij can
    leave float64 at extreme φ, h and quality).

    **Outcomes:**
    - `L1`, `L2`: employment shares (eqs 38–39); `N1`, `N2`: numbers of firms (eqs 28–29);
    - `p1`, `p2`: mill prices (eqs 20–21); `x1`, `x2`: output per firm (eqs 24–25);
      `l1`, `l2`: labour per firm (eqs 26–27);
    - `c11`, `c21`, `c12`, `c22`: consumption of one variety from i by one resident of j
      (eqs 30–37);
    - `T11`, `T12`, `T21`, `T22`: trade values, T_ij = spending of country j on country-i goods
      (eqs 46–49); `exports1` = T₁₂, `imports1` = T₂₁, `net_exports1` = T₁₂ − T₂₁;
    - `GDP1`, `GDP2`: sales of each country's firms (= w L_i, eqs 40–41); `GNI1`, `GNI2`: income
      of its residents (w q, w(1 − q)); `migrant_labour1` = L₁ − q;
    - `u1`, `u2`: indirect utility per resident, u_j = −ln G_j with G_j the consumer price index
      per unit of quality-weighted utility (not in the paper; G_j itself over- or underflows
      float64 as σ → 1, u_j does not);
    - `phi`: combined freeness φ = (τ/β)^{1−σ} (eq. 50); `h`: the paper's h(Q) =
      Q^{μ_f + (σ−1)(μ_m−1)}, country 2's cost disadvantage;
    - `regime` (int): index into `REGIMES` — 0 complete agglomeration in country 2 (L₁ = 0),
      1 reverse home-market effect (0 < L₁ < q), 2 home-market effect (q ≤ L₁ < 1),
      3 complete agglomeration in country 1 (L₁ = 1). These level definitions reproduce the
      paper's Tables 8 and 9; the slope dL₁/dq (magnification) comes from `jacobian`.

    If φ = 1 and h = 1 every L₁ is an equilibrium (the solver returns q, and derivatives there
    are NaN); everywhere else the equilibrium is unique.
    """

    q: jax.Array = param(0.62)
    sigma: jax.Array = param(4.0)
    tau: jax.Array = param(1.3)
    beta: jax.Array = param(1.0)
    Q: jax.Array = param(0.9)
    mu_f: jax.Array = param(0.5)
    mu_m: jax.Array = param(1.5)
    f: jax.Array = param(1.0)
    m: jax.Array = param(1.0)

    def requirements(self):
        log_phi, log_h = self._log_phi(), self._log_h()
        return (
            between("q", self.q, 0.0, 1.0),
            greater_than("sigma", self.sigma, 1.0),
            at_least("tau", self.tau, 1.0),
            positive("beta", self.beta),
            positive("Q", self.Q),
            positive("mu_f", self.mu_f),
            positive("mu_m", self.mu_m),
            positive("f", self.f),
            positive("m", self.m),
            Requirement("sigma", self.sigma, jnp.all(jnp.abs(log_phi) <= _LOG_RANGE),
                        "|(sigma - 1) ln(tau/beta)| <= 700, so that phi is a float64 number"),
            Requirement("Q", self.Q, jnp.all(jnp.abs(log_h) <= _LOG_RANGE),
                        "|(mu_f + (sigma - 1)(mu_m - 1)) ln Q| <= 700, so that h is a float64 number"),
        )

    def guess(self):
        # A corner when the goods-market gap at that corner says it is the solution (excess
        # demand for good 1 even with everyone in 1, or none with nobody there): the box
        # residual is exactly zero there. Otherwise the gap falls through zero inside the box,
        # and bisection in logit(L₁) puts Newton on the root to rounding, however close to a
        # bound it lies (Newton started near a corner crawls along the complementarity kink,
        # and a vmapped batch waits for its slowest point). φ = h = 1 (gap ≡ 0): L₁ = q.
        zero = jnp.zeros(jnp.broadcast_shapes(*(jnp.shape(getattr(self, n)) for n in self._names())))
        gap0, gap1 = self._excess_demand_gap(zero), self._excess_demand_gap(zero + 1.0)
        lo, hi = bisect(lambda t: self._excess_demand_gap(jax.nn.sigmoid(t)) > 0,
                        zero - _LOGIT_RANGE, zero + _LOGIT_RANGE, _GUESS_STEPS)
        inside = jax.nn.sigmoid(0.5 * (lo + hi))
        L1 = jnp.where(gap1 >= 0, 1.0, jnp.where(gap0 <= 0, 0.0, inside))
        indifferent = (gap0 == 0) & (gap1 == 0)
        return {"L1": jnp.where(indifferent, self.q + zero, L1)}

    @staticmethod
    def _names():
        return ("q", "sigma", "tau", "beta", "Q", "mu_f", "mu_m", "f", "m")

    # --- building blocks -------------------------------------------------------------------
    def _log_phi(self):
        """ln φ = (1 − σ) ln(τ/β) (eq. 50)."""
        return (1 - self.sigma) * (jnp.log(self.tau) - jnp.log(self.beta))

    def _log_h(self):
        """ln h = (μ_f + (σ − 1)(μ_m − 1)) ln Q, country 2's cost disadvantage."""
        return (self.mu_f + (self.sigma - 1) * (self.mu_m - 1)) * jnp.log(self.Q)

    @property
    def phi(self):
        """φ = (τ/β)^{1−σ} (eq. 50)."""
        return jnp.exp(self._log_phi())

    def _firm(self):
        """Logs of per-firm prices, outputs and labour in both countries (eqs 20–21, 24–27, w = 1).

        In logs so that Q^{μ} near the float64 range never meets its square in a derivative.
        """
        s, log_Q = self.sigma, jnp.log(self.Q)
        log_p1 = jnp.log(s / (s - 1) * self.m)
        # Zero profit at the markup price: (p − mc)·x = fixed labour (eq. 17 with f(Q)).
        log_x1 = jnp.log(self.f * (s - 1) / self.m)
        log_l1 = jnp.log(self.f * s)
        return (log_p1, log_p1 + self.mu_m * log_Q, log_x1, log_x1 + (self.mu_f - self.mu_m) * log_Q,
                log_l1, log_l1 + self.mu_f * log_Q)

    def _log_spread(self, L1):
        """(u_a, u_b) with u_c = ln(L₁ + (1 − L₁)/c), c = h/φ for market 1 and c = hφ for market 2.

        Market j's CES denominator is D_j = N₁ + (quality-adjusted N₂)·(φ or 1), and
        ln(D₁ fσ) = u_a, ln(D₂ fσ/φ) = u_b; country 1's share of market j's spending is
        L₁·e^{−u}. Written so that neither c nor 1/c is ever formed (|ln c| reaches 1400) and
        the derivative in L₁ stays finite at L₁ = 0 and 1 (a log of N₁ = 0 would make it NaN).
        """
        log_phi, log_h = self._log_phi(), self._log_h()

        def spread(log_c):
            # ln(L + (1 − L)e^{−C}) for C ≥ 0, and −C + ln((1 − L) + L e^{C}) for C < 0: each
            # argument lies in [e^{−|C|}, 1]. Where e^{−|C|} underflows (|C| > 745) the argument
            # is 0 only at the bound L₁ = 0 (resp. 1), whose value is known: −C (resp. 0).
            up, down = jnp.maximum(log_c, 0.0), jnp.minimum(log_c, 0.0)
            arg_up = L1 + (1 - L1) * jnp.exp(-up)
            arg_down = (1 - L1) + L1 * jnp.exp(down)
            above = jnp.where(arg_up > 0, jnp.log(jnp.where(arg_up > 0, arg_up, 1.0)), -up)
            below = jnp.where(arg_down > 0, -down + jnp.log(jnp.where(arg_down > 0, arg_down, 1.0)), 0.0)
            return jnp.where(log_c >= 0, above, below)

        return spread(log_h - log_phi), spread(log_h + log_phi), log_phi, log_h

    def _excess_demand_gap(self, L1):
        """ln(X₁ᵈ/x₁) − ln(X₂ᵈ/x₂) (eqs 17–18) in logs: world spending on country-1 goods over
        L₁ against world spending on country-2 goods over 1 − L₁ (w = 1, p_i x_i = l_i)."""
        L1 = jnp.clip(L1, 0.0, 1.0)
        u_a, u_b, log_phi, log_h = self._log_spread(L1)
        log_q, log_1q = jnp.log(self.q), jnp.log1p(-self.q)
        # spending on a country-1 good per unit of L₁: q e^{−u_a} + (1 − q) e^{−u_b}; on a
        # country-2 good per unit of 1 − L₁: the same with the extra factors φ/h and 1/(φh).
        to1 = jnp.logaddexp(log_q - u_a, log_1q - u_b)
        to2 = jnp.logaddexp(log_q - u_a - (log_h - log_phi), log_1q - u_b - (log_h + log_phi))
        return to1 - to2

    def residuals(self, x):
        return {"goods_market": box_complementarity(x["L1"], self._excess_demand_gap(x["L1"]))}

    def validity(self, x):
        # keys in sorted order: the order in which a pytree (and so the core's reason codes) lists them
        finite = [jnp.all(jnp.isfinite(v)) for v in self.outcomes(x).values()
                  if jnp.issubdtype(v.dtype, jnp.inexact)]
        return {
            "employment_share_in_unit_interval": (x["L1"] >= -1e-10) & (x["L1"] <= 1 + 1e-10),
            "within_float64_range": jnp.all(jnp.stack(finite)),
        }

    def outcomes(self, x):
        L1 = jnp.clip(x["L1"], 0.0, 1.0)
        log_p1, log_p2, log_x1, log_x2, log_l1, log_l2 = self._firm()
        u_a, u_b, log_phi, log_h = self._log_spread(L1)
        s, q, tau = self.sigma, self.q, self.tau
        # Country 1's goods take L₁e^{−u} of each market's spending; country 2's the rest.
        share11, share12 = L1 * jnp.exp(-u_a), L1 * jnp.exp(-u_b)
        T11, T12 = q * share11, (1 - q) * share12
        T21, T22 = q * (1 - share11), (1 - q) * (1 - share12)
        log_D1 = u_a - log_l1  # G₁^{1−σ} = p₁^{1−σ} D₁ (spec §2)
        log_D2 = log_phi + u_b - log_l1
        # A country-2 variety's consumption carries 1/Q^{σ(μ_m−1)+1} (eqs 31, 33).
        log_quality = (s * (self.mu_m - 1) + 1) * jnp.log(self.Q)
        regime = jnp.where(
            L1 <= _CORNER_TOL, 0,
            jnp.where(L1 >= 1 - _CORNER_TOL, 3, jnp.where(L1 < q, 1, 2)),
        )
        zero = 0 * L1
        return {
            "L1": L1,
            "L2": 1 - L1,
            "N1": L1 * jnp.exp(-log_l1),
            "N2": (1 - L1) * jnp.exp(-log_l2),
            "p1": jnp.exp(log_p1) + zero,
            "p2": jnp.exp(log_p2) + zero,
            "x1": jnp.exp(log_x1) + zero,
            "x2": jnp.exp(log_x2) + zero,
            "l1": jnp.exp(log_l1) + zero,
            "l2": jnp.exp(log_l2) + zero,
            "c11": jnp.exp(-log_p1 - log_D1),
            "c21": jnp.exp(log_phi - log_quality - jnp.log(tau) - log_p1 - log_D1),
            "c12": jnp.exp(log_phi - jnp.log(tau) - log_p1 - log_D2),
            "c22": jnp.exp(-log_quality - log_p1 - log_D2),
            "T11": T11,
            "T12": T12,
            "T21": T21,
            "T22": T22,
            "exports1": T12,
            "imports1": T21,
            "net_exports1": T12 - T21,
            "GDP1": T11 + T12,
            "GDP2": T21 + T22,
            "GNI1": q + zero,
            "GNI2": 1 - q + zero,
            "migrant_labour1": L1 - q,
            "u1": -log_p1 + log_D1 / (s - 1),
            "u2": -log_p1 + log_D2 / (s - 1),
            "phi": jnp.exp(log_phi) + zero,
            "h": jnp.exp(log_h) + zero,
            "regime": regime,
        }

    def explain_failure(self, eq):
        # A failed point's values are NaN in `eq`: the start point (exact to rounding, by
        # bisection on the primitives' goods-market gap) says where the equilibrium lies.
        L1 = float(self.guess()["L1"])
        gap0 = float(self._excess_demand_gap(jnp.asarray(0.0)))
        gap1 = float(self._excess_demand_gap(jnp.asarray(1.0)))
        if gap1 >= 0:
            where = ("complete agglomeration in country 1 (L1 = 1): country-1 goods are in excess "
                     "demand even with every firm there")
        elif gap0 <= 0:
            where = "complete agglomeration in country 2 (L1 = 0): no country-1 firm breaks even"
        else:
            where = f"interior (L1 = {L1:.6g}), where the goods-market gap changes sign"
        bad = [k for k, v in self.outcomes({"L1": jnp.asarray(L1)}).items()
               if jnp.issubdtype(jnp.asarray(v).dtype, jnp.inexact) and not bool(jnp.all(jnp.isfinite(v)))]
        if bad:
            return (f"The equilibrium is {where}, but the outcome(s) {', '.join(bad)} lie outside the "
                    "float64 range at these parameters.")
        return (f"The equilibrium is {where} (goods-market gap {gap0:.3g} at L1 = 0 and {gap1:.3g} "
                "at L1 = 1), but the solver did not settle on it.")
