"""Equilibrium models, one module per seed paper (plus multi-country generalisations)."""

from . import income
from .ara2026 import Ara2026
from .fgh2011 import FGH2011, production_patterns, tau_from_rho, welfare_change
from .gravity import Gravity, GravityGegravity
from .krugman1980 import Krugman1980, Krugman1980HME, Krugman1980OutsideGood
from .niem_kim2020 import NiemKim2020, niem_kim_trade
from .takita2025 import REGIMES as TAKITA2025_REGIMES
from .takita2025 import Takita2025, home_market_statics

__all__ = [
    "Krugman1980", "Krugman1980HME", "Krugman1980OutsideGood",
    "Takita2025", "TAKITA2025_REGIMES", "home_market_statics",
    "Ara2026",
    "NiemKim2020", "niem_kim_trade",
    "FGH2011", "production_patterns", "tau_from_rho", "welfare_change", "income",
    "Gravity", "GravityGegravity",
]
