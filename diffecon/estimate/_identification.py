"""Local identification and delta-method covariance from the moment Jacobian.

With moments m(θ), targets t and weighting matrix W = R Rᵀ, the fit minimises
½ (m(θ) − t)ᵀ W (m(θ) − t). At the optimum, with G = ∂m/∂θ:

- the weighted Jacobian A = Rᵀ G has singular values s₁ ≥ … ≥ s_K (K free parameter elements,
  zero ones added when there are fewer moments than parameters); its numerical rank counts
  s_i > s₁·`rank_rtol`; its condition number is s₁/s_K; the weakest direction is the right
  singular vector of s_K, a direction dθ along which the moments move least;
- the delta method gives Var(θ̂) = B Ω Bᵀ with B = (GᵀWG)⁻¹GᵀW and Ω the covariance of the
  targets; by default Ω = W⁻¹ (the weights are inverse variances), so Var(θ̂) = (GᵀWG)⁻¹.

All in the parameters' own units (not the unconstrained coordinates of the search).
"""

from __future__ import annotations

from collections.abc import Sequence

import equinox as eqx
import numpy as np

RANK_RTOL = 1e-8


class Identification(eqx.Module):
    """Local identification of the free parameters at the fitted point.

    **Fields:**
    - `rank`: numerical rank of the weighted moment Jacobian (full rank = number of free
      parameter elements);
    - `n_params`: number of free parameter elements;
    - `condition_number`: s_max/s_min of the weighted moment Jacobian (∞ when rank-deficient);
    - `singular_values`: all K singular values, largest first (zeros added when there are fewer
      moments than parameters);
    - `weakest_direction`: unit vector dθ (over `param_names`) along which the moments change
      least, sign chosen so its largest entry is positive;
    - `param_names`: names of the free parameter elements (e.g. ``sigma``, ``beta[1]``);
    - `weakest`: the weakest direction in words, e.g. ``"0.71·sigma − 0.70·tau"``.
    """

    rank: int = eqx.field(static=True)
    n_params: int = eqx.field(static=True)
    condition_number: float = eqx.field(static=True)
    singular_values: np.ndarray
    weakest_direction: np.ndarray
    param_names: tuple[str, ...] = eqx.field(static=True)
    weakest: str = eqx.field(static=True)

    @property
    def identified(self) -> bool:
        return self.rank == self.n_params

    def __str__(self) -> str:
        status = "full rank" if self.identified else "NOT locally identified"
        return (
            f"rank {self.rank} of {self.n_params} ({status}); condition number "
            f"{self.condition_number:.3g}; weakest direction {self.weakest} "
            f"(singular value {self.singular_values[-1]:.3g})"
        )


def _direction_text(vector: np.ndarray, names: Sequence[str], min_abs: float = 0.005) -> str:
    terms = []
    for value, name in zip(vector, names):
        if abs(value) < min_abs:
            continue
        sign = "−" if value < 0 else "+"
        terms.append((sign, f"{abs(value):.2f}·{name}"))
    if not terms:  # cannot happen for a unit vector; guards the formatting only
        return "0"
    first_sign, first = terms[0]
    text = ("−" if first_sign == "−" else "") + first
    return text + "".join(f" {s} {t}" for s, t in terms[1:])


def identification(weighted_jacobian: np.ndarray, names: Sequence[str]) -> Identification:
    """The identification report of a weighted moment Jacobian A (moments × parameters)."""
    a = np.asarray(weighted_jacobian, dtype=np.float64)
    k = a.shape[1]
    if not np.all(np.isfinite(a)):  # e.g. at a point whose equilibrium did not solve
        nan = np.full(k, np.nan)
        return Identification(0, k, float("nan"), nan, nan, tuple(names),
                              "undefined (the moment Jacobian is not finite)")
    _, s, vt = np.linalg.svd(a, full_matrices=True)
    s = np.concatenate([s, np.zeros(k - s.size)])
    s_max = s[0] if s.size else 0.0
    rank = int(np.sum(s > s_max * RANK_RTOL)) if s_max > 0 else 0
    cond = float(s_max / s[-1]) if s[-1] > 0 else float("inf")
    weakest = vt[-1]
    weakest = weakest * np.sign(weakest[np.argmax(np.abs(weakest))])
    return Identification(
        rank, k, cond, s, weakest, tuple(names), _direction_text(weakest, names)
    )


def delta_covariance(
    jacobian: np.ndarray, weight: np.ndarray, moment_covariance: np.ndarray | None
) -> np.ndarray:
    """Delta-method covariance of θ̂ (see the module docstring); ∞ on the variances of
    parameter elements that move along an unidentified direction."""
    g = np.asarray(jacobian)
    w = np.asarray(weight)
    h = g.T @ w @ g
    u, s, vt = np.linalg.svd(h)
    keep = s > (s[0] if s.size else 0.0) * RANK_RTOL**2  # h = AᵀA squares the singular values
    h_pinv = (vt[keep].T / s[keep]) @ u[:, keep].T
    if moment_covariance is None:
        cov = h_pinv
    else:
        b = h_pinv @ g.T @ w
        cov = b @ np.asarray(moment_covariance) @ b.T
    null = vt[~keep]
    unidentified = np.sum(null**2, axis=0) > 1e-12
    cov = cov.copy()
    cov[unidentified, :] = np.inf
    cov[:, unidentified] = np.inf
    return cov
