"""Model-agnostic machinery: the model contract, solver settings, solve, comparative statics,
sweeps, and the toolkit for model authors (`replace`, `bisect`, `boundary`, transforms)."""

from ._model import (
    AbstractModel,
    AbstractParameters,
    Model,
    Requirement,
    at_least,
    between,
    greater_than,
    param,
    positive,
)
from ._solve import Equilibrium, SolveError, solve
from ._solver import Solver
from ._statics import elasticity, ift_jacobian, jacobian
from ._sweep import SweepResult, sweep
from .search import bisect, boundary
from .transforms import box_complementarity, expit, fischer_burmeister, logit
from .tree import replace

__all__ = [
    "AbstractModel", "AbstractParameters", "Model", "Requirement", "param", "positive", "greater_than", "at_least",
    "between", "Solver", "solve", "Equilibrium", "SolveError", "jacobian", "elasticity",
    "ift_jacobian", "sweep", "SweepResult", "replace", "bisect", "boundary",
    "fischer_burmeister", "box_complementarity", "logit", "expit",
]
