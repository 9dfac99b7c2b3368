"""Old name of `gravity_reference` (kept while other test modules still import it)."""

from .gravity_reference import *  # noqa: F401,F403
from .gravity_reference import GEGRAVITY_CAN_JPN, GEGRAVITY_COEF, GEGRAVITY_SE, GEGRAVITY_VERSION  # noqa: F401
