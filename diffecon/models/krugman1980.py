"""Krugman (1980), "Scale Economies, Product Differentiation, and the Pattern of Trade", AER 70.

Three models:

- `Krugman1980`: Section II, one differentiated industry, two countries, iceberg trade costs;
  the relative wage ω = w₁/w₂ solves the balance of payments (eq. 14).
- `Krugman1980HME`: Section III, two industries (the paper's α- and β-goods, here `a` and `b`)
  with arbitrary group sizes per country; wages endogenous, complete specialisation as a
  complementarity corner. Its mirror-image case (Section III.B) reproduces eq. (25).
- `Krugman1980OutsideGood`: Section III.C's second special case, one IRS industry beside a
  freely traded constant-returns good that equalises wages.

Notation: the paper's θ is `(sigma - 1) / sigma`, its shipping share g is `1 / tau`, its
fixed and marginal labour α and β are `fixed_cost` and `marginal_cost`, and its demand ratio
of eq. (22) is δ = τ^{1−σ}. Country 2's wage is the numeraire. CES demand (price indices,
spending shares, flows) comes from `diffecon.models._ces`.
"""

from __future__ import annotations

from typing import final

import jax
import jax.numpy as jnp
import numpy as np
from jax.nn import logsumexp

from ..core import (
    AbstractModel,
    Requirement,
    at_least,
    bisect,
    box_complementarity,
    greater_than,
    param,
    positive,
)
from . import _ces

__all__ = ["Krugman1980", "Krugman1980HME", "Krugman1980OutsideGood"]

# Smallest firm share used inside logarithms: a country with no firms in an industry (a corner)
# keeps finite logs; the complementarity condition, not the revenue, pins the unknown there.
_TINY = 1e-300
# Newton steps on the tanh form of the balance of payments in `Krugman1980.guess`
_GUESS_STEPS = 4


def _cost_requirements(m):
    return (
        greater_than("sigma", m.sigma, 1.0),
        positive("fixed_cost", m.fixed_cost),
        positive("marginal_cost", m.marginal_cost),
    )


def _log_delta(m):
    """log δ = (1 − σ) log τ: a foreign variety's share of spending relative to a domestic one
    at equal factory prices (eq. 22)."""
    return (1 - m.sigma) * jnp.log(m.tau)


def _one_minus_delta(m):
    """1 − δ without cancellation near free trade (τ − 1 down to 1e-8 and σ − 1 to 1e-3)."""
    return -jnp.expm1(_log_delta(m))


def _square(a, b, c, d):
    """[[a, b], [c, d]] with leading axes (source, destination), broadcasting the entries."""
    a, b, c, d = jnp.broadcast_arrays(a, b, c, d)
    return jnp.stack([jnp.stack([a, b]), jnp.stack([c, d])])


def _log_prices(u, log_tau):
    """Log delivered prices of a country-1 and a country-2 variety (sources) in countries 1 and 2
    (destinations), relative to country 2's factory price: ω = e^u at home, ωτ abroad."""
    return _square(u, u + log_tau, log_tau + 0 * u, 0 * u)


def _log_trade(u, log_tau, sigma, log_mass1, log_mass2, log_spend1, log_spend2):
    """Log flows X_ij (source i, destination j on the two leading axes) and log revenue per firm
    of each source, for one CES industry of two countries."""
    log_mass = jnp.stack(jnp.broadcast_arrays(log_mass1, log_mass2))[:, None]
    log_spend = jnp.stack(jnp.broadcast_arrays(log_spend1, log_spend2))
    flows = _ces.log_flows(_log_prices(u, log_tau), sigma, log_spend, log_mass, axis=0)
    return flows, logsumexp(flows, axis=1) - log_mass[:, 0]


@final
class Krugman1980(AbstractModel):
    """Krugman (1980) Section II: one industry, two countries, iceberg trade cost.

    **Parameters:**
    - `L1`, `L2`: labour forces L and L* (> 0);
    - `sigma`: elasticity of substitution σ = 1/(1−θ) (> 1);
    - `tau`: iceberg trade cost τ = 1/g (≥ 1; τ = 1 is free trade, eq. 11);
    - `fixed_cost`, `marginal_cost`: labour per firm α and per unit β (> 0).

    **Unknown:** `log_omega`, the log relative wage. **Equation:** the balance of payments,
    log EX − log IM = 0 (eq. 14), with n_i = L_i/(ασ) (eq. 13). It is strictly decreasing in
    log ω with slope at most −1, so the root is unique and Newton converges from ω = 1; the
    start is a closer one (`guess`).

    **Outcomes:**
    - `omega`: relative wage ω = w₁/w₂ (eq. 14);
    - `n1`, `n2`: numbers of firms n, n* = L(1−θ)/α (eq. 13);
    - `output`: output per variety x = α(σ−1)/β (eq. 9), the same in both countries;
    - `p1`, `p2`: prices p = wβσ/(σ−1) (eq. 7);
    - `P1`, `P2`: CES price indices, P^{1−σ} = n p^{1−σ} + n*(τp*)^{1−σ};
    - `W1`, `W2`: real wages (welfare per worker) w/P; `U1`, `U2`: utility (w/P)^θ;
    - `log_W1`, `log_W2`: their logs, finite everywhere. P = p·(n + n*δ-terms)^{1/(1−σ)} leaves
      the float64 range when σ is near 1 (σ − 1 = 1e-3 with n = 2 gives P ≈ 2^{−1000}), and
      then `P` and `W` are 0 or inf; their logs, `U` and every other outcome stay finite;
    - `import_share1`, `import_share2`: the share of spending on imported varieties;
    - `X11`, `X12`, `X21`, `X22`: trade flows from i to j in country-2 wage units (c.i.f.
      value of what is consumed equals f.o.b. value of what is shipped);
    - `exports1`, `imports1`: country 1's exports X12 and imports X21;
    - `trade_balance1`: X12 − X21 (zero in equilibrium);
    - `delta1`, `delta2`: the paper's demand ratios σ, σ* of eq. (12), renamed δ, δ*.
    """

    L1: jax.Array = param(1.0)
    L2: jax.Array = param(1.0)
    sigma: jax.Array = param(4.0)
    tau: jax.Array = param(1.25)
    fixed_cost: jax.Array = param(1.0)
    marginal_cost: jax.Array = param(1.0)

    def requirements(self):
        return (
            positive("L1", self.L1), positive("L2", self.L2), at_least("tau", self.tau, 1.0),
        ) + _cost_requirements(self)

    def guess(self):
        # With v = σu/2 and c = log(L1/L2)/2 the balance of payments reads
        # tanh v = k·tanh(c − θv), k = tanh(−log δ/2) = (1 − δ)/(1 + δ), θ = (σ−1)/σ: its root
        # lies between 0 and the autarky root c/(1 + θ) (eq. 14's limit ω = (L/L*)^{1/(2σ−1)}).
        # Linearising both tanh gives v = kc/(1 + kθ), exact at free trade (k = 0) and at
        # autarky; a few Newton steps on the tanh form (exp only, no log; kept inside that
        # bracket) then bring it within rounding on the usual domain (σ ≤ 10, τ ≤ 3, sizes within
        # a factor 25), so the solver's Newton needs one step where it needed up to five from
        # ω = 1, and the batch, which waits for its slowest point, with it.
        s = self.sigma
        d = _log_delta(self)
        k = -jnp.expm1(d) / (1 + jnp.exp(d))
        theta = (s - 1) / s
        c = 0.5 * (jnp.log(self.L1) - jnp.log(self.L2))
        v = k * c / (1 + k * theta)

        def tanh_and_slope(t):  # tanh t and its derivative 1 − tanh² t = 4e/(1 + e)², e = e^{−2|t|}
            e = jnp.exp(-2 * jnp.abs(t))
            r = 1 / (1 + e)
            return jnp.sign(t) * (1 - e) * r, 4 * e * r * r

        autarky = c / (1 + theta)
        for _ in range(_GUESS_STEPS):
            t1, d1 = tanh_and_slope(v)
            t2, d2 = tanh_and_slope(c - theta * v)
            slope = d1 + k * theta * d2
            v = v - jnp.where(slope > 0, (t1 - k * t2) / jnp.where(slope > 0, slope, 1.0), 0.0)
            v = jnp.clip(v, jnp.minimum(autarky, 0.0), jnp.maximum(autarky, 0.0))
        return {"log_omega": 2 * v / s + 0 * self.tau}

    def _trade(self, u):
        log_n = jnp.log(self.fixed_cost * self.sigma)
        return _log_trade(
            u, jnp.log(self.tau), self.sigma, jnp.log(self.L1) - log_n, jnp.log(self.L2) - log_n,
            u + jnp.log(self.L1), jnp.log(self.L2),
        )

    def residuals(self, x):
        # log X12 − log X21 written out: with z = log(L1/L2) + (1−σ)u and d = log δ ≤ 0 it is
        # −σu + d + softplus(z − d) − softplus(z + d) (n_i ∝ L_i, so ασ cancels). The two
        # softplus terms share one log1p: softplus(t) = max(t, 0) + log1p(e^{−|t|}), and
        # log1p(a) − log1p(b) = log1p((a − b)/(1 + b)), with a, b ∈ (0, 1] (no overflow).
        u = x["log_omega"]
        s = self.sigma
        d = _log_delta(self)
        z = jnp.log(self.L1) - jnp.log(self.L2) + (1 - s) * u
        hi, lo = z - d, z + d
        a, b = jnp.exp(-jnp.abs(hi)), jnp.exp(-jnp.abs(lo))
        gap = jnp.maximum(hi, 0.0) - jnp.maximum(lo, 0.0) + jnp.log1p((a - b) / (1 + b))
        return {"balance_of_payments": d - s * u + gap}

    def outcomes(self, x):
        u = x["log_omega"]
        s, tau = self.sigma, self.tau
        omega = jnp.exp(u)
        n1 = self.L1 / (self.fixed_cost * s)
        n2 = self.L2 / (self.fixed_cost * s)
        log_markup = jnp.log(self.marginal_cost * s / (s - 1))
        flows, _ = self._trade(u)
        log_n = jnp.stack(jnp.broadcast_arrays(jnp.log(n1), jnp.log(n2)))[:, None]
        log_prices = _log_prices(u, jnp.log(tau))
        log_P = log_markup + _ces.log_price_index(log_prices, s, log_n, axis=0)
        shares = jnp.exp(_ces.log_shares(log_prices, s, log_n, axis=0))
        X = jnp.exp(flows)
        theta = (s - 1) / s
        log_W1, log_W2 = u - log_P[0], -log_P[1]
        return {
            "omega": omega,
            "n1": n1,
            "n2": n2,
            "output": self.fixed_cost * (s - 1) / self.marginal_cost,
            "p1": omega * jnp.exp(log_markup),
            "p2": jnp.exp(log_markup) + 0 * u,
            "P1": jnp.exp(log_P[0]),
            "P2": jnp.exp(log_P[1]),
            "W1": jnp.exp(log_W1),
            "W2": jnp.exp(log_W2),
            "log_W1": log_W1,
            "log_W2": log_W2,
            "U1": jnp.exp(theta * log_W1),
            "U2": jnp.exp(theta * log_W2),
            "import_share1": shares[1, 0],
            "import_share2": shares[0, 1],
            "X11": X[0, 0],
            "X12": X[0, 1],
            "X21": X[1, 0],
            "X22": X[1, 1],
            "exports1": X[0, 1],
            "imports1": X[1, 0],
            "trade_balance1": X[0, 1] - X[1, 0],
            "delta1": jnp.exp(s * u + _log_delta(self)),
            "delta2": jnp.exp(-s * u + _log_delta(self)),
        }


def _log_allocation(u, log_tau, sigma, log_spend1, log_spend2):
    """Firms of one industry in each country when both break even where present, given ω = e^u.

    With costs w₁ασ = ωασ and w₂ασ = ασ, the two zero-profit conditions R_i ≤ w_iασ ⟂ n_i ≥ 0
    have a closed form: all firms in country 1, all in country 2, or the interior solution
    n₁ ∝ [E₁/(q−δ) − δE₂/(1−δq)]/ρ, n₂ ∝ E₂/(1−δq) − δE₁/(q−δ), with q = ω^σ, ρ = ω^{1−σ}
    (the generalisation of eqs 23–24 to unequal wages). Returns log(ασ n₁), log(ασ n₂)
    (−inf for no firms), for `Krugman1980HME.guess`.
    """
    lq, ld = sigma * u, (1 - sigma) * log_tau
    spend = jnp.logaddexp(log_spend1, log_spend2)
    # A lone entrant in the empty country would lose money (the corner is an equilibrium):
    only1 = lq + jnp.logaddexp(ld + log_spend1, log_spend2 - ld) <= spend
    only2 = jnp.logaddexp(log_spend1 - ld, ld + log_spend2) <= lq + spend
    interior = ~(only1 | only2)
    # Interior (δ < q < 1/δ): q − δ = −q·expm1(ld − lq) and 1 − δq = −expm1(lq + ld), both
    # positive and free of overflow; safe values elsewhere keep the unused branch finite.
    log_qd = lq + jnp.log(-jnp.expm1(jnp.where(interior, ld - lq, -1.0)))
    log_1dq = jnp.log(-jnp.expm1(jnp.where(interior, ld + lq, -1.0)))
    a1, b1 = log_spend1 - log_qd, ld + log_spend2 - log_1dq
    a2, b2 = log_spend2 - log_1dq, ld + log_spend1 - log_qd

    def log_diff(a, b):  # log(e^a − e^b), −inf where rounding makes it non-positive
        return jnp.where(a > b, a + jnp.log(-jnp.expm1(jnp.where(a > b, b - a, -1.0))), -jnp.inf)

    int1 = log_diff(a1, b1) - (1 - sigma) * u
    int2 = log_diff(a2, b2)
    n1 = jnp.where(only1, spend - u, jnp.where(only2, -jnp.inf, int1))
    n2 = jnp.where(only2, spend, jnp.where(only1, -jnp.inf, int2))
    return n1, n2


@final
class Krugman1980HME(AbstractModel):
    """Krugman (1980) Section III: two industries, two countries, the home-market effect.

    Consumers of group `a` buy only a-goods (the paper's α-goods), group `b` only b-goods.
    Both industries share σ, α, β and τ. Wages are endogenous (ω = w₁/w₂, w₂ = 1); with
    mirror-image countries (`Krugman1980HME.mirror`) ω = 1 and n/n* follows eq. (25).

    **Parameters:** `La1`, `Lb1`, `La2`, `Lb2` (> 0): consumers of a- and b-goods in countries
    1 and 2 (the paper's L, L̃, L*, L̃*); `sigma` (> 1); `tau` (> 1); `fixed_cost`,
    `marginal_cost` (> 0). Free trade (τ = 1) is excluded: there every allocation of the
    industries across countries that clears the labour markets is an equilibrium (ω = 1), so
    the firm counts are not determined (the paper assumes g < 1 in Section III).

    **Unknowns:** `s1`, `s2` ∈ [0, 1], the share of each country's firms in industry a, with
    complete specialisation (s = 0 or 1) as a box complementarity on the profit gap
    log R_a − log R_b; and `log_omega` from the balance of payments (Walras: equivalent to
    home revenue = home income). The start is exact up to rounding: a bisection on ω of the
    balance of payments, with each industry's firms given ω in closed form; near free trade
    (where that closed form is too sensitive to ω to resolve) the limit τ → 1⁺ when it is closer.

    **Outcomes:** `omega`; firm counts `n_a1`, `n_a2`, `n_b1`, `n_b2`; `share_a1` =
    n_a1/(n_a1+n_a2) (bounded, unlike n/n* at the corner); `n_ratio_a` = n_a1/n_a2 (eq. 25;
    +inf, with NaN derivatives, when country 2 has no a-firms); `net_exports_a1`,
    `net_exports_b1` (eq. 26, country-2 wage units; they add to zero); `regime_a1`,
    `regime_a2` ∈ {0: no a-firms, 1: both industries, 2: only a-firms}; `delta` = τ^{1−σ}
    (eq. 22). At a regime boundary the derivatives are one-sided (the regime reported).

    **Validity:** `industry_shares_in_[0,1]` (the box complementarity holds within rounding).
    """

    La1: jax.Array = param(0.6)
    Lb1: jax.Array = param(0.4)
    La2: jax.Array = param(0.4)
    Lb2: jax.Array = param(0.6)
    sigma: jax.Array = param(4.0)
    tau: jax.Array = param(1.25)
    fixed_cost: jax.Array = param(1.0)
    marginal_cost: jax.Array = param(1.0)

    @classmethod
    def mirror(cls, f, L=1.0, sigma=4.0, tau=1.25, fixed_cost=1.0, marginal_cost=1.0):
        """Section III.B's mirror-image countries: La1 = Lb2 = f·L, Lb1 = La2 = (1−f)·L (eqs 20–21)."""
        return cls(f * L, (1 - f) * L, (1 - f) * L, f * L, sigma, tau, fixed_cost, marginal_cost)

    def requirements(self):
        sizes = tuple(positive(n, getattr(self, n)) for n in ("La1", "Lb1", "La2", "Lb2"))
        return sizes + (greater_than("tau", self.tau, 1.0),) + _cost_requirements(self)

    def _allocations(self, u):
        """log(ασ n) of each industry (a, b) and country (1, 2) when firms break even given ω."""
        lt = jnp.log(self.tau)
        a = _log_allocation(u, lt, self.sigma, u + jnp.log(self.La1), jnp.log(self.La2))
        b = _log_allocation(u, lt, self.sigma, u + jnp.log(self.Lb1), jnp.log(self.Lb2))
        return a, b

    def guess(self):
        shape = jnp.zeros_like(self.La1 * self.Lb1 * self.La2 * self.Lb2 * self.sigma * self.tau)
        lt = jnp.log(self.tau)

        def log_balance(u):
            (a1, a2), (b1, b2) = self._allocations(u)
            ex, im = [], []
            for n1, n2, L1, L2 in ((a1, a2, self.La1, self.La2), (b1, b2, self.Lb1, self.Lb2)):
                flows, _ = _log_trade(u, lt, self.sigma, n1, n2, u + jnp.log(L1), jnp.log(L2))
                ex.append(flows[0, 1])
                im.append(flows[1, 0])
            return jnp.logaddexp(*ex) - jnp.logaddexp(*im)

        # Exports fall and imports rise with ω; widen a bracket on log ω until it holds the
        # root, then halve it. Exact zero-profit allocations make the start exact.
        def widen(_, width):
            holds = (log_balance(-width) > 0) & (log_balance(width) < 0)
            return jnp.where(holds, width, 2 * width)

        width = jax.lax.fori_loop(0, 12, widen, shape + 1.0)
        lo, hi = bisect(lambda u: log_balance(u) > 0, -width, width, 80)
        u = 0.5 * (lo + hi)
        (a1, a2), (b1, b2) = self._allocations(u)

        def share(a, b, fallback):
            s = jax.nn.sigmoid(a - b)
            return jnp.where(jnp.isfinite(a) | jnp.isfinite(b), jnp.nan_to_num(s, nan=0.5), fallback)

        bisected = {
            "s1": share(a1, b1, self.La1 / (self.La1 + self.Lb1)),
            "s2": share(a2, b2, self.La2 / (self.La2 + self.Lb2)),
            "log_omega": u,
        }
        # Near free trade an industry that both countries make is split within a window of ω
        # of width O((1 − δ)²), below rounding once 1 − δ < 1e-7 or so: start there from the
        # limit τ → 1⁺ instead, and keep whichever start is closer to a solution.
        limit = self._free_trade_limit()

        def norm(x):
            return jnp.max(jnp.abs(jnp.stack(list(self.residuals(x).values()))), axis=0)

        use_limit = norm(limit) < norm(bisected)
        return {k: jnp.where(use_limit, limit[k], bisected[k]) for k in bisected}

    def _free_trade_limit(self):
        """The equilibrium as τ → 1⁺ (a start for Newton near free trade).

        At ω = 1 the world's a-firms number A = (La1 + La2)/(ασ). The country whose demand leans
        to industry a, (La1 − La2)/(La1 + La2) > (Lb1 − Lb2)/(Lb1 + Lb2) for country 1, puts as
        many firms as it can into a; the other country fills the rest. The split industry k
        pins ω^σ = 1 + (1 − δ)·(L_k1 − L_k2)/(L_k1 + L_k2).
        """
        La1, Lb1, La2, Lb2 = self.La1, self.Lb1, self.La2, self.Lb2
        N1, N2, A = La1 + Lb1, La2 + Lb2, La1 + La2  # all in units of ασ
        lean_a = (La1 - La2) / (La1 + La2)
        lean_b = (Lb1 - Lb2) / (Lb1 + Lb2)
        one_a = lean_a > lean_b
        n_a1 = jnp.where(one_a, jnp.minimum(N1, A), N1 - jnp.minimum(N1, Lb1 + Lb2))
        n_a2 = A - n_a1
        # The industry both countries make: a if country 1 is a-intensive but too small for all
        # of it (or b-intensive and too large for all of b), else b.
        split_a = jnp.where(one_a, N1 < A, N1 > Lb1 + Lb2)
        lean = jnp.where(split_a, lean_a, lean_b)
        u = jnp.log1p(_one_minus_delta(self) * lean) / self.sigma
        return {"s1": n_a1 / N1, "s2": n_a2 / N2, "log_omega": u + 0 * self.tau}

    def _firm_counts(self, x):
        N1 = (self.La1 + self.Lb1) / (self.fixed_cost * self.sigma)
        N2 = (self.La2 + self.Lb2) / (self.fixed_cost * self.sigma)
        s1, s2 = jnp.clip(x["s1"], 0.0, 1.0), jnp.clip(x["s2"], 0.0, 1.0)
        return s1 * N1, s2 * N2, (1 - s1) * N1, (1 - s2) * N2

    def _industries(self, x):
        """Log flows and log revenue per firm of industries a and b."""
        u, lt = x["log_omega"], jnp.log(self.tau)
        n_a1, n_a2, n_b1, n_b2 = (jnp.log(jnp.maximum(n, _TINY)) for n in self._firm_counts(x))
        a = _log_trade(u, lt, self.sigma, n_a1, n_a2, u + jnp.log(self.La1), jnp.log(self.La2))
        b = _log_trade(u, lt, self.sigma, n_b1, n_b2, u + jnp.log(self.Lb1), jnp.log(self.Lb2))
        return a, b

    def residuals(self, x):
        (flows_a, rev_a), (flows_b, rev_b) = self._industries(x)
        log_exports = jnp.logaddexp(flows_a[0, 1], flows_b[0, 1])
        log_imports = jnp.logaddexp(flows_a[1, 0], flows_b[1, 0])
        return {
            "industry_choice1": box_complementarity(x["s1"], rev_a[0] - rev_b[0]),
            "industry_choice2": box_complementarity(x["s2"], rev_a[1] - rev_b[1]),
            # In logs of the flows it stays well scaled even when trade is nearly shut (δ → 0).
            "balance_of_payments": log_exports - log_imports,
        }

    def validity(self, x):
        # A box complementarity within the tolerance admits shares a hair outside [0, 1].
        inside = [(x[k] > -1e-8) & (x[k] < 1 + 1e-8) for k in ("s1", "s2")]
        return {"industry_shares_in_[0,1]": inside[0] & inside[1]}

    def explain_failure(self, eq):
        gap = float(np.asarray(_one_minus_delta(self)))
        if gap < 1e-6:
            return (
                f"Near free trade (1 − τ^(1−σ) = {gap:.1e}) the location of the industries is "
                "nearly indeterminate (at τ = 1 it is), so the profit gaps that pin it are of "
                "the order of rounding."
            )
        return (
            "The bisection start on ω did not lead Newton to a point where both countries' "
            "industry choices and the balance of payments hold."
        )

    def outcomes(self, x):
        n_a1, n_a2, n_b1, n_b2 = self._firm_counts(x)
        (flows_a, _), (flows_b, _) = self._industries(x)

        def regime(z):
            return jnp.where(z <= 1e-9, 0, jnp.where(z >= 1 - 1e-9, 2, 1))

        return {
            "omega": jnp.exp(x["log_omega"]),
            "n_a1": n_a1,
            "n_a2": n_a2,
            "n_b1": n_b1,
            "n_b2": n_b2,
            "share_a1": n_a1 / (n_a1 + n_a2),
            "n_ratio_a": n_a1 / n_a2,
            "net_exports_a1": jnp.exp(flows_a[0, 1]) - jnp.exp(flows_a[1, 0]),
            "net_exports_b1": jnp.exp(flows_b[0, 1]) - jnp.exp(flows_b[1, 0]),
            "regime_a1": regime(jnp.clip(x["s1"], 0.0, 1.0)),
            "regime_a2": regime(jnp.clip(x["s2"], 0.0, 1.0)),
            "delta": jnp.exp(_log_delta(self)),
        }


@final
class Krugman1980OutsideGood(AbstractModel):
    """Krugman (1980) Section III.C, second case: an IRS industry and a homogeneous good.

    A constant-returns good, traded at no cost and produced in both countries, equalises wages
    (w = w* = 1). Consumers spend `La1`, `La2` on the differentiated (IRS) industry and the rest
    of their income `L1`, `L2` on the homogeneous good. Firms enter until profits are zero
    (eqs 22–24 without the mirror constraint); zero profits make the firms together earn all
    IRS spending, so n1 + n2 = N̄ = (La1 + La2)/(ασ).

    **Parameters:** `La1`, `La2` (> 0): spending on IRS goods, at most the income `L1`, `L2`
    (the labour forces, > 0); `sigma` (> 1); `tau` (≥ 1); `fixed_cost`, `marginal_cost` (> 0).
    At τ = 1 the model reports the limit τ → 1⁺ (all firms in the larger IRS market, or half
    in each when La1 = La2) and its one-sided derivatives; at τ = 1 with La1 = La2 the
    derivatives in La1, La2 are infinite (NaN).

    **Unknown:** `s` ∈ [0, 1], country 1's share of the firms, with the box complementarity
    between s and the zero-profit gap R1 − R2 (corners: all firms in one country).

    **Outcomes:** `n1`, `n2` (closed form n = (La1 − δLa2)/(ασ(1−δ)) in the interior);
    `share1` = n1/(n1+n2); `net_exports1` of IRS goods (country 1's; the homogeneous good
    balances it); `delta` = τ^{1−σ}; `outside_good_made1`, `outside_good_made2`: whether
    ασ·n_i < L_i, i.e. country i makes some of the homogeneous good.

    **Validity:** both countries make the homogeneous good (ασ·n_i ≤ L_i); otherwise it cannot
    equalise wages and the point is not an equilibrium of this model.
    """

    La1: jax.Array = param(0.6)
    La2: jax.Array = param(0.4)
    L1: jax.Array = param(1.0)
    L2: jax.Array = param(1.0)
    sigma: jax.Array = param(4.0)
    tau: jax.Array = param(1.25)
    fixed_cost: jax.Array = param(1.0)
    marginal_cost: jax.Array = param(1.0)

    def requirements(self):
        sizes = tuple(positive(n, getattr(self, n)) for n in ("La1", "La2", "L1", "L2"))
        budgets = tuple(
            Requirement(f"La{i}", La, jnp.all(La <= L), f"La{i} <= L{i}")
            for i, La, L in ((1, self.La1, self.L1), (2, self.La2, self.L2))
        )
        return sizes + budgets + (at_least("tau", self.tau, 1.0),) + _cost_requirements(self)

    def _profit_gap(self, s):
        """(La1·G2 − La2·G1)/(La1 + La2), G_j = Σ_i s_i τ_ij^{1−σ} (s₁ = s, s₂ = 1 − s).

        It equals G1·G2·(R1 − R2)/((1 − δ)·ασ): the sign of the profit gap, but linear in s and
        smooth through τ = 1, where R1 − R2 itself vanishes for every s.
        """
        d = _one_minus_delta(self)
        La1, La2 = self.La1, self.La2
        return ((La1 - La2) + d * La2) / (La1 + La2) - d * s

    def guess(self):
        d = _one_minus_delta(self)
        La1, La2 = self.La1, self.La2
        interior = ((La1 - La2) / jnp.where(d > 0, d, 1.0) + La2) / (La1 + La2)
        free_trade = jnp.where(La1 > La2, 1.0, jnp.where(La1 < La2, 0.0, 0.5))
        return {"s": jnp.where(d > 0, jnp.clip(interior, 0.0, 1.0), free_trade) + 0 * self.sigma}

    def residuals(self, x):
        return {"zero_profit": box_complementarity(x["s"], self._profit_gap(x["s"]))}

    def _labour_used(self, x):
        """ασ·n_i: the labour country i's IRS firms employ."""
        s = jnp.clip(x["s"], 0.0, 1.0)
        total = self.La1 + self.La2
        return s * total, (1 - s) * total

    def validity(self, x):
        used1, used2 = self._labour_used(x)
        return {"outside_good_made1": used1 <= self.L1, "outside_good_made2": used2 <= self.L2}

    def explain_failure(self, eq):
        used = [float(np.asarray(v)) for v in self._labour_used(eq.x)]
        for i, (u, L) in enumerate(zip(used, (self.L1, self.L2)), start=1):
            if u > float(np.asarray(L)):
                return (
                    f"No equilibrium with equal wages: country {i}'s IRS firms would employ "
                    f"ασ·n{i} = {u:.4g} > L{i} = {float(np.asarray(L)):.4g}, so it would make none "
                    "of the homogeneous good, which then cannot equalise wages (the case assumes "
                    "both countries make it)."
                )
        return None

    def outcomes(self, x):
        s = jnp.clip(x["s"], 0.0, 1.0)
        N = (self.La1 + self.La2) / (self.fixed_cost * self.sigma)
        # δ floored so that a corner's 0/0 (δ below the smallest double) cannot arise.
        delta = jnp.maximum(jnp.exp(_log_delta(self)), _TINY)
        exports = self.La2 * delta * s / (delta * s + (1 - s))
        imports = self.La1 * delta * (1 - s) / (s + delta * (1 - s))
        used1, used2 = self._labour_used(x)
        return {
            "n1": s * N,
            "n2": (1 - s) * N,
            "share1": s,
            "net_exports1": exports - imports,
            "delta": jnp.exp(_log_delta(self)),
            "outside_good_made1": used1 < self.L1,
            "outside_good_made2": used2 < self.L2,
        }
