"""Niem and Kim (2020), "Trade in vertically differentiated goods with endogenous quality",
Seoul Journal of Economics 33(2).

N firms choose qualities q_1 > … > q_N > 0 (stage 1), then compete in prices (stage 2) for a
fully covered market of Ψ consumers whose willingness to pay θ is uniform on [1, b]. A unit of
quality q costs a·q to produce; quality itself costs q^z/z (R&D). Trade merges two identical
markets S and T into one of size S + T.

The game is solved as two nested implicit functions:

- the price stage is the linear system M(q) p = r(q) of the paper's eq. (4), solved exactly
  (tridiagonal, by the Thomas algorithm), with the bottom firm at the covered-market corner
  p_N = q_N;
- the quality stage is dΠ_i/dq_i = 0 (Appendix A1), the *total* derivative through the price
  stage, taken by forward-mode autodiff through the linear solve.

`niem_kim_trade` compares autarky (markets S and T) with trade (market S + T) and splits the
regional welfare between the countries (eq. 5).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ..core._bisect import bisect
from ..core.model import Model, Requirement, between, greater_than, param, positive
from ..core.solve import solve

__all__ = ["NiemKim2020", "niem_kim_trade"]


def _tridiagonal_solve(M, r):
    """Solve M p = r for a tridiagonal, row diagonally dominant M by the Thomas algorithm.

    Every price system of eq. (4) is of that kind (|M_ii| ≥ Σ_{j≠i} |M_ij| row by row), so no
    pivoting is needed; unrolled over the (static) number of firms it is a handful of scalar
    operations, where a batched LU of a 2×2 matrix costs far more under `vmap`.
    """
    n = M.shape[0]
    upper, rhs = [], []
    for i in range(n):
        below = M[i, i - 1] if i else 0.0
        denom = M[i, i] - (below * upper[i - 1] if i else 0.0)
        upper.append(M[i, i + 1] / denom if i < n - 1 else 0.0)
        rhs.append((r[i] - (below * rhs[i - 1] if i else 0.0)) / denom)
    p = [rhs[-1]]
    for i in range(n - 2, -1, -1):
        p.insert(0, rhs[i] - upper[i] * p[0])
    return jnp.stack(p)


def _quality_from_steps(steps):
    """q_N = exp(v_N), q_i = q_{i+1} + exp(v_i): positive and strictly ranked by construction."""
    return jnp.cumsum(jnp.exp(steps)[::-1])[::-1]


@jax.jit
def _duopoly_log_quality(a, b, z, size):
    """Unitary-market N = 2 equilibrium from the closed-form FOCs (spec §3), for the start point.

    With t = q_2/(q_1 − q_2) the FOCs give q_1(t), q_2(t); the equilibrium t solves
    t·q_1(t) = (1 + t)·q_2(t) on (0, t_max), found by bisection in logs (sign changes once).
    Returns (log q_1, log q_2) at market size `size`.
    """
    k = 1.0 / (z - 1.0)
    t_max = -1.0 + jnp.sqrt(1.0 + (b + a - 2.0) / (1.0 - a))
    tiny = jnp.finfo(jnp.float64).tiny

    def logs(t):
        top = jnp.maximum((b - a) ** 2 - (1 - a) ** 2 * t**2, tiny) / (4 * (b - 1))
        bottom = jnp.maximum((1 - a) * ((b + a - 2) - (1 - a) * (2 * t + t**2)), tiny) / (2 * (b - 1))
        return k * jnp.log(top), k * jnp.log(bottom)

    def gap(t):
        log_q1, log_q2 = logs(t)
        return jnp.log(t) + log_q1 - jnp.log1p(t) - log_q2

    # 24 halvings put t within 6e-8·t_max of the root: Newton finishes in one or two steps
    lo, hi = bisect(lambda mid: ~(gap(mid) > 0), 0.0 * t_max, t_max, 24)
    log_q1, log_q2 = logs(0.5 * (lo + hi))
    return log_q1 + k * jnp.log(size), log_q2 + k * jnp.log(size)


class NiemKim2020(Model):
    """Niem & Kim (2020): quality-then-price competition in a covered vertical market.

    **Parameters:**
    - `size`: Ψ, the number of consumers (S at Home, T abroad, S + T under trade) (> 0);
    - `a`: unit production cost per unit of quality, marginal cost a·q_i (0 ≤ a < 1);
    - `b`: top of the willingness-to-pay range [1, b] (b > 1 and b > 2 − a, so that the bottom
      firm has a positive margin);
    - `z`: curvature of the R&D cost q^z/z (> 1; the paper uses integers ≥ 2);
    - `n_firms`: N, the number of active firms (static integer ≥ 2; the paper's N = 2).

    Parameters are scalars; use `sweep` for many values at once.

    **Unknowns:** `quality_steps` x ∈ R^N: log quality steps, q_N = exp(x_N),
    q_i = q_{i+1} + exp(x_i) (positive and ranked by construction); the start point is the N = 2
    closed-form solution (`reference_steps`).
    **Equations:** `quality_choice`, (dΠ_i/dq_i)/q_i^{z−1} = 0 for each firm, the total
    derivative of profit through the price stage (Appendix A1), relative to marginal R&D cost.

    **Outcomes** (arrays over firms, highest quality first):
    - `quality` q_i and `price` p_i (eq. 4 given q; p_N = q_N);
    - `theta`: the interior market boundaries θ_1 > … > θ_{N−1}, θ_i = (p_i − p_{i+1})/(q_i − q_{i+1});
      the outer ones are b and 1;
    - `market_share` (θ_{i−1} − θ_i)/(b − 1) and `demand` D_i = Ψ·market_share_i;
    - `avg_cost` AC_i = a q_i + q_i^z/(z D_i) (Appendix A2);
    - `consumer_surplus` CS_i, the surplus of the buyers of good i with density Ψ/(b − 1)
      (Table 1; the paper's Table 3 prints (b − 1)·CS_i, see `niem_kim_trade`);
    - `producer_surplus` PS_i = Π_i = D_i (p_i − a q_i) − q_i^z/z;
    - `consumer_surplus_total`, `producer_surplus_total`, `welfare` W = Σ (CS_i + PS_i);
    - `cover_slack_down`, `cover_slack_up`: the bottom firm's price-kink conditions (spec §4;
      both ≥ 0 when p_N = q_N is its best price, neither lowering nor raising it pays);
    - `covered_market`: True when the covered-corner equilibrium is valid (kink conditions hold,
      boundaries strictly inside (1, b) and ordered, every profit positive). Outside it the
      numbers solve the covered-market FOCs but are not the paper's equilibrium.
    """

    size: jnp.ndarray = param(10.0)
    a: jnp.ndarray = param(0.1)
    b: jnp.ndarray = param(4.0)
    z: jnp.ndarray = param(2.0)
    n_firms: int = eqx.field(static=True, default=2)

    def __check_init__(self):
        if not isinstance(self.n_firms, int) or isinstance(self.n_firms, bool) or self.n_firms < 2:
            raise ValueError(
                f"NiemKim2020: parameter n_firms={self.n_firms!r} is outside its admissible domain "
                "(an integer n_firms >= 2)."
            )

    def requirements(self):
        return (
            positive("size", self.size),
            between("a", self.a, 0.0, 1.0, closed="left"),
            greater_than("b", self.b, 1.0),
            greater_than("z", self.z, 1.0),
            Requirement("b", self.b, jnp.all(self.b + self.a > 2.0), "b > 2 - a"),
        )

    # ---- stage 2: prices given qualities -------------------------------------------------

    def price_system(self, quality, bottom: str = "corner"):
        """M(q) and r(q) of the price stage M p = r (eq. 4, typo p_{1+1} → p_{i+1} fixed).

        Rows 1..N−1 are ∂Π_i/∂p_i = 0 times a positive factor. Row N is the bottom firm's
        price: `"corner"`, the covered-market corner p_N = q_N of the paper; `"below"`, its
        FOC when the market stays covered with surplus left to consumer θ = 1 (p_N < q_N);
        `"above"`, its FOC when the market is uncovered (p_N > q_N, demand θ_{N−1} − p_N/q_N).
        The last two are used only off the equilibrium path (`subgame_prices`).
        """
        q, n, a = quality, self.n_firms, self.a
        step = q[:-1] - q[1:]  # Δ_i = q_i − q_{i+1}, i = 1..N−1
        M = jnp.zeros((n, n))
        r = jnp.zeros(n)
        M = M.at[0, 0].set(-2.0).at[0, 1].set(1.0)
        r = r.at[0].set(-self.b * step[0] - a * q[0])
        for i in range(1, n - 1):
            span = step[i - 1] + step[i]  # q_{i−1} − q_{i+1}
            M = M.at[i, i - 1].set(step[i]).at[i, i].set(-2.0 * span).at[i, i + 1].set(step[i - 1])
            r = r.at[i].set(-a * q[i] * span)
        if bottom == "corner":
            M, r = M.at[n - 1, n - 1].set(1.0), r.at[n - 1].set(q[n - 1])
        elif bottom == "below":
            M = M.at[n - 1, n - 2].set(1.0).at[n - 1, n - 1].set(-2.0)
            r = r.at[n - 1].set(step[-1] - a * q[n - 1])
        elif bottom == "above":  # the outside option acts as a good of quality 0 at price 0
            M = M.at[n - 1, n - 2].set(q[n - 1]).at[n - 1, n - 1].set(-2.0 * q[n - 2])
            r = r.at[n - 1].set(-a * q[n - 1] * q[n - 2])
        else:
            raise ValueError(f"bottom={bottom!r}; choose 'corner', 'below' or 'above'.")
        return M, r

    def prices(self, quality):
        """The stage-2 prices p(q) at the covered corner (exact linear solve; differentiable)."""
        return _tridiagonal_solve(*self.price_system(quality))

    def subgame_prices(self, quality):
        """The stage-2 Nash equilibrium in prices for any ranked qualities.

        The bottom firm's profit is concave in its price with a kink at p_N = q_N, so its best
        response is the corner unless its FOC on one side lies on that side; the equilibrium
        is whichever of the three linear systems is consistent with its own regime.
        """
        below = _tridiagonal_solve(*self.price_system(quality, "below"))
        above = _tridiagonal_solve(*self.price_system(quality, "above"))
        corner = self.prices(quality)
        q_bottom = quality[-1]
        return jnp.where(below[-1] < q_bottom, below, jnp.where(above[-1] > q_bottom, above, corner))

    def boundaries(self, quality, price, covered: bool = True):
        """θ_0 = b, θ_1 … θ_{N−1}, θ_N: consumer θ_i is indifferent between goods i and i+1.

        θ_N = 1 in the covered market; with `covered=False`, θ_N = max(1, p_N/q_N) (consumers
        below it buy nothing).
        """
        inner = (price[:-1] - price[1:]) / (quality[:-1] - quality[1:])
        one = jnp.ones((1,), inner.dtype)
        lowest = one if covered else jnp.maximum(one, price[-1:] / quality[-1:])
        return jnp.concatenate([self.b * one, inner, lowest])

    def profit_at(self, quality, price, covered: bool = True):
        """Π_i = D_i (p_i − a q_i) − q_i^z/z at given ranked qualities and any prices."""
        theta = self.boundaries(quality, price, covered)
        demand = self.size * (theta[:-1] - theta[1:]) / (self.b - 1.0)
        return demand * (price - self.a * quality) - quality**self.z / self.z

    def profits(self, quality):
        """Π_i(q, p(q)): each firm's profit after the (covered-corner) price stage."""
        return self.profit_at(quality, self.prices(quality))

    def deviation_profit(self, quality, firm: int, new_quality):
        """Firm `firm`'s profit when it alone moves to `new_quality` (rivals keep theirs).

        The qualities are re-ranked (a deviation may leapfrog a rival) and the full price
        subgame is re-solved (`subgame_prices`: the deviation may uncover the market or leave
        the bottom firm off its corner); the stage-1 payoff for checking Nash globally.
        """
        moved = quality.at[firm].set(new_quality)
        order = jnp.argsort(-moved)
        ranked = moved[order]
        ranked_profit = self.profit_at(ranked, self.subgame_prices(ranked), covered=False)
        return ranked_profit[jnp.argsort(order)][firm]

    def marginal_profit(self, quality):
        """dΠ_i/dq_i, the total own-quality derivative through p(q) (stage-1 FOC, App. A1).

        One forward-mode pass per firm through the linear price solve; the bottom firm's own
        price moves one-for-one with its quality (dp_N/dq_N = 1, the covered corner).
        """
        basis = jnp.eye(self.n_firms, dtype=quality.dtype)
        derivative = jax.vmap(lambda e: jax.jvp(self.profits, (quality,), (e,))[1])(basis)
        return jnp.diagonal(derivative)

    # ---- stage 1: qualities ----------------------------------------------------------------

    def reference_steps(self):
        """The start point in log-step coordinates: the N = 2 closed-form equilibrium (for more
        firms, the duopoly's top step with the bottom quality split geometrically below)."""
        log_q1, log_q2 = _duopoly_log_quality(self.a, self.b, self.z, self.size)
        q1, q2 = jnp.exp(log_q1), jnp.exp(log_q2)
        if self.n_firms == 2:
            return jnp.stack([jnp.log(q1 - q2), log_q2])
        lower = q2 * 0.5 ** jnp.arange(self.n_firms - 1, dtype=q2.dtype)  # q_2, q_2/2, ...
        quality = jnp.concatenate([q1[None], lower])
        return jnp.log(jnp.concatenate([quality[:-1] - quality[1:], quality[-1:]]))

    def quality(self, x):
        """q from the unknowns: q_N = exp(x_N), q_i = q_{i+1} + exp(x_i) (positive and ranked)."""
        return _quality_from_steps(x["quality_steps"])

    def guess(self):
        # The N = 2 closed form at this point's own parameters (`sweep` starts every point at
        # its own guess); the residuals never evaluate it, so Newton's iterations stay cheap.
        return {"quality_steps": self.reference_steps()}

    def residuals(self, x):
        quality = self.quality(x)
        return {"quality_choice": self.marginal_profit(quality) / quality ** (self.z - 1.0)}

    def outcomes(self, x):
        quality = self.quality(x)
        price = self.prices(quality)
        theta = self.boundaries(quality, price)
        width = theta[:-1] - theta[1:]
        density = self.size / (self.b - 1.0)
        demand = density * width
        rd_cost = quality**self.z / self.z
        producer = demand * (price - self.a * quality) - rd_cost
        consumer = density * (quality * (theta[:-1] ** 2 - theta[1:] ** 2) / 2 - price * width)
        # Bottom firm's price kink (spec §4): lowering p_N gains no buyers, raising it loses
        # buyers at θ = 1 as well as to firm N−1.
        step = quality[-2] - quality[-1]
        margin = price[-1] - self.a * quality[-1]
        slack_down = (theta[-2] - 1.0) - margin / step
        slack_up = (1.0 - self.a) * quality[-1] * (1.0 / step + 1.0 / quality[-1]) - (theta[-2] - 1.0)
        covered = (
            (slack_down >= -1e-12)
            & (slack_up >= -1e-12)
            & jnp.all(width > 0)
            & jnp.all(producer > 0)
        )
        return {
            "quality": quality,
            "price": price,
            "theta": theta[1:-1],
            "market_share": width / (self.b - 1.0),
            "demand": demand,
            "avg_cost": self.a * quality + rd_cost / demand,
            "consumer_surplus": consumer,
            "producer_surplus": producer,
            "consumer_surplus_total": jnp.sum(consumer),
            "producer_surplus_total": jnp.sum(producer),
            "welfare": jnp.sum(consumer) + jnp.sum(producer),
            "cover_slack_down": slack_down,
            "cover_slack_up": slack_up,
            "covered_market": covered,
        }


def niem_kim_trade(S, T, a=0.1, b=4.0, z=2.0, home_share=0.5, *, n_firms=2, cs_scale=1.0):
    """Autarky (markets S and T) against trade (one market S + T, no trade costs), eq. (5).

    The N firms' location under trade is not determined by the model; Home firms earn the
    share ω = `home_share` of regional producer surplus, Home consumers the share S/(S+T) of
    regional consumer surplus.

    **Arguments:**
    - `S`, `T`: Home and Foreign market sizes (> 0);
    - `a`, `b`, `z`, `n_firms`: as for `NiemKim2020`;
    - `home_share`: ω ∈ [0, 1];
    - `cs_scale`: multiplies every consumer surplus. 1 is the paper's formula (density
      Ψ/(b − 1)); `b − 1` reproduces the paper's Table 3, which prints (b − 1) times it.

    **Returns:** dict with the `NiemKim2020` outcomes of each market under `"home"`,
    `"foreign"` (autarky) and `"region"` (trade), and the welfare accounts
    `welfare_home_autarky`, `welfare_foreign_autarky`, `welfare_home_trade`,
    `welfare_foreign_trade`, `welfare_region_trade`, `gain_home`, `gain_foreign`, `gain_region`
    (all scalars; differentiable in every argument except `n_firms`).
    """
    omega = jnp.asarray(home_share, jnp.float64)
    if not isinstance(omega, jax.core.Tracer) and not bool(jnp.all((omega >= 0) & (omega <= 1))):
        raise ValueError(
            f"niem_kim_trade: parameter home_share={omega.tolist()} is outside its admissible "
            "domain (home_share in [0, 1])."
        )
    markets = {
        name: solve(NiemKim2020(size, a, b, z, n_firms)).outcomes
        for name, size in (("home", S), ("foreign", T), ("region", jnp.asarray(S) + jnp.asarray(T)))
    }

    def welfare(out, consumer_weight=1.0, producer_weight=1.0):
        return (consumer_weight * cs_scale * out["consumer_surplus_total"]
                + producer_weight * out["producer_surplus_total"])

    region = markets["region"]
    home_consumers = jnp.asarray(S) / (jnp.asarray(S) + jnp.asarray(T))
    accounts = {
        "welfare_home_autarky": welfare(markets["home"]),
        "welfare_foreign_autarky": welfare(markets["foreign"]),
        "welfare_home_trade": welfare(region, home_consumers, omega),
        "welfare_foreign_trade": welfare(region, 1.0 - home_consumers, 1.0 - omega),
        "welfare_region_trade": welfare(region),
    }
    accounts["gain_home"] = accounts["welfare_home_trade"] - accounts["welfare_home_autarky"]
    accounts["gain_foreign"] = accounts["welfare_foreign_trade"] - accounts["welfare_foreign_autarky"]
    accounts["gain_region"] = accounts["gain_home"] + accounts["gain_foreign"]
    return {**markets, **accounts}
