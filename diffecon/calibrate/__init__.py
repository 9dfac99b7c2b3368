"""Calibration: fit model parameters to data through the equilibrium.

`diffecon.calibrate` is both this package and a function: `diffecon.calibrate(model, targets,
free, ...)` calls `diffecon.calibrate.calibrate` (see its docstring), while the package also
holds the other estimation tools (e.g. `diffecon.calibrate.ppml`).
"""

import sys as _sys
import types as _types

from ._calibrate import Calibration, calibrate
from ._identification import Identification
from ._ppml import PPMLResult, ppml


class _CallableModule(_types.ModuleType):
    """The package's module type: calling it calls `calibrate`."""

    def __call__(self, *args, **kwargs):
        return calibrate(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule

__all__ = ["calibrate", "Calibration", "Identification"]
__all__ += ["ppml", "PPMLResult"]
