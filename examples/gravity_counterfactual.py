"""A trade agreement dissolved, with standard errors, on real data (30 countries, 2006).

estimate (PPML) → calibrate (the baseline reproduces every observed flow) → counterfactual in
full general equilibrium → delta-method and Monte Carlo standard errors.

Run: python examples/gravity_counterfactual.py
"""

import diffecon as de

df = de.data.load_trade_sample()

# 1. Trade costs: PPML with exporter and importer fixed effects, robust standard errors
est = de.estimate.ppml(df, ["lndist", "contiguity", "common_language", "pta", "international"])
print(est.summary().round(4))

# 2. The calibrated baseline (sigma = 5; deficits fixed relative to world income)
model = de.models.Gravity.from_data(df, est, sigma=5.0, closure="deficits")

# 3. The experiment is data: pta = 0 for all pairs among CAN, MEX and USA
experiment = de.policy.dissolve_pta(df, ["CAN", "MEX", "USA"])
result = de.counterfactual(model, experiment, se="both", draws=200)
print(result)
print(result.summary().head(6).round(4))
print(f"Monte Carlo draws converged: {int(result.mc_converged.sum())} of {result.mc_converged.size}")

# 4. The same experiment under gegravity's OneSectorGE conventions, for comparison
geg = de.counterfactual(model, experiment, mode="gegravity", reference_importer="DEU")
print("welfare change (%), full GE vs gegravity conventions:")
both = result.welfare_pct.to_frame("full_ge").join(geg.welfare_pct.rename("gegravity"))
print(both.loc[["CAN", "MEX", "USA"]].round(4))
