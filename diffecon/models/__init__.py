"""Equilibrium models, one module per seed paper (plus multi-country generalisations)."""

from .krugman1980 import Krugman1980, Krugman1980HME, Krugman1980OutsideGood

__all__ = ["Krugman1980", "Krugman1980HME", "Krugman1980OutsideGood"]

from .ara2026 import Ara2026  # noqa: E402

__all__ += ["Ara2026"]

from .niem_kim2020 import NiemKim2020, niem_kim_trade  # noqa: E402

__all__ += ["NiemKim2020", "niem_kim_trade"]

from .fgh2011 import FGH2011, production_patterns, tau_from_rho, welfare_change  # noqa: E402
from . import income  # noqa: E402

__all__ += ["FGH2011", "production_patterns", "tau_from_rho", "welfare_change", "income"]

from .takita2025 import REGIMES as TAKITA2025_REGIMES, Takita2025, home_market_statics  # noqa: E402

__all__ += ["Takita2025", "TAKITA2025_REGIMES", "home_market_statics"]

from .gravity import Gravity, GravityGegravity  # noqa: E402

__all__ += ["Gravity", "GravityGegravity"]
