"""Equilibrium models, one module per seed paper (plus multi-country generalisations)."""

from .krugman1980 import Krugman1980, Krugman1980HME, Krugman1980OutsideGood

__all__ = ["Krugman1980", "Krugman1980HME", "Krugman1980OutsideGood"]
