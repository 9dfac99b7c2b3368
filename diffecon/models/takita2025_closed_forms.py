"""Takita (2025)'s closed forms, written out as the paper prints them (and corrected where it errs).

These are *not* used to solve `Takita2025` (that runs on the market-clearing conditions); they
are the reference the solver is checked against in the tests and the replication. Every
function takes numpy/JAX arrays and broadcasts. Equation numbers are the paper's.
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = [
    "quality_index", "slope_A", "intercept_k", "labour_interior", "labour_phi_above_one", "demands_interior",
    "trade_interior", "t21_printed", "corner_h_large", "corner_h_small", "h_thresholds",
    "q_boundaries", "labour_closed_form", "labour_log_form", "regime_sequence_table8",
    "regime_sequence_table9",
]


def quality_index(Q, sigma, mu_f, mu_m):
    """h(Q) = Q^{μ_f + (σ−1)(μ_m−1)} (the paper's "quality impact index", eq. 39's footnote)."""
    return Q ** (mu_f + (sigma - 1) * (mu_m - 1))


def slope_A(phi, h):
    """A(φ, h) = (1+φ)(1−φ) / ((1−φh)(1−φ/h)), the slope dL₁/dq of eq. (51)."""
    return (1 + phi) * (1 - phi) / ((1 - phi * h) * (1 - phi / h))


def intercept_k(phi, h):
    """k(φ, h) = ½ (1+φ/h)(1−φh) / ((1+φ)(1−φ)), where L₁ = ½ (eq. 51)."""
    return 0.5 * (1 + phi / h) * (1 - phi * h) / ((1 + phi) * (1 - phi))


def labour_interior(q, phi, h):
    """(L₁, L₂) of eqs (38)–(39), valid only inside the interior regime."""
    A = slope_A(phi, h)
    L1 = A * q - (phi / h) / (1 - phi / h)
    L2 = -A * q + 1 / (1 - phi / h)
    return L1, L2


def labour_phi_above_one(q, phi, h):
    """(L₁, L₂) of eqs (53)–(54), the paper's separate form for φ > 1 (identical lines)."""
    B = (phi + 1) * (phi - 1) / ((phi * h - 1) * (phi / h - 1))
    L2 = B * q - 1 / (phi / h - 1)
    L1 = -B * q + (phi / h) / (phi / h - 1)
    return L1, L2


def demands_interior(q, phi, h, tau, Q, sigma, mu_m, f, m):
    """Per-variety consumption (c₁₁, c₂₁, c₁₂, c₂₂) of eqs (34)–(37) (interior, w = 1)."""
    base = f * (sigma - 1) / (m * (1 + phi) * (1 - phi))
    quality = Q ** (sigma * (mu_m - 1) + 1)
    c11 = base * (1 - phi * h) / q
    c21 = phi / (tau * quality) * base * (1 - phi * h) / q
    c12 = phi / tau * base * (h - phi) / (1 - q)
    c22 = base * (h - phi) / (quality * (1 - q))
    return c11, c21, c12, c22


def trade_interior(q, phi, h):
    """Trade values (T₁₁, T₂₁, T₁₂, T₂₂) of eqs (46)–(49), with (47) corrected (w = 1)."""
    d = (1 + phi) * (1 - phi)
    T11 = (d * h * q - phi * (1 - phi * h)) / (d * (h - phi))
    T21 = phi * ((1 - phi * h) - d * q) / (d * (h - phi))
    T12 = phi * (d * h * q - phi * (1 - phi * h)) / (d * (1 - phi * h))
    T22 = ((1 - phi * h) - d * q) / (d * (1 - phi * h))
    return T11, T21, T12, T22


def t21_printed(q, phi, h):
    """T₂₁ as eq. (47) prints it: φ(1−φh)[1 − (1+φ)(1−φ)q] / ((1+φ)(1−φ)(h−φ)) (a typo)."""
    d = (1 + phi) * (1 - phi)
    return phi * (1 - phi * h) * (1 - d * q) / (d * (h - phi))


def corner_h_large(q, phi):
    """h_L(q) = φq + (1−q)/φ: L₁ = 1 iff h ≥ h_L(q) (no profitable entry in country 2)."""
    return phi * q + (1 - q) / phi


def corner_h_small(q, phi):
    """h_S(q) = φ / (q + φ²(1−q)): L₁ = 0 iff h ≤ h_S(q)."""
    return phi / (q + phi**2 * (1 - q))


def h_thresholds(phi):
    """The h-thresholds of Tables 8 and 9: where L₁(½) = 0, ½, 1, and h = φ."""
    return {
        "small_at_half": 2 * phi / (1 + phi**2),
        "equal": jnp.ones_like(phi),
        "large_at_half": (1 + phi**2) / (2 * phi),
        "phi": phi,
    }


def q_boundaries(phi, h):
    """The q at which the regime changes, for given (φ, h) (from the corner conditions and L₁ = q).

    **Returns:** dict with `large` (h = h_L(q): L₁ reaches 1), `small` (h = h_S(q): L₁ reaches 0)
    and `equal_share` (L₁ = q, the HME/RHME boundary). Values outside (0, 1) mean "never".
    """
    A = slope_A(phi, h)
    return {
        "large": (phi * h - 1) / (phi**2 - 1),
        "small": (phi / h - phi**2) / (1 - phi**2),
        "equal_share": (phi / (h - phi)) / (A - 1),
    }


def labour_closed_form(q, phi, h):
    """L₁ over the whole domain: corners by h_S/h_L, else eq. (38) (evaluated only inside)."""
    large = h >= corner_h_large(q, phi)
    small = h <= corner_h_small(q, phi)
    inside = ~(large | small)
    safe_h = jnp.where(inside, h, 0.5 * (corner_h_large(q, phi) + corner_h_small(q, phi)))
    L1, _ = labour_interior(q, phi, safe_h)
    return jnp.where(large, 1.0, jnp.where(small, 0.0, L1))


# The paper's Tables 8 and 9 (regimes met as q rises from ½ to 1), keyed by h-band.

regime_sequence_table8 = {
    "Q = phi^(1/e)  (h = phi)": "CA-small",
    "phi < h < 2phi/(1+phi^2)": "CA-small → RHME → HME → CA-large",
    "Q = (2phi/(1+phi^2))^(1/e)": "RHME → HME → CA-large",
    "2phi/(1+phi^2) < h < 1": "RHME → HME → CA-large",
    "Q = 1": "HME → CA-large",
    "1 < h < (1+phi^2)/(2phi)": "HME → CA-large",
    "Q = ((1+phi^2)/(2phi))^(1/e)": "CA-large",
}

regime_sequence_table9 = {
    "Q = (2phi/(1+phi^2))^(1/e)": "CA-small",
    "2phi/(1+phi^2) < h < 1": "RHME → CA-small",
    "Q = 1": "RHME → CA-small",
    "1 < h < (1+phi^2)/(2phi)": "HME → RHME → CA-small",
    "Q = ((1+phi^2)/(2phi))^(1/e)": "HME → RHME → CA-small",
    "(1+phi^2)/(2phi) < h < phi": "CA-large → HME → RHME → CA-small",
    "Q = phi^(1/e)  (h = phi)": "CA-large",
}


def labour_log_form(q, log_phi, log_h):
    """L₁ over the whole domain from ln φ and ln h (no power of σ is formed, so it holds at any σ).

    Eq. (38) rewritten with a = h/φ and b = hφ is L₁ = q/(1 − b) + (1 − q)/(1 − a)
    (= −q/expm1(ln b) − (1 − q)/expm1(ln a)); the corners are h ≥ h_L(q) (L₁ = 1) and
    h ≤ h_S(q) (L₁ = 0), compared in logs.
    """
    log_q, log_1q = jnp.log(q), jnp.log1p(-q)
    large = log_h >= jnp.logaddexp(log_phi + log_q, log_1q - log_phi)
    small = log_h <= log_phi - jnp.logaddexp(log_q, 2 * log_phi + log_1q)
    inside = ~(large | small)
    log_a = jnp.where(inside, log_h - log_phi, 1.0)
    log_b = jnp.where(inside, log_h + log_phi, -1.0)
    L1 = -q / jnp.expm1(log_b) - (1 - q) / jnp.expm1(log_a)
    return jnp.where(large, 1.0, jnp.where(small, 0.0, L1))
