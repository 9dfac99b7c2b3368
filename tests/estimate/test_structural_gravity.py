"""Structural-gravity equivalence (Fally 2015): fitting the trade-cost coefficients of the
general-equilibrium `Gravity` model by the Poisson pseudo-likelihood's first-order conditions,
through the equilibrium solve, gives exactly the PPML estimates with exporter and importer
fixed effects.

Construction. The GE model starts from the independence flows B_ij = Y_i E_j / T (observed
output, expenditure, world income; same deficits as the data) with no frictions, and moves to
the observed covariates z_ij plus exporter indicators (one dropped: a common shift cancels in
the shares). Its equilibrium flows X'_ij = B_ij ŵ_i^{1−σ} exp(z_ij'b + a_i) E'_j / P̂_j have the
PPML mean form for any (b, a); importer sums equal E'_j by construction. The moments are the
PPML scores of the free coefficients: Σ z_kij (X_ij − X'_ij) for the trade-cost covariates and
Σ_j (X_ij − X'_ij) for the exporter shifters. At their root every exporter sells its observed
output, so ŵ = 1, E' = E, and X' is the PPML fit — hence b must equal PPML's b̂.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pandas as pd

import diffecon as de
from diffecon.estimate import calibrate, ppml
from diffecon.models import Gravity


def _synthetic_table(rng, n, names):
    """Gravity flows with multiplicative noise (so PPML does not fit exactly).

    Importer effects follow exporter effects up to noise, so that trade is roughly balanced as
    in real data (deficits of tens of percent of output, not tens of times it): under the
    fixed-deficits closure a large surplus leaves shocked models without an equilibrium.
    """
    b = rng.normal(0, 0.7, len(names))
    a = rng.normal(2, 1, n)
    g = a - 2 + rng.normal(0, 0.3, n)
    Z = rng.normal(0, 1, (len(names), n, n))
    X = np.exp(a[:, None] + g[None, :] + np.einsum("k,kij->ij", b, Z) + rng.normal(0, 0.5, (n, n)))
    codes = [f"C{i}" for i in range(n)]
    df = pd.DataFrame([dict(exporter=codes[i], importer=codes[j], trade=X[i, j],
                            **{c: Z[q, i, j] for q, c in enumerate(names)})
                       for i in range(n) for j in range(n)])
    return df, X, Z


def test_calibrating_gravity_through_the_equilibrium_reproduces_ppml(rng):
    n, names = 7, ["z0", "z1", "z2"]
    k = len(names)
    df, X, Z = _synthetic_table(rng, n, names)
    reference = ppml(df, names, tol=1e-14)
    b_hat = np.array([reference.coef[c] for c in names])

    T = X.sum()
    Y, E = X.sum(1), X.sum(0)
    exporter_dummies = np.stack([np.repeat(np.eye(n)[i][:, None], n, axis=1) for i in range(n - 1)])
    covariates = np.concatenate([Z, exporter_dummies])
    # the exporter shifters at the fit: PPML's exporter effects net of ln Y_i (B_ij carries Y_i),
    # relative to the last country's, whose indicator is dropped
    ex = np.array([reference.exporter_fe[c] for c in reference.countries]) - np.log(Y)
    a_hat = (ex - ex[-1])[:-1]
    start = np.concatenate([b_hat, a_hat]) + np.concatenate(
        [rng.normal(0, 0.3, k) * np.maximum(np.abs(b_hat), 0.2), rng.normal(0, 0.3, n - 1)])
    # closure "proportional" (deficits scale with income) always has an equilibrium; under fixed
    # deficits the search can run into the region where a surplus country's expenditure is
    # negative (no equilibrium) and stall on its edge. The equivalence holds for both: at the
    # root ŵ = 1, so E' = E either way.
    model = Gravity(np.outer(Y, E) / T, sigma=float(rng.uniform(3, 8)), coef=start, closure="proportional",
                    covariates=np.zeros_like(covariates), new_covariates=covariates)

    def scores(m):
        # PPML scores Σ z (X − X') split as moment Σ z X' against target Σ z X, in shares of
        # world trade so that the moments are unit-free
        flows = de.solve(m, throw=False).outcomes["flows"] / T
        return jnp.einsum("kij,ij->k", covariates, flows)

    target = np.einsum("kij,ij->k", covariates, X / T)
    fit = calibrate(model, (scores, target), free="coef", progress=False)

    assert fit.converged
    b_ge = np.asarray(fit.params["coef"])[:k]
    assert np.max(np.abs(b_ge - b_hat) / np.abs(b_hat)) <= 1e-6, (b_ge, b_hat)
    # the mechanism: at the fit wages are unchanged and the GE flows are PPML's fitted flows
    eq = de.solve(fit.model)
    np.testing.assert_allclose(np.asarray(eq.outcomes["wage_change"]), 1.0, atol=1e-8)
    np.testing.assert_allclose(np.asarray(eq.outcomes["flows"]), reference.fitted, rtol=1e-7)
    # the start was genuinely off: the fit moved the coefficients
    assert np.max(np.abs(start[:k] - b_hat)) > 1e-3
