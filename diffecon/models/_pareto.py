"""Pareto productivity integrals of Melitz-type models, in log space.

Productivity φ is Pareto with shape k and scale φ_min: G(φ) = 1 − (φ/φ_min)^{−k} for φ ≥ φ_min.
A firm with productivity φ earns variable profits ∝ φ^{σ−1}, so every aggregate over the firms
above a cutoff a is one of three integrals (Ara 2026, Appendix A.1.1–A.1.2; Melitz 2003):

- the tail mass 1 − G(a) (active firms per entrant);
- the revenue moment a^{1−σ} V(a), with V(a) = ∫_a^∞ φ^{σ−1} dG(φ) (A.1.2); a fixed cost f
  times it is Ara's F(a) = f a^{1−σ} V(a), the revenue of the activity per entrant in units of
  its fixed cost;
- the expected-profit integral J(a) = ∫_a^∞ [(φ/a)^{σ−1} − 1] dG(φ) of the free-entry
  condition, Ara's eq. (2): Σ_a f_a J(φ_a) = f_E.

Two variants. *Untruncated* ("formal") applies the closed forms at every cutoff, also below
φ_min, as the paper's eqs (13), (14) and (16) do. *Truncated* ("exact") integrates over the
support only, i.e. uses max(a, φ_min); it has a kink at a = φ_min, where the derivative jumps
from σ − 1 to k (in −d ln/d ln a). Every function takes and returns logarithms, so cutoffs far
out in the tails neither overflow nor underflow. All need k > σ − 1 (V finite).
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = ["log_survival", "log_revenue_moment", "log_profit_integral"]


def _above_support(log_a, log_phi_min, truncated):
    """ln(a/φ_min), clipped at 0 from below for the truncated variant."""
    rel = log_a - log_phi_min
    return jnp.maximum(rel, 0.0) if truncated else rel


def log_survival(log_a, k, log_phi_min, truncated=False):
    """ln(1 − G(a)): the log share of entrants above the cutoff a.

    **Arguments:**
    - `log_a`: ln a, the cutoff (any shape);
    - `k`: the Pareto shape (> 0); `log_phi_min`: ln φ_min;
    - `truncated`: integrate over the support only (1 − G = 1 below φ_min).

    **Returns:** −k ln(a/φ_min) (untruncated), or −k max(ln(a/φ_min), 0).
    """
    return -k * _above_support(log_a, log_phi_min, truncated)


def log_revenue_moment(log_a, sigma, k, log_phi_min, truncated=False):
    """ln[a^{1−σ} V(a)], with V(a) = ∫_a^∞ φ^{σ−1} dG (Ara 2026, Appendix A.1.2).

    F(a) = f a^{1−σ} V(a) is Ara's revenue term: R_Di = σ w_i M_Ei [F(φ_Di) + F(φ_DMi)].
    Under Pareto a^{1−σ} V(a) = k/(k−σ+1) · (a/φ_min)^{−k} for a ≥ φ_min (spec §4); truncated
    below φ_min it is k/(k−σ+1) · (φ_min/a)^{σ−1}.

    **Arguments:** as `log_survival`, plus `sigma` (> 1; k > σ − 1).

    **Returns:** the log moment, same shape as `log_a`.
    """
    rel = log_a - log_phi_min
    scale = jnp.log(k) - jnp.log(k - (sigma - 1))
    if not truncated:
        return scale - k * rel
    return scale + jnp.where(rel > 0, -k * rel, -(sigma - 1) * rel)


def log_profit_integral(log_a, sigma, k, log_phi_min, truncated=False):
    """ln J(a), J(a) = ∫_a^∞ [(φ/a)^{σ−1} − 1] dG (Ara 2026, eq. 2 and Appendix A.1.1).

    Untruncated: J(a) = (σ−1)/(k−σ+1) · (a/φ_min)^{−k}. Truncated below φ_min, with
    v = (σ−1) ln(φ_min/a) ≥ 0: J(a) = [k e^v − (k−σ+1)]/(k−σ+1)
    = e^v [σ − 1 − (k−σ+1) expm1(−v)]/(k−σ+1), a sum of positive terms (no cancellation, no
    overflow far below the support; J = a^{1−σ}V − (1 − G), spec §4).

    **Arguments:** as `log_revenue_moment`.

    **Returns:** ln J(a), same shape as `log_a`.
    """
    rel = log_a - log_phi_min
    gap = k - (sigma - 1)
    tail = jnp.log(sigma - 1) - jnp.log(gap) - k * rel
    if not truncated:
        return tail
    v = -(sigma - 1) * jnp.minimum(rel, 0.0)  # keeps the unused branch finite (no NaN gradient)
    inside = v + jnp.log((sigma - 1) - gap * jnp.expm1(-v)) - jnp.log(gap)
    return jnp.where(rel > 0, tail, inside)
