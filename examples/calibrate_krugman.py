"""Calibrate Krugman (1980)'s σ and τ to two observed moments, with standard errors.

Run: python examples/calibrate_krugman.py

Country 1 has twice country 2's labour force. We "observe" its relative wage and import share
(generated here by the model at σ = 5, τ = 1.6, so the answer is known), start from a wrong
guess, and fit σ and τ by least squares through the equilibrium. Suppose the two moments were
measured with standard errors of 0.01 and 0.005: `moment_se=` states them, the fit weights the
moments by 1/se² and the standard errors are the delta method's with that moment covariance.
"""

import numpy as np

import diffecon as de
from diffecon.models import Krugman1980

truth = Krugman1980(L1=2.0, L2=1.0, sigma=5.0, tau=1.6)
eq = de.solve(truth)
targets = {"omega": float(eq["omega"]), "import_share1": float(eq["import_share1"])}
moment_se = {"omega": 0.01, "import_share1": 0.005}
print("targets:", {k: round(v, 6) for k, v in targets.items()})

start = Krugman1980(L1=2.0, L2=1.0, sigma=3.0, tau=1.3)
fit = de.calibrate(start, targets, free=["sigma", "tau"], moment_se=moment_se)
print(fit)  # states the basis of its standard errors
assert fit.converged, fit.message
print("search coordinates:", fit.coordinates)
print("loss by step:", np.array2string(fit.history, precision=2))
print("moment Jacobian d(import_share1, omega)/d(sigma, tau):\n", np.round(fit.jacobian, 6))

# With one moment (the import share) and symmetric countries, σ and τ are not separately
# identified: only τ^(1−σ) is. The identification report names the direction the data cannot see.
symmetric = Krugman1980(L1=1.0, L2=1.0, sigma=5.0, tau=1.6)
one_moment = {"import_share1": float(de.solve(symmetric)["import_share1"])}
weak = de.calibrate(Krugman1980(L1=1.0, L2=1.0, sigma=3.0, tau=1.3), one_moment, ["sigma", "tau"],
                    moment_se={"import_share1": 0.005})
print("one moment, symmetric countries:", weak.identification)
