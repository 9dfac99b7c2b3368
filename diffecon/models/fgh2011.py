"""Fajgelbaum, Grossman and Helpman (2011), "Income Distribution, Product Quality, and
International Trade" (NBER WP 15329): nested-logit demand for quality, income distributions
and trade.

Each consumer buys one unit of one differentiated variety and spends the rest z = y − p on the
numeraire; utility z·q + ε with GEV tastes nested by quality (eqs. 1–5). Firms charge
p_q = c_q + θ_q/q (eq. 6) and free entry fixes sales per firm at x_q = f_q q/θ_q (eq. 9).
Everything is computed from the log-weights (spec §2)

    a_q^k(y) = θ_q ln ñ_q^k + q (y + r^k − c_q) − θ_q,     β_q^k(y) = softmax_q a^k(y),

so choice probabilities never overflow. ñ is the effective number of varieties (foreign ones
discounted by ρ_q = exp(−τ_q q/θ_q), and by exp(−t_q^k q/θ_q) under a tariff of t_q^k per
unit, `unit_tariff`), r the per-head tariff rebate. Index order: qualities ascending (L, H);
countries as given (R, P).

Scenarios (static field `scenario`):

- `"autarky"` (eq. 11): each country on its own; unknowns `log_n` (K, Q).
- `"trade"`: every country makes every quality (eqs. 15–16; §7 of the paper for K > 2, same
  ρ_q on every route). Unknowns `log_n_eff` (K, Q); firm numbers from (16) can be negative,
  which means the regime is not an equilibrium: `regime_valid` says so (the paper's Figure 1
  path crosses such a boundary; the spec, §14).
- `"general"`: any K, Q; "no firms of quality q in country k" is a complementarity corner
  n_q^k ≥ 0, S_q^k ≤ x_q, n_q^k (x_q − S_q^k) = 0 (Fischer–Burmeister), with specific and
  ad-valorem tariffs and rebates. `guess()` finds the true production pattern by solving
  every pattern (`production_patterns`); the solve then polishes the NCP, so derivatives are
  the one-sided ones of the regime found.
- `"pattern"`: the production pattern is imposed by the 0/1 mask `active` (K, Q) (e.g. §9's
  "R makes only H, P only L" at ρ = 1 with a tariff).
- `"integrated"` (§5, eq. 18): one world, ρ = 1; location indeterminate, so `n_L`, `n_H`
  are world numbers and `demand` is D_q^k (eq. 18).

**Parameters:** `q` (Q, increasing), `theta` (Q, in (0, 1], non-decreasing: Assumption 1
weakly), `f` (Q, > 0), `c` (Q, ≥ 0), `tau` (Q, ≥ 0 per-unit transport labour; ∞ means no
trade), `N` (K, > 0), `tariff` (K, ≥ 0: specific tariff of country k on its imports, per
unit), `ad_valorem` (K, ≥ 0, default 0: country k's ad-valorem rate on the c.i.f. price
p_q + τ_q of its imports; see `unit_tariff`). Tariffs exist only in scenarios 'general' and
'pattern' (`TARIFF_SCENARIOS`): elsewhere both must be 0, the equations do not contain them
(derivatives with respect to them are exactly 0) and `welfare_change` refuses them;
`income_shift` (K: FOSD shift δ), `income_spread` (K, > 0: mean-preserving spread λ),
`y_grid` (G: incomes at which shares and welfare are reported), `income` (tuple of K
`IncomeDistribution`s), `scenario`, `active`.
Defaults: Figure 1 (q = (0.9, 1.05), θ = (0.5, 0.7), f = (1.5, 5), c = (0.05, 0.3),
ρ = (0.5, 0.4), N = (1000, 1000), y − 1 exponential with means 6 (R) and 2 (P)).

**Outcomes:** `n` (K, Q) firm numbers n_q^k, `n_L`, `n_H` (K,) (lowest and highest quality);
`n_eff`, `n_eff_L`, `n_eff_H` (ñ); `s`, `s_L`, `s_H` (share of consumers buying each
quality, s_q^k = E[β_q^k]); `demand` (K, Q) d_q^k = N s/ñ (eq. 14); `sales` (K, Q) units per
firm S_q^k; `x` (Q) break-even output (eq. 9); `price` (Q) (eq. 6); `beta` (K, G, Q) market
shares by income on `y_grid`; `quality_avg` (K, G) q_a(y) (eq. 5); `log_v` (K, G) welfare
ln v^k(y) (eq. 12; U = ln v + Euler γ, so d log_v is the paper's v̂); `flows` (K, K, Q) units
shipped k → l; `net_exports` (K, Q) units (footnote 23) and `net_exports_value` (f.o.b.);
`rebate` (K,); `unit_tariff` (K, Q) t_q^k per unit of imports; `producing` (K, Q) 1/0;
`min_n`; `regime_valid` (1 if the regime's sign and no-entry conditions hold); `affordable`
(K, 1 if the poorest can pay for every variety on sale, imports and tariffs included: a
warning only, as in the paper); `numeraire_produced` (K, 1 if wage = 1 is valid).
`model.quadrature_error(eq.x)` reports the quadrature accuracy.
"""

from __future__ import annotations

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jax.nn import logsumexp

from ..core.model import Model, Requirement, at_least, param, positive
from ..core.statics import jacobian
from ..core.transforms import fischer_burmeister
from .income import ShiftedExponential, replace_static, shift_and_spread

__all__ = ["FGH2011", "production_patterns", "regime_sweep", "tau_from_rho", "welfare_change", "SCENARIOS",
           "TARIFF_SCENARIOS", "TARIFF_PARAMETERS"]

SCENARIOS = ("autarky", "trade", "general", "pattern", "integrated")
# Tariffs need per-route discounts and a rebate unknown: only these scenarios have them. The
# others (eq. 11; eq. 15's one ρ_q on every route; eq. 18's ρ = 1) have no room for a tariff.
TARIFF_SCENARIOS = ("general", "pattern")
TARIFF_PARAMETERS = ("tariff", "ad_valorem")


def tau_from_rho(rho, q, theta):
    """τ_q = −θ_q ln ρ_q / q (ρ = 0 gives τ = ∞, no trade)."""
    rho = np.asarray(rho, float)
    with np.errstate(divide="ignore"):
        return -np.asarray(theta, float) * np.log(rho) / np.asarray(q, float)


_Q, _THETA = (0.9, 1.05), (0.5, 0.7)


def _default_income():
    return (ShiftedExponential(1.0, 6.0), ShiftedExponential(1.0, 2.0))


class FGH2011(Model):
    __doc__ = __doc__  # the module docstring lists the scenarios, parameters and outcomes

    q: jnp.ndarray = param(_Q)
    theta: jnp.ndarray = param(_THETA)
    f: jnp.ndarray = param((1.5, 5.0))
    c: jnp.ndarray = param((0.05, 0.3))
    tau: jnp.ndarray = param(tuple(tau_from_rho((0.5, 0.4), _Q, _THETA)))
    N: jnp.ndarray = param((1000.0, 1000.0))
    tariff: jnp.ndarray = param((0.0, 0.0))
    # default None = zeros, one per country (filled in by __post_init__, so models with K != 2
    # need not spell it out)
    ad_valorem: jnp.ndarray = eqx.field(default=None, converter=lambda a: jnp.asarray(a, jnp.float64))
    income_shift: jnp.ndarray = param((0.0, 0.0))
    income_spread: jnp.ndarray = param((1.0, 1.0))
    y_grid: jnp.ndarray = param((1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0))
    income: tuple = eqx.field(default_factory=_default_income)
    scenario: str = eqx.field(static=True, default="autarky")
    active: jnp.ndarray | None = eqx.field(default=None, converter=lambda a: None if a is None else jnp.asarray(a, jnp.float64))

    @classmethod
    def from_rho(cls, rho, **kwargs):
        """Build the model from import discounts ρ_q instead of transport costs τ_q."""
        q = kwargs.get("q", _Q)
        theta = kwargs.get("theta", _THETA)
        return cls(tau=tau_from_rho(rho, q, theta), **kwargs)

    # ---------------------------------------------------------------- validation
    def __post_init__(self) -> None:
        if self.ad_valorem is None:
            self.ad_valorem = np.zeros(np.shape(self.N))

    def __check_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"FGH2011: scenario={self.scenario!r} is not one of {SCENARIOS}.")
        n_q = {name: np.shape(getattr(self, name)) for name in ("q", "theta", "f", "c", "tau")}
        n_k = {name: np.shape(getattr(self, name))
               for name in ("N", "tariff", "ad_valorem", "income_shift", "income_spread")}
        n_k["income"] = (len(self.income),)
        if len(set(n_q.values())) != 1 or len(n_q["q"]) != 1:
            raise ValueError(f"FGH2011: q, theta, f, c, tau must be vectors of one length (one entry per quality); got shapes {n_q}.")
        if len(set(n_k.values())) != 1 or len(n_k["N"]) != 1:
            raise ValueError("FGH2011: N, tariff, ad_valorem, income_shift, income_spread, income need one entry "
                             f"per country; got shapes {n_k}.")
        if self.scenario == "pattern":
            if self.active is None or np.shape(self.active) != (n_k["N"][0], n_q["q"][0]):
                raise ValueError("FGH2011: scenario 'pattern' needs `active`, a (K, Q) 0/1 mask.")
        super().__check_init__()

    def requirements(self):
        theta, q = self.theta, self.q
        price = self.c + theta / q
        y_low = self._quadrature()[2]
        reqs = [
            positive("q", q),
            Requirement("q", q, jnp.all(jnp.diff(q) > 0), "q strictly increasing (qualities L < H)"),
            Requirement("theta", theta, jnp.all((theta > 0) & (theta <= 1)), "theta in (0, 1]"),
            Requirement("theta", theta, jnp.all(jnp.diff(theta) >= 0),
                        "theta non-decreasing in q (Assumption 1)"),
            positive("f", self.f),
            at_least("c", self.c, 0.0),
            at_least("tau", self.tau, 0.0),
            positive("N", self.N),
            at_least("tariff", self.tariff, 0.0),
            at_least("ad_valorem", self.ad_valorem, 0.0),
            positive("income_spread", self.income_spread),
            Requirement("income", y_low, jnp.all(y_low[:, None] >= price[None, :]),
                        "lowest income >= every local price c + theta/q (the good must be affordable)"),
        ]
        if self.scenario in ("trade", "general"):
            reqs.append(Requirement("tau", self.tau, jnp.all(self.tau > 0),
                                    f"tau > 0 (scenario {self.scenario!r}; rho = 1 leaves location indeterminate)"))
        if self.scenario not in TARIFF_SCENARIOS:
            for name in TARIFF_PARAMETERS:
                value = getattr(self, name)
                reqs.append(Requirement(name, value, jnp.all(value == 0),
                                        f"{name} = 0 (tariffs need scenario 'general' or 'pattern')"))
        for k, dist in enumerate(self.income):
            reqs.extend(r._replace(name=f"income[{k}].{r.name}") for r in dist.requirements())
        return tuple(reqs)

    # ---------------------------------------------------------------- primitives
    @property
    def n_countries(self) -> int:
        return len(self.income)

    @property
    def n_qualities(self) -> int:
        return int(np.shape(self.q)[0])

    def output(self):
        """Break-even output per firm x_q = f_q q / θ_q (eq. 9)."""
        return self.f * self.q / self.theta

    def price(self):
        """Local price p_q = c_q + θ_q/q (eq. 6)."""
        return self.c + self.theta / self.q

    def _quadrature(self, refined: bool = False):
        """All countries' quadratures with the model-level shift and spread, padded to one
        length with zero-weight nodes so the shares are computed in one vectorised pass.

        **Returns:** `y` (K, M), `log_w` (K, M) (−∞ on padding), `y_low` (K,) support minima.
        """
        rules, lows = [], []
        for k, dist in enumerate(self.income):
            dist = dist.refined() if refined else dist
            y, log_w = dist.quadrature()
            mean = dist.mean()
            move = lambda v: shift_and_spread(v, mean, self.income_shift[k], self.income_spread[k])  # noqa: E731,B023
            rules.append((move(y), log_w))
            lows.append(move(dist.support_min()))
        width = max(r[0].shape[0] for r in rules)
        y = jnp.stack([jnp.pad(r[0], (0, width - r[0].shape[0]), mode="edge") for r in rules])
        log_w = jnp.stack([jnp.pad(r[1], (0, width - r[1].shape[0]), constant_values=-jnp.inf) for r in rules])
        return y, log_w, jnp.stack(lows)

    def _finite_tau(self):
        """τ_q with ∞ (no trade) replaced by 0, for costs of goods that are actually shipped."""
        return jnp.where(jnp.isinf(self.tau), 0.0, self.tau)

    def unit_tariff(self):
        """t_q^k (K, Q): the tariff country k levies per unit of imported quality q,

            t_q^k = t^k + a^k (p_q + τ_q),

        the specific tariff `tariff` plus the ad-valorem rate `ad_valorem` a^k times the c.i.f.
        price p_q + τ_q (eq. 6's ex-factory price plus transport; customs value is c.i.f.).

        Why this base, and why it is a per-unit tariff: prices are a fixed markup θ_q/q over
        delivered cost (eq. 6; section 6: "tariffs have no effect on ex-factory prices"), so the
        c.i.f. price does not depend on the equilibrium and an ad-valorem rate is exactly the
        quality-specific specific tariff a^k (p_q + τ_q), passed through fully like t (§9). This
        holds the exporter's c.i.f. price at p_q + τ_q; a firm re-optimising against the
        ad-valorem tax (d ln demand/d own c.i.f. price = −q(1 + a)/θ_q) would cut its export
        markup to θ_q/(q(1 + a)), a terms-of-trade effect the model, like the paper, leaves out.

        Zero outside `TARIFF_SCENARIOS`, so no equation there depends on a tariff.

        **Returns:** (K, Q) array, rows the importing country.
        """
        if self.scenario not in TARIFF_SCENARIOS:
            return jnp.zeros((self.n_countries, self.n_qualities))
        cif = self.price() + self._finite_tau()
        return self.tariff[:, None] + self.ad_valorem[:, None] * cif[None, :]

    def log_phi(self):
        """ln φ_q^{kl} (K, K, Q): the log demand discount in k (rows) on varieties made in l.

        1 at home; ρ_q·exp(−t_q^k q/θ_q) abroad (t_q^k = `unit_tariff`). τ = ∞ gives exactly
        −∞ (no trade) with finite gradients elsewhere.
        """
        K = self.n_countries
        inf = jnp.isinf(self.tau)
        cost = (self._finite_tau()[None, :] + self.unit_tariff()) * self.q / self.theta  # (K_dest, Q)
        log_foreign = jnp.where(inf[None, :], -jnp.inf, -cost)
        home = jnp.eye(K, dtype=bool)[:, :, None]
        return jnp.where(home, 0.0, log_foreign[:, None, :])

    # ---------------------------------------------------------------- demand
    def log_weights(self, log_n_eff_k, rebate_k, y):
        """a_q(y) (G, Q): the nested-logit log-weights of §2 for one country."""
        return self.theta * log_n_eff_k + self.q * (y[:, None] + rebate_k - self.c) - self.theta

    def _log_shares(self, log_n_eff, rebate, refined=False):
        """ln s_q^k = ln E^k[β_q^k] (K, Q), by quadrature in log space."""
        y, log_w, _ = self._quadrature(refined)
        a = jax.vmap(self.log_weights)(log_n_eff, rebate, y)  # (K, M, Q)
        log_beta = a - logsumexp(a, axis=-1, keepdims=True)
        return logsumexp(log_beta + log_w[..., None], axis=1)

    def quadrature_error(self, x):
        """Max change of the shares s_q^k at the solution `x` when the quadrature nodes double."""
        _, log_n_eff, rebate = self._state(x)
        return jnp.max(jnp.abs(jnp.exp(self._log_shares(log_n_eff, rebate, True))
                               - jnp.exp(self._log_shares(log_n_eff, rebate))))

    def _trade_terms(self, n, rebate):
        """From firm numbers n (K, Q) ≥ 0: ln ñ, ln s, ln d (= ln D) and ln S (units per firm)."""
        log_phi = self.log_phi()
        n_eff = jnp.einsum("klq,lq->kq", jnp.exp(log_phi), n)
        log_n_eff = jnp.log(n_eff)
        log_s = self._log_shares(log_n_eff, rebate)
        log_d = jnp.log(self.N)[:, None] + log_s - log_n_eff
        # a firm in l sells Σ_k φ^{kl} D^k
        log_sales = logsumexp(log_phi + log_d[:, None, :], axis=0)
        return log_n_eff, log_s, log_d, log_sales

    def _revenue_per_head(self, n, log_n_eff, log_s):
        """Tariff revenue per head Σ_q t_q^k s_q (1 − n_q^k/ñ_q^k): s_q (1 − n_q^k/ñ_q^k) is the
        share of consumers buying an imported variety of q (§9: r = t s_L^R when only L is
        imported)."""
        imports = jnp.exp(log_s) * (1.0 - n * jnp.exp(-log_n_eff))
        return jnp.sum(self.unit_tariff() * imports, axis=-1)

    # ---------------------------------------------------------------- unknowns
    def _n_scale(self):
        """n_q^k = m_q^k · mean(N)/x_q: m is a unit-free share of a typical population."""
        return jnp.mean(self.N) / self.output()

    def _firms(self, x):
        if self.scenario == "general":
            m = x["m"]
            return jnp.where(m > 0, m, 0.0) * self._n_scale()
        active = self.active > 0.5
        return jnp.where(active, jnp.exp(jnp.where(active, x["log_m"], 0.0)) * self._n_scale(), 0.0)

    def _initial_m(self, active):
        """A start for the pattern solve: each quality's demand at equal shares, split among
        the countries that make it in proportion to population."""
        K, Q = self.n_countries, self.n_qualities
        share = self.N / jnp.mean(self.N)
        producers = jnp.maximum(jnp.sum(active, axis=0), 1.0)
        return jnp.broadcast_to(share[:, None] * K / (Q * producers), (K, Q))

    def guess(self):
        K, Q = self.n_countries, self.n_qualities
        base = jnp.log(self.N)[:, None] - jnp.log(Q * self.output())[None, :]
        if self.scenario == "autarky":
            return {"log_n": base}
        if self.scenario == "trade":
            return {"log_n_eff": base + jnp.log1p((K - 1) * jnp.exp(self.log_phi()[0, -1]))[None, :]}
        if self.scenario == "integrated":
            return {"log_n": jnp.log(jnp.sum(self.N)) - jnp.log(Q * self.output())}
        if self.scenario == "pattern":
            return {"log_m": jnp.log(self._initial_m(self.active)), "rebate": jnp.zeros(K)}
        found = production_patterns(jax.lax.stop_gradient(self))
        pick = jnp.argmax(found["valid"])
        return {"m": found["m"][pick], "rebate": found["rebate"][pick]}

    # ---------------------------------------------------------------- equations
    def residuals(self, x):
        log_x = jnp.log(self.output())
        if self.scenario == "autarky":
            log_s = self._log_shares(x["log_n"], jnp.zeros(self.n_countries))
            # eq. (11): n_q x_q = N E[β_q]
            return {"market_clearing": x["log_n"] + log_x - jnp.log(self.N)[:, None] - log_s}
        if self.scenario == "trade":
            K = self.n_countries
            log_s = self._log_shares(x["log_n_eff"], jnp.zeros(K))
            reach = jnp.log1p((K - 1) * jnp.exp(self.log_phi()[0, -1]))
            # eq. (15): ñ x/(1 + (K−1)ρ) = N E[β(ñ)]
            return {"break_even": x["log_n_eff"] + log_x - reach - jnp.log(self.N)[:, None] - log_s}
        if self.scenario == "integrated":
            K = self.n_countries
            log_n_eff = jnp.broadcast_to(x["log_n"], (K, self.n_qualities))
            log_s = self._log_shares(log_n_eff, jnp.zeros(K))
            world = logsumexp(jnp.log(self.N)[:, None] + log_s, axis=0)
            return {"market_clearing": x["log_n"] + log_x - world}
        n = self._firms(x)
        log_n_eff, log_s, _, log_sales = self._trade_terms(n, x["rebate"])
        rebate_gap = x["rebate"] - self._revenue_per_head(n, log_n_eff, log_s)
        excess = log_x - log_sales  # > 0: an entrant would lose money
        if self.scenario == "general":
            return {"break_even": fischer_burmeister(x["m"], excess), "rebate": rebate_gap}
        active = self.active > 0.5
        return {"break_even": jnp.where(active, -excess, x["log_m"]), "rebate": rebate_gap}

    # ---------------------------------------------------------------- outcomes
    def _state(self, x):
        """(n, ln ñ, rebate) in every scenario."""
        K, Q = self.n_countries, self.n_qualities
        if self.scenario == "autarky":
            return jnp.exp(x["log_n"]), x["log_n"], jnp.zeros(K)
        if self.scenario == "trade":
            n_eff = jnp.exp(x["log_n_eff"])
            rho = jnp.exp(self.log_phi()[0, -1])
            total = jnp.sum(n_eff, axis=0) / (1 + (K - 1) * rho)
            return (n_eff - rho * total) / (1 - rho), x["log_n_eff"], jnp.zeros(K)
        if self.scenario == "integrated":
            log_n = jnp.broadcast_to(x["log_n"], (K, Q))
            return jnp.exp(log_n), log_n, jnp.zeros(K)
        n = self._firms(x)
        log_phi = self.log_phi()
        return n, jnp.log(jnp.einsum("klq,lq->kq", jnp.exp(log_phi), n)), x["rebate"]

    def outcomes(self, x):
        K = self.n_countries
        n, log_n_eff, rebate = self._state(x)
        log_phi = jnp.zeros((K, K, self.n_qualities)) if self.scenario == "integrated" else self.log_phi()
        if self.scenario == "autarky":
            log_phi = jnp.where(jnp.eye(K, dtype=bool)[:, :, None], 0.0, -jnp.inf) + 0.0 * log_phi
        log_s = self._log_shares(log_n_eff, rebate)
        s = jnp.exp(log_s)
        demand = self.N[:, None] * s * jnp.exp(-log_n_eff)
        phi = jnp.exp(log_phi)
        sales = jnp.einsum("klq,kq->lq", phi, demand)
        flows = n[:, None, :] * jnp.swapaxes(phi, 0, 1) * demand[None, :, :]  # k -> l
        foreign = 1.0 - jnp.eye(K)[:, :, None]
        exports = jnp.sum(flows * foreign, axis=1)
        imports = jnp.sum(flows * foreign, axis=0)
        if self.scenario == "integrated":
            n_out = jnp.exp(x["log_n"])
            exports = imports = jnp.zeros_like(n)
            flows = jnp.zeros_like(flows)
        price, out = self.price(), self.output()

        y = self.y_grid
        a = jax.vmap(lambda le, r: self.log_weights(le, r, y))(log_n_eff, rebate)  # (K, G, Q)
        log_v = logsumexp(a, axis=-1)
        beta = jnp.exp(a - log_v[..., None])

        tol = 1e-9 * jnp.max(n)
        if self.scenario == "trade":
            valid = jnp.all(n > 0)
        elif self.scenario in ("general", "pattern"):
            valid = jnp.all((n > tol) | (sales <= out * (1 + 1e-8)))
        else:
            valid = jnp.asarray(True)
        y_low = self._quadrature()[2]
        unit_tariff = self.unit_tariff()
        delivered = price[None, None, :] + self._finite_tau()[None, None, :] + unit_tariff[:, None, :]
        sold_abroad = (jnp.exp(log_phi) > 0) & (foreign > 0)
        top_price = jnp.max(jnp.where(sold_abroad, delivered, price[None, None, :]), axis=(1, 2)) - rebate
        mean_income = jnp.stack([self.income[k].mean() + self.income_shift[k] for k in range(K)])
        labour = jnp.sum(n * (self.f + self.c * sales) + self._finite_tau() * exports, axis=-1)

        result = {
            "n": n,
            "n_L": n[:, 0],
            "n_H": n[:, -1],
            "n_eff": jnp.exp(log_n_eff),
            "n_eff_L": jnp.exp(log_n_eff[:, 0]),
            "n_eff_H": jnp.exp(log_n_eff[:, -1]),
            "s": s,
            "s_L": s[:, 0],
            "s_H": s[:, -1],
            "demand": demand,
            "sales": sales,
            "x": out,
            "price": price,
            "beta": beta,
            "beta_H": beta[..., -1],
            "quality_avg": jnp.sum(beta * self.q, axis=-1),
            "log_v": log_v,
            "flows": flows,
            "net_exports": exports - imports,
            "net_exports_value": (exports - imports) * price,
            "rebate": rebate,
            "unit_tariff": unit_tariff,
            "producing": (n > tol).astype(jnp.float64),
            "min_n": jnp.min(n),
            "regime_valid": valid.astype(jnp.float64),
            "affordable": (y_low >= top_price).astype(jnp.float64),
            "numeraire_produced": (self.N * mean_income > labour).astype(jnp.float64),
        }
        if self.scenario == "integrated":
            result.update(n=n_out, n_L=n_out[0], n_H=n_out[-1], producing=jnp.ones_like(n_out),
                          min_n=jnp.min(n_out), net_exports=exports, net_exports_value=exports)
        return result


@eqx.filter_jit
def production_patterns(model: FGH2011) -> dict:
    """Solve every production pattern (for each quality a non-empty set of producing countries).

    The reference algorithm of the spec (§8): on the active cells ln S_q^k = ln x_q, the
    inactive cells must satisfy no-entry S_q^k ≤ x_q. Exactly one pattern should survive.

    **Arguments:** `model`: an `FGH2011` (its scenario is ignored).

    **Returns:** dict with `patterns` (P, K, Q) 0/1 masks, `converged` (P,), `valid` (P,),
    `m` (P, K, Q) in the general scenario's coordinates, `n` (P, K, Q), `rebate` (P, K),
    `n_valid` (the number of equilibria found).
    """
    K, Q = model.n_countries, model.n_qualities
    subsets = [s for s in itertools.product((0.0, 1.0), repeat=K) if any(s)]
    patterns = np.array([np.array(p).T for p in itertools.product(subsets, repeat=Q)])  # (P, K, Q)

    def one(mask):
        pm = eqx.tree_at(lambda m: (m.active,), model, (mask,), is_leaf=lambda v: v is None)
        pm = replace_static(pm, scenario="pattern")
        x0 = pm.guess()
        sol = optx.root_find(lambda x, _: pm.residuals(x), optx.Newton(rtol=1e-12, atol=1e-12), x0,
                             max_steps=80, throw=False)
        res = pm.residuals(sol.value)
        norm = jnp.maximum(jnp.max(jnp.abs(res["break_even"])), jnp.max(jnp.abs(res["rebate"])))
        converged = jnp.isfinite(norm) & (norm < 1e-9)
        n = pm._firms(sol.value)
        _, _, _, log_sales = pm._trade_terms(n, sol.value["rebate"])
        no_entry = jnp.all((mask > 0.5) | (log_sales <= jnp.log(pm.output()) + 1e-9))
        m = jnp.where(mask > 0.5, jnp.exp(sol.value["log_m"]), 0.0)
        return converged, converged & no_entry, m, n, sol.value["rebate"]

    converged, valid, m, n, rebate = jax.vmap(one)(jnp.asarray(patterns))
    return {"patterns": jnp.asarray(patterns), "converged": converged, "valid": valid, "m": m, "n": n,
            "rebate": rebate, "n_valid": jnp.sum(valid)}


@eqx.filter_jit
def _regime_sweep(model, over, select):
    from ..core._tree import replace_fields
    from ..core.solve import solve_impl

    def one(values):
        point = replace_fields(model, values)
        eq = solve_impl(point, point.guess(), None, 100, 1e-10, 1e-10, 1e-8)
        return {**select(eq), "converged": eq.converged}

    return jax.vmap(one)(over)


def regime_sweep(model: FGH2011, over: dict, of=None) -> dict:
    """Solve a scenario-'general' model at many parameter points, each from its own production
    pattern (`guess()` per point; `diffecon.sweep` starts every point from the base guess).

    **Arguments:** `model`; `over`: parameter name -> values with a common leading batch axis;
    `of`: outcome name(s) (default all).

    **Returns:** dict of outcome arrays (batch + outcome shape) and `converged`.
    """
    from ..core.statics import outcome_selector

    over = {k: jnp.asarray(v, jnp.float64) for k, v in over.items()}
    if of is None:
        of = list(jax.eval_shape(lambda: model.outcomes(model.guess())))
    return _regime_sweep(model, over, outcome_selector(of))


def welfare_change(model: FGH2011, wrt: str):
    """d ln v^k(y) / d(wrt) at every country k and income on `y_grid`: the paper's v̂(y)
    (eqs. 13, 17, 20) as one exact derivative.

    **Arguments:** `model`; `wrt`: a parameter name. `tariff` and `ad_valorem` need scenario
    'general' or 'pattern' (`TARIFF_SCENARIOS`): elsewhere the equations have no tariff, the
    derivative would be an uninformative 0, and a `ValueError` says so.

    **Returns:** array of shape (K, G) + shape of the parameter.
    """
    if wrt in TARIFF_PARAMETERS and model.scenario not in TARIFF_SCENARIOS:
        raise ValueError(
            f"welfare_change: {wrt!r} is not modelled in scenario {model.scenario!r}; tariffs need "
            f"scenario 'general' or 'pattern' (a welfare change with respect to {wrt!r} is 0 here by "
            "construction, not an effect of the tariff).")
    return jacobian(model, "log_v", wrt)["log_v"][wrt]
