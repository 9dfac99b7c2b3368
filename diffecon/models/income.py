"""Income distributions as differentiable objects, with quadrature rules of known accuracy.

Every distribution is a frozen `eqx.Module` whose float fields are differentiable parameters.
It exposes `quadrature() -> (y, log_w)`: income nodes and log-weights with
`logsumexp(log_w) = 0` (up to the rule's accuracy), so an expectation is
`E[h(y)] = Σ_i exp(log_w_i) h(y_i)`, taken in log space where `h` is a probability.

Two distribution-free changes are parameters of every distribution (and of `FGH2011`, per
country): `shift` δ moves every income up by δ (a first-order stochastic-dominance shift when
δ > 0) and `spread` λ stretches incomes around the mean, y ↦ μ + λ(y − μ) (a mean-preserving
spread when λ > 1). Nodes and weights are computed once in NumPy for a static node count; only
the affine maps of the nodes carry parameters, so derivatives are exact.

Rules: Gauss–(generalised) Laguerre for the shifted Gamma (the paper's y − y_min exponential is
shape 1), Gauss–Hermite for the log-normal, Gauss–Legendre for the uniform, the atoms
themselves for an empirical distribution, and concatenated rules for a mixture.
`quadrature_error(h)` reports |E_n[h] − E_2n[h]|, the change from doubling the nodes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax.nn import logsumexp

from ..core import AbstractParameters, greater_than, param, positive

__all__ = [
    "IncomeDistribution",
    "ShiftedGamma",
    "ShiftedExponential",
    "LogNormal",
    "Uniform",
    "Empirical",
    "Mixture",
    "shift_and_spread",
]


def shift_and_spread(y, mean, shift, spread):
    """y ↦ μ + λ(y − μ) + δ: a mean-preserving spread (λ > 1) followed by a shift δ (FOSD if δ > 0)."""
    return mean + spread * (y - mean) + shift


def _log_weights(w: np.ndarray, log_norm: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Log-weights of a rule, dropping weights that underflow (log 0 would poison gradients)."""
    keep = np.isfinite(w) & (w > 0)
    return keep, np.log(w[keep]) - log_norm


class IncomeDistribution(AbstractParameters):
    """Base class: subclasses define `_base_quadrature`, `_base_mean`, `_base_min`, `refined`,
    `requirements`, and the fields `shift` and `spread`. Parameters are checked at construction
    and printed with their values as a model's are (`diffecon.core.AbstractParameters`)."""

    def _base_quadrature(self):
        raise NotImplementedError

    def _base_mean(self):
        raise NotImplementedError

    def _base_min(self):
        raise NotImplementedError

    def refined(self) -> IncomeDistribution:
        """The same distribution with a rule of twice the nodes (itself if exact)."""
        if "n_nodes" not in self.__dataclass_fields__:
            return self
        return dataclasses.replace(self, n_nodes=2 * self.n_nodes)

    def quadrature(self):
        """**Returns:** `(y, log_w)`: income nodes and log-weights (summing to one in levels)."""
        y, log_w = self._base_quadrature()
        return shift_and_spread(y, self._base_mean(), self.shift, self.spread), log_w

    def mean(self):
        """Exact mean E[y] (a mean-preserving spread leaves it unchanged)."""
        return self._base_mean() + self.shift

    def support_min(self):
        """The lowest income in the support (−∞ → not bounded below is never returned)."""
        return shift_and_spread(self._base_min(), self._base_mean(), self.shift, self.spread)

    def expectation(self, h: Callable):
        """E[h(y)] by the quadrature rule (`h` maps an array of incomes to an array)."""
        y, log_w = self.quadrature()
        return jnp.sum(jnp.exp(log_w) * h(y))

    def quadrature_error(self, h: Callable | None = None):
        """|E_n[h] − E_2n[h]|: the accuracy of the rule for `h` (default: a logistic in y, the
        shape of the paper's choice probabilities)."""
        h = (lambda y: 1.0 / (1.0 + jnp.exp(-0.15 * (y - 4.0)))) if h is None else h
        return jnp.abs(self.expectation(h) - self.refined().expectation(h))


class ShiftedGamma(IncomeDistribution):
    """y = y_min + scale·u with u ~ Gamma(shape, 1): the paper's figures use shape 1 (§11).

    **Parameters:** `y_min` (support minimum), `scale` (> 0), `shape` (static, > 0),
    `n_nodes` (static; Gauss–generalised-Laguerre with α = shape − 1), `shift`, `spread`.
    """

    y_min: jnp.ndarray = param(1.0)
    scale: jnp.ndarray = param(6.0)
    shape: float = eqx.field(static=True, default=1.0)
    n_nodes: int = eqx.field(static=True, default=64)
    shift: jnp.ndarray = param(0.0)
    spread: jnp.ndarray = param(1.0)

    def _base_quadrature(self):
        import scipy.special as sps  # here, not at import: `import diffecon` stays light

        u, w = sps.roots_genlaguerre(self.n_nodes, self.shape - 1.0)
        keep, log_w = _log_weights(w, math.lgamma(self.shape))
        return self.y_min + self.scale * jnp.asarray(u[keep]), jnp.asarray(log_w)

    def _base_mean(self):
        return self.y_min + self.scale * self.shape

    def _base_min(self):
        return self.y_min

    def median(self):
        """Median income (closed form y_min + scale·ln 2 for shape 1, the paper's 5.1589/2.3863)."""
        if self.shape == 1.0:
            q = jnp.log(2.0)
        else:
            import scipy.special as sps

            q = float(sps.gammaincinv(self.shape, 0.5))
        return shift_and_spread(self.y_min + self.scale * q, self._base_mean(), self.shift, self.spread)

    def requirements(self):
        return (positive("scale", self.scale), positive("spread", self.spread))


def ShiftedExponential(y_min=1.0, scale=6.0, n_nodes=64, shift=0.0, spread=1.0) -> ShiftedGamma:
    """y − y_min exponential with mean `scale`: the paper's income distributions (R: 6, P: 2)."""
    return ShiftedGamma(y_min, scale, 1.0, n_nodes, shift, spread)


class LogNormal(IncomeDistribution):
    """y = y_min + exp(μ + σZ), Z standard normal (Gauss–Hermite rule).

    **Parameters:** `mu`, `sigma` (> 0), `y_min` (support minimum; the goods must be affordable),
    `n_nodes` (static), `shift`, `spread`.
    """

    mu: jnp.ndarray = param(1.0)
    sigma: jnp.ndarray = param(0.8)
    y_min: jnp.ndarray = param(1.0)
    n_nodes: int = eqx.field(static=True, default=64)
    shift: jnp.ndarray = param(0.0)
    spread: jnp.ndarray = param(1.0)

    def _base_quadrature(self):
        import scipy.special as sps

        z, w = sps.roots_hermite(self.n_nodes)
        keep, log_w = _log_weights(w, 0.5 * math.log(math.pi))
        y = self.y_min + jnp.exp(self.mu + math.sqrt(2.0) * self.sigma * jnp.asarray(z[keep]))
        return y, jnp.asarray(log_w)

    def _base_mean(self):
        return self.y_min + jnp.exp(self.mu + 0.5 * self.sigma**2)

    def _base_min(self):
        return self.y_min

    def requirements(self):
        return (positive("sigma", self.sigma), positive("spread", self.spread))


class Uniform(IncomeDistribution):
    """y ~ U[low, high] (Gauss–Legendre rule); used for the paper's mean-preserving-spread claim."""

    low: jnp.ndarray = param(1.8)
    high: jnp.ndarray = param(2.2)
    n_nodes: int = eqx.field(static=True, default=32)
    shift: jnp.ndarray = param(0.0)
    spread: jnp.ndarray = param(1.0)

    def _base_quadrature(self):
        z, w = np.polynomial.legendre.leggauss(self.n_nodes)
        keep, log_w = _log_weights(w, math.log(2.0))
        y = self.low + (self.high - self.low) * (jnp.asarray(z[keep]) + 1.0) / 2.0
        return y, jnp.asarray(log_w)

    def _base_mean(self):
        return 0.5 * (self.low + self.high)

    def _base_min(self):
        return self.low

    def requirements(self):
        return (greater_than("high - low", self.high - self.low, 0.0), greater_than("spread", self.spread, 0.0))


class Empirical(IncomeDistribution):
    """Atoms `incomes` with (unnormalised, positive) `weights`, e.g. a household survey.

    The rule is exact: the expectation is the weighted mean over the atoms.
    """

    incomes: jnp.ndarray = param(ndim=1)
    weights: jnp.ndarray = param(ndim=1)
    shift: jnp.ndarray = param(0.0)
    spread: jnp.ndarray = param(1.0)

    def __init__(self, incomes, weights=None, shift=0.0, spread=1.0):
        # the fields' converters make float64 arrays (and name a value that is not a number)
        self.incomes = incomes
        self.weights = np.ones(np.shape(incomes)) if weights is None else weights
        self.shift = shift
        self.spread = spread

    def _log_w(self):
        log_w = jnp.log(self.weights)
        return log_w - logsumexp(log_w)

    def _base_quadrature(self):
        return self.incomes, self._log_w()

    def _base_mean(self):
        return jnp.sum(jnp.exp(self._log_w()) * self.incomes)

    def _base_min(self):
        return jnp.min(self.incomes)

    def requirements(self):
        return (positive("weights", self.weights), positive("spread", self.spread))


class Mixture(IncomeDistribution):
    """A mixture of distributions with positive `weights` (e.g. population shares): the
    component rules concatenated, never a new rule (§11 of the spec)."""

    components: tuple
    weights: jnp.ndarray = param(ndim=1)
    shift: jnp.ndarray = param(0.0)
    spread: jnp.ndarray = param(1.0)

    def __init__(self, components, weights, shift=0.0, spread=1.0):
        self.components = tuple(components)
        self.weights = weights
        self.shift = shift
        self.spread = spread

    def _log_shares(self):
        return jnp.log(self.weights) - logsumexp(jnp.log(self.weights))

    def _base_quadrature(self):
        parts = [c.quadrature() for c in self.components]
        log_shares = self._log_shares()
        y = jnp.concatenate([p[0] for p in parts])
        log_w = jnp.concatenate([p[1] + log_shares[i] for i, p in enumerate(parts)])
        return y, log_w

    def _base_mean(self):
        return jnp.sum(jnp.exp(self._log_shares()) * jnp.stack([c.mean() for c in self.components]))

    def _base_min(self):
        return jnp.min(jnp.stack([c.support_min() for c in self.components]))

    def refined(self):
        return Mixture([c.refined() for c in self.components], self.weights, self.shift, self.spread)

    def requirements(self):
        reqs = [positive("weights", self.weights), positive("spread", self.spread)]
        for c in self.components:
            reqs.extend(c.requirements())
        return tuple(reqs)
