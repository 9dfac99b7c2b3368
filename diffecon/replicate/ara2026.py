"""Replication of Ara (2026): Figures 1, 2, 3, 4 and A.1 and every number and claim of the paper.

The paper prints two numbers (R_Xi/E_Mi = 2.4 and 0.75) and otherwise states signs, orderings
and propositions. The other reference values were computed with an independent NumPy/SciPy solver
of the paper's equilibrium; they and their sources are in `ara2026_reference`. Rows named after an
equation compare the paper's analytic formula (written out in `diffecon.models.ara2026_closed_forms`)
with diffecon's implicit-function derivative. Statements of the paper's prose that the model
contradicts are rows that say so.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

from .. import plot
from ..core import solve, sweep
from ..models import ara2026_closed_forms as cf
from ..models.ara2026 import Ara2026
from ..models.ara2026_closed_forms import reduced_form
from . import ara2026_reference as ref
from ._protocol import Context, Paper, Section

CUTOFFS = tuple(f"phi_{a}{i}" for i in (1, 2) for a in ("D", "DM", "X", "XM"))
_COMMON = ("omega", "W", "W1", "W2", "R1", "R2", "B1", "B2", "P1") + CUTOFFS
# trade option -> (levels, hats): what `solve_statics` returns for every point
STATICS = {
    "both": (_COMMON + ("R_X", "E_M", "RX_EM1", "RX_EM2", "alpha_X1", "alpha_X2", "alpha_M1",
                        "alpha_M2", "theta1", "theta2"),
             ("omega", "W", "R_X", "E_M", "RX_EM1", "RX_EM2", "alpha_X1", "alpha_X2", "alpha_M1",
              "alpha_M2") + CUTOFFS),
    "final_only": (_COMMON + ("R_X", "alpha_X1", "alpha_X2"),
                   ("omega", "W", "phi_D1", "phi_D2", "phi_X1", "phi_X2")),
    "inputs_only": (_COMMON + ("E_M", "alpha_M1", "alpha_M2"),
                    ("omega", "W", "phi_D1", "phi_D2", "phi_DM1", "phi_DM2")),
}
PARAMS = ("L1", "L2", "sigma", "k", "tau_x", "tau_m", "f_d", "f_x", "f_dm", "f_xm", "f_e", "phi_min")
P_A, P_B = 1.5, 1.1  # the paper's two input trade costs
L_GRID = np.geomspace(0.3, 3.0, 51)
TRACE_L = (0.5, 0.8, 1.25, 1.5, 2.0)
EDGES = ((P_A, 0.125), (P_A, 8.0), (P_B, 0.29), (P_B, 3.45))  # inside the interior ranges (ref.INTERIOR)
TAU_M_SWEEP = (1.06, 1.10, 1.15, 1.25, 1.30, 1.50, 2.00, 5.00)


def _stacked(levels):
    def statics(eq):
        # some levels are constants of the variant (a polar case's absent trade): stack them all
        return jnp.stack([jnp.asarray(eq[n], jnp.float64) for n in levels])

    return statics


# one function object per variant, so every sweep of it reuses one compiled program
_STACKED = {trade: _stacked(levels) for trade, (levels, _) in STATICS.items()}


def _batch_size(model):
    # A fixed padded batch per variant: one compile serves the replication and the tests.
    return 128 if (model.trade, model.pareto) == ("both", "formal") else 32


def solve_statics(model, over):
    """Levels and exact d ln/d ln L1 (IFT) at many parameter points, in one compiled sweep.

    **Arguments:**
    - `model`: an `Ara2026` (its static options and the parameters not in `over`);
    - `over`: parameter name -> 1-D array of values (same length n ≤ the padded batch size).

    **Returns:** `(levels, hats, converged)`: dicts name -> array of length n (names from
    `STATICS[model.trade]`) and the per-point convergence flags.
    """
    levels, hats = STATICS[model.trade]
    n = len(next(iter(over.values())))
    size = _batch_size(model)
    if n > size:
        raise ValueError(f"solve_statics takes at most {size} points for this variant, got {n}.")
    values = {}
    for name in PARAMS:
        v = np.broadcast_to(np.asarray(over.get(name, getattr(model, name)), float), (n,))
        values[name] = np.concatenate([v, np.repeat(v[:1], size - n)])
    out = sweep(model, values, of=_STACKED[model.trade], wrt="L1")
    vec, dvec = np.asarray(out["statics"])[:n], np.asarray(out["dstatics/dL1"])[:n]
    lv = {name: vec[:, i] for i, name in enumerate(levels)}
    hv = {name: dvec[:, levels.index(name)] * values["L1"][:n] / vec[:, levels.index(name)] for name in hats}
    return lv, hv, np.asarray(out["converged"])[:n]


def _solve_points(model, L1, tau_m):
    lv, hv, converged = solve_statics(model, {"L1": np.asarray(L1, float), "tau_m": np.asarray(tau_m, float)})
    if not np.all(converged):
        raise RuntimeError("Ara2026 replication: a point did not converge.")
    return lv, hv


def _params(model):
    return {n: float(getattr(model, n)) for n in ("sigma", "k", "tau_x", "tau_m", "f_d", "f_x",
                                                   "f_dm", "f_xm", "f_e")}


def _pick(d, i):
    return {k: v[i] for k, v in d.items()}


def _half_unit(value, decimals):
    """Relative tolerance of half a unit in the last printed decimal (plus float slack)."""
    return 0.51 * 10.0**-decimals / abs(value)


def _sign(x):
    return "+" if x > 0 else "−"


class _Points:
    """All points of the general model solved in one sweep, addressable by label."""

    def __init__(self):
        labels, L1, tau = [], [], []

        def add(label, L, t):
            labels.append(label)
            L1.append(L)
            tau.append(t)

        for t in (P_A, P_B):
            add(("sym", t), 1.0, t)
            add(("asym", t), 1.3, t)
            for L in L_GRID:
                add(("grid", t, L), L, t)
            for L in TRACE_L:
                add(("trace", t, L), L, t)
        for t in TAU_M_SWEEP:
            add(("tau", t), 1.0, t)
        self.index = {lab: i for i, lab in enumerate(labels)}
        self.levels, self.hats = _solve_points(Ara2026(), L1, tau)

    def __call__(self, *label):
        i = self.index[label]
        return _pick(self.levels, i), _pick(self.hats, i)

    def grid(self, t, name, hat=False):
        src = self.hats if hat else self.levels
        return np.array([src[name][self.index[("grid", t, L)]] for L in L_GRID])


def _printed_numbers(report, pts):
    a, _ = pts("sym", P_A)
    b, _ = pts("sym", P_B)
    report.add("§3.4: R_Xi/E_Mi at τ_M = 1.5 (Assumption 1 holds; eq. 9)", ref.RX_EM_A, float(a["RX_EM1"]),
               tol=0.05 / 2.4, note=ref.RX_EM_NOTE[1.5])
    report.add("§3.4: R_Xi/E_Mi at τ_M = 1.1 (Assumption 1 fails; eq. 9)", ref.RX_EM_B, float(b["RX_EM1"]),
               tol=0.005 / 0.75, note=ref.RX_EM_NOTE[1.1])
    report.add("Fig. 1: symmetric equilibrium ω (L = 1)", ref.SYMMETRY_OMEGA, float(a["omega"]), tol=1e-12)
    report.add("Fig. 1: symmetric equilibrium R_X = R_X1/R_X2 (L = 1)", ref.SYMMETRY_RX, float(a["R_X"]),
               tol=1e-12)
    for t, values in ref.SYMMETRIC.items():
        lv, _ = pts("sym", t)
        for name, value in values.items():
            report.add(f"symmetric {name} at τ_M = {t}", value, float(lv[name]), tol=1e-6,
                       source=ref.SYMMETRIC_SOURCE[t])


def _analytic_formulas(report, pts):
    """Eqs (8), (12), (21), (22) and Props 1-3 against the IFT derivatives."""
    for t, name in ((P_A, "P_A"), (P_B, "P_B")):
        p = _params(Ara2026(tau_m=t))
        lv, hv = pts("sym", t)
        sym = cf.symmetric_statics(lv, p)
        report.add(f"eq. (21) ω̂/L̂ = Φ_L/(Ψ_ω − Φ_ω) at {name}: formula vs diffecon.elasticity",
                   float(sym["omega"]), float(hv["omega"]), tol=1e-8, source=ref.FORMULA["eq21"])
        report.add(f"eq. (22) Ŵ/L̂ at {name}: formula vs diffecon.elasticity", float(sym["W"]),
                   float(hv["W"]), tol=1e-8, source=ref.FORMULA["eq22"])
        report.add(f"eq. (12) φ̂_D1 = −A ω̂ at {name}: formula vs diffecon", float(sym["phi_D1"]),
                   float(hv["phi_D1"]), tol=1e-7, source=ref.FORMULA["eq12"])
        for key, values in ref.HATS.items():
            report.add(f"d ln {key}/d ln L at {name}", values[t], float(hv[key]), tol=2e-6,
                       source=ref.at_symmetry(ref.HAT_FORMULA[key], t))
        report.add(f"eq. (12) A at {name}", ref.A_COEF[t], float(sym["A"]), tol=1e-6,
                   source=ref.at_symmetry(ref.SLOPE_SOURCE["A"], t))
        report.add(f"LMC slope Φ_ω at {name}", ref.PHI_OMEGA[t], float(sym["Phi_omega"]), tol=1e-6,
                   source=ref.at_symmetry(ref.SLOPE_SOURCE["Phi_omega"], t))
        report.add(f"TB slope Ψ_ω at {name}", ref.PSI_OMEGA[t], float(sym["Psi_omega"]), tol=1e-6,
                   source=ref.at_symmetry(ref.SLOPE_SOURCE["Psi_omega"], t))
        for key in ("R_X", "E_M", "RX_EM1", "alpha_X1", "alpha_M1"):
            report.add(f"d ln {key}/d ln L at {name}: closed form vs diffecon", float(sym[key]),
                       float(hv[key]), tol=1e-7, source=ref.FORMULA["closed"])
        # eq. (8) at the asymmetric point L = 1.3
        la, ha = pts("asym", t)
        per_w = cf.eq8_cutoffs_per_omega(la, p)
        ref8, src8 = ref.EQ8[t], ref.EQ8_SOURCE.format(t)
        report.add(f"eq. (8) d ln φ_D1/d ln ω at L = 1.3, {name}", ref8[0],
                   float(per_w["phi_D1"]), tol=1e-6, source=src8)
        report.add(f"eq. (8) d ln φ_D2/d ln ω at L = 1.3, {name}", ref8[1],
                   float(per_w["phi_D2"]), tol=1e-6, source=src8)
        report.add(f"eq. (8) Ξ at L = 1.3, {name}", ref8[2], float(per_w["Xi"]), tol=1e-5, source=src8)
        report.add(f"eq. (8) × ω̂ vs diffecon φ̂_D1 at L = 1.3, {name}",
                   float(per_w["phi_D1"] * ha["omega"]), float(ha["phi_D1"]), tol=1e-7,
                   source=ref.FORMULA["eq8_times"])
        c1 = cf.c1_cutoff_hats(ha["omega"], ha["phi_D1"], ha["phi_D2"], p)
        worst = max(abs(float(c1[n] - ha[n])) for n in c1)
        report.add(f"ZCP algebra (A.13/A.14 corrected) for the 6 other cutoffs at L = 1.3, {name}",
                   ref.FORMULA["zcp"], f"{worst:.1e}", ok=worst < 1e-9,
                   note="A.14 prints (1 + 1/ρ) for φ̂_XM1; the correct coefficient (1/ρ − 1) is used")


def _claims(report, pts):
    a, ha = pts("sym", P_A)
    b, hb = pts("sym", P_B)
    ok = ha["omega"] > 0 and hb["omega"] < 0
    report.add("Fig. 4(a)/eq. (21): sign of d ln ω/d ln L at τ_M = 1.5 / 1.1", ref.CLAIMS["omega_sign"],
               f"{_sign(ha['omega'])} / {_sign(hb['omega'])} ({ha['omega']:.7f} / {hb['omega']:.7f})", ok=ok)
    report.add("Fig. 4(b)/eq. (22): sign of d ln W/d ln L at τ_M = 1.5 / 1.1", ref.CLAIMS["W_sign"],
               f"{_sign(ha['W'])} / {_sign(hb['W'])}", ok=ha["W"] > 0 and hb["W"] > 0)
    order1 = ha["phi_DM1"] < ha["phi_D1"] < 0 < ha["phi_XM1"] < ha["phi_X1"]
    report.add("eq. (10), Prop. 1: φ̂_DM1 < φ̂_D1 < 0 < φ̂_XM1 < φ̂_X1 at τ_M = 1.5",
               ref.CLAIMS["eq10"],
               " < ".join(f"{ha[n]:+.7f}" for n in ("phi_DM1", "phi_D1", "phi_XM1", "phi_X1")),
               ok=bool(order1), note=ref.CLAIM_NOTES["eq10"])
    order2 = ha["phi_X2"] < ha["phi_XM2"] < 0 < ha["phi_D2"] < ha["phi_DM2"]
    report.add("eq. (11), Prop. 1: φ̂_X2 < φ̂_XM2 < 0 < φ̂_D2 < φ̂_DM2 at τ_M = 1.5", ref.CLAIMS["eq11"],
               " < ".join(f"{ha[n]:+.7f}" for n in ("phi_X2", "phi_XM2", "phi_D2", "phi_DM2")),
               ok=bool(order2))
    both = all(h["phi_D1"] < 0 < h["phi_D2"] for h in (ha, hb))
    report.add("§3.2: φ̂_D1 < 0 < φ̂_D2 in both regimes", ref.CLAIMS["D_both"],
               f"τ_M=1.5: {ha['phi_D1']:+.5f}, {ha['phi_D2']:+.5f}; "
               f"τ_M=1.1: {hb['phi_D1']:+.5f}, {hb['phi_D2']:+.5f}",
               ok=both)
    prop2 = ha["RX_EM1"] < 0 < ha["RX_EM2"] and ha["R_X"] > 0 and ha["E_M"] > 0
    report.add("Prop. 2 (τ_M = 1.5): R_X1/E_M1 falls, R_X2/E_M2 rises, R_X and E_M rise",
               ref.CLAIMS["prop2"], " / ".join(f"{ha[n]:+.6f}" for n in ("RX_EM1", "RX_EM2", "R_X", "E_M")),
               ok=bool(prop2), note=ref.CLAIM_NOTES["prop2"])
    prop3 = ha["alpha_X1"] > 0 > ha["alpha_X2"] and ha["alpha_M1"] < 0 < ha["alpha_M2"]
    report.add("Prop. 3 (τ_M = 1.5): α_X1 ↑, α_X2 ↓ (HME), α_M1 ↓, α_M2 ↑ (reverse HME in sourcing)",
               ref.CLAIMS["prop3"],
               " / ".join(f"{ha[n]:+.6f}" for n in ("alpha_X1", "alpha_X2", "alpha_M1", "alpha_M2")),
               ok=bool(prop3), note=ref.CLAIM_NOTES["prop3"])
    flip = hb["alpha_X1"] < 0 < hb["alpha_X2"] and hb["alpha_M1"] > 0 > hb["alpha_M2"]
    report.add("§3.4: at τ_M = 1.1 all four Prop. 3 signs flip", ref.CLAIMS["flip"],
               " / ".join(f"{hb[n]:+.6f}" for n in ("alpha_X1", "alpha_X2", "alpha_M1", "alpha_M2")),
               ok=bool(flip))
    a1 = hb["R_X"] > 0 and hb["E_M"] > 0 and hb["RX_EM1"] > 0 > hb["RX_EM2"]
    report.add("Fig. A.1 (τ_M = 1.1): R_X, E_M rise; R_X1/E_M1 rises, R_X2/E_M2 falls", ref.CLAIMS["figA1"],
               " / ".join(f"{hb[n]:+.6f}" for n in ("R_X", "E_M", "RX_EM1", "RX_EM2")), ok=bool(a1),
               note=ref.CLAIM_NOTES["figA1"])
    report.add("§3.5: R_X responds more to L at τ_M = 1.1 than at 1.5", ref.CLAIMS["RX_steeper"],
               f"{hb['R_X']:.6f} vs {ha['R_X']:.6f}", ok=hb["R_X"] > ha["R_X"])
    report.add("§3.5 / Fig. A.1(a): E_M responds more to L at τ_M = 1.1 than at 1.5 (local, L = 1)",
               ref.CLAIMS["EM_steeper"], f"{hb['E_M']:.6f} vs {ha['E_M']:.6f}", ok=hb["E_M"] > ha["E_M"],
               note=ref.EM_NOTE)
    report.add("§3.6 / Fig. 4(b): welfare gain from size is larger at τ_M = 1.5 than at 1.1",
               ref.CLAIMS["W_steeper"], f"{ha['W']:.6f} vs {hb['W']:.6f}", ok=ha["W"] > hb["W"],
               note=ref.W_NOTE)
    # where the E_M(L) curves of the two calibrations cross besides L = 1
    diff = np.log(pts.grid(P_B, "E_M")) - np.log(pts.grid(P_A, "E_M"))
    lnL = np.log(L_GRID)
    cross = [float(np.exp(lnL[i] - diff[i] * (lnL[i + 1] - lnL[i]) / (diff[i + 1] - diff[i])))
             for i in np.flatnonzero(np.sign(diff[:-1]) != np.sign(diff[1:]))]
    cross = [c for c in cross if abs(np.log(c)) > 0.1]
    report.add("§3.5: L ≠ 1 where the E_M(L) curves for τ_M = 1.1 and 1.5 cross", ref.EM_CROSSINGS,
               ", ".join(f"{c:.4f}" for c in cross),
               ok=len(cross) == 2 and abs(cross[0] - 0.5842) < 5e-3 and abs(cross[1] - 1.7117) < 5e-3,
               note="linear interpolation in ln L on a 51-point grid; the τ_M = 1.1 curve is further from 1 "
                    "than the τ_M = 1.5 curve only outside this interval")
    # the paper's argument for Fig. 4(b): Ψ_ω − Φ_ω would shrink when Assumption 1 fails
    p = _params(Ara2026())
    slopes = [cf.symmetric_statics(lv, {**p, "tau_m": t}) for t, lv in ((P_A, a), (P_B, b))]
    gaps = [float(s["Psi_omega"] - s["Phi_omega"]) for s in slopes]
    report.add("§3.6: |Ψ_ω − Φ_ω| shrinks when Assumption 1 fails", ref.CLAIMS["gap_smaller"],
               f"{abs(gaps[0]):.2f} (1.5) vs {abs(gaps[1]):.2f} (1.1)", ok=abs(gaps[1]) < abs(gaps[0]),
               note=ref.GAP_NOTE)


def _tau_sweep(report, pts):
    for t, value in ref.TAU_SWEEP.items():
        _, hv = pts("tau", t)
        report.add(f"d ln ω/d ln L at symmetry, τ_M = {t:g}", value, float(hv["omega"]),
                   tol=_half_unit(value, 6), source=ref.TAU_SWEEP_SOURCE.format(t))

    def gap(t):
        return float(solve(Ara2026(tau_m=t))["RX_EM1"]) - 1.0

    t_star = brentq(gap, 1.1, 1.5, xtol=1e-13)
    report.add("τ_M*: regime boundary R_X/E_M = 1 at symmetry", ref.TAU_STAR, t_star, tol=1e-9)
    # At τ_M* itself θ = ρ can hold to the last bit: Ψ_ω = ±∞ in eq. (21), whose limit ω̂ = 0 is
    # what the row checks, so the division by zero there is expected.
    with np.errstate(divide="ignore", invalid="ignore"):
        star = cf.symmetric_statics(solve(Ara2026(tau_m=t_star)).outcomes,
                                    {**_params(Ara2026()), "tau_m": t_star})
    report.add("at τ_M*: d ln ω/d ln L = 0 and d ln W/d ln L = 1/(σ−1)", ref.AT_TAU_STAR,
               f"{float(star['omega']):.1e} and {float(star['W']):.10f}",
               ok=abs(float(star["omega"])) < 1e-9 and abs(float(star["W"]) - 1 / 3) < 1e-9)


def _traces(report, pts):
    for t, rows in ref.TRACES.items():  # ω, W1/W2, R_X, E_M
        for L, values in rows.items():
            lv, _ = pts("trace", t, L)
            for name, value in zip(("omega", "W", "R_X", "E_M"), values):
                report.add(f"Figs 2/4/A.1 trace: {name} at L = {L:g}, τ_M = {t}", value,
                           float(lv[name]), tol=2e-6, source=ref.TRACE_SOURCE.format(L, t))


def _interior_range(model):
    """Interior L range: the smaller country's final sector vanishes where θ = ρ."""
    rho = float((model.sigma - 1) / model.sigma)

    def theta_gap(log_w, which):
        return float(reduced_form(model, np.exp(log_w))[which]) - rho

    def root(which):
        # θ_i falls in ω, so θ_i = ρ on the side where θ_i − ρ changes sign
        for a, b in ((0.0, 0.277), (-0.277, 0.0)):
            if theta_gap(a, which) * theta_gap(b, which) < 0:
                return brentq(theta_gap, a, b, args=(which,), xtol=1e-14)
        raise RuntimeError(f"no interior boundary for {which} inside the free-entry set")

    hi, lo = root("theta1"), root("theta2")
    # R_X2 = 0 at the upper end (ωL = α_X1), R_X1 = 0 at the lower end (ωL = 1/α_X2)
    upper = float(reduced_form(model, np.exp(hi))["alpha_X1"]) / np.exp(hi)
    lower = 1.0 / (np.exp(lo) * float(reduced_form(model, np.exp(lo))["alpha_X2"]))
    return lower, upper


def _edges(report):
    flags, ok = [], True
    for t, L in EDGES:
        eq = solve(Ara2026(tau_m=t, L1=L), throw=False)
        ok &= bool(eq.converged) and bool(eq["valid"])
        flags.append(f"τ_M={t}, L={L:g}: ω={float(eq['omega']):.6f} ({int(eq.steps)} steps)")
    for t, L in ((P_A, 8.2), (P_B, 3.6)):  # just outside: a corner, reported as non-convergence
        eq = solve(Ara2026(tau_m=t, L1=L), throw=False)
        ok &= not bool(eq.converged)
        flags.append(f"τ_M={t}, L={L:g}: converged={bool(eq.converged)}")
    report.add("`solve` from the default (symmetric) guess converges near both ends of the interior range "
               "and fails outside it", ref.EDGES, "; ".join(flags), ok=ok,
               note="outside the range solve raises SolveError: the smaller country's final-good sector "
                    "vanishes")


def _regimes(report):
    for t, (ref_lo, ref_hi) in ref.INTERIOR.items():
        lo, hi = _interior_range(Ara2026(tau_m=t))
        report.add(f"interior range of L, lower end, τ_M = {t}", ref_lo, lo, tol=5e-5,
                   source=ref.INTERIOR_SOURCE.format(t))
        report.add(f"interior range of L, upper end, τ_M = {t}", ref_hi, hi, tol=5e-5,
                   source=ref.INTERIOR_SOURCE.format(t))
    eq = solve(Ara2026())
    report.add("Pareto support φ_D ≥ φ_min at the paper's τ_M = 1.5", ref.PARETO_SUPPORT,
               f"violated: φ_D = {float(eq['phi_D1']):.6f} < 1 "
               f"(flag pareto_support = {bool(eq['pareto_support'])})",
               ok=not bool(eq["pareto_support"]),
               note="the paper's closed forms (formal Pareto) are the default; "
                    "Ara2026(pareto='exact') truncates")
    exact, hats = _solve_points(Ara2026(pareto="exact"), [1.0], [P_A])
    for name, got in (("φ_D", exact["phi_D1"][0]), ("α_X", exact["alpha_X1"][0]),
                      ("R_X/E_M", exact["RX_EM1"][0]), ("d ln ω/d ln L", hats["omega"][0]),
                      ("d ln W/d ln L", hats["W"][0])):
        value = ref.EXACT[name]
        report.add(f"exact (truncated) Pareto at τ_M = 1.5: {name}", value, float(got),
                   tol=_half_unit(value, 6), source=ref.EXACT_SOURCE)


def _polar(report):
    p = _params(Ara2026())
    for trade, formula in (("final_only", cf.eq6_final_only), ("inputs_only", cf.eq7_inputs_only)):
        lv, hv = _solve_points(Ara2026(trade=trade), [1.0, 1.3, 1.3], [P_A, P_A, P_B])
        eq_no = "(6)" if trade == "final_only" else "(7)"
        for i, (L, t) in enumerate(((1.0, P_A), (1.3, P_A), (1.3, P_B))):
            formula_at = formula(_pick(lv, i), {**p, "tau_m": t})
            for name in ("omega", "phi_D1", "phi_D2"):
                report.add(f"eq. {eq_no} {trade}: d ln {name}/d ln L at L = {L:g}, τ_M = {t}: "
                           "formula vs diffecon",
                           float(formula_at[name]), float(hv[name][i]), tol=1e-8,
                           source=ref.FORMULA["eq6" if trade == "final_only" else "eq7"])
        if trade == "final_only":
            report.add("eq. (6) symmetric: d ln ω/d ln L", ref.POLAR["final_only"], float(hv["omega"][0]),
                       tol=2e-5)
            signs = hv["omega"][0] > 0 and hv["phi_D1"][0] < 0 < hv["phi_X1"][0]
            report.add("§3.1 final goods only: ω̂ > 0, φ̂_D1 < 0 < φ̂_X1", ref.CLAIMS["polar_final"],
                       f"{hv['omega'][0]:+.6f}, {hv['phi_D1'][0]:+.6f}, {hv['phi_X1'][0]:+.6f}",
                       ok=bool(signs))
        else:
            report.add("eq. (7) symmetric: d ln ω/d ln L at τ_M = 1.5", ref.POLAR["inputs_only"],
                       float(hv["omega"][0]), tol=2e-5)
            signs = hv["omega"][0] < 0 and hv["phi_D1"][0] < 0 < hv["phi_DM1"][0]
            report.add("§3.1 inputs only: ω̂ < 0, φ̂_D1 < 0 < φ̂_DM1", ref.CLAIMS["polar_inputs"],
                       f"{hv['omega'][0]:+.6f}, {hv['phi_D1'][0]:+.6f}, {hv['phi_DM1'][0]:+.6f}",
                       ok=bool(signs))


# ------------------------------------------------------------------------------ figures
def _figure_curves(out_dir, t, number, ref_points):
    model = Ara2026(tau_m=t)
    omega = np.linspace(0.97, 1.03, 121)
    red = reduced_form(model, omega)
    up = reduced_form(Ara2026(tau_m=t, L1=1.1), omega)
    fig, ax = plot.figure()
    ax.plot(omega, np.asarray(red["Phi"]), label="LMC curve Φ(ω, L = 1), eq. (19)")
    ax.plot(omega, np.asarray(up["Phi"]), "--", color="C0", alpha=0.6, label="LMC curve at L = 1.1")
    ax.plot(omega, np.asarray(red["Psi"]), label="TB curve Ψ(ω), eq. (20)")
    ax.plot([1.0], [1.0], "ko")
    ax.set(xlabel="relative wage ω = w₁/w₂", ylabel=r"$R_X = R_{X1}/R_{X2}$", ylim=(0, 3),
           title=rf"Figure {number}: $\tau_M$ = {t}")
    ax.legend(fontsize=8)
    path = plot.save(fig, out_dir / f"figure{number}_lmc_tb_curves.png")
    rows = []
    for w, phi_ref, psi_ref in ref_points:
        r = reduced_form(model, np.asarray(w))
        rows.append((w, phi_ref, float(r["Phi"]), psi_ref, float(r["Psi"])))
    return path, rows


def _size_axis(ax):
    """Log-scaled L axis with plain tick labels."""
    ax.set_xscale("log")
    ticks = [0.3, 0.5, 1.0, 2.0, 3.0]
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("L = L₁/L₂")


def _figure_trade(out_dir, pts, t, name):
    """Figure 2 (τ_M = 1.5) or A.1 (τ_M = 1.1): trade composition against relative size."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    fig, (a, b) = plot.figure(2)
    a.plot(L_GRID, pts.grid(t, "R_X"), label=r"$R_X = R_{X1}/R_{X2}$ (final-good exports)")
    a.plot(L_GRID, pts.grid(t, "E_M"), label=r"$E_M = E_{M1}/E_{M2}$ (input imports)")
    _size_axis(a)
    a.set_yscale("log")
    a.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # plain numbers: 0.2, 0.5, 1, 2, 5, ...
    a.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    a.yaxis.set_minor_locator(NullLocator())
    a.set(ylabel="country 1 relative to country 2 (log scale)",
          title=rf"(a) final-good and input trade, $\tau_M$ = {t}")
    a.legend(fontsize=8)
    b.plot(L_GRID, pts.grid(t, "RX_EM1"), label=r"country 1: $R_{X1}/E_{M1}$")
    b.plot(L_GRID, pts.grid(t, "RX_EM2"), label=r"country 2: $R_{X2}/E_{M2}$")
    b.axhline(1.0, color="grey", lw=0.8)
    _size_axis(b)
    b.set(ylabel="final-good exports / input imports", title="(b) final-good over input trade (eq. 9)")
    b.legend(fontsize=8)
    return plot.save(fig, out_dir / name)


def _figure_four(out_dir, pts):
    fig, (a, b) = plot.figure(2)
    for t in (P_A, P_B):
        a.plot(L_GRID, pts.grid(t, "omega"), label=rf"$\tau_M$ = {t}")
        b.plot(L_GRID, pts.grid(t, "W"), label=rf"$\tau_M$ = {t}")
    for ax in (a, b):
        _size_axis(ax)
    a.set(ylabel="ω = w₁/w₂", title="(a) relative wage, eq. (21)")
    b.set(ylabel="W₁/W₂", title="(b) relative welfare, eq. (22)")
    a.legend(fontsize=8)
    b.legend(fontsize=8)
    return plot.save(fig, out_dir / "figure4_wage_and_welfare.png")


def _points(ctx: Context) -> _Points:
    return ctx.shared("points", _Points)


def _solve(ctx: Context) -> None:
    """Every point of the general model in one sweep (levels and exact d ln/d ln L1)."""
    _points(ctx)


def _printed(ctx: Context) -> None:
    """The numbers the paper prints and the symmetric equilibrium."""
    _printed_numbers(ctx.report, _points(ctx))


def _formulas(ctx: Context) -> None:
    """Eqs (8), (12), (21), (22) against the exact derivatives."""
    _analytic_formulas(ctx.report, _points(ctx))


def _statements(ctx: Context) -> None:
    """Propositions 1-3 and the prose of §3.2-3.6."""
    _claims(ctx.report, _points(ctx))


def _tau_m(ctx: Context) -> None:
    """d ln ω/d ln L along τ_M and the regime boundary τ_M*."""
    _tau_sweep(ctx.report, _points(ctx))


def _trace(ctx: Context) -> None:
    """The curves of Figures 2, 4 and A.1 at five sizes."""
    _traces(ctx.report, _points(ctx))


def _domain(ctx: Context) -> None:
    """Where the interior equilibrium exists, and the Pareto support."""
    _edges(ctx.report)
    _regimes(ctx.report)


def _polar_cases(ctx: Context) -> None:
    """§3.1: final goods only (eq. 6) and inputs only (eq. 7)."""
    _polar(ctx.report)


def _figures(ctx: Context) -> None:
    """Figures 1-4 and A.1; the points of Figures 1 and 3."""
    for number, (t, ref_points) in ref.CURVES.items():
        path, rows = _figure_curves(ctx.out_dir, t, number, ref_points)
        ctx.figure(path)
        for w, phi_ref, phi, psi_ref, psi in rows:
            ctx.report.add(f"Fig. {number}: LMC curve Φ at ω = {w}", phi_ref, phi, tol=2e-6,
                           source=ref.CURVE_SOURCE.format(19, "LMC", number, w, t))
            ctx.report.add(f"Fig. {number}: TB curve Ψ at ω = {w}", psi_ref, psi, tol=2e-6,
                           source=ref.CURVE_SOURCE.format(20, "TB", number, w, t))
    pts = _points(ctx)
    ctx.figure(_figure_trade(ctx.out_dir, pts, P_A, "figure2_trade_composition.png"))
    ctx.figure(_figure_trade(ctx.out_dir, pts, P_B, "figureA1_trade_composition_low_tau_m.png"))
    ctx.figure(_figure_four(ctx.out_dir, pts))


PAPER = Paper(
    name="ara2026",
    title="Ara (2026), market size, firm sourcing and vertical specialization: paper vs diffecon",
    reference=ref,
    sections=(Section("solve", _solve), Section("printed_numbers", _printed), Section("formulas", _formulas),
              Section("claims", _statements), Section("tau_m", _tau_m), Section("traces", _trace),
              Section("domain", _domain), Section("polar_cases", _polar_cases), Section("figures", _figures)),
)
