"""Niem and Kim (2020), "Trade in vertically differentiated goods with endogenous quality",
Seoul Journal of Economics 33(2).

N firms choose qualities q_1 > … > q_N > 0 (stage 1), then compete in prices (stage 2) for a
fully covered market of Ψ consumers whose willingness to pay θ is uniform on [1, b]. A unit of
quality q costs a·q to produce; quality itself costs q^z/z (R&D). Trade merges two identical
markets S and T into one of size S + T (`diffecon.policy.market_integration.niem_kim_trade`).

The game is solved as two nested implicit functions:

- the price stage is the linear system M(q) p = r(q) of the paper's eq. (4), solved exactly
  (tridiagonal, by the Thomas algorithm), with the bottom firm at the covered-market corner
  p_N = q_N;
- the quality stage is dΠ_i/dq_i = 0 (Appendix A1), the *total* derivative through the price
  stage, taken by forward-mode autodiff through the linear solve.

Qualities scale as Ψ^{1/(z−1)} (Lemma 3), e^{±250} at z = 1.01 and Ψ = 10: the equations are
evaluated on qualities relative to the top one (the price stage is homogeneous of degree one),
so no intermediate quantity, nor its second derivative, leaves the float64 range.
"""

from __future__ import annotations

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp

from ..core import AbstractModel, Requirement, between, greater_than, param, positive

__all__ = ["NiemKim2020"]

# exp() of a log beyond this over- or underflows float64 (e^709.78 is the largest double)
_LOG_RANGE = 708.0
# slack allowed in the validity inequalities (unit-free θ gaps, O(1))
_SLACK_TOL = 1e-12
# Safeguarded Newton steps of the duopoly start (7 reach rounding on a wide domain; 3 spare)
_NEWTON_STEPS = 10


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


def _log_quality_from_steps(steps):
    """ln q from the log steps: q_N = exp(v_N), q_i = q_{i+1} + exp(v_i), so ln q_i is the
    log-sum-exp of v_i … v_N (positive and strictly ranked by construction, never formed)."""
    return jax.lax.cumlogsumexp(steps, reverse=True)


class _Duopoly(eqx.Module):
    """The N = 2 quality stage in closed form (spec §3), in coordinates that keep its digits.

    With t = q_2/(q_1 − q_2) ∈ (0, t_max) the FOCs are
    q_1^{z−1} = Ψ[(b−a)² − (1−a)²t²]/(4(b−1)) and
    q_2^{z−1} = Ψ(1−a)²(t_max − t)(t_max + t + 2)/(2(b−1)),
    where t_max = −1 + √(1 + (b+a−2)/(1−a)) is where firm 2's marginal revenue vanishes. For large
    z the equilibrium t lies within e^{−50} of t_max (q_2^{z−1} ≪ q_1^{z−1}), and for z near 1
    within e^{−100} of 0, so t is carried as y with t = t_max·sigmoid(y): both t and t_max − t
    keep their relative precision, which a ratio of qualities cannot.
    """

    a: jax.Array
    b: jax.Array
    z: jax.Array
    size: jax.Array

    def log_t_max(self):
        x = (self.b + self.a - 2.0) / (1.0 - self.a)
        return jnp.log(x) - jnp.log1p(jnp.sqrt(1.0 + x))  # √(1+x) − 1 without cancellation

    def log_t(self, y):
        """(ln t, ln(t_max − t), t, t_max)."""
        log_t_max = self.log_t_max()
        log_t = log_t_max + jax.nn.log_sigmoid(y)
        log_gap = log_t_max + jax.nn.log_sigmoid(-y)
        return log_t, log_gap, jnp.exp(log_t), jnp.exp(log_t_max)

    def log_marginal_revenue(self, y):
        """ln of each firm's marginal revenue in a unit market (the FOCs' right-hand sides / Ψ)."""
        a, b = self.a, self.b
        log_t, log_gap, t, t_max = self.log_t(y)
        top = jnp.log((b - a - (1 - a) * t) * (b - a + (1 - a) * t)) - jnp.log(4 * (b - 1))
        bottom = (2 * jnp.log1p(-a) + log_gap + jnp.log(t_max + t + 2.0)) - jnp.log(2 * (b - 1))
        return top, bottom

    def log_ratio(self, y):
        """ln(q_2/q_1) = ln t − ln(1 + t)."""
        log_t = self.log_t(y)[0]
        return log_t - jnp.logaddexp(0.0, log_t)

    def start(self):
        """(ln q_1, y) at the equilibrium: the root in y of t(q_1 − q_2) = q_2, in logs."""
        def excess(y):  # (z−1)·[ln q_2 − ln q_1] from the FOCs against (z−1)·ln(q_2/q_1)
            top, bottom = self.log_marginal_revenue(y)
            return (bottom - top) - (self.z - 1.0) * self.log_ratio(y)

        # y spans t from t_max·e^{−10⁶} to t_max(1 − e^{−10⁶}), where the root is bracketed
        # (excess falls with y). Safeguarded Newton from y = 0: each evaluation shrinks the
        # bracket, and a step that leaves it is replaced by its midpoint. Excess is nearly
        # linear in y on both tails (slopes −(z−1) and about −1), so Newton reaches rounding in
        # at most 7 steps over Ψ ∈ [1e-3, 1e4], a ∈ [0, 0.999], z − 1 ∈ [0.005, 50],
        # b − (2 − a) ∈ [1e-4, 100] (roots y from −1900 to 480); 80 halvings of the bracket, which
        # this replaced, gave the same y to 1e-14 at eight times the cost.
        lo, hi = -1e6 + 0.0 * self.z, 1e6 + 0.0 * self.z

        def polish(_, state):
            lo, hi, y = state
            f, slope = jax.jvp(excess, (y,), (jnp.ones_like(y),))
            above = f > 0
            lo, hi = jnp.where(above, y, lo), jnp.where(above, hi, y)
            step = y - f / slope
            # At the root f is rounding noise and may put y a hair outside its own bracket:
            # a step that small is always taken.
            tiny = jnp.abs(step - y) <= 1e-9 * (1.0 + jnp.abs(y))
            return lo, hi, jnp.where((step >= lo) & (step <= hi) | tiny, step, 0.5 * (lo + hi))

        _, _, y = jax.lax.fori_loop(0, _NEWTON_STEPS, polish, (lo, hi, 0.0 * self.z))
        top, _ = self.log_marginal_revenue(y)
        return (jnp.log(self.size) + top) / (self.z - 1.0), y


@final
class NiemKim2020(AbstractModel):
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
    **Equations:** `quality_choice`, (dΠ_i/dq_i)/q_i^{z−1} = Ψ·MR_i(q/q_1)/q_i^{z−1} − 1 = 0 for
    each firm: the total derivative of profit through the price stage (Appendix A1) relative to
    marginal R&D cost. The marginal revenue MR_i of a unit market is homogeneous of degree zero
    in the qualities, so it is evaluated at q/q_1 and the rest in logs.

    **Validity** (each a condition of the paper's covered-market equilibrium, spec §4):
    `market_shares_positive` (b > θ_1 > … > θ_{N−1} > 1), `price_kink_down` and `price_kink_up`
    (p_N = q_N is the bottom firm's best price: lowering it gains no buyers, raising it, which
    uncovers the market, does not pay), `profits_positive`, and `within_float64_range` (every
    q_i and every outcome a finite float64: q scales as Ψ^{1/(z−1)}, beyond e^{±708} for z near
    1 with Ψ or the cost terms far from 1; `log_quality` is the outcome to read there).

    **Outcomes** (arrays over firms, highest quality first):
    - `quality` q_i, `log_quality` ln q_i and `price` p_i (eq. 4 given q; p_N = q_N);
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
    - `covered_market` (bool): every validity condition of the covered corner holds (kink
      conditions, boundaries strictly inside (1, b) and ordered, every profit positive).
    """

    size: jax.Array = param(10.0)
    a: jax.Array = param(0.1)
    b: jax.Array = param(4.0)
    z: jax.Array = param(2.0)
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

    def _revenue(self, quality, price, covered: bool = True):
        """D_i (p_i − a q_i) for a market of one consumer (Ψ = 1)."""
        theta = self.boundaries(quality, price, covered)
        return (theta[:-1] - theta[1:]) / (self.b - 1.0) * (price - self.a * quality)

    def profit_at(self, quality, price, covered: bool = True):
        """Π_i = D_i (p_i − a q_i) − q_i^z/z at given ranked qualities and any prices."""
        return self.size * self._revenue(quality, price, covered) - quality**self.z / self.z

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

    def _marginal_revenue(self, quality):
        """d[D_i (p_i − a q_i)]/dq_i of a unit market, through p(q) (homogeneous of degree 0).

        One forward-mode pass per firm through the linear price solve; the bottom firm's own
        price moves one-for-one with its quality (dp_N/dq_N = 1, the covered corner).
        """
        def revenue(q):
            return self._revenue(q, self.prices(q))

        basis = jnp.eye(self.n_firms, dtype=quality.dtype)
        derivative = jax.vmap(lambda e: jax.jvp(revenue, (quality,), (e,))[1])(basis)
        return jnp.diagonal(derivative)

    def marginal_profit(self, quality):
        """dΠ_i/dq_i, the total own-quality derivative through p(q) (stage-1 FOC, App. A1)."""
        return self.size * self._marginal_revenue(quality) - quality ** (self.z - 1.0)

    # ---- stage 1: qualities ----------------------------------------------------------------

    def _duopoly(self):
        return _Duopoly(self.a, self.b, self.z, self.size)

    def reference_steps(self):
        """The N = 2 closed-form equilibrium in log-step coordinates (for more firms, its top
        step with the bottom quality split geometrically below): the start for N ≥ 3."""
        log_q1, y = self._duopoly().start()
        log_q2 = log_q1 + self._duopoly().log_ratio(y)
        top = log_q1 + jnp.log1p(-jnp.exp(log_q2 - log_q1))
        if self.n_firms == 2:
            return jnp.stack([top, log_q2])
        # q_2, q_2/2, ...: steps q_2/2^j below q_2, then q_1 − q_2 on top
        j = jnp.arange(self.n_firms - 2, dtype=log_q2.dtype)
        lower = log_q2 - (j + 1) * jnp.log(2.0)
        return jnp.concatenate([top[None], lower, (log_q2 - (self.n_firms - 2) * jnp.log(2.0))[None]])

    def log_quality(self, x):
        """ln q from the unknowns, highest first."""
        if self.n_firms == 2:
            log_q1 = x["log_top_quality"]
            return jnp.stack([log_q1, log_q1 + self._duopoly().log_ratio(x["bottom_position"])])
        return _log_quality_from_steps(x["quality_steps"])

    def quality(self, x):
        """q from the unknowns: positive and strictly ranked."""
        return jnp.exp(self.log_quality(x))

    def guess(self):
        # N = 2: the closed-form equilibrium at this point's own parameters (`sweep` starts
        # every point at its own guess). N ≥ 3: the duopoly with the bottom split below.
        if self.n_firms == 2:
            log_q1, y = self._duopoly().start()
            return {"log_top_quality": log_q1, "bottom_position": y}
        return {"quality_steps": self.reference_steps()}

    def _relative(self, x):
        """(ln q, q/q_1): log qualities and qualities relative to the top one (in (0, 1])."""
        log_q = self.log_quality(x)
        return log_q, jnp.exp(log_q - log_q[0])

    def residuals(self, x):
        log_q = self.log_quality(x)
        if self.n_firms == 2:
            # ln(Ψ MR_i) − (z − 1) ln q_i: the FOCs in logs, each side finite for every y
            top, bottom = self._duopoly().log_marginal_revenue(x["bottom_position"])
            log_gain = jnp.log(self.size) + jnp.stack([top, bottom]) - (self.z - 1.0) * log_q
            return {"quality_choice": log_gain}
        # Ψ MR_i / q_i^{z−1} − 1 with the power in logs: q_i^{z−1} may be e^{±700} on its own
        relative = jnp.exp(log_q - log_q[0])
        log_cost = (self.z - 1.0) * log_q - jnp.log(self.size)
        gain = self._marginal_revenue(relative) * jnp.exp(-jnp.clip(log_cost, -_LOG_RANGE, _LOG_RANGE))
        return {"quality_choice": gain - 1.0}

    def _surplus(self, x):
        """Everything of `outcomes` but the flags; levels = (scale of q_1) × unit-market values."""
        log_q, relative = self._relative(x)
        log_q1 = log_q[0]
        price_rel = self.prices(relative)
        theta = self.boundaries(relative, price_rel)
        width = theta[:-1] - theta[1:]
        density = self.size / (self.b - 1.0)
        demand = density * width
        quality = jnp.exp(log_q)
        # p_N = q_N (the covered corner) in levels, so that a bottom quality far below the top
        # one (q_N/q_1 < e^{-708} as z → 1) keeps its own scale
        price = (jnp.exp(log_q1) * price_rel).at[-1].set(quality[-1])
        rd_cost = jnp.exp(self.z * log_q) / self.z
        producer = demand * (price - self.a * quality) - rd_cost
        consumer = density * (quality * (theta[:-1] ** 2 - theta[1:] ** 2) / 2 - price * width)
        # Bottom firm's price kink (spec §4): lowering p_N gains no buyers, raising it loses
        # buyers at θ = 1 as well as to firm N−1. Unit-free: in relative qualities.
        step = relative[-2] - relative[-1]
        margin = price_rel[-1] - self.a * relative[-1]
        slack_down = (theta[-2] - 1.0) - margin / step
        slack_up = (1.0 - self.a) * (relative[-1] / step + 1.0) - (theta[-2] - 1.0)
        return {
            "quality": quality,
            "log_quality": log_q,
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
        }

    def validity(self, x):
        # Keys in sorted order (a pytree's, hence the reason codes'), so that a point with no
        # equilibrium is reported as such before any overflow of its numbers.
        out = self._surplus(x)
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in out.values()]))
        return {
            "market_shares_positive": jnp.all(out["market_share"] > 0),
            "price_kink_down": out["cover_slack_down"] >= -_SLACK_TOL,
            "price_kink_up": out["cover_slack_up"] >= -_SLACK_TOL,
            "profits_positive": jnp.all(out["producer_surplus"] > 0),
            "within_float64_range": jnp.all(jnp.abs(out["log_quality"]) <= _LOG_RANGE) & finite,
        }

    def outcomes(self, x):
        out = self._surplus(x)
        covered = jnp.all(jnp.stack(list(self.validity(x).values())))
        return {**out, "covered_market": covered}

    def explain_failure(self, eq):
        # A failed point's values are NaN in `eq`; for N = 2 the closed-form start is the
        # equilibrium of the first-order conditions, so its validity tells what went wrong.
        if self.n_firms > 2:
            if not all(bool(jnp.all(jnp.isfinite(v))) for v in jax.tree_util.tree_leaves(eq.x)):
                return (f"No equilibrium with {self.n_firms} firms was found: Newton left the region "
                        "where the first-order conditions are finite, as when the bottom firm's quality "
                        "is driven to 0 because fewer firms fit this market (Lemmas 1–2).")
            x = eq.x
        else:
            x = self.guess()
        out = {k: jnp.asarray(v) for k, v in self._surplus(x).items()}
        valid = {k: bool(v) for k, v in self.validity(x).items()}
        log_q = ", ".join(f"{float(v):.4g}" for v in out["log_quality"])
        if not valid["price_kink_up"]:
            return ("No equilibrium of the covered-market model: the bottom firm would raise its price "
                    "above q_N and leave the market uncovered (b is above the covered-corner bound for "
                    "these a and z, spec §4); the model has no uncovered regime.")
        if not valid["price_kink_down"]:
            return ("No equilibrium of the covered-market model: the bottom firm would cut its price "
                    "below q_N to win buyers from firm N − 1 (b is below the covered-corner bound for "
                    "these a and z, spec §4).")
        if not (valid["market_shares_positive"] and valid["profits_positive"]):
            return (f"No equilibrium with {self.n_firms} firms: at the solution of the first-order "
                    "conditions a firm has no buyers or a negative profit.")
        if not valid["within_float64_range"]:
            return (f"The equilibrium exists, but its qualities or surpluses lie outside the float64 "
                    f"range (ln q = {log_q}; q scales as (Ψ·…)^{{1/(z−1)}} with z = {float(self.z):.4g}); "
                    "`log_quality` is finite.")
        return f"The quality first-order conditions were not solved (closed-form start ln q = {log_q})."
