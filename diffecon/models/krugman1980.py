"""Krugman (1980), "Scale Economies, Product Differentiation, and the Pattern of Trade", AER 70.

Two models:

- `Krugman1980`: Section II, one differentiated industry, two countries, iceberg trade costs;
  the relative wage ω = w₁/w₂ solves the balance of payments (eq. 14).
- `Krugman1980OutsideGood`: Section III.C's second special case, one IRS industry beside a
  freely traded constant-returns good that equalises wages.
- `Krugman1980HME`: Section III, two industries (the paper's α- and β-goods, here `a` and `b`)
  with arbitrary group sizes per country; wages endogenous, complete specialisation as a
  complementarity corner. Its mirror-image case (Section III.B) reproduces eq. (25).

Notation: the paper's θ is `(sigma - 1) / sigma`, its shipping share g is `1 / tau`, its
fixed and marginal labour α and β are `fixed_cost` and `marginal_cost`. Country 2's wage is
the numeraire.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax.nn import logsumexp

from ..core.model import Model, at_least, greater_than, param, positive
from ..core.transforms import box_complementarity, fischer_burmeister

__all__ = ["Krugman1980", "Krugman1980HME", "Krugman1980OutsideGood"]


def _common_requirements(m):
    return (
        greater_than("sigma", m.sigma, 1.0),
        at_least("tau", m.tau, 1.0),
        positive("fixed_cost", m.fixed_cost),
        positive("marginal_cost", m.marginal_cost),
    )


class Krugman1980(Model):
    """Krugman (1980) Section II: one industry, two countries, iceberg trade cost.

    **Parameters:**
    - `L1`, `L2`: labour forces L and L* (> 0);
    - `sigma`: elasticity of substitution σ = 1/(1−θ) (> 1);
    - `tau`: iceberg trade cost τ = 1/g (≥ 1; τ = 1 is free trade, eq. 11);
    - `fixed_cost`, `marginal_cost`: labour per firm α and per unit β (> 0).

    **Unknown:** `log_omega`, the log relative wage. **Equation:** the balance of payments,
    log EX − log IM = 0 (eq. 14), with n_i = L_i/(ασ) (eq. 13).

    **Outcomes:**
    - `omega`: relative wage ω = w₁/w₂ (eq. 14);
    - `n1`, `n2`: numbers of firms n, n* = L(1−θ)/α (eq. 13);
    - `output`: output per variety x = α(σ−1)/β (eq. 9), the same in both countries;
    - `p1`, `p2`: prices p = wβσ/(σ−1) (eq. 7);
    - `P1`, `P2`: CES price indices, P^{1−σ} = n p^{1−σ} + n*(τp*)^{1−σ};
    - `W1`, `W2`: real wages (welfare per worker) w/P; `U1`, `U2`: utility (w/P)^θ;
    - `import_share1`, `import_share2`: the share of spending on imported varieties;
    - `X11`, `X12`, `X21`, `X22`: trade flows from i to j in country-2 wage units (c.i.f.
      value of what is consumed equals f.o.b. value of what is shipped);
    - `exports1`, `imports1`: country 1's exports X12 and imports X21;
    - `trade_balance1`: X12 − X21 (zero in equilibrium);
    - `delta1`, `delta2`: the paper's demand ratios σ, σ* of eq. (12), renamed δ, δ*.
    """

    L1: jnp.ndarray = param(1.0)
    L2: jnp.ndarray = param(1.0)
    sigma: jnp.ndarray = param(4.0)
    tau: jnp.ndarray = param(1.25)
    fixed_cost: jnp.ndarray = param(1.0)
    marginal_cost: jnp.ndarray = param(1.0)

    def requirements(self):
        return (positive("L1", self.L1), positive("L2", self.L2)) + _common_requirements(self)

    def guess(self):
        return {"log_omega": jnp.zeros_like(self.L1 * self.L2 * self.sigma * self.tau)}

    def _log_flows(self, u):
        """log X12 (exports of 1) and log X21 (imports of 1), in country-2 wage units."""
        s, ltau = self.sigma, jnp.log(self.tau)
        ln1 = jnp.log(self.L1 / (self.fixed_cost * s))
        ln2 = jnp.log(self.L2 / (self.fixed_cost * s))
        # Country 2 spends L2 on: n1 varieties at relative delivered price ωτ, n2 at 1.
        a1 = ln1 + (1 - s) * (u + ltau)
        log_exports = jnp.log(self.L2) + a1 - logsumexp(jnp.stack([a1, ln2]), axis=0)
        # Country 1 spends ωL1 on: n1 varieties at relative price ω, n2 at τ.
        b2 = ln2 + (1 - s) * ltau
        log_imports = u + jnp.log(self.L1) + b2 - logsumexp(jnp.stack([ln1 + (1 - s) * u, b2]), axis=0)
        return log_exports, log_imports

    def residuals(self, x):
        log_exports, log_imports = self._log_flows(x["log_omega"])
        return {"balance_of_payments": log_exports - log_imports}

    def outcomes(self, x):
        u = x["log_omega"]
        s, tau = self.sigma, self.tau
        omega = jnp.exp(u)
        n1 = self.L1 / (self.fixed_cost * s)
        n2 = self.L2 / (self.fixed_cost * s)
        markup = self.marginal_cost * s / (s - 1)
        p1, p2 = omega * markup, markup
        P1 = (n1 * p1 ** (1 - s) + n2 * (tau * p2) ** (1 - s)) ** (1 / (1 - s))
        P2 = (n1 * (tau * p1) ** (1 - s) + n2 * p2 ** (1 - s)) ** (1 / (1 - s))
        log_exports, log_imports = self._log_flows(u)
        exports, imports = jnp.exp(log_exports), jnp.exp(log_imports)
        theta = (s - 1) / s
        return {
            "omega": omega,
            "n1": n1,
            "n2": n2,
            "output": self.fixed_cost * (s - 1) / self.marginal_cost,
            "p1": p1,
            "p2": p2,
            "P1": P1,
            "P2": P2,
            "W1": omega / P1,
            "W2": 1.0 / P2,
            "U1": (omega / P1) ** theta,
            "U2": (1.0 / P2) ** theta,
            "import_share1": imports / (omega * self.L1),
            "import_share2": exports / self.L2,
            "X11": omega * self.L1 - imports,
            "X12": exports,
            "X21": imports,
            "X22": self.L2 - exports,
            "exports1": exports,
            "imports1": imports,
            "trade_balance1": exports - imports,
            "delta1": omega**s * tau ** (1 - s),
            "delta2": omega ** (-s) * tau ** (1 - s),
        }


class Krugman1980HME(Model):
    """Krugman (1980) Section III: two industries, two countries, the home-market effect.

    Consumers of group `a` buy only a-goods (the paper's α-goods), group `b` only b-goods.
    Both industries share σ, α, β and τ. Wages are endogenous (ω = w₁/w₂, w₂ = 1); with
    mirror-image countries (`Krugman1980HME.mirror`) ω = 1 and n/n* follows eq. (25).

    **Parameters:** `La1`, `Lb1`, `La2`, `Lb2` (> 0): consumers of a- and b-goods in countries
    1 and 2 (the paper's L, L̃, L*, L̃*); `sigma` (> 1); `tau` (≥ 1); `fixed_cost`,
    `marginal_cost` (> 0).

    **Unknowns:** `s1`, `s2` ∈ [0, 1], the share of each country's firms in industry a, with
    complete specialisation (s = 0 or 1) as a box complementarity on the profit gap
    log R_a − log R_b; and `log_omega` from home revenue = home income.

    **Outcomes:** `omega`; firm counts `n_a1`, `n_a2`, `n_b1`, `n_b2`; `share_a1` =
    n_a1/(n_a1+n_a2) (bounded, unlike n/n* at the corner); `n_ratio_a` = n_a1/n_a2 (eq. 25;
    infinite when country 2 has no a-firms); `net_exports_a1`, `net_exports_b1` (eq. 26,
    country-2 wage units; they add to zero); `regime_a1`, `regime_a2` ∈ {0: no a-firms,
    1: both industries, 2: only a-firms}; `delta` = τ^{1−σ} (eq. 22).
    """

    La1: jnp.ndarray = param(0.6)
    Lb1: jnp.ndarray = param(0.4)
    La2: jnp.ndarray = param(0.4)
    Lb2: jnp.ndarray = param(0.6)
    sigma: jnp.ndarray = param(4.0)
    tau: jnp.ndarray = param(1.25)
    fixed_cost: jnp.ndarray = param(1.0)
    marginal_cost: jnp.ndarray = param(1.0)

    @classmethod
    def mirror(cls, f, L=1.0, sigma=4.0, tau=1.25, fixed_cost=1.0, marginal_cost=1.0):
        """Section III.B's mirror-image countries: La1 = Lb2 = f·L, Lb1 = La2 = (1−f)·L (eqs 20–21)."""
        return cls(f * L, (1 - f) * L, (1 - f) * L, f * L, sigma, tau, fixed_cost, marginal_cost)

    def requirements(self):
        sizes = tuple(positive(n, getattr(self, n)) for n in ("La1", "Lb1", "La2", "Lb2"))
        return sizes + _common_requirements(self)

    def guess(self):
        shape = jnp.zeros_like(self.La1 * self.Lb1 * self.La2 * self.Lb2 * self.sigma * self.tau)
        return {
            "s1": shape + self.La1 / (self.La1 + self.Lb1),
            "s2": shape + self.La2 / (self.La2 + self.Lb2),
            "log_omega": shape,
        }

    def _firms(self, x):
        # Clip to a tiny positive share so logs stay finite off the box during Newton iterations;
        # at a corner the complementarity, not the revenue, pins the unknown.
        tiny = 1e-300
        s1 = jnp.clip(x["s1"], tiny, 1.0)
        s2 = jnp.clip(x["s2"], tiny, 1.0)
        N1 = (self.La1 + self.Lb1) / (self.fixed_cost * self.sigma)
        N2 = (self.La2 + self.Lb2) / (self.fixed_cost * self.sigma)
        b1 = jnp.clip(1.0 - x["s1"], tiny, 1.0)
        b2 = jnp.clip(1.0 - x["s2"], tiny, 1.0)
        return N1, N2, {"a": (s1 * N1, s2 * N2), "b": (b1 * N1, b2 * N2)}

    def _industry(self, u, n1, n2, L1, L2):
        """One industry's log revenue per firm in countries 1 and 2, and its log trade flows
        X12 (1's exports) and X21 (1's imports), all in country-2 wage units."""
        s, ltau = self.sigma, jnp.log(self.tau)
        ln1, ln2 = jnp.log(n1), jnp.log(n2)
        # Country-1 consumers see prices ω (home) and τ (import); country-2 consumers ωτ and 1.
        log_G1 = logsumexp(jnp.stack([ln1 + (1 - s) * u, ln2 + (1 - s) * ltau]), axis=0)
        log_G2 = logsumexp(jnp.stack([ln1 + (1 - s) * (u + ltau), ln2]), axis=0)
        spend1, spend2 = u + jnp.log(L1), jnp.log(L2)
        home1 = spend1 + (1 - s) * u - log_G1  # per country-1 firm, from country-1 buyers
        export1 = spend2 + (1 - s) * (u + ltau) - log_G2
        import1 = spend1 + (1 - s) * ltau - log_G1  # per country-2 firm, from country-1 buyers
        home2 = spend2 - log_G2
        return {
            "log_R1": logsumexp(jnp.stack([home1, export1]), axis=0),
            "log_R2": logsumexp(jnp.stack([import1, home2]), axis=0),
            "log_X12": ln1 + export1,
            "log_X21": ln2 + import1,
        }

    def _industries(self, x):
        _, _, firms = self._firms(x)
        u = x["log_omega"]
        return (
            self._industry(u, *firms["a"], self.La1, self.La2),
            self._industry(u, *firms["b"], self.Lb1, self.Lb2),
        )

    def residuals(self, x):
        a, b = self._industries(x)
        log_exports = logsumexp(jnp.stack([a["log_X12"], b["log_X12"]]), axis=0)
        log_imports = logsumexp(jnp.stack([a["log_X21"], b["log_X21"]]), axis=0)
        return {
            "industry_choice1": box_complementarity(x["s1"], a["log_R1"] - b["log_R1"]),
            "industry_choice2": box_complementarity(x["s2"], a["log_R2"] - b["log_R2"]),
            # Home revenue = home income is equivalent (Walras) to balanced trade; in logs of
            # the flows it stays well scaled even when trade is nearly shut (δ → 0).
            "balance_of_payments": log_exports - log_imports,
        }

    def outcomes(self, x):
        omega = jnp.exp(x["log_omega"])
        s1, s2 = jnp.clip(x["s1"], 0.0, 1.0), jnp.clip(x["s2"], 0.0, 1.0)
        N1 = (self.La1 + self.Lb1) / (self.fixed_cost * self.sigma)
        N2 = (self.La2 + self.Lb2) / (self.fixed_cost * self.sigma)
        n_a1, n_a2, n_b1, n_b2 = s1 * N1, s2 * N2, (1 - s1) * N1, (1 - s2) * N2
        a, b = self._industries(x)

        def regime(z):
            return jnp.where(z <= 1e-9, 0, jnp.where(z >= 1 - 1e-9, 2, 1))

        return {
            "omega": omega,
            "n_a1": n_a1,
            "n_a2": n_a2,
            "n_b1": n_b1,
            "n_b2": n_b2,
            "share_a1": n_a1 / (n_a1 + n_a2),
            "n_ratio_a": n_a1 / n_a2,
            "net_exports_a1": jnp.exp(a["log_X12"]) - jnp.exp(a["log_X21"]),
            "net_exports_b1": jnp.exp(b["log_X12"]) - jnp.exp(b["log_X21"]),
            "regime_a1": regime(s1),
            "regime_a2": regime(s2),
            "delta": self.tau ** (1 - self.sigma),
        }


class Krugman1980OutsideGood(Model):
    """Krugman (1980) Section III.C, second case: an IRS industry and a homogeneous good.

    A constant-returns good, traded at no cost and produced in both countries, equalises wages
    (w = w* = 1). Consumers spend `La1`, `La2` on the differentiated (IRS) industry; the rest of
    each labour force `L1`, `L2` makes the homogeneous good. Firms enter until profits are zero
    (eqs 22–24 without the mirror constraint), with "no firms in a country" as a
    complementarity corner.

    **Parameters:** `La1`, `La2` (> 0): spending on IRS goods; `L1`, `L2` (> 0): labour forces
    (only for the check that the homogeneous good is made in both countries); `sigma` (> 1);
    `tau` (≥ 1); `fixed_cost`, `marginal_cost` (> 0).

    **Unknowns:** `z1`, `z2` ≥ 0: firm counts relative to N̄ = (La1 + La2)/(ασ), with
    zero profit R_i ≤ ασ ⟂ n_i ≥ 0.

    **Outcomes:** `n1`, `n2` (closed form n = (La1 − δLa2)/(ασ(1−δ)) in the interior);
    `share1` = n1/(n1+n2); `net_exports1` of IRS goods (country 1's; the homogeneous good
    balances it); `delta` = τ^{1−σ}; `outside_good_made1`, `outside_good_made2`: whether
    ασ·n_i < L_i, i.e. the wage-equalising assumption holds.
    """

    La1: jnp.ndarray = param(0.6)
    La2: jnp.ndarray = param(0.4)
    L1: jnp.ndarray = param(1.0)
    L2: jnp.ndarray = param(1.0)
    sigma: jnp.ndarray = param(4.0)
    tau: jnp.ndarray = param(1.25)
    fixed_cost: jnp.ndarray = param(1.0)
    marginal_cost: jnp.ndarray = param(1.0)

    def requirements(self):
        sizes = tuple(positive(n, getattr(self, n)) for n in ("La1", "La2", "L1", "L2"))
        return sizes + _common_requirements(self)

    def guess(self):
        total = self.La1 + self.La2 + 0 * (self.sigma * self.tau)
        return {"z1": self.La1 / total, "z2": self.La2 / total}

    def _firms(self, x):
        N = (self.La1 + self.La2) / (self.fixed_cost * self.sigma)
        # Tiny floor keeps logs finite off the feasible set; the complementarity pins corners.
        return N * jnp.clip(x["z1"], 1e-300, None), N * jnp.clip(x["z2"], 1e-300, None)

    def _log_demand(self, n1, n2):
        """log of each country's CES denominator, Σ_j n_j × (relative delivered price)^{1−σ}."""
        log_delta = (1 - self.sigma) * jnp.log(self.tau)
        ln1, ln2 = jnp.log(n1), jnp.log(n2)
        log_G1 = logsumexp(jnp.stack([ln1, ln2 + log_delta]), axis=0)
        log_G2 = logsumexp(jnp.stack([ln1 + log_delta, ln2]), axis=0)
        return log_delta, log_G1, log_G2

    def residuals(self, x):
        n1, n2 = self._firms(x)
        log_delta, log_G1, log_G2 = self._log_demand(n1, n2)
        a1, a2 = jnp.log(self.La1), jnp.log(self.La2)
        log_R1 = logsumexp(jnp.stack([a1 - log_G1, log_delta + a2 - log_G2]), axis=0)
        log_R2 = logsumexp(jnp.stack([log_delta + a1 - log_G1, a2 - log_G2]), axis=0)
        log_cost = jnp.log(self.fixed_cost * self.sigma)  # revenue at zero profit, w = 1
        return {
            "zero_profit1": fischer_burmeister(x["z1"], log_cost - log_R1),
            "zero_profit2": fischer_burmeister(x["z2"], log_cost - log_R2),
        }

    def outcomes(self, x):
        n1, n2 = self._firms(x)
        n1, n2 = jnp.where(x["z1"] > 1e-200, n1, 0.0), jnp.where(x["z2"] > 1e-200, n2, 0.0)
        delta = self.tau ** (1 - self.sigma)
        exports = self.La2 * delta * n1 / (delta * n1 + n2)
        imports = self.La1 * delta * n2 / (n1 + delta * n2)
        labour = self.fixed_cost * self.sigma
        return {
            "n1": n1,
            "n2": n2,
            "share1": n1 / (n1 + n2),
            "net_exports1": exports - imports,
            "delta": delta,
            "outside_good_made1": labour * n1 < self.L1,
            "outside_good_made2": labour * n2 < self.L2,
        }
