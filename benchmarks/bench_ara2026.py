"""Ara (2026): the 13-unknown equilibrium and the full Jacobian of its outcomes.

Tasks: one warm solve + the exact Jacobian of every float outcome with respect to all 12
parameters; a batch (10^4 by default, 10^3 quick) of random symmetric-size draws with the same
full Jacobian. Baselines:

- the strongest per-point loop: the same 13 equations written with `math` on Python floats
  (`_math_residuals`, the point's constants computed once), `scipy.optimize.root` (hybr) per
  point from the model's own symmetric start, and central finite differences in each of the
  12 parameters (24 more solves per point, from the same start: started from the point's
  solution, hybr needs twice the evaluations and at times stops at once);
- the 0.2 benchmark's loop, the same equations in NumPy on 13-vectors (`_np_residuals`), each
  solve from the symmetric start, kept as a labelled row.

No vectorised NumPy Newton: it would need the 13 × 13 Jacobian of the equations and the 13 × 12
Jacobian in the parameters written by hand (and the outcomes' derivatives for all 56 outcomes),
which is not a plausible amount of user code; that is the work diffecon saves. The baselines
differentiate ω, W and φ_D1 (3 of the outcomes): the other outcomes are functions of the same
solves, so their finite differences would add outcome evaluations only. All are compared with the
paper's analytic statics at the symmetric equilibrium: d ln ω/d ln L (eq. 21), d ln W/d ln L
(eq. 22) and d ln φ_D1/d ln L (eq. 12), coded by hand in `diffecon.models.ara2026_closed_forms`,
and with diffecon's answers.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize

import diffecon as de
from diffecon.models import Ara2026
from diffecon.models import ara2026_closed_forms as cf

from ._harness import (
    ARA_BATCH,
    Goal,
    Result,
    batch_sizes,
    max_rel_diff,
    single_goals,
    sweep_devices,
    time_jax,
    time_python,
)

MODEL = "Ara 2026"
PARAMS = ("L1", "L2", "sigma", "k", "tau_x", "tau_m", "f_d", "f_x", "f_dm", "f_xm", "f_e", "phi_min")
_FD_STEP = 1e-5  # relative central-difference step


def _np_residuals(y, p):
    """The 13 equations (spec §6, formal Pareto) in NumPy: y = [ln φ (2×4), ln B (2), ln R (2), ln w1]."""
    s, k = p["sigma"], p["k"]
    lphi, lB, lR = y[:8].reshape(2, 4), y[8:10], y[10:12]
    lw = np.array([y[12], 0.0])
    f = np.array([p["f_d"], p["f_dm"], p["f_x"], p["f_xm"]])
    ltx, ltm = np.log(p["tau_x"]), np.log(p["tau_m"])
    own, other = lw, lw[::-1]
    ell = np.stack([s * own, own + (s - 1) * (ltm + other), (s - 1) * ltx + s * own,
                    own + (s - 1) * (ltx + ltm + other)], axis=1)
    lBm = np.stack([lB, lB, lB[::-1], lB[::-1]], axis=1)
    zcp = (s - 1) * lphi - (np.log(f) + ell - lBm)
    F = f * k * p["phi_min"] ** k * np.exp(-k * lphi) / (k - s + 1)
    fe = (s - 1) / k * F.sum(axis=1) / p["f_e"] - 1
    R, w, L = np.exp(lR), np.exp(lw), np.array([p["L1"], p["L2"]])
    tot = F.sum(axis=1)
    R_D, R_X = R * (F[:, 0] + F[:, 1]) / tot, R * (F[:, 2] + F[:, 3]) / tot
    E_M = (s - 1) / s * R * (F[:, 1] + F[:, 3]) / tot
    lmc = (R_D + R_X[::-1]) / (w * L) - 1
    tb = ((R_X[0] - E_M[0]) - (R_X[1] - E_M[1])) / np.sum(w * L)
    return np.concatenate([zcp.ravel(), fe, lmc, [tb]])


def _np_outcomes(y, p):
    """ω, W = W1/W2 (eq. 5) and φ_D1 from the unknowns."""
    return np.array([np.exp(y[12]), (p["L1"] / p["L2"]) ** (1 / (p["sigma"] - 1)) * np.exp(y[0] - y[4]),
                     np.exp(y[0])])


def _np_guess(p):
    """The symmetric closed form (spec §7.5) with R_i = L_i, ω = 1: the model's own start."""
    s, k = p["sigma"], p["k"]
    kappa = k / (s - 1)
    f = np.array([p["f_d"], p["f_dm"], p["f_x"], p["f_xm"]])
    ltx, ltm = np.log(p["tau_x"]), np.log(p["tau_m"])
    ell = (s - 1) * np.array([0.0, ltm, ltx, ltx + ltm])
    a = f ** (1 - kappa) * np.exp(-kappa * ell)
    lB = np.log(p["f_e"] * (k - s + 1) / ((s - 1) * p["phi_min"] ** k) / a.sum()) / kappa
    lphi = (np.log(f) + ell - lB) / (s - 1)
    return np.concatenate([lphi, lphi, [lB, lB], np.log([p["L1"], p["L2"]]), [0.0]])


def _math_residuals(y, c):
    """The 13 equations of `_np_residuals` on Python floats; `c` holds the point's constants.
    A trial point beyond float range returns huge residuals (hybr then shortens its step), as
    NumPy's inf would."""
    try:
        return _math_residuals_unguarded(y, c)
    except (OverflowError, ZeroDivisionError):
        return [1e300] * 13


def _math_residuals_unguarded(y, c):
    s, k, lf, Fc, ltx, ltm, L, fe_c = c
    lw = (y[12], 0.0)
    w = (math.exp(y[12]), 1.0)
    lB = (y[8], y[9])
    out, tot, R = [], [], (math.exp(y[10]), math.exp(y[11]))
    F = [[0.0] * 4, [0.0] * 4]
    for i in (0, 1):
        own, other = lw[i], lw[1 - i]
        ell = (s * own, own + (s - 1) * (ltm + other), (s - 1) * ltx + s * own, own + (s - 1) * (ltx + ltm + other))
        lBm = (lB[i], lB[i], lB[1 - i], lB[1 - i])
        for j in range(4):
            lphi = y[4 * i + j]
            out.append((s - 1) * lphi - (lf[j] + ell[j] - lBm[j]))
            F[i][j] = Fc[j] * math.exp(-k * lphi)
        tot.append(F[i][0] + F[i][1] + F[i][2] + F[i][3])
    for i in (0, 1):
        out.append(fe_c * tot[i] - 1)
    RD = [R[i] * (F[i][0] + F[i][1]) / tot[i] for i in (0, 1)]
    RX = [R[i] * (F[i][2] + F[i][3]) / tot[i] for i in (0, 1)]
    EM = [(s - 1) / s * R[i] * (F[i][1] + F[i][3]) / tot[i] for i in (0, 1)]
    for i in (0, 1):
        out.append((RD[i] + RX[1 - i]) / (w[i] * L[i]) - 1)
    out.append(((RX[0] - EM[0]) - (RX[1] - EM[1])) / (w[0] * L[0] + w[1] * L[1]))
    return out


def _math_constants(p):
    s, k = p["sigma"], p["k"]
    f = (p["f_d"], p["f_dm"], p["f_x"], p["f_xm"])
    return (s, k, [math.log(v) for v in f], [v * k * p["phi_min"] ** k / (k - s + 1) for v in f],
            math.log(p["tau_x"]), math.log(p["tau_m"]), (p["L1"], p["L2"]), (s - 1) / k / p["f_e"])


def _math_outcomes(y, p):
    return (math.exp(y[12]), (p["L1"] / p["L2"]) ** (1 / (p["sigma"] - 1)) * math.exp(y[0] - y[4]), math.exp(y[0]))


def _math_point(p):
    """The strongest per-point loop: root on the math equations, central differences; every
    solve starts from the symmetric closed form (started from the point's own solution instead,
    hybr needs ~40 evaluations rather than ~20 and at times stops at once, its first step being
    below its tolerance, which halves a finite difference)."""

    def solve(q):
        return scipy.optimize.root(_math_residuals, _np_guess(q), args=(_math_constants(q),), tol=1e-13).x

    y = solve(p)
    base = np.array(_math_outcomes(y, p))
    jac = {}
    for n in PARAMS:
        h = _FD_STEP * p[n]
        up, down = {**p, n: p[n] + h}, {**p, n: p[n] - h}
        jac[n] = (np.array(_math_outcomes(solve(up), up)) - np.array(_math_outcomes(solve(down), down))) / (2 * h)
    return base, jac


def _scipy_point(p):
    """The baseline for one point: root for the levels, central differences for all 12 parameters."""

    def outcomes(q):
        sol = scipy.optimize.root(_np_residuals, _np_guess(q), args=(q,), tol=1e-13)
        return _np_outcomes(sol.x, q)

    base = outcomes(p)
    jac = {}
    for n in PARAMS:
        h = _FD_STEP * p[n]
        jac[n] = (outcomes({**p, n: p[n] + h}) - outcomes({**p, n: p[n] - h})) / (2 * h)
    return base, jac


def _draws(n, seed=0):
    """Random admissible parameters at equal sizes (the analytic statics hold at symmetry)."""
    rng = np.random.default_rng(seed)
    out = {name: [] for name in PARAMS}
    while len(out["sigma"]) < n:
        s = rng.uniform(2.5, 6.0, n)
        p = dict(sigma=s, k=s - 1 + rng.uniform(0.6, 3.0, n), tau_x=rng.uniform(1.1, 1.8, n),
                 tau_m=rng.uniform(1.06, 2.0, n), f_d=rng.uniform(0.7, 1.3, n), f_x=rng.uniform(1.0, 2.0, n),
                 f_dm=rng.uniform(1.0, 2.0, n), f_xm=rng.uniform(0.8, 2.0, n), f_e=rng.uniform(1.0, 4.0, n),
                 phi_min=rng.uniform(0.5, 2.0, n))
        size = rng.uniform(0.5, 3.0, n)
        p["L1"], p["L2"] = size, size
        mx, mm = p["tau_x"] ** (s - 1), p["tau_m"] ** (s - 1)
        ok = ((mx * p["f_x"] > p["f_d"]) & (mm * p["f_dm"] > p["f_d"]) & (mx * p["f_xm"] > p["f_dm"])
              & (mm * p["f_xm"] > p["f_x"]))
        for name in PARAMS:
            out[name].extend(p[name][ok].tolist())
    return {name: np.asarray(v[:n]) for name, v in out.items()}


def _analytic(levels, p):
    sym = cf.symmetric_statics(levels, p)
    return np.stack([sym["omega"], sym["W"], sym["phi_D1"]], axis=-1)


def _err(a, b):
    # elasticities are O(0.01-1): |Δ| / max(|exact|, 1e-3) avoids dividing by ω̂ ≈ 0 near τ_M*
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3)))


def _hats_from(jac, values, p):
    """d ln(ω, W, φ_D1)/d ln L1 from a Jacobian dict {outcome: {param: d}}."""
    return np.stack([np.asarray(jac[k]["L1"]) * p["L1"] / np.asarray(values[k]) for k in ("omega", "W", "phi_D1")],
                    axis=-1)


def _float_outcomes():
    model = Ara2026()
    out = model.outcomes(model.guess())
    return [k for k, v in out.items() if np.issubdtype(np.asarray(v).dtype, np.floating)]


def _vs(base, fd, values, jac, m):
    """The baselines' (ω, W, φ_D1) and their L1-derivatives against diffecon's, first m points."""
    keys = ("omega", "W", "phi_D1")
    lv = np.stack([np.atleast_1d(np.asarray(values[k]))[:m] for k in keys], -1)
    ld = np.stack([np.atleast_1d(np.asarray(jac[k]["L1"]))[:m] for k in keys], -1)
    return (f"vs diffecon: (ω, W, φ_D1) max rel. diff {max_rel_diff(base, lv, 0.0):.1e}, their d/dL1 max "
            f"rel. diff {max_rel_diff(fd, ld, 1e-3):.1e}")


def _single() -> list[Result]:
    model = Ara2026()
    names = _float_outcomes()
    p = {n: float(getattr(model, n)) for n in PARAMS}

    def ours():
        eq = de.solve(model)
        return eq.outcomes, de.jacobian(model, names, list(PARAMS))

    compile_s, warm_s, (values, jac) = time_jax(ours, repeats=10)
    exact = _analytic({k: np.asarray(v) for k, v in values.items()}, p)
    ours_err = _err(_hats_from(jac, values, p), exact)
    task = f"single warm solve + Jacobian ({len(names)} outcomes × 12 params)"
    rows = []
    for label, point, reps, goals in (
            ("SciPy root (hybr) on math equations + central diff.", _math_point, 10,
             single_goals(10.0)),
            ("old: SciPy root on NumPy equations + central diff.", _scipy_point, 3, [])):
        base_s, (base, fd) = time_python(lambda: point(p), repeats=reps)  # noqa: B023
        fd_hats = np.array([fd["L1"][i] * p["L1"] / base[i] for i in range(3)])
        rows.append(Result(MODEL, task, 1, warm_s, compile_s, base_s, ours_err, _err(fd_hats, exact),
                           baseline_label=label, goals=goals,
                           note=f"paper's P_A calibration; baseline differentiates ω, W, φ_D1 (3 of {len(names)} "
                                f"outcomes); errors vs eqs (21), (22), (12); "
                                f"{_vs(base[None], np.array([fd['L1']]), values, jac, 1)}"))
    return rows


def _batch(n: int, quick: bool) -> list[Result]:
    over = _draws(n)
    names = _float_outcomes()
    devices = sweep_devices()

    def ours():
        return de.sweep(Ara2026(), over, of=names, wrt=list(PARAMS), devices=devices)

    compile_s, warm_s, out = time_jax(ours, repeats=3)
    ok = np.asarray(out["converged"])
    values = {k: np.asarray(out[k]) for k in names}
    jac = {k: {"L1": np.asarray(out[f"d{k}/dL1"])} for k in ("omega", "W", "phi_D1")}
    exact = _analytic(values, over)
    err = _err(_hats_from(jac, values, over)[ok], exact[ok])
    task = f"batch solve + full Jacobian ({len(names)} outcomes × 12 params)"
    rows = []
    for label, point, m, goals, series in (
            ("SciPy root (hybr) loop on math equations + central diff.", _math_point,
             min(n, 10 if quick else 60),
             [Goal(ARA_BATCH, "keep ≥ 1000×", "ratio", "≥", 1000),
              Goal(ARA_BATCH, "halve the time (≤ 0.19 s: half of 0.378 s, 2026-12-01)", "warm_s", "≤", 0.19)]
             if n == 10_000 else [], "float64"),
            ("old: SciPy root loop on NumPy equations + central diff.", _scipy_point, min(n, 5 if quick else 20),
             [], None)):
        pick = [{k: float(v[i]) for k, v in over.items()} for i in range(m)]
        base_s, base = time_python(lambda: [point(q) for q in pick], repeats=1)  # noqa: B023
        fd_hats = np.array([[b[1]["L1"][i] * q["L1"] / b[0][i] for i in range(3)] for b, q in zip(base, pick)])
        vs = _vs(np.array([b[0] for b in base]), np.array([b[1]["L1"] for b in base]), values, jac, m)
        rows.append(Result(MODEL, task, n, warm_s, compile_s, base_s * n / m, err, _err(fd_hats, exact[:m]),
                           baseline_n=m, series=series, baseline_label=label, goals=goals,
                           note=f"{ok.mean():.2%} converged; random symmetric draws; errors vs eqs (21), (22), "
                                f"(12); {vs}"))
    return rows


def run(quick: bool, batch: list[int] | None = None) -> list[Result]:
    results = list(_single())
    for n in batch_sizes(quick, batch if batch else ([1_000] if quick else [10_000])):
        results.extend(_batch(n, quick))
    return results
