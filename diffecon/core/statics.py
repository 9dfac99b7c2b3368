"""Transition shim (removed before 0.2 ships): use `diffecon.core`."""
from ._statics import *  # noqa: F401,F403
from ._statics import outcome_selector  # noqa: F401
