"""Transition shim (removed before 0.2 ships): use `diffecon.core.bisect`."""
from .search import bisect  # noqa: F401
