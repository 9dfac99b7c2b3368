"""Every model checked by the shared contract tests (tests/models/test_contract.py).

Each entry: name -> `Case(make, bad, fd_params)`:
- `make(rng)`: a model at a random admissible parameter draw (rng is a numpy Generator);
- `bad`: (parameter, inadmissible value, text the error must contain) triples;
- `fd_params`: parameters to check exact derivatives against central finite differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from diffecon.models import Krugman1980, Krugman1980HME, Krugman1980OutsideGood


@dataclass(frozen=True)
class Case:
    make: Callable[[Any], Any]
    bad: tuple = ()
    fd_params: tuple = ()
    fd_outcomes: tuple = ()  # default: every float outcome
    kwargs: dict = field(default_factory=dict)


CASES: dict[str, Case] = {
    "krugman1980": Case(
        make=lambda rng: Krugman1980(
            L1=rng.uniform(0.2, 5), L2=rng.uniform(0.2, 5), sigma=rng.uniform(1.5, 10),
            tau=rng.uniform(1.0, 3.0), fixed_cost=rng.uniform(0.5, 2), marginal_cost=rng.uniform(0.5, 2),
        ),
        bad=(("sigma", 1.0, "sigma > 1"), ("tau", 0.9, "tau >= 1"), ("L1", -1.0, "L1 > 0"),
             ("fixed_cost", 0.0, "fixed_cost > 0")),
        fd_params=("L1", "L2", "sigma", "tau"),
    ),
    "krugman1980_hme": Case(
        # interior draws: mild asymmetry, moderate trade costs
        make=lambda rng: Krugman1980HME(
            La1=rng.uniform(0.45, 0.55), Lb1=rng.uniform(0.45, 0.55), La2=rng.uniform(0.45, 0.55),
            Lb2=rng.uniform(0.45, 0.55), sigma=rng.uniform(3, 6), tau=rng.uniform(1.3, 2.0),
        ),
        bad=(("La2", 0.0, "La2 > 0"), ("sigma", 0.5, "sigma > 1"), ("tau", 1.0, "tau > 1")),
        fd_params=("La1", "Lb2", "tau"),
        fd_outcomes=("omega", "n_a1", "n_b2", "net_exports_a1"),
    ),
    "krugman1980_outside_good": Case(
        make=lambda rng: Krugman1980OutsideGood(
            La1=rng.uniform(0.45, 0.55), La2=rng.uniform(0.45, 0.55), L1=2.0, L2=2.0,
            sigma=rng.uniform(3, 6), tau=rng.uniform(1.3, 2.0),
        ),
        bad=(("La1", -0.1, "La1 > 0"), ("sigma", 1.0, "sigma > 1"), ("La2", 3.0, "La2 <= L2"),
             ("tau", 0.99, "tau >= 1")),
        fd_params=("La1", "tau"),
        fd_outcomes=("n1", "n2", "net_exports1"),
    ),
}

from diffecon.models import NiemKim2020  # noqa: E402

CASES["niem_kim2020"] = Case(
    # a box inside the covered-market region (b between the two price-kink bounds)
    make=lambda rng: NiemKim2020(
        size=rng.uniform(0.5, 20.0), a=rng.uniform(0.0, 0.3), b=rng.uniform(2.4, 3.0),
        z=rng.uniform(1.5, 2.5),
    ),
    bad=(("size", 0.0, "size > 0"), ("a", 1.0, "a in [0, 1)"), ("b", 1.0, "b > 1"),
         ("z", 1.0, "z > 1"), ("b", 1.5, "b > 2 - a")),
    fd_params=("size", "a", "b", "z"),
)

from diffecon.models import Ara2026  # noqa: E402


def _ara2026_draw(rng):
    # Mild asymmetry, and costs inside the parameter-only necessary conditions of the selection
    # ordering (spec R4: τ^{σ−1} f_high > f_low for each ordered pair) with a margin, so that
    # the equilibrium lies inside the regime (rejection until it does)
    while True:
        s = rng.uniform(2.5, 6.0)
        p = dict(L1=rng.uniform(0.8, 1.25), L2=1.0, sigma=s, k=s - 1 + rng.uniform(0.6, 3.0),
                 tau_x=rng.uniform(1.1, 1.8), tau_m=rng.uniform(1.06, 2.0), f_d=rng.uniform(0.7, 1.3),
                 f_x=rng.uniform(1.0, 2.0), f_dm=rng.uniform(1.0, 2.0), f_xm=rng.uniform(0.8, 2.0),
                 f_e=rng.uniform(1.0, 4.0))
        mx, mm = p["tau_x"] ** (s - 1), p["tau_m"] ** (s - 1)
        margins = (mx * p["f_x"] / p["f_d"], mm * p["f_dm"] / p["f_d"], mx * p["f_xm"] / p["f_dm"],
                   mm * p["f_xm"] / p["f_x"])
        if min(margins) > 1.2:
            return Ara2026(**p)


CASES["ara2026"] = Case(
    make=_ara2026_draw,
    bad=(("sigma", 1.0, "sigma > 1"), ("k", 0.5, "k > sigma - 1"), ("tau_m", 0.9, "tau_m >= 1"),
         ("f_e", 0.0, "f_e > 0"), ("L1", -1.0, "L1 > 0"), ("tau_x", 0.5, "tau_x >= 1"),
         ("phi_min", 0.0, "phi_min > 0"), ("f_xm", -1.0, "f_xm > 0")),
    fd_params=("L1", "tau_m", "f_x", "sigma"),
)

from diffecon.models import Takita2025  # noqa: E402
from diffecon.models.takita2025_closed_forms import labour_closed_form  # noqa: E402


def _takita2025_draw(rng):
    # Interior draws (0.1 < L1 < 0.9, away from the corner kinks) so finite differences are
    # meaningful; φ < 1 and φ > 1 (β > τ) both occur. Rejection until interior.
    while True:
        model = Takita2025(
            q=rng.uniform(0.5, 0.7), sigma=rng.uniform(3.0, 5.0), tau=rng.uniform(1.05, 1.4),
            beta=rng.uniform(0.8, 1.6), Q=rng.uniform(0.9, 1.1), mu_f=rng.uniform(0.3, 1.0),
            mu_m=rng.uniform(1.1, 1.6), f=rng.uniform(0.5, 2.0), m=rng.uniform(0.5, 2.0),
        )
        h = model.Q ** (model.mu_f + (model.sigma - 1) * (model.mu_m - 1))
        if 0.1 < float(labour_closed_form(model.q, model.phi, h)) < 0.9:
            return model


CASES["takita2025"] = Case(
    make=_takita2025_draw,
    bad=(("q", 1.0, "q in (0, 1)"), ("sigma", 1.0, "sigma > 1"), ("tau", 0.9, "tau >= 1"),
         ("beta", 0.0, "beta > 0"), ("Q", -1.0, "Q > 0"), ("mu_f", 0.0, "mu_f > 0"),
         ("f", 0.0, "f > 0")),
    fd_params=("q", "tau", "beta", "Q", "mu_m"),
)


import numpy as _np  # noqa: E402  (FGH2011's parameters are per-country / per-quality vectors)


def _fgh2011(rng):
    from diffecon.models import FGH2011, tau_from_rho
    from diffecon.models.income import ShiftedExponential

    q_low = rng.uniform(0.8, 1.0)
    q = (q_low, q_low + rng.uniform(0.1, 0.3))
    c = (rng.uniform(0.0, 0.1), rng.uniform(0.1, 0.25))
    theta_low = rng.uniform(0.3, 0.5)
    theta = (theta_low, min(theta_low + rng.uniform(0.05, 0.3), 0.95 * (1 - c[1]) * q[1]))
    return FGH2011(
        q=q, theta=theta, c=c, f=rng.uniform(0.5, 8.0, 2), N=rng.uniform(300, 3000, 2),
        tau=tau_from_rho(rng.uniform(0.05, 0.5, 2), q, theta), scenario="trade",
        income=(ShiftedExponential(1.0, rng.uniform(1, 8)), ShiftedExponential(1.0, rng.uniform(1, 8))),
    )


CASES["fgh2011_trade"] = Case(
    make=_fgh2011,
    bad=(("N", _np.array([1000.0, -1.0]), "N > 0"), ("theta", _np.array([0.5, 1.2]), "theta in (0, 1]"),
         ("f", _np.array([0.0, 1.0]), "f > 0"), ("tau", _np.array([-0.1, 1.0]), "tau >= 0")),
    fd_params=("N", "theta", "tau"),
    fd_outcomes=("n", "n_eff", "s", "log_v"),
)


def _gravity(rng):
    from diffecon.models import Gravity

    n, k = 4, 2
    flows = rng.uniform(1, 10, (n, n)) + _np.diag(rng.uniform(20, 60, n))
    Z = rng.normal(0, 1, (k, n, n))
    return Gravity(flows, rng.uniform(2, 8), coef=rng.normal(0, 0.5, k), covariates=Z,
                   new_covariates=Z + rng.normal(0, 0.3, Z.shape), tau_change=rng.uniform(0.9, 1.3, (n, n)))


CASES["gravity"] = Case(
    make=_gravity,
    bad=(("sigma", 1.0, "sigma > 1"), ("tau_change", _np.full((4, 4), -1.0), "tau_change > 0"),
         ("flows", _np.ones((4, 4)) - _np.eye(4), "flows (domestic, the diagonal) > 0")),
    fd_params=("sigma", "coef", "tau_change"),
    fd_outcomes=("welfare_pct", "wage_change", "flows", "terms_of_trade_pct"),
)
