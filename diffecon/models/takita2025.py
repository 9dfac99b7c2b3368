"""Takita (2025), national-brand goods: quality, cultural distance and (reverse) home-market effects.

Two countries with residents q and 1 − q share one world labour market (workers live where they
live but may work for firms in either country), so the wage is common (the numeraire, w = 1) and
the only locational unknown is country 1's share of employment L₁. Firms in country 2 make goods
of quality Q (country 1's quality is 1) with fixed labour f·Q^{μ_f} and marginal labour
m·Q^{μ_m}. Residents weight foreign goods by the cultural affinity β, which enters demand exactly
like an inverse trade cost: only φ = (τ/β)^{1−σ} matters, and φ may exceed 1.

The equilibrium is solved from the primitives — markup pricing (eqs 20–21), zero-profit output
(eqs 24–25), CES demand (eqs 8–12), labour-market clearing (eq. 19) and the goods markets
(eqs 17–18) — not from the closed forms (38)–(49). Complete agglomeration (L₁ = 0 or 1) is a box
complementarity, so one solver covers every regime of the paper's Tables 8 and 9.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp

from ..core._bisect import bisect
from ..core._tree import replace_fields
from ..core.model import Model, at_least, between, greater_than, param, positive
from ..core.solve import solve_impl
from ..core.statics import jacobian
from ..core.transforms import box_complementarity

__all__ = ["Takita2025", "REGIMES", "home_market_statics", "regime_boundary"]

#: Names of the `regime` outcome's values (for the large country 1, q ≥ ½).
REGIMES = ("CA-small", "RHME", "HME", "CA-large")

# L₁ within this distance of 0 or 1 counts as complete agglomeration. The complementarity puts a
# corner solution at the bound to machine precision, and an interior L₁ this close to a bound is
# within ~1e-12/|dL₁/dq| of the regime boundary in q.
_CORNER_TOL = 1e-12


class Takita2025(Model):
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

    **Unknown:** `L1` ∈ [0, 1], country 1's share of world employment. With labour-market
    clearing imposed, N₁ = L₁/(fσ) and N₂ = (1 − L₁)/(fσQ^{μ_f}) (eqs 26–29). **Equation:**
    `goods_market`: box complementarity on the log gap between demand per firm and zero-profit
    output per firm, log(X₁ᵈ/x₁) − log(X₂ᵈ/x₂) (eqs 17–18); L₁ = 1 when country-1 goods are in
    excess demand even with all firms there, L₁ = 0 in the mirror case. Since world spending
    equals world income, a zero gap clears both goods markets (Walras).

    **Outcomes:**
    - `L1`, `L2`: employment shares (eqs 38–39); `N1`, `N2`: numbers of firms (eqs 28–29);
    - `p1`, `p2`: mill prices (eqs 20–21); `x1`, `x2`: output per firm (eqs 24–25);
      `l1`, `l2`: labour per firm (eqs 26–27);
    - `price_index1`, `price_index2`: consumer price indices per unit of quality-weighted utility,
      G_j = (Σ over varieties of (delivered price / (weight·quality))^{1−σ})^{1/(1−σ)};
    - `c11`, `c21`, `c12`, `c22`: consumption of one variety from i by one resident of j
      (eqs 34–37);
    - `T11`, `T12`, `T21`, `T22`: trade values, T_ij = spending of country j on country-i goods
      (eqs 46–49); `exports1` = T₁₂, `imports1` = T₂₁, `net_exports1` = T₁₂ − T₂₁;
    - `GDP1`, `GDP2`: sales of each country's firms (= w L_i, eqs 40–41); `GNI1`, `GNI2`: income
      of its residents (w q, w(1 − q)); `migrant_labour1` = L₁ − q;
    - `u1`, `u2`: indirect utility per resident (not in the paper);
    - `phi`: combined freeness φ = (τ/β)^{1−σ} (eq. 50); `h`: the paper's h(Q) =
      Q^{μ_f + (σ−1)(μ_m−1)}, country 2's cost disadvantage;
    - `regime` (int): index into `REGIMES` — 0 complete agglomeration in country 2 (L₁ = 0),
      1 reverse home-market effect (0 < L₁ < q), 2 home-market effect (q ≤ L₁ < 1),
      3 complete agglomeration in country 1 (L₁ = 1). These level definitions reproduce the
      paper's Tables 8 and 9; the slope dL₁/dq (magnification) comes from `jacobian`.

    If φ = 1 and h = 1 every L₁ is an equilibrium (the solver returns its start, q); everywhere
    else the equilibrium is unique.
    """

    q: jnp.ndarray = param(0.62)
    sigma: jnp.ndarray = param(4.0)
    tau: jnp.ndarray = param(1.3)
    beta: jnp.ndarray = param(1.0)
    Q: jnp.ndarray = param(0.9)
    mu_f: jnp.ndarray = param(0.5)
    mu_m: jnp.ndarray = param(1.5)
    f: jnp.ndarray = param(1.0)
    m: jnp.ndarray = param(1.0)

    def requirements(self):
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
        )

    def guess(self):
        # A corner when the goods-market gap at that corner says it is the solution (excess
        # demand for good 1 even with everyone in 1, or none with nobody there): the box
        # residual is exactly zero there. Otherwise the (decreasing) gap changes sign inside
        # the box, and a few bisection steps put Newton next to the root. Newton started far
        # from it near a corner takes dozens of slow steps on the complementarity kink, and a
        # vmapped batch waits for its slowest point.
        shape = jnp.zeros_like(self.q * self.sigma * self.tau * self.beta * self.Q * self.mu_f
                               * self.mu_m * self.f * self.m)
        at_one = self._excess_demand_gap(shape + 1.0) >= 0
        at_zero = self._excess_demand_gap(shape) <= 0
        lo, hi = bisect(lambda mid: self._excess_demand_gap(mid) > 0, shape, shape + 1.0, 12)
        return {"L1": jnp.where(at_one, 1.0, jnp.where(at_zero, 0.0, 0.5 * (lo + hi)))}

    # --- building blocks -------------------------------------------------------------------
    @property
    def phi(self):
        """φ = (τ/β)^{1−σ} (eq. 50)."""
        return (self.tau / self.beta) ** (1 - self.sigma)

    def _firm(self):
        """Per-firm prices, outputs and labour in both countries (eqs 20–21, 24–27, w = 1)."""
        s = self.sigma
        p1 = s / (s - 1) * self.m
        p2 = p1 * self.Q**self.mu_m
        # Zero profit at the markup price: (p − mc)·x = fixed labour (eq. 17 with f(Q)).
        x1 = self.f * (s - 1) / self.m
        x2 = x1 * self.Q ** (self.mu_f - self.mu_m)
        l1 = self.f * s
        l2 = l1 * self.Q**self.mu_f
        return p1, p2, x1, x2, l1, l2

    def _market(self, L1):
        """Firms and CES demand given country 1's employment share L₁ ∈ [0, 1]."""
        p1, p2, x1, x2, l1, l2 = self._firm()
        N1, N2 = L1 / l1, (1 - L1) / l2
        s, phi = self.sigma, self.phi
        # CES weights of one variety, (delivered price / (taste weight · quality))^{1−σ}, per
        # consumer country; the same variety's weight at home and abroad differs by φ.
        w11 = p1 ** (1 - s)
        w22 = (p2 / self.Q) ** (1 - s)
        w21, w12 = phi * w22, phi * w11
        denom1 = N1 * w11 + N2 * w21  # G₁^{1−σ}
        denom2 = N1 * w12 + N2 * w22  # G₂^{1−σ}
        spend1, spend2 = self.q, 1 - self.q  # w × residents (GNI)
        # Spending on one variety from i by all of j, and the goods shipped to meet it (τ per unit
        # consumed abroad, so shipped quantity = spending / mill price in both cases).
        e11, e21 = spend1 * w11 / denom1, spend1 * w21 / denom1
        e12, e22 = spend2 * w12 / denom2, spend2 * w22 / denom2
        return dict(p1=p1, p2=p2, x1=x1, x2=x2, l1=l1, l2=l2, N1=N1, N2=N2,
                    denom1=denom1, denom2=denom2, e11=e11, e21=e21, e12=e12, e22=e22)

    def _excess_demand_gap(self, L1):
        k = self._market(jnp.clip(L1, 0.0, 1.0))
        demand1 = (k["e11"] + k["e12"]) / k["p1"]  # X₁ᵈ = q c₁₁ + (1−q) τ c₁₂ (eq. 17)
        demand2 = (k["e21"] + k["e22"]) / k["p2"]  # X₂ᵈ = q τ c₂₁ + (1−q) c₂₂ (eq. 18)
        return jnp.log(demand1 / k["x1"]) - jnp.log(demand2 / k["x2"])

    def residuals(self, x):
        return {"goods_market": box_complementarity(x["L1"], self._excess_demand_gap(x["L1"]))}

    def outcomes(self, x):
        L1 = jnp.clip(x["L1"], 0.0, 1.0)
        k = self._market(L1)
        s, q, tau = self.sigma, self.q, self.tau
        N1, N2 = k["N1"], k["N2"]
        T11, T21, T12, T22 = N1 * k["e11"], N2 * k["e21"], N1 * k["e12"], N2 * k["e22"]
        price_index1 = k["denom1"] ** (1 / (1 - s))
        price_index2 = k["denom2"] ** (1 / (1 - s))
        regime = jnp.where(
            L1 <= _CORNER_TOL, 0,
            jnp.where(L1 >= 1 - _CORNER_TOL, 3, jnp.where(L1 < q, 1, 2)),
        )
        return {
            "L1": L1,
            "L2": 1 - L1,
            "N1": N1,
            "N2": N2,
            "p1": k["p1"] + 0 * L1,
            "p2": k["p2"] + 0 * L1,
            "x1": k["x1"] + 0 * L1,
            "x2": k["x2"] + 0 * L1,
            "l1": k["l1"] + 0 * L1,
            "l2": k["l2"] + 0 * L1,
            "price_index1": price_index1,
            "price_index2": price_index2,
            "c11": k["e11"] / (q * k["p1"]),
            "c21": k["e21"] / (q * tau * k["p2"]),
            "c12": k["e12"] / ((1 - q) * tau * k["p1"]),
            "c22": k["e22"] / ((1 - q) * k["p2"]),
            "T11": T11,
            "T12": T12,
            "T21": T21,
            "T22": T22,
            "exports1": T12,
            "imports1": T21,
            "net_exports1": T12 - T21,
            "GDP1": T11 + T12,
            "GDP2": T21 + T22,
            "GNI1": q + 0 * L1,
            "GNI2": 1 - q + 0 * L1,
            "migrant_labour1": L1 - q,
            "u1": -jnp.log(price_index1),
            "u2": -jnp.log(price_index2),
            "phi": self.phi + 0 * L1,
            "h": self.Q ** (self.mu_f + (s - 1) * (self.mu_m - 1)) + 0 * L1,
            "regime": regime,
        }


def home_market_statics(model: Takita2025) -> dict:
    """Exact dL₁/dq (the home-market effect: > 1 HME magnification, < 0 reverse), dL₁/dQ and
    dL₁/dβ at the equilibrium of `model` (zero in a corner; one-sided values at a kink are not
    defined — the IFT gives the derivative of the regime the solver lands in).

    **Returns:** dict `{"dL1/dq": ..., "dL1/dQ": ..., "dL1/dbeta": ...}`.
    """
    jac = jacobian(model, "L1", ["q", "Q", "beta"])["L1"]
    return {f"dL1/d{name}": jac[name] for name in ("q", "Q", "beta")}


@eqx.filter_jit
def regime_boundary(model: Takita2025, start: dict, stop: dict, steps: int = 60) -> dict:
    """Where the `regime` outcome changes along the segment of parameters from `start` to `stop`
    (e.g. q from ½ to 1, or Q across a threshold): bisection on full equilibrium solves, each from
    the model's guess, not on a closed form.

    Assumes the regime at `start` differs from that at `stop`; if it changes more than once, one
    of the changes is found. Works under `jax.vmap` (batches of models and segments).

    **Arguments:** `model`; `start`, `stop`: dicts with the same parameter names; `steps`:
    bisection halvings (60 take a unit segment below 1e-17).

    **Returns:** dict of the parameters at the boundary (midpoint of the final bracket).
    """

    def at(t):
        return {k: (1 - t) * jnp.asarray(start[k], jnp.float64) + t * jnp.asarray(stop[k], jnp.float64)
                for k in start}

    def regime_at(t):
        m = replace_fields(model, at(t))
        return solve_impl(m, m.guess(), None, 100, 1e-12, 1e-12, 1e-10).outcomes["regime"]

    first = regime_at(jnp.asarray(0.0))
    a, b = bisect(lambda mid: regime_at(mid) == first, jnp.asarray(0.0), jnp.asarray(1.0), steps)
    return at(0.5 * (a + b))
