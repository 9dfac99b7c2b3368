"""Replication of Takita (2025): Figures 1 and 2, Tables 8 and 9 as regime maps, and every
closed form of the paper against the primitive equilibrium solve.

The paper prints no estimates; its results are closed forms (eqs 20–54), regime tables and
qualitative claims. Each closed form is compared with `Takita2025` (solved from the market-
clearing conditions, not from the closed forms) at random admissible draws: "max error over n
draws". Printed forms that are wrong are evaluated as printed and reported as not reproduced,
with the corrected expression in the note. Reference values and their sources are in
`takita2025_reference`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import plot
from ..core import Solver, boundary, replace, solve, sweep
from ..models import takita2025_closed_forms as cf
from ..models.takita2025 import REGIMES, Takita2025
from . import takita2025_reference as ref
from ._protocol import Context, Paper, Section

_DRAWS = 500
_BASE = dict(sigma=4.0, mu_f=0.5, mu_m=1.5, f=1.0, m=1.0)  # e = μ_f + (σ−1)(μ_m−1) = 2
_PHI_BELOW = dict(tau=1.3, beta=1.0)  # φ = 0.4551661356
_PHI_ABOVE = dict(tau=1.1, beta=1.25)  # φ = 1.4674117205


def _phi(tau, beta, sigma=4.0):
    return (tau / beta) ** (1 - sigma)


def _max_err(ours, target, mask=None):
    ours, target = np.asarray(ours), np.asarray(target)
    if mask is not None:
        ours, target = ours[mask], target[mask]
    return float(np.max(np.abs(ours - target) / np.maximum(1.0, np.abs(target))))


def _draws(rng, n=_DRAWS):
    return {
        "q": rng.uniform(0.02, 0.98, n), "sigma": rng.uniform(1.5, 8.0, n),
        "tau": rng.uniform(1.0, 2.5, n), "beta": np.exp(rng.uniform(-0.7, 0.7, n)),
        "Q": np.exp(rng.uniform(-0.5, 0.5, n)), "mu_f": rng.uniform(0.1, 2.0, n),
        "mu_m": rng.uniform(0.1, 2.0, n), "f": rng.uniform(0.5, 2.0, n), "m": rng.uniform(0.5, 2.0, n),
    }


_ANCHORS = ref.ANCHORS  # (parameters, {outcome: value}, {parameter: dL1/dparameter})


def _draw_points(rng):
    """Random draws for the closed forms, then the reference points (every field given)."""
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


def _regime_boundary(model: Takita2025, start: dict, stop: dict, steps: int = 60) -> dict:
    """Where the `regime` outcome changes along the segment of parameters from `start` to `stop`:
    bisection on full equilibrium solves (each from the model's guess), not on a closed form.
    Traceable (vmap over models and segments); 60 halvings take a unit segment below 1e-17.

    **Returns:** dict of the parameters at the boundary.
    """
    solver = Solver(rtol=1e-12, atol=1e-12, tol=1e-10)
    start = {k: jnp.asarray(v, jnp.float64) for k, v in start.items()}
    stop = {k: jnp.asarray(v, jnp.float64) for k, v in stop.items()}
    t, _ = boundary(lambda point: solve(replace(model, **point), solver=solver, throw=False)["regime"],
                    start, stop, steps=steps)
    return {k: (1 - t) * start[k] + t * stop[k] for k in start}


def _anchor_rows(report, anchors: dict) -> None:
    for i, (params, values, slopes) in enumerate(_ANCHORS):
        label = ", ".join(f"{k}={v:g}" for k, v in params.items())
        for k, v in values.items():
            # given to 10 decimals: half a unit in the last place
            report.add(f"{k} at {label}", v, float(anchors[k][i]), tol=5.1e-11 / abs(v),
                       source=ref.ANCHOR_SOURCE)
        for k, v in slopes.items():
            report.add(f"dL1/d{k} at {label}", v, float(anchors[f"dL1/d{k}"][i]), tol=1e-8,
                       source=ref.SLOPE_SOURCE)


def _closed_form_rows(report, p: dict, o: dict) -> None:
    n = len(p["q"])
    q, phi, h = p["q"], o["phi"], o["h"]
    inside = (o["regime"] == 1) | (o["regime"] == 2)
    k = int(inside.sum())
    Q, s, mu_f, mu_m, f, m, tau = p["Q"], p["sigma"], p["mu_f"], p["mu_m"], p["f"], p["m"], p["tau"]

    def row(name, printed, ours, target, mask=None, tol=1e-9):
        where = "" if mask is None else " (interior draws)"
        count = n if mask is None else int(np.asarray(mask).reshape(-1, n)[0].sum())
        err = _max_err(ours, target, mask)
        report.add(f"{name}{where}", ref.FORMS[printed], f"max error {err:.1e} over {count} draws",
                   ok=err < tol)

    row("eq. (20)–(21) prices p1 = σm/(σ−1), p2 = p1·Q^μm", "prices", o["p2"] / o["p1"], Q**mu_m)
    row("eq. (24)–(25) output per firm x1 = f(σ−1)/m, x2 = x1·Q^(μf−μm)", "output",
        np.stack([o["x1"], o["x2"]]), np.stack([f * (s - 1) / m, f * (s - 1) / m * Q ** (mu_f - mu_m)]))
    row("eq. (26)–(27) labour per firm l1 = fσ, l2 = fσQ^μf", "labour",
        np.stack([o["l1"], o["l2"]]), np.stack([f * s, f * s * Q**mu_f]))
    A = np.asarray(cf.slope_A(phi, h))
    L1_cf, L2_cf = (np.asarray(a) for a in cf.labour_interior(q, phi, h))
    row("eq. (38), (51) L1 = A(φ,h)(q − k(φ,h)) + 1/2", "L1", o["L1"], L1_cf, inside)
    row("eq. (39), (52) L2 = −A(φ,h)(q − k(φ,h)) + 1/2", "L2", o["L2"], L2_cf, inside)
    row("eq. (51) in the A, k form", "L1_Ak", o["L1"],
        A * (q - np.asarray(cf.intercept_k(phi, h))) + 0.5, inside)
    L1_b, L2_b = (np.asarray(a) for a in cf.labour_phi_above_one(q, phi, h))
    err = _max_err(np.stack([o["L1"], o["L2"]]), np.stack([L1_b, L2_b]), np.stack([inside, inside]))
    report.add("eq. (53)–(54) the φ > 1 lines, B = (φ+1)(φ−1)/((φh−1)(φ/h−1))",
               ref.FORMS["phi_above"],
               f"identical to (51)–(52) (B = −A, r = k): max error {err:.1e} over {k} interior draws",
               ok=err < 1e-9,
               note="the paper presents (53)–(54) as a separate φ > 1 case; algebraically they are (51)–(52)")
    row("eq. (28)–(29) N1 = L1/(fσ), N2 = L2/(fσQ^μf)", "firms",
        np.stack([o["N1"], o["N2"]]), np.stack([L1_cf / (f * s), L2_cf / (f * s * Q**mu_f)]),
        np.stack([inside, inside]))
    c_cf = np.stack(cf.demands_interior(q, phi, h, tau, Q, s, mu_m, f, m))
    c = np.stack([o["c11"], o["c21"], o["c12"], o["c22"]])
    for i, (name, eq) in enumerate([("c11", 34), ("c21", 35), ("c12", 36), ("c22", 37)]):
        row(f"eq. ({eq}) per-variety consumption {name}", name, c[i], c_cf[i], inside)
    # (42)–(45) composite volumes: C_ij × population = c_ij × population × N_i^{σ/(σ−1)}.
    volume = np.stack([q * o["c11"] * o["N1"] ** (s / (s - 1)),
                       (1 - q) * o["c22"] * o["N2"] ** (s / (s - 1))])
    base = f * (s - 1) / (m * (1 + phi) * (1 - phi))
    printed_volume = np.stack([base * (1 - phi * h) * o["N1"] ** (s / (s - 1)),
                               base * (h - phi) / Q ** (s * (mu_m - 1) + 1) * o["N2"] ** (s / (s - 1))])
    row("eq. (42), (45) composite volumes C11·q, C22·(1−q)", "volumes", volume, printed_volume,
        np.stack([inside, inside]))
    row("eq. (40)–(41) GDP_i = w L_i", "gdp", np.stack([o["GDP1"], o["GDP2"]]),
        np.stack([L1_cf, L2_cf]), np.stack([inside, inside]))
    T_cf = np.stack(cf.trade_interior(q, phi, h))
    T = np.stack([o["T11"], o["T21"], o["T12"], o["T22"]])
    for i, (name, eq) in enumerate([("T11", 46), ("T21", 47), ("T12", 48), ("T22", 49)]):
        label = " (corrected)" if eq == 47 else ""
        row(f"eq. ({eq}) trade value {name}{label}", name, T[i], T_cf[i], inside)
    printed = np.asarray(cf.t21_printed(q, phi, h))
    err = _max_err(printed, o["T21"], inside)
    report.add("eq. (47) T21 as printed: φ(1−φh)[1 − (1+φ)(1−φ)q]/((1+φ)(1−φ)(h−φ))",
               ref.FORMS["T21_printed"],
               f"max error {err:.1e} over {k} interior draws", ok=False,
               note="typo: correct T21 = φ[(1−φh) − (1+φ)(1−φ)q]/((1+φ)(1−φ)(h−φ)); the printed form "
                    "breaks T11 + T21 = q. The middle expression τp2c21N2(1−q) should read "
                    "τp2c21N2·q, and (48)–(49) lack the factor (1−q)")
    for a, vals, _ in _ANCHORS[:3]:
        pa = dict(_BASE, **a)
        phi_a, h_a = _phi(pa["tau"], pa["beta"]), pa["Q"] ** 2
        report.add(f"eq. (47) T21 printed vs solved at {', '.join(f'{x}={y:g}' for x, y in a.items())}",
                   float(cf.t21_printed(pa["q"], phi_a, h_a)), vals["T21"], tol=1e-9,
                   source=ref.T21_PRINTED_AT,
                   note="typo in (47); the corrected form gives the solved value "
                        f"{float(cf.trade_interior(pa['q'], phi_a, h_a)[1]):.10f}")
    # Accounting identities on every draw, corners included.
    ident = max(_max_err(o["T11"] + o["T21"], q), _max_err(o["T12"] + o["T22"], 1 - q),
                _max_err(o["GDP1"], o["L1"]), _max_err(o["net_exports1"], o["L1"] - q))
    report.add("accounting: T11+T21 = q, T12+T22 = 1−q, GDP1 = L1, net exports = L1 − q (all regimes)",
               ref.FORMS["identities"], f"max error {ident:.1e} over {n} draws", ok=ident < 1e-9)
    # Corners: L1 = 1 iff h ≥ h_L(q), L1 = 0 iff h ≤ h_S(q), the label from the solve.
    hL, hS = np.asarray(cf.corner_h_large(q, phi)), np.asarray(cf.corner_h_small(q, phi))
    margin = np.minimum(np.abs(np.log(h / hL)), np.abs(np.log(h / hS))) > 1e-7
    agree = ((o["regime"] == 3) == (h >= hL)) & ((o["regime"] == 0) == (h <= hS))
    report.add("corner conditions: CA-large iff h ≥ φq + (1−q)/φ, CA-small iff h ≤ φ/(q + φ²(1−q))",
               ref.FORMS["corners"], f"holds in {int((agree & margin).sum())} of {int(margin.sum())} draws",
               ok=bool(np.all(agree[margin])))
    # slope dL1/dq = A (exact, by the IFT) with the sign claims.
    slope = o["dL1/dq"]
    err = _max_err(slope, A, inside)
    sign_ok = np.all(np.where(phi < 1, slope >= (1 + phi) / (1 - phi) * (1 - 1e-12), slope < 0)[inside])
    report.add("HME slope dL1/dq = A; A ≥ (1+φ)/(1−φ) > 1 if φ < 1, A < 0 if φ > 1 (exact statics)",
               ref.FORMS["slope"],
               f"max error {err:.1e}; signs hold in {'all' if sign_ok else 'not all'} {k} interior draws",
               ok=bool(err < 1e-9 and sign_ok))
    # dL1/dh = qφ/(1−φh)² + φ(1−q)/(h−φ)² > 0 (L1 rises with country 2's cost disadvantage).
    e = mu_f + (s - 1) * (mu_m - 1)
    dL1_dh = o["dL1/dQ"] * Q / (e * h)
    closed = q * phi / (1 - phi * h) ** 2 + phi * (1 - q) / (h - phi) ** 2
    err = _max_err(dL1_dh, closed, inside)
    report.add("dL1/dh = qφ/(1−φh)² + φ(1−q)/(h−φ)² > 0 (h is country 2's cost disadvantage)",
               ref.FORMS["dL1_dh"], f"max error {err:.1e} over {k} interior draws",
               ok=bool(err < 1e-8),
               note="the paper's name for h ('quality impact') suggests the opposite reading: "
               "a larger h raises country 2's costs, so L1 rises with it")


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


def _table_rows(report, out: dict, layout: dict) -> None:
    tables = [("below", 8, "Table 8 (φ = 0.455 < 1)", cf.regime_sequence_table8),
              ("above", 9, "Table 9 (φ = 1.467 > 1)", cf.regime_sequence_table9)]
    for key, number, table, paper_rows in tables:
        meta = layout[(key, "meta")]
        regimes = out["regime"][layout[(key, "table")]].reshape(len(meta["rows"]), -1)
        for (band, paper), r in zip(paper_rows.items(), regimes):
            ours = _sequence(r)
            report.add(f"{table}: regimes as q rises over (1/2, 1), {band}", paper, ours, ok=ours == paper,
                       source=ref.TABLES[number])


def _bisection_rows(report) -> None:
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
         f"((1+φ²)/(2φ))^(1/2) = {float(tb['large_at_half']) ** 0.5:.10f} "
         "(at the printed one HME still occurs)"),
        ("Table 9: Q = (2φ/(1+φ²))^(1/e), L1(1/2) = 0", _PHI_ABOVE,
         dict(q=0.5, Q=0.9), dict(q=0.5, Q=0.99), float(ta["small_at_half"]) ** 0.5, "Q", ""),
        ("Table 9: Q = 1, L1(1/2) = 1/2 (RHME/HME)", _PHI_ABOVE,
         dict(q=0.5, Q=0.99), dict(q=0.5, Q=1.02), 1.0, "Q", ""),
        ("Table 9: Q = ((1+φ²)/(2φ))^(1/e), L1(1/2) = 1", _PHI_ABOVE,
         dict(q=0.5, Q=1.02), dict(q=0.5, Q=1.1), float(ta["large_at_half"]) ** 0.5, "Q", ""),
    ]
    tau = jnp.array([s[1]["tau"] for s in segments])
    beta = jnp.array([s[1]["beta"] for s in segments])
    start = {k: jnp.array([s[2][k] for s in segments]) for k in ("q", "Q")}
    stop = {k: jnp.array([s[3][k] for s in segments]) for k in ("q", "Q")}

    def one(tau, beta, start, stop):  # one segment; its model is built per element (scalar fields)
        return _regime_boundary(Takita2025(**_BASE, tau=tau, beta=beta, q=0.6, Q=1.0), start, stop)

    found = jax.vmap(one)(tau, beta, start, stop)
    sources = ("hme_ends_below", "items_below", "rhme_ends_above", "t8_small", "t8_equal", "t8_large",
               "t8_large_printed", "t9_small", "t9_equal", "t9_large")  # the order of `segments`
    for i, (label, _, _, _, paper, coord, note) in enumerate(segments):
        report.add(f"{label} (bisection on solves)", paper, float(found[coord][i]), tol=1e-8, note=note,
                   source=ref.THRESHOLDS[sources[i]])


def _typo_rows(report, anchors: dict) -> None:
    # §4.3(1): L2 printed with +(1+φ)/(1−φ)(q − 1/2).
    phi = _phi(**_PHI_BELOW)
    q = 0.6
    solved_L2 = float(anchors["L2"][0])  # the first anchor: Q = 1, q = 0.6
    printed_L2 = (1 + phi) / (1 - phi) * (q - 0.5) + 0.5
    report.add("§4.3(1) equal quality: L2 = +((1+φ)/(1−φ))(q − 1/2) + 1/2 at q = 0.6 (solved L2)",
               printed_L2, solved_L2, source=ref.TYPOS["L2_equal"],
               note="typo: the sign is minus, L2 = −((1+φ)/(1−φ))(q − 1/2) + 1/2 "
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
               printed, float(anchors["c21"][1]), tol=1e-9, source=ref.TYPOS["c21"],
               note="typo: the factor Q^σ is missing, c21 = (1/(τQ))φQ^σ p2^(−σ)/(…); eq. (31) has it and "
                    "gives the solved value 1.8505394974")
    # eq (17): zero-profit output with the fixed labour f lacking Q^μf; at the second anchor.
    p2 = s / (s - 1) * a["m"] * Q ** a["mu_m"]
    report.add("eq. (17) zero-profit output x2 = wf/(p2 − m(Q)w) at σ=4, Q=0.9 (solved x2)",
               a["f"] / (p2 - a["m"] * Q ** a["mu_m"]), float(anchors["x2"][1]), tol=1e-9,
               source=ref.TYPOS["x2"],
               note="typo: fixed labour is f·Q^μf, x_i = w f Q_i^μf/(p_i − m Q_i^μm w) = "
                    f"{a['f'] * Q ** a['mu_f'] / (p2 - a['m'] * Q ** a['mu_m']):.10f}, as in eq. (25); "
                    "the label (17) is also used twice")
    report.add("eq. (22)–(23) price index P_i = (∫p_i^ρ)^(1/ρ) = p_i N_i^(1/ρ)", ref.TYPOS["price_index"],
               "p_i N_i^(1/(1−σ))", ok=False,
               note="typo: P_i = (∫p_i^(1−σ))^(1/(1−σ)) = p_i N_i^(1/(1−σ)); the paper's last expression "
                    "already uses 1/(1−σ), and (30)–(37) follow from it")
    # Text after eq. (25): x2 > x1 when 0 < μf < μm (for Q > 1).
    ratio = 1.2 ** (0.5 - 1.5)
    report.add("text after (25): 'when 0 < μf < μm country 2's output exceeds country 1's' "
               "(x2/x1 at Q = 1.2, μf = 0.5, μm = 1.5)", ref.TYPOS["output_claim"], ratio, ok=False,
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


_THRESHOLD_LABELS = {"small_at_half": r"$(2\phi/(1+\phi^2))^{1/e}$", "equal": r"$Q = 1$",
                     "large_at_half": r"$((1+\phi^2)/(2\phi))^{1/e}$", "phi": r"$\phi^{1/e}$"}


def _regime_map(out, layout, key, title, path):
    """A regime map: the regimes solved on a grid, the analytic boundaries drawn over them, the
    thresholds of the table labelled beside the plot (never over a boundary)."""
    from matplotlib.colors import ListedColormap
    from matplotlib.transforms import blended_transform_factory

    meta = layout[(key, "meta")]
    phi = meta["phi"]
    regimes = out["regime"][layout[(key, "map")]].reshape(meta["n_Q"], meta["n_q"])
    fig, ax = plot.figure(width=6.4, height=5.0)
    ax.grid(False)
    cmap = ListedColormap(["#d95f02", "#fdb863", "#b2abd2", "#5e3c99"])
    ax.imshow(regimes, origin="lower", aspect="auto", cmap=cmap, vmin=-0.5, vmax=3.5,
              extent=[0.5, 1.0, *meta["Q_range"]], interpolation="nearest")
    # Analytic boundaries: q where h = h_L(q) (CA-large), h = h_S(q) (CA-small), and L1 = q.
    Qs = np.linspace(*meta["Q_range"], 600)
    h = Qs**2
    lines = []
    for name, style, label in [("large", "k-", r"$h = h_L(q)$: CA-large begins"),
                               ("small", "k--", r"$h = h_S(q)$: CA-small ends"),
                               ("equal_share", "k:", r"$L_1 = q$: RHME/HME")]:
        qb = np.asarray(cf.q_boundaries(phi, h)[name])
        inside = (qb > 0.5) & (qb < 1.0)
        if name == "equal_share":  # only where L1 = q happens in the interior
            L1 = np.asarray(cf.labour_closed_form(np.clip(qb, 0.01, 0.99), phi, h))
            inside &= (L1 > 0) & (L1 < 1)
        lines += ax.plot(np.where(inside, qb, np.nan), Qs, style, lw=1.2, label=label)
    beside = blended_transform_factory(ax.transAxes, ax.transData)  # x in axes units, y in data units
    for label, value in cf.h_thresholds(phi).items():
        Qt = float(value) ** _Q_EXPONENT
        if meta["Q_range"][0] < Qt < meta["Q_range"][1]:
            ax.axhline(Qt, color="w", lw=0.8, ls="-.")
            ax.text(1.02, Qt, _THRESHOLD_LABELS[label], transform=beside, fontsize=8, va="center", ha="left",
                    clip_on=False)
    patches = [plot.plt.Rectangle((0, 0), 1, 1, color=cmap(i)) for i in range(4)]
    ax.legend(patches + lines, list(REGIMES) + [ln.get_label() for ln in lines], fontsize=7, ncol=4,
              loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False)
    ax.set_xlabel("population share of the large country, $q$")
    ax.set_ylabel("quality of the small country, $Q$")
    ax.set_title(f"{title}: regimes solved on a {meta['n_q']}×{meta['n_Q']} grid, $\\phi$ = {phi:.3f}, "
                 "$h = Q^e$\n$e = \\mu_f + (\\sigma-1)(\\mu_m-1) = 2$ ($\\sigma$ = 4, $\\mu_f$ = 0.5, "
                 "$\\mu_m$ = 1.5); thresholds of the table dash-dot, labelled right", fontsize=8)
    return plot.save(fig, path)


def _solved(ctx: Context):
    return ctx.shared("solved", lambda: _solve_all(ctx.rng))


def _solve(ctx: Context) -> None:
    """One sweep: the random draws, the reference points, the maps, the figures' lines."""
    _solved(ctx)


def _anchors(ctx: Context) -> None:
    """The equilibrium at the reference points, levels and dL1/d(q, Q, τ, β)."""
    _anchor_rows(ctx.report, _solved(ctx)[2])


def _closed_forms(ctx: Context) -> None:
    """Every closed form of §3 at the random draws, and the corners."""
    p, o = _solved(ctx)[:2]
    _closed_form_rows(ctx.report, p, o)


def _tables(ctx: Context) -> None:
    """Tables 8 and 9: the regime sequences as q rises."""
    out, layout = _solved(ctx)[3:]
    _table_rows(ctx.report, out, layout)


def _thresholds(ctx: Context) -> None:
    """The thresholds of §4.3–4.4 and Tables 8–9 by bisection on solves."""
    _bisection_rows(ctx.report)


def _typos(ctx: Context) -> None:
    """The printed forms that are wrong, evaluated as printed."""
    _typo_rows(ctx.report, _solved(ctx)[2])


def _figures(ctx: Context) -> None:
    """Figures 1 and 2 (labour lines) and the regime maps of Tables 8 and 9."""
    out, layout = _solved(ctx)[3:]
    d = ctx.out_dir
    ctx.figure(_figure_lines(out, layout, "below", "Fig. 1: labour lines, 0 < φ < 1",
                             d / "figure1_labour_lines.png"))
    ctx.figure(_figure_lines(out, layout, "above", "Fig. 2: labour lines, φ > 1",
                             d / "figure2_labour_lines.png"))
    ctx.figure(_regime_map(out, layout, "below", "Table 8", d / "table8_regime_map.png"))
    ctx.figure(_regime_map(out, layout, "above", "Table 9", d / "table9_regime_map.png"))


PAPER = Paper(
    name="takita2025",
    title="Takita (2025): paper vs diffecon",
    reference=ref,
    sections=(Section("solve", _solve), Section("anchors", _anchors), Section("closed_forms", _closed_forms),
              Section("tables", _tables), Section("thresholds", _thresholds), Section("typos", _typos),
              Section("figures", _figures)),
    seed=2025,
)
