"""Model-agnostic machinery: the Model contract, solve, comparative statics, sweeps."""

from .model import Model, Requirement, at_least, between, greater_than, param, positive
from .solve import Equilibrium, SolveError, solve
from .statics import elasticity, jacobian
from .sweep import SweepResult, sweep
from .transforms import box_complementarity, expit, fischer_burmeister, logit

__all__ = [
    "Model", "Requirement", "param", "positive", "greater_than", "at_least", "between",
    "solve", "Equilibrium", "SolveError", "jacobian", "elasticity", "sweep", "SweepResult",
    "fischer_burmeister", "box_complementarity", "logit", "expit",
]
