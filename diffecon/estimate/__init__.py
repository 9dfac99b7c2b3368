"""Estimation: fit model parameters to data through the equilibrium, PPML gravity regressions,
local identification and delta-method standard errors.

`calibrate` and `Calibration` are re-exported from `diffecon` (`diffecon.calibrate(model, targets,
free, ...)`); the other tools are read from here (`diffecon.estimate.ppml`).
"""

from ._calibrate import Calibration, calibrate
from ._identification import Identification, delta_covariance, identification
from ._ppml import PPMLResult, ppml

__all__ = [
    "calibrate", "Calibration",
    "identification", "Identification", "delta_covariance",
    "ppml", "PPMLResult",
]
