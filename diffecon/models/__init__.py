"""Equilibrium models, one module per seed paper (plus multi-country generalisations)."""

from . import income
from .ara2026 import Ara2026
from .caliendo_parro2015 import CaliendoParro2015
from .fgh2011 import FGH2011, tau_from_rho
from .gravity import Gravity, GravityGegravity
from .krugman1980 import Krugman1980, Krugman1980HME, Krugman1980OutsideGood
from .niem_kim2020 import NiemKim2020
from .takita2025 import REGIMES as TAKITA2025_REGIMES
from .takita2025 import Takita2025

__all__ = [
    "Krugman1980", "Krugman1980HME", "Krugman1980OutsideGood",
    "Takita2025", "TAKITA2025_REGIMES",
    "Ara2026",
    "NiemKim2020",
    "FGH2011", "tau_from_rho", "income",
    "Gravity", "GravityGegravity",
    "CaliendoParro2015",
]
