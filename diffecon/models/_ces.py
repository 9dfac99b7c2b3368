"""CES demand in log space: price indices, expenditure shares and trade flows.

Every model with CES (Dixit–Stiglitz) demand buys from a set of sources i, each offering
`mass_i` varieties (firms, or a taste weight) at a delivered price `price_i`. With elasticity
of substitution σ > 1, a buyer spending E faces (Dixit and Stiglitz 1977; Krugman 1980,
Section I and eq. 12)

    P^{1−σ} = Σ_i mass_i · price_i^{1−σ}                      (CES price index)
    λ_i     = mass_i · price_i^{1−σ} / P^{1−σ}                (share of E spent on source i)
    X_i     = λ_i · E                                         (spending on source i)

and a single variety from i sells X_i / mass_i. Everything here takes and returns logarithms
and sums with `logsumexp`, so price_i^{1−σ} never under- or overflows (σ = 100 with prices
of 10³ is e^{−690}), and an empty source (`log_mass = −inf`) simply drops out of the sum.

The source axis is `axis`; the other axes are free (destinations, industries, batches), so one
call gives the price index of every market of a J×N×N model. Inputs broadcast against each
other as in numpy; `sigma` must broadcast against the result with the source axis removed
(a scalar always does).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.nn import logsumexp

__all__ = ["log_denominator", "log_price_index", "log_shares", "log_flows"]


def log_denominator(log_price, sigma, log_mass=None, axis=0):
    """log Σ_i mass_i · price_i^{1−σ}, the CES demand denominator P^{1−σ}.

    Models that only need demand per variety (revenue = E · price^{1−σ} / P^{1−σ}) use this
    directly: it is finite for every σ, while P itself is a power 1/(1−σ) of it.

    **Arguments:**
    - `log_price`: log delivered prices, sources along `axis`;
    - `sigma`: elasticity of substitution σ > 1;
    - `log_mass`: log number (or weight) of varieties per source, broadcastable against
      `log_price` (shape `(S, 1)` for S sources and several destinations); None means one each;
    - `axis`: the source axis.

    **Returns:** an array with `axis` removed.
    """
    return logsumexp(_log_terms(log_price, sigma, log_mass, axis), axis=axis)


def log_price_index(log_price, sigma, log_mass=None, axis=0):
    """log P, P = (Σ_i mass_i · price_i^{1−σ})^{1/(1−σ)}: the CES price index.

    **Arguments:** as `log_denominator`.

    **Returns:** an array with `axis` removed.
    """
    return log_denominator(log_price, sigma, log_mass, axis) / (1 - jnp.asarray(sigma))


def log_shares(log_price, sigma, log_mass=None, axis=0):
    """log λ_i: the log share of a buyer's spending that goes to source i (all its varieties).

    **Arguments:** as `log_denominator`.

    **Returns:** an array of the broadcast shape of the inputs, sources along `axis`; the
    shares sum to one along `axis`.
    """
    terms = _log_terms(log_price, sigma, log_mass, axis)
    return terms - logsumexp(terms, axis=axis, keepdims=True)


def log_flows(log_price, sigma, log_expenditure, log_mass=None, axis=0):
    """log X_i = log E + log λ_i: a buyer's spending on each source.

    **Arguments:** as `log_denominator`, and `log_expenditure`: the buyer's log spending E,
    broadcastable against `log_price` with the source axis removed.

    **Returns:** an array of the broadcast shape, sources along `axis`.
    """
    shares = log_shares(log_price, sigma, log_mass, axis)
    return shares + _restore_axis(log_expenditure, axis, shares.ndim)


def _log_terms(log_price, sigma, log_mass, axis):
    log_price = jnp.asarray(log_price)
    ndim = max(log_price.ndim, jnp.ndim(sigma) + 1, jnp.ndim(log_mass) if log_mass is not None else 0)
    terms = (1 - _restore_axis(sigma, axis, ndim)) * log_price
    return terms if log_mass is None else terms + log_mass


def _restore_axis(value, axis: int, ndim: int) -> jax.Array:
    """`value`, shaped like the result without the source axis, with a length-1 axis put back
    where `axis` was, so that it broadcasts against arrays that have the source axis."""
    value = jnp.asarray(value)
    trailing = (-axis - 1) if axis < 0 else (ndim - 1 - axis)
    where = value.ndim - trailing
    return value if where < 0 else jnp.expand_dims(value, where)
