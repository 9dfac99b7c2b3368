"""Ara (2026), "Market Size, Firm Sourcing, and Vertical Specialization".

A two-country Melitz model with one factor. Final-good firms choose, market by market, whether
to export final goods (activity X) and whether to import intermediate inputs for each line
(activities DM and XM); every firm that survives sells at home (activity D). The only
asymmetry between the countries is size, L = L₁/L₂. The question is how the home-market
effect on wages, d ln ω/d ln L with ω = w₁/w₂, depends on the input trade cost τ_M.

Notation (the spec `models/ara.md` restates the paper with its typos fixed): ρ = (σ−1)/σ,
κ = k/(σ−1); activities are ordered (D, DM, X, XM); country 2's wage is the numeraire.
The export cutoff uses the corrected ZCP τ_X^{σ−1} w_i^σ (the paper's eq. 1 misprints it).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ..core._tree import replace_fields
from ..core.model import Model, Requirement, at_least, greater_than, param, positive

__all__ = [
    "Ara2026", "RegimeError", "check_regime", "reduced_form", "batch_elasticities",
    "ACTIVITIES", "TRADE_OPTIONS",
]

ACTIVITIES = ("D", "DM", "X", "XM")
# Which activities exist under each trade option: masking (F = 0) nests the polar cases of
# eqs (6) and (7) without evaluating τ = ∞, whose 0·∞ gives NaN derivatives.
TRADE_OPTIONS = {
    "both": np.array([1.0, 1.0, 1.0, 1.0]),
    "final_only": np.array([1.0, 0.0, 1.0, 0.0]),
    "inputs_only": np.array([1.0, 1.0, 0.0, 0.0]),
}
PARETO_OPTIONS = ("formal", "exact")
REGIME_CHECKS = ("selection_ordering", "interior", "pareto_support")


class RegimeError(ValueError):
    """An equilibrium was found but lies outside the regime the model describes (spec §10)."""


class Ara2026(Model):
    """Ara (2026): heterogeneous firms that export final goods and import inputs.

    **Parameters** (defaults: the paper's Figure 1 calibration, P_A):
    - `L1`, `L2`: labour endowments (> 0); only L = L₁/L₂ matters for ratios;
    - `sigma`: elasticity of substitution σ between goods and between inputs (> 1);
    - `k`: Pareto shape (> σ − 1); `phi_min`: Pareto scale φ_min (> 0; the paper's 1);
    - `tau_x`, `tau_m`: iceberg costs of final goods τ_X and of inputs τ_M (≥ 1);
    - `f_d`, `f_x`, `f_dm`, `f_xm`: fixed costs of the activities D, X, DM, XM (> 0);
    - `f_e`: entry cost f_E (> 0).

    **Options** (static): `trade` = `"both"` (default), `"final_only"` (τ_M = ∞, eq. 6) or
    `"inputs_only"` (τ_X = ∞, eq. 7), implemented by removing activities; `pareto` =
    `"formal"` (default: the closed forms the paper uses at every cutoff, even below φ_min) or
    `"exact"` (the Pareto support truncated at φ_min; a kink where a cutoff crosses φ_min).

    **Unknowns** (13, all in logs): `log_phi[i, a]` the cutoffs φ_{a,i}, `log_B[i]` the demand
    shifters B_i, `log_R[i]` total final-good revenue R_i, `log_omega` = ln w₁.

    **Equations:** ZCP (8, eq. 1 corrected), free entry (2), labour market / income (2, eqs 2–3:
    w_iL_i = R_Di + R_Xj) and trade balance (1, eq. 4: R_X1 − E_M1 = R_X2 − E_M2).

    **Outcomes:**
    - `omega` (ω = w₁/w₂), `w1`, `w2`;
    - cutoffs `phi_D1`, `phi_DM1`, `phi_X1`, `phi_XM1`, `phi_D2`, ... (∞ for a removed activity);
    - `B1`, `B2`; price indices `P1`, `P2`; welfare `W1`, `W2` (eq. 5) and `W` = W₁/W₂;
    - `R1`, `R2`; `R_D1`, `R_X1`, `E_D1`, `E_M1` (and for 2; Appendix A.1.2);
      `R_X` = R_X1/R_X2 and `E_M` = E_M1/E_M2 (eq. 17–19; absent where both are zero);
      `RX_EM1`, `RX_EM2` = R_Xi/E_Mi = θ_i/ρ (eq. 9);
    - `alpha_X1`, `alpha_X2` (α_Xi = R_Di/R_Xi), `alpha_M1`, `alpha_M2` (α_Mi = E_Di/E_Mi),
      `theta1`, `theta2` (θ_i = (1+α_Mi)/(1+α_Xi));
    - masses: entrants `M_E1`, `M_E2`; active firms `M_D1`, `M_DM1`, `M_X1`, `M_XM1`, ...;
    - `s1`, `s2`: an importer's domestic-input expenditure share;
    - `labour_final1`, `labour_inputs1` (and 2): labour in final goods and in inputs;
    - `exports1`, `exports2`: final-good plus input exports;
    - regime booleans (spec §10): `selection_ordering` (R4: φ_D < min(φ_DM, φ_X),
      max(φ_DM, φ_X) < φ_XM in both countries), `interior` (R3: 1/α_X2 < ωL < α_X1, both
      final-good sectors active), `pareto_support` (R5: every active cutoff ≥ φ_min; fails at
      the paper's own P_A under formal Pareto), `assumption1` (R6: R_Xi > E_Mi),
      `regime_consistent` (sign(θ₁ − ρ) = sign(θ₂ − ρ)), and `valid` (R3 and R4).

    **Failed solves** say why (`explain_failure`): beyond the interior domain of L (spec R3;
    (0.12351, 8.09649) at P_A) the `SolveError` names the edge and the country whose final-good
    sector vanishes, from a scan of the reduced form (formal Pareto, final-good trade).
    """

    L1: jnp.ndarray = param(1.0)
    L2: jnp.ndarray = param(1.0)
    sigma: jnp.ndarray = param(4.0)
    k: jnp.ndarray = param(5.0)
    tau_x: jnp.ndarray = param(1.3)
    tau_m: jnp.ndarray = param(1.5)
    f_d: jnp.ndarray = param(1.0)
    f_x: jnp.ndarray = param(1.4)
    f_dm: jnp.ndarray = param(1.4)
    f_xm: jnp.ndarray = param(1.2)
    f_e: jnp.ndarray = param(2.5)
    phi_min: jnp.ndarray = param(1.0)
    trade: str = eqx.field(static=True, default="both")
    pareto: str = eqx.field(static=True, default="formal")

    def __check_init__(self):
        if self.trade not in TRADE_OPTIONS:
            raise ValueError(f"Ara2026: trade={self.trade!r} is not one of {', '.join(TRADE_OPTIONS)}.")
        if self.pareto not in PARETO_OPTIONS:
            raise ValueError(f"Ara2026: pareto={self.pareto!r} is not one of {', '.join(PARETO_OPTIONS)}.")

    # ------------------------------------------------------------------ domain
    def requirements(self):
        s = self.sigma
        reqs = [positive("L1", self.L1), positive("L2", self.L2), greater_than("sigma", s, 1.0),
                Requirement("k", self.k, jnp.all(self.k > s - 1), "k > sigma - 1"),
                at_least("tau_x", self.tau_x, 1.0), at_least("tau_m", self.tau_m, 1.0)]
        reqs += [positive(n, getattr(self, n)) for n in ("f_d", "f_x", "f_dm", "f_xm", "f_e", "phi_min")]
        # R4 at symmetry: the separable cutoffs describe a consistent firm choice only if each
        # add-on activity is harder than the one it adds to.
        mx, mm = self.tau_x ** (s - 1), self.tau_m ** (s - 1)
        if self.trade in ("both", "final_only"):
            reqs.append(Requirement("f_x", self.f_x, jnp.all(mx * self.f_x > self.f_d),
                                    "tau_x^(sigma-1) f_x > f_d (selection ordering, spec R4)"))
        if self.trade in ("both", "inputs_only"):
            reqs.append(Requirement("f_dm", self.f_dm, jnp.all(mm * self.f_dm > self.f_d),
                                    "tau_m^(sigma-1) f_dm > f_d (selection ordering, spec R4)"))
        if self.trade == "both":
            reqs.append(Requirement("f_xm", self.f_xm,
                                    jnp.all((mx * self.f_xm > self.f_dm) & (mm * self.f_xm > self.f_x)),
                                    "tau_x^(sigma-1) f_xm > f_dm and tau_m^(sigma-1) f_xm > f_x "
                                    "(selection ordering, spec R4)"))
        return tuple(reqs)

    # ------------------------------------------------------------------ building blocks
    @property
    def _mask(self) -> np.ndarray:
        return TRADE_OPTIONS[self.trade]

    @property
    def _log_f(self) -> jnp.ndarray:
        return jnp.log(jnp.stack([self.f_d, self.f_dm, self.f_x, self.f_xm]))

    def _cost_terms(self, log_w):
        """ℓ_a(w_i, w_j) of the ZCP conditions (eq. 1 corrected, spec §3), shape (2, 4).

        φ_{a,i}^{σ−1} = f_a exp(ℓ_a) / B_{m(a,i)}, with m = i for D, DM and m = j for X, XM.
        """
        s, ltx, ltm = self.sigma, jnp.log(self.tau_x), jnp.log(self.tau_m)
        own, other = log_w, log_w[::-1]
        return jnp.stack([
            s * own,
            own + (s - 1) * (ltm + other),
            (s - 1) * ltx + s * own,
            own + (s - 1) * (ltx + ltm + other),
        ], axis=1)

    @staticmethod
    def _market_of(log_B):
        """ln B_{m(a,i)} in the (2, 4) layout: home shifter for D, DM, foreign for X, XM."""
        home, foreign = log_B, log_B[::-1]
        return jnp.stack([home, home, foreign, foreign], axis=1)

    def _effective_log_phi(self, log_phi):
        """ln max(φ, φ_min) under exact Pareto; ln φ itself under the formal closed forms."""
        if self.pareto == "formal":
            return log_phi
        log_min = jnp.log(self.phi_min)
        return jnp.where(log_phi > log_min, log_phi, log_min)

    def _distribution(self, log_phi):
        """F_a = f_a a^{1−σ} V(a), f_a J(a) and 1 − G(a) at every cutoff (spec §4), masked."""
        s, k = self.sigma, self.k
        bar = self._effective_log_phi(log_phi)
        log_V = jnp.log(k) + k * jnp.log(self.phi_min) + (s - 1 - k) * bar - jnp.log(k - s + 1)
        survive = jnp.exp(-k * (bar - jnp.log(self.phi_min))) * self._mask
        F = jnp.exp(self._log_f + (1 - s) * log_phi + log_V) * self._mask
        fJ = F - jnp.exp(self._log_f) * survive
        return F, fJ, survive

    @staticmethod
    def _flows(F, R, rho):
        """R_D, R_X, E_D, E_M of each country from the F's and R_i (Appendix A.1.2)."""
        total = jnp.sum(F, axis=1)
        R_D = R * (F[:, 0] + F[:, 1]) / total
        R_X = R * (F[:, 2] + F[:, 3]) / total
        E_D = rho * R * (F[:, 0] + F[:, 2]) / total
        E_M = rho * R * (F[:, 1] + F[:, 3]) / total
        return R_D, R_X, E_D, E_M

    def _unpack(self, x):
        log_w = jnp.stack([x["log_omega"], jnp.zeros_like(x["log_omega"])])
        return x["log_phi"], x["log_B"], x["log_R"], log_w

    # ------------------------------------------------------------------ Model contract
    def guess(self):
        """The symmetric closed form (spec §7.5) with R_i = L_i and ω = 1."""
        s, k = self.sigma, self.k
        kappa = k / (s - 1)
        ell = self._cost_terms(jnp.zeros(2))[0]
        a = jnp.exp((1 - kappa) * self._log_f - kappa * ell) * self._mask
        C = self.f_e * (k - s + 1) / ((s - 1) * self.phi_min**k)
        log_B = jnp.log(C / jnp.sum(a)) / kappa
        log_phi = (self._log_f + ell - log_B) / (s - 1)
        return {
            "log_phi": jnp.stack([log_phi, log_phi]),
            "log_B": jnp.stack([log_B, log_B]),
            "log_R": jnp.log(jnp.stack([self.L1, self.L2])),
            "log_omega": jnp.zeros_like(log_B),
        }

    def residuals(self, x):
        log_phi, log_B, log_R, log_w = self._unpack(x)
        s = self.sigma
        L = jnp.stack([self.L1, self.L2])
        w = jnp.exp(log_w)
        R = jnp.exp(log_R)
        F, fJ, _ = self._distribution(log_phi)
        R_D, R_X, _, E_M = self._flows(F, R, (s - 1) / s)
        zcp = (s - 1) * log_phi - (self._log_f + self._cost_terms(log_w) - self._market_of(log_B))
        return {
            "zero_cutoff_profit": zcp,
            "free_entry": jnp.sum(fJ, axis=1) / self.f_e - 1.0,
            "labour_market": (R_D + R_X[::-1]) / (w * L) - 1.0,
            "trade_balance": ((R_X[0] - E_M[0]) - (R_X[1] - E_M[1])) / jnp.sum(w * L),
        }

    def outcomes(self, x):
        log_phi, log_B, log_R, log_w = self._unpack(x)
        s, k = self.sigma, self.k
        rho = (s - 1) / s
        mask = self._mask
        has_x, has_m = bool(mask[2]), bool(mask[1])
        L = jnp.stack([self.L1, self.L2])
        w, R, B = jnp.exp(log_w), jnp.exp(log_R), jnp.exp(log_B)
        phi = jnp.where(mask > 0, jnp.exp(log_phi), jnp.inf)
        F, _, survive = self._distribution(log_phi)
        R_D, R_X, E_D, E_M = self._flows(F, R, rho)
        M_E = R / (s * w * jnp.sum(F, axis=1))
        masses = M_E[:, None] * survive
        W = rho * (L / (s * self.f_d)) ** (1 / (s - 1)) * jnp.exp(log_phi[:, 0])
        inf = jnp.full_like(R, jnp.inf)

        alpha_X = (F[:, 0] + F[:, 1]) / (F[:, 2] + F[:, 3]) if has_x else inf
        alpha_M = (F[:, 0] + F[:, 2]) / (F[:, 1] + F[:, 3]) if has_m else inf
        theta = (F[:, 2] + F[:, 3]) / (F[:, 1] + F[:, 3]) if has_m else inf

        out = {"omega": w[0], "w1": w[0], "w2": w[1]}
        for i in range(2):
            for a, name in enumerate(ACTIVITIES):
                out[f"phi_{name}{i + 1}"] = phi[i, a]
        for i in range(2):
            n = i + 1
            out |= {
                f"B{n}": B[i], f"P{n}": w[i] / W[i], f"W{n}": W[i], f"R{n}": R[i],
                f"R_D{n}": R_D[i], f"R_X{n}": R_X[i], f"E_D{n}": E_D[i], f"E_M{n}": E_M[i],
                f"alpha_X{n}": alpha_X[i], f"alpha_M{n}": alpha_M[i], f"theta{n}": theta[i],
                f"RX_EM{n}": theta[i] / rho,
                f"M_E{n}": M_E[i],
                **{f"M_{a}{n}": masses[i, j] for j, a in enumerate(ACTIVITIES)},
                f"s{n}": 1 / (1 + (w[i] / (self.tau_m * w[1 - i])) ** (s - 1)),
                f"labour_final{n}": R[i] / (s * w[i]),
                f"labour_inputs{n}": (E_D[i] + E_M[1 - i]) / w[i],
                f"exports{n}": R_X[i] + E_M[1 - i],
            }
        out["W"] = W[0] / W[1]
        if has_x:
            out["R_X"] = R_X[0] / R_X[1]
        if has_m:
            out["E_M"] = E_M[0] / E_M[1]
        out |= self._regimes(phi, R_X, alpha_X, theta, w[0] * self.L1 / (w[1] * self.L2), rho)
        return out

    def _regimes(self, phi, R_X, alpha_X, theta, omega_L, rho):
        """The regime booleans of spec §10 (R3–R6)."""
        D, DM, X, XM = (phi[:, a] for a in range(4))
        if self.trade == "both":
            ordering = (D < jnp.minimum(DM, X)) & (jnp.maximum(DM, X) < XM)
        elif self.trade == "final_only":
            ordering = D < X
        else:
            ordering = D < DM
        ordering = jnp.all(ordering)
        if self.trade == "inputs_only":
            interior = jnp.asarray(True)
        else:
            interior = jnp.all(R_X > 0) & (1 / alpha_X[1] < omega_L) & (omega_L < alpha_X[0])
        active = jnp.where(self._mask > 0, phi, jnp.inf)
        support = jnp.all(active >= self.phi_min)
        a1 = theta / rho > 1
        return {
            "selection_ordering": ordering,
            "interior": interior,
            "pareto_support": support,
            "assumption1": jnp.all(a1),
            "regime_consistent": a1[0] == a1[1],
            "valid": ordering & interior,
        }

    # ------------------------------------------------------------------ failed solves
    def explain_failure(self, eq):
        """Why a solve failed, in the model's terms (the `Model.explain_failure` hook).

        Under formal Pareto with final-good trade (`trade="both"` or `"final_only"`) it scans
        the reduced form (spec §7) for the relative sizes L = L₁/L₂ that have an interior
        equilibrium. Outside them it names the edge and the corner (spec R3); inside them it
        gives the equilibrium ω the solve missed and whether it satisfies the selection ordering
        (R4). Otherwise, or where the scan is inconclusive, it describes the point where the
        solve stopped (a diverged iterate, the R3 or R4 flags there), or says nothing.

        **Arguments:** `eq`: the failed, unbatched `Equilibrium` (`throw=False`).

        **Returns:** one or two sentences, or None.
        """
        if not _is_scalar_model(self) or bool(np.all(np.asarray(eq.converged))):
            return None
        L = float(self.L1) / float(self.L2)
        within = False
        if self.pareto == "formal" and self.trade in ("both", "final_only"):
            hint, within = _explain_from_reduced_form(self, L)
            if hint:
                return hint
        return _explain_from_iterate(self, eq, L, corner_possible=not within)


def check_regime(eq, checks=("selection_ordering", "interior")):
    """Raise `RegimeError` if a solved `Ara2026` equilibrium violates a regime condition.

    **Arguments:**
    - `eq`: an `Equilibrium` of `Ara2026` (unbatched);
    - `checks`: which boolean outcomes must hold (add `"pareto_support"` to insist that every
      cutoff lies on the Pareto support).

    **Returns:** `eq`, unchanged, when every check holds.
    """
    explain = {
        "selection_ordering": "the cutoffs are not ordered phi_D < min(phi_DM, phi_X) <= "
                              "max(phi_DM, phi_X) < phi_XM, so the separable activities do not "
                              "describe a consistent firm choice (spec R4)",
        "interior": "no interior equilibrium (corner): a country's final-good sector vanishes (spec R3)",
        "pareto_support": "a cutoff lies below phi_min: more producers than entrants under the "
                          "formal Pareto closed forms (spec R5); try pareto='exact'",
    }
    for name in checks:
        if not bool(np.all(np.asarray(eq[name]))):
            raise RegimeError(f"Ara2026: {explain[name]}.")
    return eq


def reduced_form(model: Ara2026, omega):
    """The reduced system of eqs (17)–(20) at a trial relative wage ω (formal Pareto, both trades).

    Solves the ZCP + free-entry block for b_i = B_i^κ (linear given ω, spec §7.1) and returns
    the shares and the two curves of Figures 1 and 3.

    **Arguments:**
    - `model`: an `Ara2026` (its `L1/L2` sets the LMC curve);
    - `omega`: trial relative wages (any shape).

    **Returns:** a dict with `alpha_X1`, `alpha_X2`, `alpha_M1`, `alpha_M2`, `theta1`, `theta2`,
    `Phi` (LMC curve, eq. 19), `Psi` (TB curve, eq. 20), `L_locus` (the L at which ω is the
    equilibrium, spec §7.4), `feasible` (b₁, b₂ > 0, spec R2) and `b1`, `b2` (b_i = B_i^κ).
    """
    omega = jnp.asarray(omega, dtype=jnp.float64)
    flat = _reduced_form_flat(model, omega.reshape(-1))
    return {key: v.reshape(omega.shape) for key, v in flat.items()}


@eqx.filter_jit
def _reduced_form_flat(model, omega):
    s, k = model.sigma, model.k
    kappa, rho = k / (s - 1), (s - 1) / s

    def one(om):
        log_w = jnp.stack([jnp.log(om), jnp.zeros_like(om)])
        a = jnp.exp((1 - kappa) * model._log_f - kappa * model._cost_terms(log_w)) * model._mask
        home, foreign = a[:, 0] + a[:, 1], a[:, 2] + a[:, 3]
        # (a_D,i + a_DM,i) b_i + (a_X,i + a_XM,i) b_j = C for i = 1, 2 (Cramer's rule)
        C = model.f_e * (k - s + 1) / ((s - 1) * model.phi_min**k)
        det = home[0] * home[1] - foreign[0] * foreign[1]
        b = jnp.stack([C * (home[1] - foreign[0]), C * (home[0] - foreign[1])]) / det
        Fa = a * jnp.stack([b, b, b[::-1], b[::-1]], axis=1)  # ∝ f_a φ_a^{−k} ∝ F_a
        alpha_X = (Fa[:, 0] + Fa[:, 1]) / (Fa[:, 2] + Fa[:, 3])
        alpha_M = (Fa[:, 0] + Fa[:, 2]) / (Fa[:, 1] + Fa[:, 3])
        theta = (Fa[:, 2] + Fa[:, 3]) / (Fa[:, 1] + Fa[:, 3])
        L = model.L1 / model.L2
        gap1, gap2 = 1 - rho / theta[0], 1 - rho / theta[1]
        Psi = gap2 / gap1
        return {
            "alpha_X1": alpha_X[0], "alpha_X2": alpha_X[1], "alpha_M1": alpha_M[0],
            "alpha_M2": alpha_M[1], "theta1": theta[0], "theta2": theta[1],
            "Phi": (alpha_X[1] * om * L - 1) / (alpha_X[0] - om * L),
            "Psi": Psi,
            "L_locus": (1 + Psi * alpha_X[0]) / (om * (alpha_X[1] + Psi)),
            "feasible": jnp.all(b > 0),
            "b1": b[0], "b2": b[1],
        }

    return jax.vmap(one)(omega)


# ---------------------------------------------------------------------- failed-solve diagnosis
# The scan covers |ln ω| ≤ 4 (the R2-feasible set is |ln ω| < 0.28 at P_A) in steps of 2e-3,
# then zooms twice (steps 1e-6, 5e-10); every stage has the same size, so one compile serves all.
_SCAN_LOG_OMEGA = 4.0
_SCAN_POINTS = 4001


def _is_scalar_model(model):
    leaves = jax.tree_util.tree_leaves(model)
    return all(not isinstance(v, jax.core.Tracer) and np.ndim(v) == 0 for v in leaves)


def _locus(model, log_omega):
    """The reduced form on a grid of ln ω, with the R3 (interior) test along the locus L(ω)."""
    r = {key: np.asarray(v) for key, v in reduced_form(model, np.exp(log_omega)).items()}
    om, L = np.exp(log_omega), r["L_locus"]
    with np.errstate(all="ignore"):
        det = r["alpha_X1"] * r["alpha_X2"] - 1
        r["RX1"] = (r["alpha_X2"] * om * L - 1) / det  # R_Xi / (w₂L₂) at L = L(ω), spec §7.2
        r["RX2"] = (r["alpha_X1"] - om * L) / det
        r["interior"] = (r["feasible"] & np.isfinite(L) & (L > 0)
                         & (r["RX1"] > 0) & (r["RX2"] > 0))
    r["log_omega"] = np.asarray(log_omega)
    return r


def _zoom(model, grid, k):
    lw = grid["log_omega"]
    return _locus(model, np.linspace(lw[max(k - 1, 0)], lw[min(k + 1, len(lw) - 1)], _SCAN_POINTS))


def _edge(model, coarse, side):
    """(L, kind): the largest (side +1) or smallest (−1) L with an interior equilibrium and what
    ends the interior set there: "1"/"2" (that country's R_X → 0, spec R3), "fold" (the locus
    turns back); (None, "R2") at the free-entry edge R2, where L(ω) diverges (final goods only:
    b_j → 0 sends α_Xi → ∞); (None, None) when unsure (a scan end, an isolated point)."""
    grid = coarse
    for stage in range(3):
        score = np.where(grid["interior"], side * grid["L_locus"], -np.inf)
        k = int(np.argmax(score))
        if k in (0, len(score) - 1):
            return None, None
        if stage < 2:
            grid = _zoom(model, grid, k)
    neighbours = [j for j in (k - 1, k + 1) if not grid["interior"][j]]
    if not neighbours:
        return float(grid["L_locus"][k]), "fold"
    if len(neighbours) > 1:
        return None, None
    j = neighbours[0]
    if not grid["feasible"][j]:
        return None, "R2"
    if grid["RX2"][j] <= 0 < grid["RX1"][j]:
        return float(grid["L_locus"][k]), "2"
    if grid["RX1"][j] <= 0 < grid["RX2"][j]:
        return float(grid["L_locus"][k]), "1"
    return None, None


def _equilibria(model, coarse, L):
    """The ln ω (refined) at which the locus L(ω) crosses L among interior points of the scan."""
    inside, lw = coarse["interior"], coarse["log_omega"]
    gap = coarse["L_locus"] - L
    # an interval with a sign change, or at the end of an interior stretch (the root may lie
    # between the last interior grid point and the edge)
    crossing = inside[:-1] & inside[1:] & (np.sign(gap[:-1]) != np.sign(gap[1:]))
    candidates = np.flatnonzero(crossing | (inside[:-1] != inside[1:]))
    found = []
    for k in candidates:
        fine = _locus(model, np.linspace(lw[k], lw[k + 1], _SCAN_POINTS))
        g, flw = fine["L_locus"] - L, fine["log_omega"]
        ok = fine["interior"][:-1] & fine["interior"][1:] & (np.sign(g[:-1]) != np.sign(g[1:]))
        for m in np.flatnonzero(ok):
            root = flw[m] - g[m] * (flw[m + 1] - flw[m]) / (g[m + 1] - g[m])
            if all(abs(root - r) > 1e-6 for r in found):
                found.append(float(root))
    return sorted(found)


@eqx.filter_jit
def _check_point(model, log_omega, b, alpha_X):
    """Max |residual| and the R4 flag at the reduced-form point (ln ω, b, α_X) (spec §7)."""
    s, k = model.sigma, model.k
    log_w = jnp.stack([log_omega, jnp.zeros_like(log_omega)])
    log_B = jnp.log(b) * (s - 1) / k
    log_phi = (model._log_f + model._cost_terms(log_w) - model._market_of(log_B)) / (s - 1)
    om = jnp.exp(log_omega)
    RX = jnp.stack([alpha_X[1] * om * model.L1 - model.L2, alpha_X[0] * model.L2 - om * model.L1])
    log_R = jnp.log((1 + alpha_X) * RX / (alpha_X[0] * alpha_X[1] - 1))
    x = {"log_phi": log_phi, "log_B": log_B, "log_R": log_R, "log_omega": log_omega}
    res, _ = ravel_pytree(model.residuals(x))
    return jnp.max(jnp.abs(res)), model.outcomes(x)["selection_ordering"]


def _verified(model, log_omega):
    """(max |residual|, R4 flag) of the 13-equation system at the reduced form's ln ω."""
    r = _locus(model, np.full(_SCAN_POINTS, log_omega))  # the scan's shape: no new compile
    b = jnp.array([r["b1"][0], r["b2"][0]])
    alpha_X = jnp.array([r["alpha_X1"][0], r["alpha_X2"][0]])
    norm, ordering = _check_point(model, jnp.asarray(log_omega), b, alpha_X)
    return float(norm), bool(ordering)


def _explain_from_reduced_form(model, L):
    """(sentence or None, whether L is known to lie strictly inside the interior domain)."""
    coarse = _locus(model, np.linspace(-_SCAN_LOG_OMEGA, _SCAN_LOG_OMEGA, _SCAN_POINTS))
    inside = coarse["interior"]
    if not inside.any() or inside[0] or inside[-1]:
        return None, False
    (hi, hi_kind), (lo, lo_kind) = _edge(model, coarse, +1), _edge(model, coarse, -1)
    sides = ((hi, hi_kind, hi is not None and L > hi * (1 + 1e-8), "beyond the largest"),
             (lo, lo_kind, lo is not None and L < lo * (1 - 1e-8), "below the smallest"))
    for edge, kind, outside, words in sides:
        if outside:
            there = (f"country {kind}'s final-good sector vanishes there, spec R3" if kind in ("1", "2")
                     else "the equilibrium locus L(omega) of the reduced form turns back there, spec §7.4")
            return (f"No interior equilibrium: L1/L2 = {L:.6g} is {words} relative size with an "
                    f"interior equilibrium at these parameters, ≈ {edge:.6g} ({there})."), False
    # between two known edges of one interior stretch, an interior equilibrium exists (continuity)
    within = (np.count_nonzero(inside[1:] & ~inside[:-1]) == 1
              and (hi_kind == "R2" or (hi is not None and L < hi))
              and (lo_kind == "R2" or (lo is not None and L > lo)))
    roots = _equilibria(model, coarse, L)
    checked = []
    for root in roots:
        norm, ordering = _verified(model, root)
        if np.isfinite(norm) and norm < 1e-6:
            checked.append((root, ordering))
    if not checked or len(checked) != len(roots):
        return None, within
    at = ", ".join(f"{np.exp(r):.6g}" for r, _ in checked)
    if len(checked) == 1:
        msg = (f"An interior equilibrium exists at these parameters (reduced form, spec §7.4: "
               f"omega ≈ {at}), but the solve did not reach it from its starting point.")
        if not checked[0][1]:
            msg += (" It violates the selection ordering (spec R4), so it lies outside the regime "
                    "the model describes.")
        return msg, True
    msg = (f"{len(checked)} interior equilibria exist at these parameters (reduced form, spec §7.4: "
           f"omega ≈ {at}), but the solve reached none of them from its starting point.")
    bad = [f"{np.exp(r):.6g}" for r, ok in checked if not ok]
    if bad:
        msg += f" The selection ordering (spec R4) fails at omega ≈ {', '.join(bad)}."
    return msg, True


def _explain_from_iterate(model, eq, L, corner_possible=True):
    """What the point where the solve stopped shows (no claim about the equilibrium set)."""
    # a corner needs traded final goods and unequal sizes, and is ruled out by the reduced form
    # when it placed L strictly between two edges of one interior stretch
    corner = corner_possible and model.trade != "inputs_only" and L != 1
    maybe = (f" Possibly no interior equilibrium exists at L1/L2 = {L:.6g} (a country's final-good "
             f"sector vanishing, spec R3)." if corner else "")
    bad = sorted(name for name, v in eq.x.items() if not np.all(np.isfinite(np.asarray(v))))
    if bad:
        return f"The iterate diverged ({', '.join(bad)} not finite).{maybe}" if corner else None
    flags = []
    interior = bool(eq["interior"])
    if not interior:
        flags.append("the interior condition fails (spec R3: R_X1, R_X2 > 0)")
    if not bool(eq["selection_ordering"]):
        flags.append("the cutoffs violate the selection ordering (spec R4)")
    if not flags:
        return None
    return f"At the point where the solve stopped, {' and '.join(flags)}.{'' if interior else maybe}"


def batch_elasticities(eq, of, wrt=("L1",)):
    """Exact elasticities d ln(of)/d ln(wrt) at a solved equilibrium, cheap and safe in `sweep`.

    The implicit function theorem applied at `eq.x` directly, dx/dθ = −(∂F/∂x)⁻¹ ∂F/∂θ, with no
    second solve: the same derivative `diffecon.elasticity` returns, but it compiles a fraction
    as much and never raises (an element that did not converge keeps `converged=False` in the
    sweep's output instead of aborting the batch).

    **Arguments:**
    - `eq`: the `Equilibrium` a `sweep` callable receives;
    - `of`: outcome names (float outcomes, nonzero);
    - `wrt`: parameter names.

    **Returns:** an array of shape `(len(of), len(wrt))`.
    """
    model = eq.model
    x, unravel = ravel_pytree(jax.lax.stop_gradient(eq.x))
    theta = {n: jax.lax.stop_gradient(getattr(model, n)) for n in wrt}

    def residual(xv, params):
        return ravel_pytree(replace_fields(model, params).residuals(unravel(xv)))[0]

    def values(xv, params):
        out = replace_fields(model, params).outcomes(unravel(xv))
        return jnp.stack([out[n] for n in of])

    J_x = jax.jacfwd(residual, 0)(x, theta)
    J_theta = jax.jacfwd(residual, 1)(x, theta)
    G_x = jax.jacfwd(values, 0)(x, theta)
    G_theta = jax.jacfwd(values, 1)(x, theta)
    y = values(x, theta)
    cols = []
    for n in wrt:
        dx = -jnp.linalg.solve(J_x, J_theta[n])
        cols.append((G_x @ dx + G_theta[n]) * theta[n] / y)
    return jnp.stack(cols, axis=-1)
