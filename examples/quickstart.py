"""Krugman (1980) in a few lines: solve, exact comparative statics, a batched sweep.

Run: python examples/quickstart.py
"""

import numpy as np

import diffecon as de
from diffecon.models import Krugman1980

model = Krugman1980(L1=2.0, L2=1.0, sigma=4.0, tau=1.25)
eq = de.solve(model)
print(f"relative wage ω = {float(eq['omega']):.6f} (converged: {bool(eq.converged)})")

# ω̂/L̂₁ and Ŵ₁/τ̂ through the implicit function theorem: exact, no finite differences
hats = de.elasticity(model, ["omega", "W1"], ["L1", "tau"])
for outcome, row in hats.items():
    print(outcome, {p: round(float(v), 6) for p, v in row.items()})

# 1,000 equilibria in one compiled call
taus = np.linspace(1.0, 3.0, 1000)
out = de.sweep(model, {"tau": taus}, of=["omega", "W1"])
print(f"solved {taus.size} equilibria, all converged: {bool(out['converged'].all())}; "
      f"ω ranges {float(out['omega'].min()):.4f}–{float(out['omega'].max()):.4f}")
