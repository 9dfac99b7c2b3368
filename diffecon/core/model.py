"""Transition shim (removed before 0.2 ships): use `diffecon.core`."""
from ._model import *  # noqa: F401,F403
from ._model import AbstractModel as Model, check_requirements, initial_guess, requirements_ok  # noqa: F401
