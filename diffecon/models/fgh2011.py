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
- `"trade"` (section 4, same ρ_q on every route, no tariffs): the equilibrium with its
  actual production pattern. Firm numbers solve the complementarity problem n_q^k ≥ 0,
  S_q^k ≤ x_q, n_q^k (x_q − S_q^k) = 0 (spec §8, Fischer–Burmeister), started from the
  pattern "every country makes every quality" (eqs. 15–16); where (16) gives a negative
  firm count that pattern is not an equilibrium and the corners are found instead (the
  paper's Figure 1 path crosses such a boundary at ρ_H = 0.39, spec §13 claim 17). The
  formulas of the all-diversified pattern are solved alongside and reported as `n_eq16`,
  `n_eff_eq15`, `log_v_eq15` (what the paper plots; n negative where the pattern fails).
- `"general"`: the same complementarity problem for any K, Q with specific and ad-valorem
  tariffs and their rebates; derivatives are the one-sided ones of the regime found.
- `"pattern"`: the production pattern is imposed by the 0/1 mask `active` (K, Q) (e.g. §9's
  "R makes only H, P only L" at ρ = 1 with a tariff). The imposed pattern need not be an
  equilibrium (§9's own caveat: at ρ = 1 any tariff makes entry profitable): `entry_profitable`
  says where an inactive cell would break even.
- `"integrated"` (§5, eq. 18): one world, ρ = 1; location indeterminate, so `n_L`, `n_H`
  are world numbers and `demand` is D_q^k (eq. 18).

**Parameters:** `q` (Q, > 0, increasing), `theta` (Q, in (0, 1], non-decreasing: Assumption 1
weakly), `f` (Q, > 0), `c` (Q, ≥ 0), `tau` (Q, ≥ 0, finite: per-unit transport labour; no
trade in q once τ_q q/θ_q > 745, where ρ_q is 0 in float64, see `tau_from_rho`; in
'trade' and 'general' τ_q q/θ_q ≥ 1e-6: nearer free trade the location of production is not
determined to float64 precision, and at ρ = 1 it is indeterminate), `N` (K, > 0), `tariff`
(K, ≥ 0: specific tariff of country k on its imports, per unit), `ad_valorem` (K, ≥ 0,
default 0: country k's ad-valorem rate on the c.i.f. price p_q + τ_q of its imports; see
`unit_tariff`). Tariffs exist only in scenarios 'general' and 'pattern'
(`TARIFF_SCENARIOS`): elsewhere both must be 0 and no equation contains them;
`income_shift` (K: FOSD shift δ), `income_spread` (K, > 0: mean-preserving spread λ),
`y_grid` (G, ≥ 0: incomes at which shares and welfare are reported), `income` (tuple of K
`IncomeDistribution`s), `scenario`, `active`. Every country's lowest income, after shift and
spread, must be at least every local price c_q + θ_q/q.
Defaults: Figure 1 (q = (0.9, 1.05), θ = (0.5, 0.7), f = (1.5, 5), c = (0.05, 0.3),
ρ = (0.5, 0.4), N = (1000, 1000), y − 1 exponential with means 6 (R) and 2 (P)).

**Outcomes:** `n` (K, Q) firm numbers n_q^k, `n_L`, `n_H` (K,) (lowest and highest quality);
`n_eff`, `n_eff_L`, `n_eff_H` (ñ); `s`, `s_L`, `s_H` (share of consumers buying each
quality, s_q^k = E[β_q^k]); `demand` (K, Q) d_q^k = N s/ñ (eq. 14); `sales` (K, Q) units per
firm S_q^k; `x` (Q) break-even output (eq. 9); `price` (Q) (eq. 6); `beta` (K, G, Q) market
shares by income on `y_grid`; `quality_avg` (K, G) q_a(y) (eq. 5); `log_v` (K, G) welfare
ln v^k(y) (eq. 12; U = ln v + Euler γ, so d log_v is the paper's v̂); `flows` (K, K, Q) units
shipped k → l; `net_exports` (K, Q) units (footnote 23) and `net_exports_value` (f.o.b.);
`rebate` (K,); `unit_tariff` (K, Q) t_q^k per unit of imports; `min_n`; flags (bool):
`producing` (K, Q), `affordable` (K: the poorest can pay for every variety on sale, imports
and tariffs included; a warning only, as in the paper), `numeraire_produced` (K: wage = 1 is
valid), `entry_profitable` (K, Q: an inactive cell would sell more than x_q).
`model.quadrature_error(eq.x)` reports the quadrature accuracy.

**Validity** (a solution failing one is not converged): `numeraire_produced` in every
scenario; `firms_nonnegative` and `no_entry` (the complementarity conditions, to the solver's
tolerance) in 'trade' and 'general'.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.nn import logsumexp

from ..core import AbstractModel, Requirement, at_least, fischer_burmeister, param, positive
from .income import ShiftedExponential, shift_and_spread

__all__ = ["FGH2011", "tau_from_rho", "SCENARIOS", "TARIFF_SCENARIOS", "TARIFF_PARAMETERS"]

SCENARIOS = ("autarky", "trade", "general", "pattern", "integrated")
# Tariffs need per-route discounts and a rebate unknown: only these scenarios have them. The
# others (eq. 11; eq. 15's one ρ_q on every route; eq. 18's ρ = 1) have no room for a tariff.
TARIFF_SCENARIOS = ("general", "pattern")
TARIFF_PARAMETERS = ("tariff", "ad_valorem")
# exp(−800) is exactly 0 in float64: the τ that `tau_from_rho` gives for ρ = 0
_NO_TRADE_EXPONENT = 800.0
_MIN_TRADE_EXPONENT = 1e-6
# Corners of the complementarity problem sit at n = e^_FLOOR × (N/x), not at n = 0: every
# log stays finite on the way, and at the solution these phantom firms change ñ by a relative
# 1e-61, far below float64's resolution of any other firm count.
_FLOOR = -140.0
# The start: fixed-point sweeps (each a contraction by θ_max at worst, spec §4), then Newton
# steps with the analytic Jacobian (each costs about two sweeps). Measured (2 sweeps + 4
# Newton steps) against the former 40 sweeps: residuals ≤ 3e-15 instead of 6e-9 on the
# benchmark's draws, far fewer starts above 1e-8 on the full domain, at a fifth of the cost.
_GUESS_SWEEPS = 2
_GUESS_NEWTON_STEPS = 4
# Where Newton's residual before its last step is above this (one step from there lands at
# about its square), the start is the former one: `_GUESS_ITERATIONS` sweeps from the
# beginning (under `vmap` a `while_loop` runs them only when some point of the chunk needs them).
_GUESS_TOL = 1e-6
_GUESS_ITERATIONS = 40


def tau_from_rho(rho, q, theta):
    """τ_q = −θ_q ln ρ_q / q, the per-unit transport cost of an import discount ρ_q.

    ρ = 0 (no trade) gives the finite τ = 800 θ/q, at which exp(−τ q/θ) is exactly 0 in
    float64 (parameters must be finite).
    """
    rho, q, theta = (np.asarray(v, float) for v in (rho, q, theta))
    with np.errstate(divide="ignore"):
        return theta * np.minimum(-np.log(rho), _NO_TRADE_EXPONENT) / q


_Q, _THETA = (0.9, 1.05), (0.5, 0.7)


def _default_income():
    return (ShiftedExponential(1.0, 6.0), ShiftedExponential(1.0, 2.0))


class FGH2011(AbstractModel):
    __doc__ = __doc__  # the module docstring lists the scenarios, parameters and outcomes

    q: jnp.ndarray = param(_Q, ndim=1)
    theta: jnp.ndarray = param(_THETA, ndim=1)
    f: jnp.ndarray = param((1.5, 5.0), ndim=1)
    c: jnp.ndarray = param((0.05, 0.3), ndim=1)
    tau: jnp.ndarray = param(tuple(tau_from_rho((0.5, 0.4), _Q, _THETA)), ndim=1)
    N: jnp.ndarray = param((1000.0, 1000.0), ndim=1)
    tariff: jnp.ndarray = param((0.0, 0.0), ndim=1)
    # None = zeros, one per country (filled in by __post_init__, so models with K != 2 need
    # not spell it out)
    ad_valorem: jnp.ndarray = param(ndim=1, default_factory=lambda: None)
    income_shift: jnp.ndarray = param((0.0, 0.0), ndim=1)
    income_spread: jnp.ndarray = param((1.0, 1.0), ndim=1)
    y_grid: jnp.ndarray = param((1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0), ndim=1)
    income: tuple = eqx.field(default_factory=_default_income)
    scenario: str = eqx.field(static=True, default="autarky")
    active: jnp.ndarray | None = eqx.field(
        default=None, converter=lambda a: None if a is None else jnp.asarray(a, jnp.float64))

    @classmethod
    def from_rho(cls, rho, **kwargs):
        """Build the model from import discounts ρ_q instead of transport costs τ_q."""
        q = kwargs.get("q", _Q)
        theta = kwargs.get("theta", _THETA)
        return cls(tau=tau_from_rho(rho, q, theta), **kwargs)

    def with_scenario(self, scenario: str, active=None) -> FGH2011:
        """The same parameters in another scenario (e.g. a pattern to impose)."""
        return dataclasses.replace(self, scenario=scenario, active=active)

    # ---------------------------------------------------------------- validation
    def __post_init__(self) -> None:
        if self.ad_valorem is None:
            self.ad_valorem = np.zeros(np.shape(self.N))

    def __check_init__(self) -> None:
        # shapes before the requirements (equinox runs this before the base class's check)
        if self.scenario not in SCENARIOS:
            raise ValueError(f"FGH2011: scenario={self.scenario!r} is not one of {SCENARIOS}.")
        if not all(eqx.is_array(getattr(self, name)) for name in self.__dataclass_fields__
                   if name not in ("income", "scenario", "active")):
            return  # a value that is not a number: the base class's check names it
        n_q = {name: np.shape(getattr(self, name)) for name in ("q", "theta", "f", "c", "tau")}
        n_k = {name: np.shape(getattr(self, name))
               for name in ("N", "tariff", "ad_valorem", "income_shift", "income_spread")}
        n_k["income"] = (len(self.income),)
        if len(set(n_q.values())) != 1:
            raise ValueError("FGH2011: q, theta, f, c, tau must be vectors of one length (one entry per "
                             f"quality); got shapes {n_q}.")
        if len(set(n_k.values())) != 1:
            raise ValueError("FGH2011: N, tariff, ad_valorem, income_shift, income_spread, income need one entry "
                             f"per country; got shapes {n_k}.")
        if self.scenario == "pattern":
            if self.active is None or np.shape(self.active) != (n_k["N"][0], n_q["q"][0]):
                raise ValueError("FGH2011: scenario 'pattern' needs `active`, a (K, Q) 0/1 mask.")

    def requirements(self):
        theta, q = self.theta, self.q
        top_price = jnp.max(self.price())
        lowest = self._quadrature()[2]
        blame = self._income_blame()
        reqs = [
            positive("q", q),
            Requirement("q", q, jnp.all(jnp.diff(q) > 0), "q strictly increasing (qualities L < H)"),
            Requirement("theta", theta, jnp.all((theta > 0) & (theta <= 1)), "theta in (0, 1]", 0.0, 1.0),
            Requirement("theta", theta, jnp.all(jnp.diff(theta) >= 0),
                        "theta non-decreasing in q (Assumption 1)"),
            positive("f", self.f),
            at_least("c", self.c, 0.0),
            at_least("tau", self.tau, 0.0),
            positive("N", self.N),
            at_least("tariff", self.tariff, 0.0),
            at_least("ad_valorem", self.ad_valorem, 0.0),
            at_least("y_grid", self.y_grid, 0.0),
            positive("income_spread", self.income_spread),
            Requirement(blame, lowest if blame == "income" else getattr(self, blame),
                        jnp.all(lowest >= top_price),
                        "every country's lowest income, mean + income_spread (y_min - mean) + income_shift, "
                        ">= every local price c + theta/q"),
        ]
        if self.scenario in ("trade", "general"):
            # The break-even conditions of two locations differ by a factor 1 − ρ_q: closer to
            # free trade than 1e-6 the location of production is not determined by equations
            # solved to float64 precision (at ρ = 1 it is indeterminate, spec §12).
            reqs.append(Requirement("tau", self.tau, jnp.all(self.tau * q / theta >= _MIN_TRADE_EXPONENT),
                                    f"tau q/theta >= {_MIN_TRADE_EXPONENT:g}, i.e. rho <= 1 - 1e-6 (scenario "
                                    f"{self.scenario!r}; nearer free trade the location of production is not "
                                    "determined to float64 precision; scenario 'integrated' is the limit)"))
        if self.scenario not in TARIFF_SCENARIOS:
            for name in TARIFF_PARAMETERS:
                value = getattr(self, name)
                reqs.append(Requirement(name, value, jnp.all(value == 0),
                                        f"{name} = 0 (tariffs need scenario 'general' or 'pattern')"))
        for k, dist in enumerate(self.income):
            reqs.extend(r._replace(name=f"income[{k}].{r.name}") for r in dist.requirements())
        return tuple(reqs)

    def _income_blame(self) -> str:
        """The parameter named when the lowest income is below a price: the shift or spread
        when it moves incomes (a concrete value away from 0 or 1), else the distribution."""
        for name, neutral in (("income_shift", 0.0), ("income_spread", 1.0)):
            value = getattr(self, name)
            if not isinstance(value, jax.core.Tracer) and np.any(np.asarray(value) != neutral):
                return name
        return "income"

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
        cif = self.price() + self.tau
        return self.tariff[:, None] + self.ad_valorem[:, None] * cif[None, :]

    def log_phi(self):
        """ln φ_q^{kl} (K, K, Q): the log demand discount in k (rows) on varieties made in l:
        0 at home, −(τ_q + t_q^k) q/θ_q abroad (t_q^k = `unit_tariff`)."""
        K = self.n_countries
        log_foreign = -(self.tau[None, :] + self.unit_tariff()) * self.q / self.theta  # (K_dest, Q)
        home = jnp.eye(K, dtype=bool)[:, :, None]
        return jnp.where(home, 0.0, log_foreign[:, None, :])

    def _log_rho(self):
        """ln ρ_q (Q,), the one discount of scenario 'trade' (no tariffs)."""
        return -self.tau * self.q / self.theta

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
        _, log_n_eff, rebate, _ = self._state(x)
        return jnp.max(jnp.abs(jnp.exp(self._log_shares(log_n_eff, rebate, True))
                               - jnp.exp(self._log_shares(log_n_eff, rebate))))

    def _reach(self):
        """ln(1 + (K − 1) ρ_q) (Q,): sales per firm over home demand per variety when every
        country makes q (eq. 15; spec §10)."""
        return jnp.log1p((self.n_countries - 1) * jnp.exp(self._log_rho()))

    def _trade_terms(self, log_n, rebate):
        """From log firm numbers (K, Q): ln ñ, ln s, ln D and ln S (units per firm)."""
        log_phi = self.log_phi()
        log_n_eff = logsumexp(log_phi + log_n[None, :, :], axis=1)
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
        """N^k/x_q (K, Q): the unit of firm numbers in the complementarity coordinates."""
        return self.N[:, None] / self.output()[None, :]

    def _corner_form(self):
        return self.scenario in ("trade", "general")

    def _firms(self, x):
        """(ln n with its corner floor, n, producing) from the unknowns of 'trade', 'general',
        'pattern' (ln n is −∞ on cells a pattern leaves out: never the log of a zero, whose
        gradient would be NaN)."""
        scale = self._n_scale()
        if self._corner_form():
            # a cell is at its corner where u sits at the floor (to the solver's tolerance)
            producing = x["u"] > _FLOOR + 1e-6
            n = jnp.where(producing, scale * (jnp.exp(x["u"]) - jnp.exp(_FLOOR)), 0.0)
            return x["u"] + jnp.log(scale), n, producing
        active = self.active > 0.5
        log_m = jnp.where(active, x["log_m"], 0.0)
        log_n = jnp.where(active, log_m + jnp.log(scale), -jnp.inf)
        return log_n, jnp.where(active, jnp.exp(log_m) * scale, 0.0), active

    def _diversified(self, extra_log_output):
        """ln ñ (K, Q) solving ñ_q x_q e^{extra_q} = N E[β_q(ñ)] country by country (eq. 11 with
        extra = 0, eq. 15 with extra = −ln(1 + (K − 1)ρ)): `_GUESS_SWEEPS` sweeps of the fixed
        point ln ñ ← ln N − ln x − extra + ln s(ñ) (spec §4: a contraction by θ_max; every
        sweep lands on the adding-up condition Σ_q ñ_q x_q e^{extra_q} = N), then
        `_GUESS_NEWTON_STEPS` Newton steps on G(ln ñ) = ln ñ − ln N + ln x + extra − ln s(ñ)
        with the analytic Jacobian (`_newton_step`); where |G| before the last step is above
        `_GUESS_TOL`, `_GUESS_ITERATIONS` sweeps from the beginning instead."""
        K, Q = self.n_countries, self.n_qualities
        const = jnp.log(self.N)[:, None] - (jnp.log(self.output()) + extra_log_output)[None, :]
        zero = jnp.zeros(K)
        # the quadrature and the income part of the log-weights do not depend on ñ: built
        # once, outside the loops (XLA does not always hoist them out of a vmapped loop)
        y, log_w, _ = self._quadrature()
        base = jax.vmap(self.log_weights)(jnp.zeros((K, Q)), zero, y)  # (K, M, Q)

        def log_beta_of(log_n):
            a = base + self.theta * log_n[:, None, :]
            return a - logsumexp(a, axis=-1, keepdims=True)

        def sweep(_, log_n):
            return const + logsumexp(log_beta_of(log_n) + log_w[..., None], axis=1)

        def newton(_, carry):
            log_n, _ = carry
            # β and the posterior weights w β_q/s_q from one exp each (a logsumexp by hand)
            a = base + self.theta * log_n[:, None, :]
            a = a - jnp.max(a, axis=-1, keepdims=True)
            e = jnp.exp(a)
            norm = jnp.sum(e, axis=-1, keepdims=True)
            beta = e / norm
            weighted = a - jnp.log(norm) + log_w[..., None]  # ln β + ln w (K, M, Q), finite
            top = jnp.max(weighted, axis=1, keepdims=True)
            ew = jnp.exp(weighted - top)
            total = jnp.sum(ew, axis=1, keepdims=True)
            log_s = (top + jnp.log(total))[:, 0, :]  # (K, Q)
            gap = log_n - const - log_s
            new = log_n - self._newton_step(gap, ew / total, beta)
            # a step that is not finite (a singular Jacobian) falls back to a sweep
            new = jnp.where(jnp.all(jnp.isfinite(new), axis=-1, keepdims=True), new, const + log_s)
            return new, gap

        start = const - jnp.log(Q)
        log_n = jax.lax.fori_loop(0, _GUESS_SWEEPS, sweep, start)
        log_n, gap = jax.lax.fori_loop(0, _GUESS_NEWTON_STEPS, newton, (log_n, jnp.full((K, Q), jnp.inf)))
        # The safeguard: Newton far from the solution (extreme parameters) may wander off.
        # Where the residual before its last step was above `_GUESS_TOL` (from there one
        # step lands at about its square), the start is the plain fixed point instead,
        # `_GUESS_ITERATIONS` sweeps from `start`.
        close = jnp.all(jnp.isfinite(gap) & jnp.isfinite(log_n)) & (jnp.max(jnp.abs(gap)) <= _GUESS_TOL)

        def plain(i_log_n):
            i, log_n = i_log_n
            return i + 1, const + self._log_shares(log_n, zero)

        return jax.lax.while_loop(lambda c: ~close & (c[0] < _GUESS_ITERATIONS), plain,
                                  (jnp.zeros((), jnp.int32), jnp.where(close, log_n, start)))[1]

    def _newton_step(self, G, post, beta):
        """J⁻¹G (K, Q) for G(ln ñ) = ln ñ − const − ln s(ñ), country by country, with

            J_qw = (1 − θ_q) δ_qw + θ_w E[β_q β_w]/s_q,

        from ∂ ln s_q/∂ ln ñ_w = θ_q δ_qw − θ_w E[β_q β_w]/s_q. `post` (K, M, Q) are the
        quadrature weights times β_q/s_q (each sums to one over the nodes, so nothing
        underflows where s_q does), `beta` (K, M, Q) the shares at the nodes. Two qualities
        by Cramer's rule (a batched LU of 2×2 matrices costs far more under `vmap`)."""
        theta, Q = self.theta, self.n_qualities
        m = jnp.einsum("kiq,kiw->kqw", post, beta)  # E[β_q β_w]/s_q
        J = jnp.eye(Q) * (1.0 - theta) + theta[None, None, :] * m
        if Q == 1:
            return G / J[..., 0]
        if Q == 2:
            det = J[:, 0, 0] * J[:, 1, 1] - J[:, 0, 1] * J[:, 1, 0]
            return jnp.stack([J[:, 1, 1] * G[:, 0] - J[:, 0, 1] * G[:, 1],
                              J[:, 0, 0] * G[:, 1] - J[:, 1, 0] * G[:, 0]], -1) / det[:, None]
        return jnp.linalg.solve(J, G[..., None])[..., 0]

    def guess(self):
        K, Q = self.n_countries, self.n_qualities
        frozen = jax.lax.stop_gradient(self)
        if self.scenario == "autarky":
            return {"log_n": frozen._diversified(jnp.zeros(Q))}
        if self.scenario == "integrated":
            return {"log_n": jnp.log(jnp.sum(self.N)) - jnp.log(Q * self.output())}
        if self.scenario == "pattern":
            # each quality's world demand at equal shares, split among the countries making it
            producers = jnp.maximum(jnp.sum(self.active > 0.5, axis=0), 1)
            log_m = jnp.log(jnp.sum(self.N)) - jnp.log(Q * producers)[None, :] - jnp.log(self.N)[:, None]
            return {"log_m": log_m, "rebate": jnp.zeros(K)}
        # the all-diversified pattern (eq. 16); cells it makes negative start at their corner,
        # the rest rescaled to keep each quality's world firm count
        log_n_eff = frozen._diversified(-frozen._reach())
        rho = jnp.exp(frozen._log_rho())
        n_eff = jnp.exp(log_n_eff)
        world = jnp.sum(n_eff, axis=0) / (1 + (K - 1) * rho)
        n16 = (n_eff - rho * world) / (1 - rho)
        positive_part = jnp.maximum(n16, 0.0)
        n0 = positive_part * world / jnp.maximum(jnp.sum(positive_part, axis=0), 1e-300)
        scale = frozen._n_scale()
        u = jnp.where(n0 > 0, jnp.log(jnp.where(n0 > 0, n0, 1.0) / scale), _FLOOR)
        x = {"u": jnp.maximum(u, _FLOOR)}
        if self.scenario == "trade":
            x["log_n_eff_eq15"] = log_n_eff
        else:
            # the tariff revenue at the start's firm numbers, shares without rebate
            zero = jnp.zeros(K)
            log_n, n_start, _ = frozen._firms({**x, "rebate": zero})
            start_eff, start_s, _, _ = frozen._trade_terms(log_n, zero)
            x["rebate"] = frozen._revenue_per_head(n_start, start_eff, start_s)
        return x

    # ---------------------------------------------------------------- equations
    def residuals(self, x):
        log_x = jnp.log(self.output())
        K = self.n_countries
        if self.scenario == "autarky":
            log_s = self._log_shares(x["log_n"], jnp.zeros(K))
            # eq. (11): n_q x_q = N E[β_q]
            return {"market_clearing": x["log_n"] + log_x - jnp.log(self.N)[:, None] - log_s}
        if self.scenario == "integrated":
            log_n_eff = jnp.broadcast_to(x["log_n"], (K, self.n_qualities))
            log_s = self._log_shares(log_n_eff, jnp.zeros(K))
            world = logsumexp(jnp.log(self.N)[:, None] + log_s, axis=0)
            return {"market_clearing": x["log_n"] + log_x - world}
        log_n, n_out, _ = self._firms(x)
        rebate = jnp.zeros(K) if self.scenario == "trade" else x["rebate"]
        log_n_eff, log_s, _, log_sales = self._trade_terms(log_n, rebate)
        excess = log_x - log_sales  # > 0: an entrant would lose money
        if self._corner_form():
            res = {"break_even": fischer_burmeister(x["u"] - _FLOOR, excess)}
        else:
            res = {"break_even": jnp.where(self.active > 0.5, -excess, x["log_m"])}
        if self.scenario == "trade":
            log_s15 = self._log_shares(x["log_n_eff_eq15"], jnp.zeros(K))
            # eq. (15): ñ x/(1 + (K−1)ρ) = N E[β(ñ)], the all-diversified pattern's formula
            res["eq15"] = x["log_n_eff_eq15"] + log_x - self._reach() - jnp.log(self.N)[:, None] - log_s15
        else:
            # unit-free: relative to the mean income, whatever the scale of incomes and tariffs
            res["rebate"] = (rebate - self._revenue_per_head(n_out, log_n_eff, log_s)) / self._mean_income()
        return res

    # ---------------------------------------------------------------- outcomes
    def _state(self, x):
        """(n, ln ñ, rebate, producing) in every scenario."""
        K, Q = self.n_countries, self.n_qualities
        everywhere = jnp.ones((K, Q), bool)
        if self.scenario == "autarky":
            return jnp.exp(x["log_n"]), x["log_n"], jnp.zeros(K), everywhere
        if self.scenario == "integrated":
            log_n = jnp.broadcast_to(x["log_n"], (K, Q))
            return jnp.exp(log_n), log_n, jnp.zeros(K), everywhere
        log_n, n_out, producing = self._firms(x)
        rebate = jnp.zeros(K) if self.scenario == "trade" else x["rebate"]
        return n_out, logsumexp(self.log_phi() + log_n[None, :, :], axis=1), rebate, producing

    def _labour(self, n, sales, exports):
        """Labour used in the differentiated sector by country (K,): fixed and marginal costs
        and the transport labour of exports (charged to the exporter, spec §12)."""
        return jnp.sum(n * (self.f + self.c * sales) + self.tau * exports, axis=-1)

    def _mean_income(self):
        """E^k[y] (K,) after the model's shift (the spread keeps the mean)."""
        return jnp.stack([self.income[k].mean() + self.income_shift[k] for k in range(self.n_countries)])

    def _labour_supply(self):
        return self.N * self._mean_income()

    def outcomes(self, x):
        K = self.n_countries
        n, log_n_eff, rebate, producing = self._state(x)
        if self.scenario in ("autarky", "integrated"):
            home = jnp.eye(K, dtype=bool)[:, :, None]
            log_phi = jnp.where(home, 0.0, -jnp.inf) * jnp.ones(self.n_qualities)
        else:
            log_phi = self.log_phi()
        log_s = self._log_shares(log_n_eff, rebate)
        s = jnp.exp(log_s)
        # in logs: a quality nobody buys has s = 0 and ñ = 0 in float64, but finite ln s − ln ñ
        demand = jnp.exp(jnp.log(self.N)[:, None] + log_s - log_n_eff)
        phi = jnp.exp(log_phi)
        sales = jnp.einsum("klq,kq->lq", phi, demand)
        flows = n[:, None, :] * jnp.swapaxes(phi, 0, 1) * demand[None, :, :]  # k -> l
        foreign = 1.0 - jnp.eye(K)[:, :, None]
        exports = jnp.sum(flows * foreign, axis=1)
        imports = jnp.sum(flows * foreign, axis=0)
        price, out = self.price(), self.output()

        y = self.y_grid
        a = jax.vmap(lambda le, r: self.log_weights(le, r, y))(log_n_eff, rebate)  # (K, G, Q)
        log_v = logsumexp(a, axis=-1)
        beta = jnp.exp(a - log_v[..., None])

        y_low = self._quadrature()[2]
        unit_tariff = self.unit_tariff()
        delivered = price[None, None, :] + self.tau[None, None, :] + unit_tariff[:, None, :]
        sold_abroad = (phi > 0) & (foreign > 0)
        top_price = jnp.max(jnp.where(sold_abroad, delivered, price[None, None, :]), axis=(1, 2)) - rebate

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
            "producing": producing,
            "min_n": jnp.min(n),
            "affordable": y_low >= top_price,
            "numeraire_produced": self._labour_supply() > self._labour(n, sales, exports),
            # beyond the solver's tolerance (a residual of 1e-8 in log units)
            "entry_profitable": ~producing & (sales > out * (1 + 1e-6)),
        }
        if self.scenario == "integrated":
            # one world: location, flows and national labour use are indeterminate (eq. 18)
            n_world = jnp.exp(x["log_n"])
            zero = jnp.zeros_like(n)
            world_labour = jnp.sum(n_world * (self.f + self.c * out))
            result.update(n=n_world, n_L=n_world[0], n_H=n_world[-1], producing=jnp.ones(n_world.shape, bool),
                          min_n=jnp.min(n_world), flows=jnp.zeros_like(flows), net_exports=zero,
                          net_exports_value=zero, entry_profitable=jnp.zeros(n_world.shape, bool),
                          numeraire_produced=jnp.broadcast_to(
                              jnp.sum(self._labour_supply()) > world_labour, (K,)))
        if self.scenario == "trade":
            n_eff15 = jnp.exp(x["log_n_eff_eq15"])
            rho = jnp.exp(self._log_rho())
            world = jnp.sum(n_eff15, axis=0) / (1 + (K - 1) * rho)
            # eq. (16): n^k = (ñ^k − ρ T)/(1 − ρ), T = Σ_k n^k (spec §10)
            a15 = jax.vmap(lambda le: self.log_weights(le, 0.0, y))(x["log_n_eff_eq15"])
            result.update(n_eff_eq15=n_eff15, n_eq16=(n_eff15 - rho * world) / (1 - rho),
                          log_v_eq15=logsumexp(a15, axis=-1))
        return result

    # ---------------------------------------------------------------- validity
    def validity(self, x):
        out = self.outcomes(x)
        checks = {"numeraire_produced": jnp.all(out["numeraire_produced"])}
        if self._corner_form():
            # the complementarity conditions: n ≥ 0 and, where a quality is not made, no
            # profitable entry
            checks["firms_nonnegative"] = jnp.all(x["u"] >= _FLOOR - 1e-6)
            checks["no_entry"] = ~jnp.any(out["entry_profitable"])
        return dict(sorted(checks.items()))  # the core reads the names in sorted order

    def explain_failure(self, eq) -> str | None:
        out = eq.outcomes
        labour = np.asarray(out["numeraire_produced"])
        if np.any(~labour.astype(bool)):
            k = int(np.argmin(labour))
            return (f"No equilibrium with wage 1: in country {k} the differentiated sector needs more "
                    "labour than the country has (N E[y]), so the numeraire would not be produced, "
                    "which the model assumes.")
        if self.scenario == "pattern":
            return ("The imposed pattern `active` may have no solution at these parameters: some "
                    "quality has no producer, or a producer cannot break even.")
        if self._corner_form():
            n, sales, x = (np.asarray(out[k]) for k in ("n", "sales", "x"))
            gap = np.abs(np.log(sales / x))
            gap = np.where(n > 0, gap, np.maximum(np.log(sales / x), 0.0))
            k, q = np.unravel_index(int(np.nanargmax(np.where(np.isfinite(gap), gap, np.inf))), gap.shape)
            return (f"The complementarity solve for the production pattern did not converge; the "
                    f"worst cell is quality {q} in country {k} (n = {n[k, q]:.3g}, sales/x = "
                    f"{sales[k, q] / x[q]:.3g}): near a regime boundary or at ρ close to 1, where "
                    "the location of production is barely determined.")
        return None
