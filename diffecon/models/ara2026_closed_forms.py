"""The paper's closed forms for Ara (2026): its reduced system and its analytic statics.

- `reduced_form`: the reduced system of eqs (17)–(20) at a trial relative wage ω (the curves of
  Figures 1 and 3 and the equilibrium locus L(ω)); no root finding, so it is also an oracle for
  the 13-equation solve and the basis of `ara2026_diagnostics`.
- `reduced_form_log`: the same system at one ln ω, in logs throughout and in a form without the
  0/0 of Ψ at θ = ρ, for every trade option: the gap ln L(ω) − ln(L₁/L₂), whether the point is
  interior and ordered, and the 13 unknowns there (`ara2026_diagnostics` scans it).
- The analytic comparative statics (NumPy): the pages of algebra that `diffecon.elasticity`
  replaces; independent oracles for the implicit-function derivatives (tests, replication,
  benchmark). Hats are d ln(·)/d ln L with L = L₁/L₂ (i.e. with respect to L₁, L₂ fixed).
  Formal Pareto throughout: γ = k − σ + 1, so the paper's β terms are k·α. Inputs are dicts of
  outcomes (`Equilibrium.outcomes` or arrays from `sweep`) and of parameters.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from . import _pareto

__all__ = [
    "reduced_form", "reduced_form_log", "rho_of",
    "eq6_final_only", "eq7_inputs_only", "eq8_cutoffs_per_omega", "c1_cutoff_hats",
    "symmetric_statics", "final_only_symmetric", "inputs_only_symmetric",
]


def reduced_form(model, omega):
    """The reduced system of eqs (17)–(20) at a trial relative wage ω (formal Pareto).

    Solves the ZCP + free-entry block for b_i = B_i^κ (linear given ω, spec §7.1) and returns
    the shares and the two curves of Figures 1 and 3.

    **Arguments:**
    - `model`: an `Ara2026` (its `L1/L2` sets the LMC curve; its `trade` option removes
      activities; the formulas are those of formal Pareto whatever its `pareto` option);
    - `omega`: trial relative wages (any shape).

    **Returns:** a dict with `alpha_X1`, `alpha_X2`, `alpha_M1`, `alpha_M2`, `theta1`, `theta2`,
    `Phi` (LMC curve, eq. 19), `Psi` (TB curve, eq. 20), `L_locus` (the L at which ω is the
    equilibrium, spec §7.4), `feasible` (b₁, b₂ > 0, spec R2), `b1`, `b2` (b_i = B_i^κ) and
    `log_B1`, `log_B2` (ln B_i; NaN where infeasible), each of ω's shape.
    """
    omega = jnp.asarray(omega, dtype=jnp.float64)
    flat = _reduced_form_flat(model, omega.reshape(-1))
    return {key: v.reshape(omega.shape) for key, v in flat.items()}


@eqx.filter_jit
def _reduced_form_flat(model, omega):
    s, k = model.sigma, model.k
    kappa, rho = k / (s - 1), (s - 1) / s
    mask = np.zeros(4)
    mask[np.array(model._active)] = 1.0

    def one(om):
        log_w = jnp.stack([jnp.log(om), jnp.zeros_like(om)])
        log_a = (1 - kappa) * model._log_f - kappa * model._cost_terms(log_w)
        # f_a φ_a^{−k} = a_a b_m (spec §7.1); a common factor of the a's only rescales b
        shift = jnp.max(jnp.where(mask > 0, log_a, -jnp.inf))
        a = jnp.exp(log_a - shift) * mask
        home, foreign = a[:, 0] + a[:, 1], a[:, 2] + a[:, 3]
        # (a_D,i + a_DM,i) b_i + (a_X,i + a_XM,i) b_j = C for i = 1, 2 (Cramer's rule, C = 1)
        det = home[0] * home[1] - foreign[0] * foreign[1]
        b = jnp.stack([home[1] - foreign[0], home[0] - foreign[1]]) / det
        feasible = jnp.all(b > 0)
        log_C = jnp.log(model.f_e) + jnp.log(k - (s - 1)) - jnp.log(s - 1) - k * jnp.log(model.phi_min)
        log_b = log_C - shift + jnp.log(jnp.where(feasible, b, jnp.nan))
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
            "feasible": feasible,
            "b1": jnp.exp(log_b[0]), "b2": jnp.exp(log_b[1]),
            "log_B1": log_b[0] / kappa, "log_B2": log_b[1] / kappa,
        }

    return jax.vmap(one)(omega)


def _log1mexp(y):
    """ln(1 − e^y) for y ≤ 0, accurate at both ends (−inf at 0, NaN above)."""
    return jnp.where(y > -0.6931471805599453, jnp.log(-jnp.expm1(y)), jnp.log1p(-jnp.exp(y)))


def _log_diff(a, b):
    """(sign, ln|e^a − e^b|) elementwise; (0, −inf) where equal."""
    hi, lo = jnp.maximum(a, b), jnp.minimum(a, b)
    empty = hi == -jnp.inf
    log_abs = jnp.where(empty, -jnp.inf, hi + _log1mexp(jnp.where(empty, 0.0, lo - hi)))
    return jnp.sign(a - jnp.where(empty, 0.0, b)) * (log_abs > -jnp.inf), log_abs


def reduced_form_log(model, log_omega):
    """The reduced system of eqs (17)–(20) at one ln ω (formal Pareto), in logs throughout.

    Free entry is linear in b_i = B_i^κ (spec §7.1): H_i b_i + X_i b_j = C with
    H_i = a_D,i + a_DM,i and X_i = a_X,i + a_XM,i, so b₁ ∝ H₂ − X₁ and b₂ ∝ H₁ − X₂ (both > 0:
    spec R2). With the revenue shares s^D_i = R_Di/R_i, s^X_i = R_Xi/R_i, s^M_i = E_Mi/(ρR_i) and
    g_i = s^X_i − ρ s^M_i = (R_Xi − E_Mi)/R_i, trade balance gives R₁/R₂ = g₂/g₁ (> 0: both
    countries in the same regime, R3) and the income equations then give
    ωL = (g₁s^X₂ + g₂s^D₁)/(g₁s^D₂ + g₂s^X₁): the locus L(ω) of spec §7.4 without its 0/0 at
    θ = ρ, for every trade option (with final goods only g_i = s^X_i; with inputs only s^D = 1,
    s^X = 0 and ωL = (1 + α_M1)/(1 + α_M2)).

    **Arguments:** `model`: an `Ara2026` (its `pareto` option is ignored); `log_omega`: ln ω (a
    scalar; vmap for a grid).

    **Returns:** `(gap, ok, ordered, x)`: ln L(ω) − ln(L1/L2) (an equilibrium is a root); whether
    the point is interior (R2, R3); the selection ordering (R4) of its cutoffs; the 13 unknowns
    (a root of the equations where gap = 0).
    """
    s, k = model.sigma, model.k
    kappa = k / (s - 1)
    log_w = jnp.stack([log_omega, jnp.zeros_like(log_omega)])
    present = np.isin(np.arange(4), model._active)
    log_a = jnp.where(present, (1 - kappa) * model._log_f - kappa * model._cost_terms(log_w), -jnp.inf)
    lH = jnp.logaddexp(log_a[:, 0], log_a[:, 1])
    lX = jnp.logaddexp(log_a[:, 2], log_a[:, 3])
    feasible = (lX[0] < lH[1]) & (lX[1] < lH[0])
    num = jnp.stack([lH[1] + _log1mexp(lX[0] - lH[1]), lH[0] + _log1mexp(lX[1] - lH[0])])
    log_det = lH[0] + lH[1] + _log1mexp(lX[0] + lX[1] - lH[0] - lH[1])
    log_C = jnp.log(model.f_e) + jnp.log(k - (s - 1)) - jnp.log(s - 1) - k * jnp.log(model.phi_min)
    log_B = (log_C + num - log_det) / kappa
    log_phi = model._zcp_log_phi(log_w, log_B)
    log_F = jnp.where(present, model._log_f + _pareto.log_revenue_moment(
        log_phi, s, k, jnp.log(model.phi_min), False), -jnp.inf)
    total = jax.nn.logsumexp(log_F, axis=1)
    lsD = jnp.logaddexp(log_F[:, 0], log_F[:, 1]) - total
    lsX = jnp.logaddexp(log_F[:, 2], log_F[:, 3]) - total
    lsM = jnp.logaddexp(log_F[:, 1], log_F[:, 3]) - total
    sign, lg = _log_diff(lsX, jnp.log((s - 1) / s) + lsM)
    num_L = jnp.logaddexp(lg[0] + lsX[1], lg[1] + lsD[0])
    den_L = jnp.logaddexp(lg[0] + lsD[1], lg[1] + lsX[0])
    gap = num_L - den_L - log_omega - (jnp.log(model.L1) - jnp.log(model.L2))
    ok = feasible & (sign[0] == sign[1]) & jnp.all(jnp.isfinite(lg)) & jnp.isfinite(gap)
    # R₂ = L₂/(s^D₂ + (g₂/g₁) s^X₁) and R₁ = (g₂/g₁) R₂
    log_R = jnp.log(model.L2) - den_L + lg[::-1]
    x = {"log_phi": log_phi, "log_B": log_B, "log_R": log_R, "log_omega": log_omega}
    return gap, ok, jnp.all(model._ordering(log_phi)), x


def _g(d, name):
    return np.asarray(d[name], dtype=float)


def rho_of(p):
    s = _g(p, "sigma")
    return (s - 1) / s


def eq6_final_only(o, p):
    """Eq. (6), final goods only, any L: hats of φ_D1, φ_D2, ω and Ξ_X (A.2.1)."""
    rho, k = rho_of(p), _g(p, "k")
    a1, a2 = _g(o, "alpha_X1"), _g(o, "alpha_X2")
    b1, b2 = k * a1, k * a2
    xi = (b1 + rho) * (b2 + rho) - (b1 - rho * a1) * (b2 - rho * a2)
    return {"phi_D1": -rho * (1 + a2) / xi, "phi_D2": rho * (1 + a1) / xi,
            "omega": rho**2 * (a1 * a2 - 1) / xi, "Xi_X": xi}


def eq7_inputs_only(o, p):
    """Eq. (7), inputs only, any L: hats of φ_D1, φ_D2, ω and Ξ_M (A.2.2)."""
    k = _g(p, "k")
    a1, a2 = _g(o, "alpha_M1"), _g(o, "alpha_M2")
    b1, b2 = k * a1, k * a2
    xi = (1 + a1 + b1) * (1 + a2 + b2) - b1 * b2
    return {"phi_D1": -(1 + a2) / xi, "phi_D2": (1 + a1) / xi,
            "omega": -(1 + a1) * (1 + a2) / xi, "Xi_M": xi}


def eq8_cutoffs_per_omega(o, p):
    """Eq. (8), any L: d ln φ_D1/d ln ω and d ln φ_D2/d ln ω inside the ZCP + FE block, and Ξ."""
    rho = rho_of(p)
    m1, m2 = _g(o, "alpha_M1"), _g(o, "alpha_M2")
    t1, t2 = _g(o, "theta1"), _g(o, "theta2")
    xi = (1 + m1 - t1) * (1 + m2 - t2) - t1 * t2
    d1 = -((t1 / rho - 1) * (1 + m2 - t2) + (t2 / rho - 1) * t1) / xi
    d2 = ((t2 / rho - 1) * (1 + m1 - t1) + (t1 / rho - 1) * t2) / xi
    return {"phi_D1": d1, "phi_D2": d2, "Xi": xi}


def c1_cutoff_hats(omega_hat, d1_hat, d2_hat, p):
    """ZCP algebra (A.13/A.14 corrected), any L: the six other cutoff hats from ω̂, φ̂_D1, φ̂_D2."""
    rho = rho_of(p)
    return {
        "phi_DM1": d1_hat - omega_hat, "phi_X1": omega_hat / rho + d2_hat,
        "phi_XM1": (1 / rho - 1) * omega_hat + d2_hat,
        "phi_DM2": d2_hat + omega_hat, "phi_X2": -omega_hat / rho + d1_hat,
        "phi_XM2": (1 - 1 / rho) * omega_hat + d1_hat,
    }


def symmetric_statics(o, p):
    """Eqs (12), (21), (22) and Props 2–3 at the symmetric equilibrium (A.2.4 slopes, spec C3–C11).

    Uses the explicit Pareto elasticities of α_X, α_M, θ with respect to ω; F_a ∝ f_a φ_a^{−k}.
    Returns A, Φ_ω, Ψ_ω, Φ_L and the hats of ω, φ_D1, W, R_X, E_M, R_X1/E_M1, α_X1, α_M1.
    """
    rho, k, s = rho_of(p), _g(p, "k"), _g(p, "sigma")
    ax, theta = _g(o, "alpha_X1"), _g(o, "theta1")
    F = {a: _g(p, f"f_{a.lower()}") * _g(o, f"phi_{a}1") ** (-k) for a in ("D", "DM", "X", "XM")}
    m_D = F["DM"] / (F["D"] + F["DM"])
    m_X = F["XM"] / (F["X"] + F["XM"])
    x_D = F["X"] / (F["D"] + F["X"])
    x_M = F["XM"] / (F["DM"] + F["XM"])
    A = (theta / rho - 1) / (theta * (ax - 1))  # eq. (12)
    lead = 2 * A + 1 / rho
    eps_ax = k * (lead + m_D - m_X)
    eps_am = -k * (1 + lead * (x_D - x_M))
    eps_theta = -k * (lead * (1 - x_M) + 1 - m_X)
    Phi_w = (ax + 1 - 2 * ax * eps_ax) / (ax - 1)
    Psi_w = -2 * rho * eps_theta / (theta - rho)
    Phi_L = (ax + 1) / (ax - 1)
    w_hat = Phi_L / (Psi_w - Phi_w)  # eq. (21)
    return {
        "A": A, "Phi_omega": Phi_w, "Psi_omega": Psi_w, "Phi_L": Phi_L,
        "omega": w_hat, "phi_D1": -A * w_hat, "phi_D2": A * w_hat,
        "W": 1 / (s - 1) - 2 * A * w_hat,  # eq. (22)
        "R_X": Psi_w * w_hat, "E_M": (Psi_w - 2 * eps_theta) * w_hat,
        "RX_EM1": eps_theta * w_hat, "alpha_X1": eps_ax * w_hat, "alpha_M1": eps_am * w_hat,
    }


def final_only_symmetric(p):
    """Eq. (6) at symmetry in closed form: α_X and the hats of ω and φ_D1."""
    rho, k, s = rho_of(p), _g(p, "k"), _g(p, "sigma")
    kappa = k / (s - 1)
    ax = (_g(p, "f_d") / _g(p, "f_x")) ** (1 - kappa) * _g(p, "tau_x") ** k
    den = 2 * k * ax + rho * (1 - ax)
    return {"alpha_X": ax, "omega": rho * (ax - 1) / den, "phi_D1": -1 / den}


def inputs_only_symmetric(p):
    """Eq. (7) at symmetry in closed form: α_M and the hats of ω and φ_D1."""
    k, s = _g(p, "k"), _g(p, "sigma")
    kappa = k / (s - 1)
    am = (_g(p, "f_d") / _g(p, "f_dm")) ** (1 - kappa) * _g(p, "tau_m") ** k
    den = 1 + am + 2 * k * am
    return {"alpha_M": am, "omega": -(1 + am) / den, "phi_D1": -1 / den}
