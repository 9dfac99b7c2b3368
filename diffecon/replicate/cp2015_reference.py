"""Reference values for the Caliendo–Parro (2015) replication, with their sources.

Caliendo, L. and F. Parro (2015), "Estimates of the Trade and Welfare Effects of NAFTA", Review of
Economic Studies 82(1), 1–44: the effects of NAFTA's tariff reductions alone (1993 tariffs to
the NAFTA tariffs among Canada, Mexico and the USA), Section 5.1 and Table 2. The printed digits
below are those of the R package `cp2015` (GitHub paulofelipe/cp2015, MIT licence), whose README
reproduces the paper's Table 2 from the authors' data with more digits; the paper prints welfare
to two decimals (Canada −0.06, Mexico 1.31, USA 0.08). The closure with the data's deficits kept
is the R package's own test (tests/testthat/test-run_cp2015.R, two decimals).
"""

from ._protocol import Ref

CITATION = (
    "Caliendo and Parro (2015), Estimates of the Trade and Welfare Effects of NAFTA, REStud 82(1) 1-44; "
    "data and printed digits via the R package cp2015 (paulofelipe/cp2015, MIT)"
)

NAFTA = ("Canada", "Mexico", "USA")

_README = "R package cp2015 README (zero_aggregate_deficit = TRUE), reproducing CP (2015) Table 2"
_PAPER = "CP (2015) Table 2, welfare (two decimals)"
_RTEST = "R package cp2015 tests/testthat/test-run_cp2015.R, 'solution with deficits' (two decimals)"

# Zero aggregate deficits in baseline and counterfactual (the paper's procedure), percent.
ZERO_DEFICITS = {
    "Canada": {
        "tot_pct": Ref(-0.108, _README),
        "vot_pct": Ref(0.0443, _README),
        "welfare_pct": Ref(-0.0638, _README),
        "real_wage_pct": Ref(0.323, _README),
    },
    "Mexico": {
        "tot_pct": Ref(-0.412, _README),
        "vot_pct": Ref(1.72, _README),
        "welfare_pct": Ref(1.31, _README),
        "real_wage_pct": Ref(1.72, _README),
    },
    "USA": {
        "tot_pct": Ref(0.0435, _README),
        "vot_pct": Ref(0.0412, _README),
        "welfare_pct": Ref(0.0848, _README),
        "real_wage_pct": Ref(0.112, _README),
    },
}
# Decimals printed for each number above (rounding ours to them must give the printed value).
DECIMALS = {"Canada": (3, 4, 4, 3), "Mexico": (3, 2, 2, 2), "USA": (4, 4, 4, 3)}

PAPER_WELFARE = {"Canada": Ref(-0.06, _PAPER), "Mexico": Ref(1.31, _PAPER), "USA": Ref(0.08, _PAPER)}

# The data's deficits kept in both scenarios, percent (two decimals).
DATA_DEFICITS = {
    "Canada": {
        "tot_pct": Ref(-0.08, _RTEST),
        "vot_pct": Ref(0.04, _RTEST),
        "welfare_pct": Ref(-0.04, _RTEST),
        "real_wage_pct": Ref(0.33, _RTEST),
    },
    "Mexico": {
        "tot_pct": Ref(-0.41, _RTEST),
        "vot_pct": Ref(1.59, _RTEST),
        "welfare_pct": Ref(1.17, _RTEST),
        "real_wage_pct": Ref(1.64, _RTEST),
    },
    "USA": {
        "tot_pct": Ref(0.05, _RTEST),
        "vot_pct": Ref(0.04, _RTEST),
        "welfare_pct": Ref(0.08, _RTEST),
        "real_wage_pct": Ref(0.12, _RTEST),
    },
}

INVARIANT_SOURCE = (
    "derived: properties every equilibrium of the model has (the dropped labour market clears "
    "by Walras' law; world value added is the numeraire; the decomposition adds up)"
)
PATH_SOURCE = (
    "derived: the exact change in real income equals the integral of its exact derivative along "
    "the tariff path t ↦ τ(t) = τ_1993 + t (τ_NAFTA − τ_1993), t ∈ [0, 1] (Gauss–Legendre)"
)
STEPS_SOURCE = (
    "derived: the paper's decomposition is exact for infinitesimal changes, so summed over K equal "
    "steps of the tariff path (each relative to the equilibrium at its start) it tends to "
    "100·ln(Î/P̂) as K grows; its gap must shrink from the one-step (published) gap"
)
FIRST_ORDER_SOURCE = (
    "derived: the paper's welfare (first-order terms of trade + volume of trade with x̂ − 1) "
    "against the exact change in real income Î/P̂ of the same solve; not a paper number"
)
DERIVATIVE_SOURCE = (
    "derived: one tariff's derivative by reverse mode (all 38,440 at once) equals forward mode (one tangent)"
)
