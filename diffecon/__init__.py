"""diffecon: differentiable trade-model equilibria in JAX.

Importing diffecon makes two global JAX settings, both stated in the README ("Global settings"):
float64 mode (`jax_enable_x64`), because equilibrium derivatives need double precision, and a
persistent compilation cache in the user's cache folder (`DIFFECON_CACHE_DIR` moves it,
`DIFFECON_CACHE_DIR=off` turns it off; a `JAX_COMPILATION_CACHE_DIR` the user set wins).

The heavy parts (pandas, matplotlib, SciPy, the replications) load on first use, so that
`import diffecon` stays fast: the names in `_LAZY` below are imported when first touched.
"""

from . import _settings

_settings.configure()

from . import core, models  # noqa: E402
from ._version import __version__  # noqa: E402
from .core import (  # noqa: E402
    AbstractModel,
    Equilibrium,
    Model,
    SolveError,
    Solver,
    SweepResult,
    elasticity,
    jacobian,
    solve,
    sweep,
)

# name -> (module, attribute): `None` as attribute means the module itself. Loaded on first use.
_LAZY = {
    "calibrate": ("diffecon.estimate", "calibrate"),
    "Calibration": ("diffecon.estimate", "Calibration"),
    "counterfactual": ("diffecon.policy", "counterfactual"),
    "data": ("diffecon.data", None),
    "estimate": ("diffecon.estimate", None),
    "policy": ("diffecon.policy", None),
    "replicate": ("diffecon.replicate", None),
    "plot": ("diffecon.plot", None),
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'diffecon' has no attribute {name!r}")
    import importlib

    module_name, attribute = _LAZY[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise AttributeError(f"module 'diffecon' has no attribute {name!r}") from None
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "solve", "Equilibrium", "SolveError", "Solver", "AbstractModel", "Model", "jacobian",
    "elasticity", "sweep", "SweepResult",
    "core", "models", "data", "calibrate", "Calibration", "counterfactual", "estimate", "policy",
    "replicate",
]
