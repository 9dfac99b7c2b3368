"""Policy: experiments as data, counterfactuals with standard errors.

`counterfactual` is re-exported from `diffecon` (`diffecon.counterfactual(model, experiment,
se="delta")`); the experiment helpers are read from here (`diffecon.policy.form_pta`).
"""

from ._counterfactual import MODES, SE_METHODS, CounterfactualResult, counterfactual
from ._experiments import change_iceberg, dissolve_pta, form_pta, raise_import_costs, set_pairs
from .optimal import (
    grid_search_uniform,
    nash_tariffs,
    optimal_sectoral_tariffs,
    optimal_uniform_tariff,
    with_import_tariffs,
)
from .sensitivities import (
    reverse_jacobian,
    sensitivities,
    tariff_derivative,
    theta_delta_method,
    theta_monte_carlo,
)

__all__ = [
    "counterfactual", "CounterfactualResult", "MODES", "SE_METHODS",
    "sensitivities", "reverse_jacobian", "tariff_derivative", "theta_delta_method",
    "theta_monte_carlo", "optimal_uniform_tariff", "optimal_sectoral_tariffs",
    "grid_search_uniform", "nash_tariffs", "with_import_tariffs",
    "set_pairs", "form_pta", "dissolve_pta", "change_iceberg", "raise_import_costs",
]
