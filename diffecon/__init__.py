"""diffecon: differentiable trade-model equilibria in JAX.

Importing diffecon enables JAX's float64 mode (`jax_enable_x64`), because equilibrium
derivatives need double precision; this is stated in the README.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from . import core, models  # noqa: E402
from . import calibrate  # noqa: E402  (a callable package: diffecon.calibrate(model, ...))
from . import counterfactual  # noqa: E402  (a callable module: diffecon.counterfactual(model, new_df))
from . import data  # noqa: E402
from .core import (  # noqa: E402
    Equilibrium,
    Model,
    SolveError,
    elasticity,
    jacobian,
    solve,
    sweep,
)

__version__ = "0.1.0"


def __getattr__(name):
    # `replicate` pulls in matplotlib; load it on first use, not at `import diffecon`.
    if name == "replicate":
        import importlib

        return importlib.import_module(f"{__name__}.replicate")
    raise AttributeError(f"module 'diffecon' has no attribute {name!r}")


__all__ = [
    "solve", "Equilibrium", "SolveError", "Model", "jacobian", "elasticity", "sweep",
    "core", "models", "replicate", "__version__",
    "calibrate",
    "counterfactual", "data",
]
