"""Replication of Takita (2025): Figures 1 and 2, Tables 8 and 9 as regime maps, and every
closed form of the paper against the primitive equilibrium solve.

The paper prints no estimates; its results are closed forms (eqs 20–54), regime tables and
qualitative claims. Each closed form is compared with `Takita2025` (solved from the market-
clearing conditions, not from the closed forms) at random admissible draws: "max error over n
draws". Printed forms that are wrong are evaluated as printed and reported as not reproduced,
with the corrected expression in the note. Reference numbers marked "spec §8" come from an
independent numpy/scipy solver that maximises utility numerically.
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .. import plot
from ..core.sweep import sweep
from ..models import _takita2025_closed_forms as cf
from ..models.takita2025 import REGIMES, Takita2025, regime_boundary
from ._report import Report

_DRAWS = 500
_BASE = dict(sigma=4.0, mu_f=0.5, mu_m=1.5, f=1.0, m=1.0)  # e = μ_f + (σ−1)(μ_m−1) = 2
_PHI_BELOW = dict(tau=1.3, beta=1.0)  # φ = 0.4551661356
_PHI_ABOVE = dict(tau=1.1, beta=1.25)  # φ = 1.4674117205


def _phi(tau, beta, sigma=4.0):
    return (tau / beta) ** (1 - sigma)


def _max_err(ours, ref, mask=None):
    ours, ref = np.asarray(ours), np.asarray(ref)
    if mask is not None:
        ours, ref = ours[mask], ref[mask]
    return float(np.max(np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))))


def _draws(rng, n=_DRAWS):
    return {
        "q": rng.uniform(0.02, 0.98, n), "sigma": rng.uniform(1.5, 8.0, n),
        "tau": rng.uniform(1.0, 2.5, n), "beta": np.exp(rng.uniform(-0.7, 0.7, n)),
        "Q": np.exp(rng.uniform(-0.5, 0.5, n)), "mu_f": rng.uniform(0.1, 2.0, n),
        "mu_m": rng.uniform(0.1, 2.0, n), "f": rng.uniform(0.5, 2.0, n), "m": rng.uniform(0.5, 2.0, n),
    }


# spec §8 anchors: (parameters, {outcome: value}, {parameter: dL1/dparameter})
_ANCHORS = [
    (dict(_PHI_BELOW, Q=1.0, q=0.6), dict(L1=0.7670843776, N1=0.1917710944, N2=0.0582289056,
     T11=0.5271455670, T21=0.0728544330, T12=0.2399388106, T22=0.1600611894, u1=-0.7950153752,
     u2=-0.9301704112), dict(q=2.6708437761)),
    (dict(_PHI_BELOW, Q=0.9, q=0.62), dict(L1=0.4946282153, N1=0.1236570538, N2=0.1331771587,
     T11=0.3938661136, T21=0.2261338864, T12=0.1007621017, T22=0.2792378983, u1=-0.8331936725,
     u2=-0.8043244360, c11=3.8530025509, c21=1.8505394974, c12=1.2371223046, c22=4.8468381537),
     dict(q=2.86675268, Q=3.74722996, tau=1.24430665, beta=-1.61759864)),
    (dict(_PHI_ABOVE, Q=1.05, q=0.6), dict(L1=0.6373570581, T21=0.2585677496), dict(q=-5.6398693641)),
    (dict(_PHI_ABOVE, Q=1.0, q=0.55), dict(L1=0.2360558569), dict(q=-5.2788828612)),
]


def _draw_points(rng):
    """Random draws for the closed forms, then the spec's anchors (every field given)."""
    p = _draws(rng)
    anchors = [dict(_BASE, **a) for a, _, _ in _ANCHORS]
    return p, {k: np.concatenate([p[k], [a[k] for a in anchors]]) for k in p}


def _solve_all(rng):
    """One sweep, one compile: the draws, the anchors, the regime maps, the figures' lines and
    the tables' q-paths, with the exact statics of every outcome in (q, Q, τ, β)."""
    p, draws = _draw_points(rng)
    maps, layout = _map_points_all()
    fields = list(draws)
    maps = {k: maps.get(k, np.full(len(maps["q"]), _BASE.get(k, np.nan))) for k in fields}
    over = {k: np.concatenate([draws[k], maps[k]]) for k in fields}
    model = Takita2025()
    out = sweep(model, over, of=list(model.outcomes(model.guess())), wrt=["q", "Q", "tau", "beta"])
    if not np.all(np.asarray(out["converged"])):
        raise RuntimeError("Takita2025: a replication solve did not converge.")
    out = {k: np.asarray(v) for k, v in out.items()}
    n, m = len(p["q"]), len(draws["q"])
    return (p, {k: v[:n] for k, v in out.items()}, {k: v[n:m] for k, v in out.items()},
            {k: v[m:] for k, v in out.items()}, layout)


def _anchor_rows(report: Report, anchors: dict) -> None:
    for i, (params, values, slopes) in enumerate(_ANCHORS):
        label = ", ".join(f"{k}={v:g}" for k, v in params.items())
        for k, v in values.items():
            # printed to 10 decimals: half a unit in the last place
            report.add(f"{k} at {label} (spec §8)", v, float(anchors[k][i]), tol=5.1e-11 / abs(v))
        for k, v in slopes.items():
            report.add(f"dL1/d{k} at {label} (spec §8, central differences)", v,
                       float(anchors[f"dL1/d{k}"][i]), tol=1e-8)


def _closed_form_rows(report: Report, p: dict, o: dict) -> None:
    n = len(p["q"])
    q, phi, h = p["q"], o["phi"], o["h"]
    inside = (o["regime"] == 1) | (o["regime"] == 2)
    k = int(inside.sum())
    Q, s, mu_f, mu_m, f, m, tau = p["Q"], p["sigma"], p["mu_f"], p["mu_m"], p["f"], p["m"], p["tau"]

    def row(name, printed, ours, ref, mask=None, tol=1e-9):
        where = "" if mask is None else " (interior draws)"
        count = n if mask is None else int(np.asarray(mask).reshape(-1, n)[0].sum())
        err = _max_err(ours, ref, mask)
        report.add(f"{name}{where}", printed, f"max error {err:.1e} over {count} draws", ok=err < tol)

    row("eq. (20)–(21) prices p1 = σm/(σ−1), p2 = p1·Q^μm", "p2/p1 = Q^μm", o["p2"] / o["p1"], Q**mu_m)
    row("eq. (24)–(25) output per firm x1 = f(σ−1)/m, x2 = x1·Q^(μf−μm)", "x2/x1 = Q^(μf−μm)",
        np.stack([o["x1"], o["x2"]]), np.stack([f * (s - 1) / m, f * (s - 1) / m * Q ** (mu_f - mu_m)]))
    row("eq. (26)–(27) labour per firm l1 = fσ, l2 = fσQ^μf", "l2/l1 = Q^μf",
        np.stack([o["l1"], o["l2"]]), np.stack([f * s, f * s * Q**mu_f]))
    A = np.asarray(cf.slope_A(phi, h))
    L1_cf, L2_cf = (np.asarray(a) for a in cf.labour_interior(q, phi, h))
    row("eq. (38), (51) L1 = A(φ,h)(q − k(φ,h)) + 1/2", "A q − (φ/h)/(1 − φ/h)", o["L1"], L1_cf, inside)
    row("eq. (39), (52) L2 = −A(φ,h)(q − k(φ,h)) + 1/2", "1/(1 − φ/h) − A q", o["L2"], L2_cf, inside)
    row("eq. (51) in the A, k form", "A(q − k) + 1/2", o["L1"],
        A * (q - np.asarray(cf.intercept_k(phi, h))) + 0.5, inside)
    L1_b, L2_b = (np.asarray(a) for a in cf.labour_phi_above_one(q, phi, h))
    err = _max_err(np.stack([o["L1"], o["L2"]]), np.stack([L1_b, L2_b]), np.stack([inside, inside]))
    report.add("eq. (53)–(54) the φ > 1 lines, B = (φ+1)(φ−1)/((φh−1)(φ/h−1))",
               "a separate case for φ > 1",
               f"identical to (51)–(52) (B = −A, r = k): max error {err:.1e} over {k} interior draws",
               ok=err < 1e-9,
               note="the paper presents (53)–(54) as a separate φ > 1 case; algebraically they are (51)–(52)")
    row("eq. (28)–(29) N1 = L1/(fσ), N2 = L2/(fσQ^μf)", "N = L/(labour per firm)",
        np.stack([o["N1"], o["N2"]]), np.stack([L1_cf / (f * s), L2_cf / (f * s * Q**mu_f)]),
        np.stack([inside, inside]))
    c_cf = np.stack(cf.demands_interior(q, phi, h, tau, Q, s, mu_m, f, m))
    c = np.stack([o["c11"], o["c21"], o["c12"], o["c22"]])
    for i, (name, eq) in enumerate([("c11", 34), ("c21", 35), ("c12", 36), ("c22", 37)]):
        row(f"eq. ({eq}) per-variety consumption {name}", f"eq. ({eq})", c[i], c_cf[i], inside)
    # (42)–(45) composite volumes: C_ij × population = c_ij × population × N_i^{σ/(σ−1)}.
    volume = np.stack([q * o["c11"] * o["N1"] ** (s / (s - 1)), (1 - q) * o["c22"] * o["N2"] ** (s / (s - 1))])
    base = f * (s - 1) / (m * (1 + phi) * (1 - phi))
    printed_volume = np.stack([base * (1 - phi * h) * o["N1"] ** (s / (s - 1)),
                               base * (h - phi) / Q ** (s * (mu_m - 1) + 1) * o["N2"] ** (s / (s - 1))])
    row("eq. (42), (45) composite volumes C11·q, C22·(1−q)", "eqs (42), (45)", volume, printed_volume,
        np.stack([inside, inside]))
    row("eq. (40)–(41) GDP_i = w L_i", "GDP = L", np.stack([o["GDP1"], o["GDP2"]]),
        np.stack([L1_cf, L2_cf]), np.stack([inside, inside]))
    T_cf = np.stack(cf.trade_interior(q, phi, h))
    T = np.stack([o["T11"], o["T21"], o["T12"], o["T22"]])
    for i, (name, eq) in enumerate([("T11", 46), ("T21", 47), ("T12", 48), ("T22", 49)]):
        label = " (corrected)" if eq == 47 else ""
        row(f"eq. ({eq}) trade value {name}{label}", f"eq. ({eq}){label}", T[i], T_cf[i], inside)
    printed = np.asarray(cf.t21_printed(q, phi, h))
    err = _max_err(printed, o["T21"], inside)
    report.add("eq. (47) T21 as printed: φ(1−φh)[1 − (1+φ)(1−φ)q]/((1+φ)(1−φ)(h−φ))", "eq. (47)",
               f"max error {err:.1e} over {k} interior draws", ok=False,
               note="typo: correct T21 = φ[(1−φh) − (1+φ)(1−φ)q]/((1+φ)(1−φ)(h−φ)); the printed form "
                    "breaks T11 + T21 = q. The middle expression τp2c21N2(1−q) should read "
                    "τp2c21N2·q, and (48)–(49) lack the factor (1−q)")
    for i, (a, vals, _) in enumerate(_ANCHORS[:3]):
        pa = dict(_BASE, **a)
        phi_a, h_a = _phi(pa["tau"], pa["beta"]), pa["Q"] ** 2
        report.add(f"eq. (47) T21 printed vs solved at {', '.join(f'{x}={y:g}' for x, y in a.items())}",
                   float(cf.t21_printed(pa["q"], phi_a, h_a)), vals["T21"], tol=1e-9,
                   note="typo in (47); the corrected form gives the solved value "
                        f"{float(cf.trade_interior(pa['q'], phi_a, h_a)[1]):.10f}")
    # Identities of the spec (T2) on every draw, corners included.
    ident = max(_max_err(o["T11"] + o["T21"], q), _max_err(o["T12"] + o["T22"], 1 - q),
                _max_err(o["GDP1"], o["L1"]), _max_err(o["net_exports1"], o["L1"] - q))
    report.add("accounting: T11+T21 = q, T12+T22 = 1−q, GDP1 = L1, net exports = L1 − q (all regimes)",
               "identities", f"max error {ident:.1e} over {n} draws", ok=ident < 1e-9)
    # Corners (spec §5): L1 = 1 iff h ≥ h_L(q), L1 = 0 iff h ≤ h_S(q), the label from the solve.
    hL, hS = np.asarray(cf.corner_h_large(q, phi)), np.asarray(cf.corner_h_small(q, phi))
    margin = np.minimum(np.abs(np.log(h / hL)), np.abs(np.log(h / hS))) > 1e-7
    agree = ((o["regime"] == 3) == (h >= hL)) & ((o["regime"] == 0) == (h <= hS))
    report.add("corner conditions: CA-large iff h ≥ φq + (1−q)/φ, CA-small iff h ≤ φ/(q + φ²(1−q))",
               "spec §5 (no profitable entry)", f"holds in {int((agree & margin).sum())} of {int(margin.sum())} draws",
               ok=bool(np.all(agree[margin])))
    # T3: slope dL1/dq = A (exact, by the IFT) with the sign claims.
    slope = o["dL1/dq"]
    err = _max_err(slope, A, inside)
    sign_ok = np.all(np.where(phi < 1, slope >= (1 + phi) / (1 - phi) * (1 - 1e-12), slope < 0)[inside])
    report.add("HME slope dL1/dq = A; A ≥ (1+φ)/(1−φ) > 1 if φ < 1, A < 0 if φ > 1 (exact statics)",
               "A(φ, h)", f"max error {err:.1e}; signs hold in {'all' if sign_ok else 'not all'} {k} interior draws",
               ok=bool(err < 1e-9 and sign_ok))
    # T5: dL1/dh = qφ/(1−φh)² + φ(1−q)/(h−φ)² > 0 (L1 rises with country 2's cost disadvantage).
    e = mu_f + (s - 1) * (mu_m - 1)
    dL1_dh = o["dL1/dQ"] * Q / (e * h)
    ref = q * phi / (1 - phi * h) ** 2 + phi * (1 - q) / (h - phi) ** 2
    err = _max_err(dL1_dh, ref, inside)
    report.add("dL1/dh = qφ/(1−φh)² + φ(1−q)/(h−φ)² > 0 (spec T5; h is country 2's cost disadvantage)",
               "h(Q): 'cultural impact index'", f"max error {err:.1e} over {k} interior draws",
               ok=bool(err < 1e-8), note="the paper's name for h suggests the opposite reading (spec §10 #11)")


def _map_points(grid_q, Qs, tau, beta):
    """Flattened (q, Q) points of a grid for one φ."""
    qq, QQ = np.meshgrid(grid_q, Qs)
    return {"q": qq.ravel(), "Q": QQ.ravel(), "tau": np.full(qq.size, tau), "beta": np.full(qq.size, beta)}


def _sequence(regimes):
    seq = [REGIMES[int(r)] for r in regimes]
    return " → ".join(r for i, r in enumerate(seq) if i == 0 or r != seq[i - 1])


_Q_EXPONENT = 0.5  # 1/e at the figures' parameters


def _table_h(phi):
    """A representative h for every row of Tables 8 and 9 (bands: the geometric midpoint)."""
    t = {k: float(v) for k, v in cf.h_thresholds(phi).items()}

    def mid(a, b):
        return float(np.sqrt(a * b))

    if phi < 1:
        return {
            "Q = phi^(1/e)  (h = phi)": phi,
            "phi < h < 2phi/(1+phi^2)": mid(phi, t["small_at_half"]),
            "Q = (2phi/(1+phi^2))^(1/e)": t["small_at_half"],
            "2phi/(1+phi^2) < h < 1": mid(t["small_at_half"], 1.0),
            "Q = 1": 1.0,
            "1 < h < (1+phi^2)/(2phi)": mid(1.0, t["large_at_half"]),
            "Q = ((1+phi^2)/(2phi))^(1/e)": t["large_at_half"],
        }
    return {
        "Q = (2phi/(1+phi^2))^(1/e)": t["small_at_half"],
        "2phi/(1+phi^2) < h < 1": mid(t["small_at_half"], 1.0),
        "Q = 1": 1.0,
        "1 < h < (1+phi^2)/(2phi)": mid(1.0, t["large_at_half"]),
        "Q = ((1+phi^2)/(2phi))^(1/e)": t["large_at_half"],
        "(1+phi^2)/(2phi) < h < phi": mid(t["large_at_half"], phi),
        "Q = phi^(1/e)  (h = phi)": phi,
    }


def _map_points_all(n_q=121, n_Q=121):
    """Points of the regime maps, the figures' lines and the tables' sequences, and where each
    block lies in the flattened batch."""
    q_open = 0.5 + 0.5 * (np.arange(400) + 0.5) / 400  # q in (1/2, 1), open at both ends
    q_full = np.linspace(0.0, 1.0, 201)[1:-1]
    parts, layout = [], {}
    for key, cost, Q_range, fig_Q in [
        ("below", _PHI_BELOW, (0.6, 1.25), (0.8, 0.9, 1.0, 1.08)),
        ("above", _PHI_ABOVE, (0.93, 1.25), (0.98, 1.0, 1.02, 1.1)),
    ]:
        phi = _phi(**cost)
        rows = _table_h(phi)
        blocks = {
            "map": _map_points(0.5 + 0.5 * (np.arange(n_q) + 0.5) / n_q, np.linspace(*Q_range, n_Q), **cost),
            "figure": _map_points(q_full, np.array(fig_Q), **cost),
            "table": _map_points(q_open, np.array(list(rows.values())) ** _Q_EXPONENT, **cost),
        }
        for name, pts in blocks.items():
            start = sum(len(b["q"]) for b in parts)
            parts.append(pts)
            layout[(key, name)] = slice(start, start + len(pts["q"]))
        layout[(key, "meta")] = dict(phi=phi, rows=rows, Q_range=Q_range, fig_Q=fig_Q, n_q=n_q, n_Q=n_Q,
                                     q_full=q_full, q_open=q_open)
    return {k: np.concatenate([b[k] for b in parts]) for k in parts[0]}, layout


def _table_rows(report: Report, out: dict, layout: dict) -> None:
    for key, table, paper_rows in [("below", "Table 8 (φ = 0.455 < 1)", cf.regime_sequence_table8),
                                   ("above", "Table 9 (φ = 1.467 > 1)", cf.regime_sequence_table9)]:
        meta = layout[(key, "meta")]
        regimes = out["regime"][layout[(key, "table")]].reshape(len(meta["rows"]), -1)
        for (band, paper), r in zip(paper_rows.items(), regimes):
            ours = _sequence(r)
            report.add(f"{table}: regimes as q rises over (1/2, 1), {band}", paper, ours, ok=ours == paper)


def _bisection_rows(report: Report) -> None:
    """Thresholds of §4.3–4.4 and Tables 8–9 found by bisection on solves."""
    phi_b, phi_a = _phi(**_PHI_BELOW), _phi(**_PHI_ABOVE)
    tb, ta = cf.h_thresholds(phi_b), cf.h_thresholds(phi_a)
    # (label, costs, start, stop, paper value (as printed), coordinate, reference (correct), note)
    segments = [
        ("§4.3(1) equal quality, φ < 1: HME ends, CA-large from q = 1/(1+φ) (intro sentence)", _PHI_BELOW,
         dict(q=0.55, Q=1.0), dict(q=0.95, Q=1.0), 1 / (1 + phi_b), "q", ""),
        ("§4.3(1) items 1–2: CA-large for q ≥ φ/(1+φ)", _PHI_BELOW,
         dict(q=0.55, Q=1.0), dict(q=0.95, Q=1.0), phi_b / (1 + phi_b), "q",
         f"typo: φ/(1+φ) = {phi_b / (1 + phi_b):.4f} < 1/2 would leave no HME range; the correct "
         f"threshold is 1/(1+φ) = {1 / (1 + phi_b):.10f}, as the sentence introducing the items says"),
        ("§4.4(1) equal quality, φ > 1: RHME ends, CA-small from q = φ/(1+φ)", _PHI_ABOVE,
         dict(q=0.51, Q=1.0), dict(q=0.95, Q=1.0), phi_a / (1 + phi_a), "q", ""),
        ("Table 8: Q = (2φ/(1+φ²))^(1/e), L1(1/2) = 0", _PHI_BELOW,
         dict(q=0.5, Q=0.8), dict(q=0.5, Q=0.95), float(tb["small_at_half"]) ** 0.5, "Q", ""),
        ("Table 8: Q = 1, L1(1/2) = 1/2 (RHME/HME)", _PHI_BELOW,
         dict(q=0.5, Q=0.95), dict(q=0.5, Q=1.05), 1.0, "Q", ""),
        ("Table 8 / §4.3(2)(a): Q = ((1+φ²)/(2φ))^(1/e), L1(1/2) = 1", _PHI_BELOW,
         dict(q=0.5, Q=1.05), dict(q=0.5, Q=1.3), float(tb["large_at_half"]) ** 0.5, "Q", ""),
        ("§4.3(2)(b): CA-large for all q ≥ 1/2 from Q = ((1+φ²)/(2φ))^(1/(μf+(σ−1)(μm+1)))", _PHI_BELOW,
         dict(q=0.5, Q=1.0), dict(q=0.5, Q=1.3), float(tb["large_at_half"]) ** (1 / 8), "Q",
         f"typo in the exponent: (μm+1) should be (μm−1); the threshold is "
         f"((1+φ²)/(2φ))^(1/2) = {float(tb['large_at_half']) ** 0.5:.10f} (at the printed one HME still occurs)"),
        ("Table 9: Q = (2φ/(1+φ²))^(1/e), L1(1/2) = 0", _PHI_ABOVE,
         dict(q=0.5, Q=0.9), dict(q=0.5, Q=0.99), float(ta["small_at_half"]) ** 0.5, "Q", ""),
        ("Table 9: Q = 1, L1(1/2) = 1/2 (RHME/HME)", _PHI_ABOVE,
         dict(q=0.5, Q=0.99), dict(q=0.5, Q=1.02), 1.0, "Q", ""),
        ("Table 9: Q = ((1+φ²)/(2φ))^(1/e), L1(1/2) = 1", _PHI_ABOVE,
         dict(q=0.5, Q=1.02), dict(q=0.5, Q=1.1), float(ta["large_at_half"]) ** 0.5, "Q", ""),
    ]
    n = len(segments)
    model = Takita2025(**{k: jnp.full(n, v) for k, v in _BASE.items()},
                       tau=jnp.array([s[1]["tau"] for s in segments]),
                       beta=jnp.array([s[1]["beta"] for s in segments]),
                       q=jnp.full(n, 0.6), Q=jnp.ones(n))
    start = {k: jnp.array([s[2][k] for s in segments]) for k in ("q", "Q")}
    stop = {k: jnp.array([s[3][k] for s in segments]) for k in ("q", "Q")}
    found = jax.vmap(regime_boundary)(model, start, stop)
    for i, (label, _, _, _, paper, coord, note) in enumerate(segments):
        report.add(f"{label} (bisection on solves)", paper, float(found[coord][i]), tol=1e-8, note=note)


def _typo_rows(report: Report, anchors: dict) -> None:
    # §4.3(1): L2 printed with +(1+φ)/(1−φ)(q − 1/2).
    phi = _phi(**_PHI_BELOW)
    q = 0.6
    solved_L2 = float(anchors["L2"][0])  # the first anchor: Q = 1, q = 0.6
    printed_L2 = (1 + phi) / (1 - phi) * (q - 0.5) + 0.5
    report.add("§4.3(1) equal quality: L2 = +((1+φ)/(1−φ))(q − 1/2) + 1/2 at q = 0.6 (solved L2)",
               printed_L2, solved_L2, note="typo: the sign is minus, L2 = −((1+φ)/(1−φ))(q − 1/2) + 1/2 "
               f"= {0.5 - (1 + phi) / (1 - phi) * (q - 0.5):.10f}, so that L1 + L2 = 1")
    # eq (10): c21 lacks Q^σ; evaluated at the second anchor with the solved N's.
    a = dict(_BASE, **_PHI_BELOW, Q=0.9, q=0.62)
    s, Q = a["sigma"], a["Q"]
    L1 = float(cf.labour_closed_form(a["q"], phi, Q**2))
    N1, N2 = L1 / (a["f"] * s), (1 - L1) / (a["f"] * s * Q ** a["mu_f"])
    p1 = s / (s - 1) * a["m"]
    p2 = p1 * Q ** a["mu_m"]
    denom = N1 * p1 ** (1 - s) + phi * N2 * (p2 / Q) ** (1 - s)
    printed = phi * p2 ** (-s) / (a["tau"] * Q * denom)
    report.add("eq. (10) c21 = (1/(τQ))φ p2^(−σ)/(P1^(1−σ) + φ(P2/Q)^(1−σ)) at τ=1.3, Q=0.9, q=0.62",
               printed, float(anchors["c21"][1]), tol=1e-9,
               note="typo: the factor Q^σ is missing, c21 = (1/(τQ))φQ^σ p2^(−σ)/(…); eq. (31) has it and "
                    "the solved value is spec §8's 1.8505394974")
    # eq (17): zero-profit output with the fixed labour f lacking Q^μf; at the second anchor.
    p2 = s / (s - 1) * a["m"] * Q ** a["mu_m"]
    report.add("eq. (17) zero-profit output x2 = wf/(p2 − m(Q)w) at σ=4, Q=0.9 (solved x2)",
               a["f"] / (p2 - a["m"] * Q ** a["mu_m"]), float(anchors["x2"][1]), tol=1e-9,
               note="typo: fixed labour is f·Q^μf, x_i = w f Q_i^μf/(p_i − m Q_i^μm w) = "
                    f"{a['f'] * Q ** a['mu_f'] / (p2 - a['m'] * Q ** a['mu_m']):.10f}, as in eq. (25); "
                    "the label (17) is also used twice")
    report.add("eq. (22)–(23) price index P_i = (∫p_i^ρ)^(1/ρ) = p_i N_i^(1/ρ)", "exponent 1/ρ",
               "p_i N_i^(1/(1−σ))", ok=False,
               note="typo: P_i = (∫p_i^(1−σ))^(1/(1−σ)) = p_i N_i^(1/(1−σ)); the paper's last expression "
                    "already uses 1/(1−σ), and (30)–(37) follow from it")
    # Text after eq. (25): x2 > x1 when 0 < μf < μm (for Q > 1).
    ratio = 1.2 ** (0.5 - 1.5)
    report.add("text after (25): 'when 0 < μf < μm country 2's output exceeds country 1's' "
               "(x2/x1 at Q = 1.2, μf = 0.5, μm = 1.5)", "x2/x1 > 1", ratio, ok=False,
               note="reversed: x2/x1 = Q^(μf−μm) < 1 for Q > 1 when μf < μm")


def _figure_lines(out, layout, key, title, path):
    meta = layout[(key, "meta")]
    L1 = out["L1"][layout[(key, "figure")]].reshape(len(meta["fig_Q"]), -1)
    fig, ax = plot.figure(width=5.5, height=4.9)
    for i, Q in enumerate(meta["fig_Q"]):
        ax.plot(meta["q_full"], L1[i], color=f"C{i}", label=f"L1, Q = {Q:g}")
        ax.plot(meta["q_full"], 1 - L1[i], color=f"C{i}", ls="--", lw=1, label=f"L2, Q = {Q:g}")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8, label="L1 = q (no migration)")
    ax.axvline(0.5, color="grey", lw=0.6)
    ax.set_xlabel("population share of country 1, q")
    ax.set_ylabel("employment share")
    ax.set_title(f"{title}, φ = {meta['phi']:.3f}", fontsize=10)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return plot.save(fig, path)


def _regime_map(out, layout, key, title, path):
    from matplotlib.colors import ListedColormap

    meta = layout[(key, "meta")]
    phi = meta["phi"]
    regimes = out["regime"][layout[(key, "map")]].reshape(meta["n_Q"], meta["n_q"])
    fig, ax = plot.figure(width=6.0, height=4.6)
    cmap = ListedColormap(["#d95f02", "#fdb863", "#b2abd2", "#5e3c99"])
    ax.imshow(regimes, origin="lower", aspect="auto", cmap=cmap, vmin=-0.5, vmax=3.5,
              extent=[0.5, 1.0, *meta["Q_range"]], interpolation="nearest")
    # Analytic boundaries (spec §5): q where h = h_L(q), h = h_S(q), and L1 = q.
    Qs = np.linspace(*meta["Q_range"], 600)
    h = Qs**2
    for name, style in [("large", "k-"), ("small", "k--"), ("equal_share", "k:")]:
        qb = np.asarray(cf.q_boundaries(phi, h)[name])
        inside = (qb > 0.5) & (qb < 1.0)
        if name == "equal_share":  # only where L1 = q happens in the interior
            L1 = np.asarray(cf.labour_closed_form(np.clip(qb, 0.01, 0.99), phi, h))
            inside &= (L1 > 0) & (L1 < 1)
        ax.plot(np.where(inside, qb, np.nan), Qs, style, lw=1.2)
    for label, value in cf.h_thresholds(phi).items():
        Qt = float(value) ** _Q_EXPONENT
        if meta["Q_range"][0] < Qt < meta["Q_range"][1]:
            ax.axhline(Qt, color="w", lw=0.8, ls="-.")
            ax.text(0.505, Qt, {"small_at_half": "(2φ/(1+φ²))^(1/e)", "equal": "Q = 1",
                                "large_at_half": "((1+φ²)/(2φ))^(1/e)", "phi": "φ^(1/e)"}[label],
                    fontsize=7, va="bottom", color="k")
    handles = [plot.plt.Rectangle((0, 0), 1, 1, color=cmap(i)) for i in range(4)]
    ax.legend(handles, REGIMES, fontsize=7, loc="upper right", framealpha=0.9)
    ax.set_xlabel("population share of the large country, q")
    ax.set_ylabel("quality of the small country, Q")
    ax.set_title(f"{title}: regimes solved on a {meta['n_q']}×{meta['n_Q']} grid, φ = {phi:.3f}\n"
                 "lines: analytic boundaries (h_L solid, h_S dashed, L1 = q dotted; thresholds dash-dot)",
                 fontsize=8)
    return plot.save(fig, path)


def run(out_dir: Path) -> Report:
    """Replicate Takita (2025): write the figures into `out_dir` and return the table."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(2025)
    report = Report("takita2025", "Takita (2025): paper vs diffecon")
    p, o, anchors, out, layout = _solve_all(rng)
    _anchor_rows(report, anchors)
    _closed_form_rows(report, p, o)
    _table_rows(report, out, layout)
    _bisection_rows(report)
    _typo_rows(report, anchors)
    report.figures += [
        _figure_lines(out, layout, "below", "Fig. 1: labour lines, 0 < φ < 1", out_dir / "figure1_labour_lines.png"),
        _figure_lines(out, layout, "above", "Fig. 2: labour lines, φ > 1", out_dir / "figure2_labour_lines.png"),
        _regime_map(out, layout, "below", "Table 8", out_dir / "table8_regime_map.png"),
        _regime_map(out, layout, "above", "Table 9", out_dir / "table9_regime_map.png"),
    ]
    return report
