"""Why a solve of `Ara2026` failed, in the model's terms (the model's `explain_failure`).

Under formal Pareto the equilibria of Ara (2026) are the crossings of the equilibrium locus L(ω)
of the reduced system (eqs 17–20, spec §7.4) with the relative size L = L₁/L₂. `explain` scans
that locus over ln ω (no solve), so it can say whether an interior equilibrium exists (spec R3),
where the interior domain of L ends and which country's final-good sector vanishes there, and at
which sizes equilibria with the selection ordering (spec R4) exist (`ordered_equilibria`). Every
equilibrium it reports is re-checked with the 13-equation residuals.

Each message begins with its category: "No equilibrium…" / "No interior equilibrium…" (none
exists: the parameters are outside the model's equilibrium set), "Not representable in
float64:" (`NOT_REPRESENTABLE`: it exists, but even the logs of its values are not finite in
float64; never seen in the documented domain, where levels beyond float64 are returned as ±inf
with finite logs), or anything else (the solve missed an equilibrium, or the point where it
stopped, under exact Pareto).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .ara2026_closed_forms import reduced_form, reduced_form_log

__all__ = ["NOT_REPRESENTABLE", "explain", "interior_equilibria", "ordered_equilibria", "out_of_order",
           "ordering_impossible"]

# The scan covers |ln ω| ≤ 4 (the R2-feasible set is |ln ω| < 0.28 at P_A) in steps of 2e-3,
# then zooms twice (steps 1e-6, 5e-10); every stage has the same size, so one compile serves all.
_SCAN_LOG_OMEGA = 4.0
_SCAN_POINTS = 4001
_RESIDUAL_OK = 1e-4  # a refined crossing; a spurious one (a pole of L(ω)) is O(1) off
# How a failure whose equilibrium exists but whose logs overflow float64 begins (benchmarks count
# it apart)
NOT_REPRESENTABLE = "Not representable in float64:"
_SCAN_WIDE = 64.0  # |ln ω| scanned for the roots out of order (the ordering bounds the others)
_SCAN_SIDE = 1024  # points per side of the log-space scans (a geometric 1.8% step)
ORDERING = {"both": "phi_D < min(phi_DM, phi_X) <= max(phi_DM, phi_X) < phi_XM",
            "final_only": "phi_D < phi_X", "inputs_only": "phi_D < phi_DM"}


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


def _coarse(model, half_width):
    """The scan over |ln ω| ≤ half_width; where its interior points are few (a narrow interior
    set: large σ makes ω nearly pinned), the scan again over their span, for resolution."""
    grid = _locus(model, np.linspace(-half_width, half_width, _SCAN_POINTS))
    for _ in range(4):
        inside = np.flatnonzero(grid["interior"])
        if not (0 < len(inside) < 100 and inside[0] > 0 and inside[-1] < _SCAN_POINTS - 1):
            break
        lw = grid["log_omega"]
        grid = _locus(model, np.linspace(lw[inside[0] - 1], lw[inside[-1] + 1], _SCAN_POINTS))
    return grid


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


def _roots(model, coarse, L):
    """The ln ω at which the locus L(ω) crosses L among interior points of the scan, each
    bracketed three times more finely (to ~1e-13 in ln ω; one compiled grid size)."""
    inside, lw = coarse["interior"], coarse["log_omega"]
    gap = coarse["L_locus"] - L
    # an interval with a sign change, or at the end of an interior stretch (the root may lie
    # between the last interior grid point and the edge)
    crossing = inside[:-1] & inside[1:] & (np.sign(gap[:-1]) != np.sign(gap[1:]))
    candidates = np.flatnonzero(crossing | (inside[:-1] != inside[1:]))
    found = []
    for k in candidates:
        brackets = [(lw[k], lw[k + 1])]
        for _ in range(3):
            finer = []
            for lo, hi in brackets:
                fine = _locus(model, np.linspace(lo, hi, _SCAN_POINTS))
                g, flw = fine["L_locus"] - L, fine["log_omega"]
                ok = fine["interior"][:-1] & fine["interior"][1:] & (np.sign(g[:-1]) != np.sign(g[1:]))
                finer += [(flw[m], flw[m + 1], g[m], g[m + 1]) for m in np.flatnonzero(ok)[:4]]
            brackets = [(lo, hi) for lo, hi, _, _ in finer]
            if not brackets:
                break
        for lo, hi, g_lo, g_hi in finer if brackets else ():
            root = lo - g_lo * (hi - lo) / (g_hi - g_lo)
            if all(abs(root - r) > 1e-6 for r in found):
                found.append(float(root))
    return sorted(found)


@eqx.filter_jit
def _check_point(model, log_omega, log_B, alpha_X):
    """Max |residual| and the validity flags at the reduced-form point (ln ω, ln B, α_X) (§7)."""
    log_w = jnp.stack([log_omega, jnp.zeros_like(log_omega)])
    log_phi = model._zcp_log_phi(log_w, log_B)
    om = jnp.exp(log_omega)
    RX = jnp.stack([alpha_X[1] * om * model.L1 - model.L2, alpha_X[0] * model.L2 - om * model.L1])
    log_R = jnp.log((1 + alpha_X) * RX / (alpha_X[0] * alpha_X[1] - 1))
    x = {"log_phi": log_phi, "log_B": log_B, "log_R": log_R, "log_omega": log_omega}
    res, _ = ravel_pytree(model.residuals(x))
    finite = jnp.all(jnp.isfinite(res))
    return jnp.where(finite, jnp.max(jnp.abs(res)), jnp.inf), model.validity(x), x


def _verified(model, log_omega):
    """(max |residual|, validity flags, unknowns) of the 13 equations at the reduced form's ln ω."""
    r = _locus(model, np.full(_SCAN_POINTS, log_omega))  # the scan's shape: no new compile
    log_B = jnp.array([r["log_B1"][0], r["log_B2"][0]])
    alpha_X = jnp.array([r["alpha_X1"][0], r["alpha_X2"][0]])
    norm, flags, x = _check_point(model, jnp.asarray(log_omega), log_B, alpha_X)
    return float(norm), {n: bool(v) for n, v in flags.items()}, x


def interior_equilibria(model, half_width=_SCAN_LOG_OMEGA):
    """Every interior equilibrium of a formal-Pareto `Ara2026` with traded final goods.

    Scans the equilibrium locus L(ω) of the reduced form (spec §7.4) over |ln ω| ≤ `half_width`
    and keeps the crossings with L₁/L₂ whose 13-equation residuals are below 1e-6.

    **Arguments:** `model`: an unbatched `Ara2026` with `pareto="formal"` and `trade` `"both"`
    or `"final_only"`; `half_width`: the scanned range of ln ω (default 4).

    **Returns:** `(roots, complete)`: a list of `(omega, validity_flags, x)` (x: the unknowns, a
    start for `solve`), and whether every crossing found passed the residual check.
    """
    L = float(model.L1) / float(model.L2)
    roots = _roots(model, _coarse(model, half_width), L)
    checked = []
    for root in roots:
        norm, flags, x = _verified(model, root)
        if np.isfinite(norm) and norm < _RESIDUAL_OK:
            checked.append((float(np.exp(root)), flags, x))
    return checked, len(checked) == len(roots)


def _scan_bound(model):
    """A bound on |ln ω| at every equilibrium with the selection ordering (the scan's span).

    With imported inputs, φ_DMi > φ_Di and φ_XMi > φ_Xi in both countries need
    |ln ω| < ln τ_M + ln(f_high/f_low)/(σ − 1) (`ordering_band`); with final goods only, free
    entry has a solution b > 0 (spec R2) only for |ln ω| < [(σ − 1) ln τ_X + (1 − 1/κ)
    ln(f_X/f_D)]/σ (a_D,2 > a_X,1 and a_D,1 > a_X,2, spec §7.1). Capped at `_SCAN_WIDE`.
    """
    if model.trade == "final_only":
        s1 = float(model.sigma) - 1
        kappa = float(model.k) / s1
        bound = (s1 * np.log(float(model.tau_x))
                 + (1 - 1 / kappa) * np.log(float(model.f_x) / float(model.f_d))) / (s1 + 1)
    else:
        bound = ordering_band(model)
    return float(np.clip(bound, 1e-300, _SCAN_WIDE))


def _f64(*values):
    """Scalars as arrays (traced by `filter_jit`, where a Python number is static: a recompile)."""
    return tuple(jnp.asarray(v, jnp.int32 if isinstance(v, int) else jnp.float64) for v in values)


@eqx.filter_jit
def _scan(model, bound):
    """The reduced form on a two-sided geometric grid of ln ω: {0} and ±bound·10^{−8…0}
    (`_SCAN_SIDE` points a side), so that it resolves ω near 1 (large σ pins it there) and far
    from it: (grid, gap, ok, ordered)."""
    half = bound * jnp.logspace(-8.0, 0.0, _SCAN_SIDE)
    grid = jnp.concatenate([-half[::-1], jnp.zeros(1), half])
    gap, ok, ordered, _ = jax.vmap(lambda u: reduced_form_log(model, u))(grid)
    return grid, gap, ok, ordered


_KINDS = ("sign", "interior", "ordered")


@eqx.filter_jit
def _refine(model, a, b, gap_a, kind):
    """Shrink [a, b] around the first point from `a` where the test `_KINDS[kind]` fails (it
    holds at `a`): the gap keeps the sign of `gap_a`, the point is interior (R2, R3), or also
    ordered (R4). Rounds of 64 points evaluated at once (a vectorised bisection, 64^8-fold).

    **Returns:** `(a, b, gap at a, max |residual| and validity flags of the 13 equations at the
    reduced form's point at (a + b)/2, and that point's unknowns)`; one compiled program serves
    every use.
    """
    t = jnp.linspace(0.0, 1.0, 65)[1:]

    def keep(u):
        gap, ok, ordered, _ = reduced_form_log(model, u)
        return jnp.stack([jnp.sign(gap) == jnp.sign(gap_a), ok, ok & ordered])[kind]

    def one_round(_, ab):
        a, b = ab
        points = a + t * (b - a)
        held = jax.vmap(keep)(points)
        first = jnp.argmin(held)
        done = jnp.all(held)
        return (jnp.where(done, b, jnp.where(first == 0, a, points[first - 1])),
                jnp.where(done, b, points[first]))

    a, b = jax.lax.fori_loop(0, 8, one_round, (jnp.asarray(a, float), jnp.asarray(b, float)))
    x = reduced_form_log(model, 0.5 * (a + b))[3]
    res = ravel_pytree(model.residuals(x))[0]
    norm = jnp.where(jnp.all(jnp.isfinite(res)), jnp.max(jnp.abs(res)), jnp.inf)
    return a, b, reduced_form_log(model, a)[0], norm, model.validity(x), x


def _runs(model, grid, gap, mask, ordered):
    """Each stretch of consecutive grid points in `mask`, extended by bisection to the set's edges:
    a list of (ln ω, gap) arrays."""
    runs = []
    starts = np.flatnonzero(mask & ~np.r_[False, mask[:-1]])
    ends = np.flatnonzero(mask & ~np.r_[mask[1:], False])
    for j, k in zip(starts, ends):
        us, gs = list(grid[j:k + 1]), list(gap[j:k + 1])
        for inside, outside, at in ((j, j - 1, 0), (k, k + 1, len(us))):
            if 0 <= outside < len(grid):
                edge = _refine(model, *_f64(grid[inside], grid[outside], 0.0, 2 if ordered else 1))
                u, g = float(edge[0]), float(edge[2])
                if np.isfinite(g):
                    us.insert(at, u)
                    gs.insert(at, g)
        runs.append((np.asarray(us), np.asarray(gs)))
    return runs


def _run_roots(model, runs, found):
    """Add to `found` (ln ω -> (omega, validity flags, x, max |residual|)) the roots of the gap in
    each stretch: every sign change, bisected, and checked with the 13 equations."""
    for us, gs in runs:
        sign = np.sign(gs)
        for m in np.flatnonzero(sign[:-1] * sign[1:] <= 0):
            a, b, _, norm, flags, x = _refine(model, *_f64(us[m], us[m + 1], gs[m], 0))
            u = 0.5 * (float(a) + float(b))
            if all(abs(u - r) > 1e-9 * max(1.0, abs(u)) for r in found):
                found[u] = (float(np.exp(u)), {n: bool(v) for n, v in flags.items()}, x, float(norm))


def ordered_equilibria(model):
    """The interior equilibria of a formal-Pareto `Ara2026` (any trade option) from its reduced
    form, and the relative sizes at which equilibria with the selection ordering exist.

    Scans the reduced form (`ara2026_closed_forms.reduced_form_log`) over ln ω, up to the bound
    the ordering or free entry puts on |ln ω| (and to |ln ω| = 64 for roots out of order),
    extends each stretch of interior (spec R2, R3) points to its edges by bisection, and bisects
    every sign change of ln L(ω) − ln(L1/L2) there. Each root is re-checked with the 13
    equations.

    **Arguments:** `model`: an unbatched `Ara2026` with `pareto="formal"`.

    **Returns:** a dict: `roots`, a list of `(omega, validity_flags, x, residual)` (every interior
    root in the scanned range; x: the unknowns), and `ordered_sizes`, a list of `(L_low, L_high)`:
    over each stretch of wages where the reduced form is interior and its cutoffs are in order,
    the range of the locus L(ω) (an equilibrium with the ordering exists at L1/L2 inside one of
    them, by continuity, and at no other size).
    """
    grid, gap, ok, ordered = (np.asarray(v) for v in _scan(model, *_f64(_scan_bound(model))))
    ok = ok & np.isfinite(gap)
    log_L = float(np.log(model.L1) - np.log(model.L2))
    found = {}
    _run_roots(model, _runs(model, grid, gap, ok, False), found)
    if model.trade != "final_only":  # roots out of order, beyond the ordering's bound on |ln ω|
        wide = [np.asarray(v) for v in _scan(model, *_f64(_SCAN_WIDE))]
        _run_roots(model, _runs(model, wide[0], wide[1], wide[2] & np.isfinite(wide[1]), False), found)
    roots = [found[u] for u in sorted(found)]
    sizes = [(float(np.exp(np.min(gs) + log_L)), float(np.exp(np.max(gs) + log_L)))
             for _, gs in _runs(model, grid, gap, ok & ordered, True)]
    return {"roots": roots, "ordered_sizes": sizes}


def _reduced_explanation(model, L):
    """The equilibria of the reduced form (`ordered_equilibria`) in words, or None if unsure."""
    found = ordered_equilibria(model)
    roots = [r for r in found["roots"] if np.isfinite(r[3]) and r[3] < _RESIDUAL_OK]
    if len(roots) < len(found["roots"]):
        return None  # a root that the 13 equations do not confirm: say nothing
    at = lambda rs: ", ".join(f"{om:.6g}" for om, _, _, _ in rs)  # noqa: E731
    ordered = [r for r in roots if r[1]["selection_ordering"]]
    if ordered:
        good = [r for r in ordered if all(r[1].values())]
        if not good:
            return _not_representable(model, ordered[0][2], f"an interior equilibrium exists (reduced form, "
                                                            f"spec §7.4: omega ≈ {at(ordered)})")
        one = len(good) == 1
        return (f"{'An interior equilibrium exists' if one else f'{len(good)} interior equilibria exist'}"
                f" at these parameters (reduced form, spec §7.4: omega ≈ {at(good)}), but the solve "
                f"{'did not reach it' if one else 'reached none of them'} from its starting point.")
    sizes = found["ordered_sizes"]
    if any(lo * (1 - 1e-9) <= L <= hi * (1 + 1e-9) for lo, hi in sizes):
        return None  # a root should exist there: the scan missed it
    head = f"No equilibrium with the selection ordering {ORDERING[model.trade]} (spec R4): "
    if sizes:
        spans = " or ".join(f"[{lo:.6g}, {hi:.6g}]" for lo, hi in sizes)
        head += (f"at these parameters equilibria with cutoffs in that order exist only for L1/L2 in "
                 f"{spans} (the reduced form's locus L(omega), spec §7.4, over the wages where free "
                 f"entry has a solution and the cutoffs are in order), and L1/L2 = {L:.6g} is not")
    else:
        head += ("no relative wage gives cutoffs in that order together with a solution of free entry "
                 "(spec R2) and both countries in the same regime (R3)")
    if model.trade == "inputs_only":
        head += "; with inputs only the locus is decreasing, so the equilibrium is unique"
    if roots:
        n = len(roots)
        head += (f"; the equations' {'only interior equilibrium' if n == 1 else 'interior equilibria'} "
                 f"(omega ≈ {at(roots)}) {'has' if n == 1 else 'have'} cutoffs out of that order")
    return head + "."


def ordering_band(model):
    """The bound c on |ln ω| that the selection ordering implies (spec R4), or None.

    φ_DMi > φ_Di and φ_XMi > φ_Xi in both countries hold only if |ln ω| < c_DM and |ln ω| < c_XM,
    with c = ln τ_M + ln(f_high/f_low)/(σ − 1) (ZCP, eq. 1 corrected: these ratios depend on
    wages alone). Without imported inputs there is no such bound.

    **Returns:** c = min over the pairs present, or None (`trade="final_only"`).
    """
    if model.trade == "final_only":
        return None
    s1, ltm = float(model.sigma) - 1, float(np.log(model.tau_m))
    pairs = [("f_dm", "f_d")] + ([("f_xm", "f_x")] if model.trade == "both" else [])
    return min(ltm + (np.log(float(getattr(model, h))) - np.log(float(getattr(model, lo)))) / s1
               for h, lo in pairs)


def out_of_order(outcomes, trade):
    """The selection-ordering inequalities (spec R4) that fail, in words (e.g. "phi_XM1 <= phi_X1").

    **Arguments:** `outcomes`: an `Ara2026` equilibrium's outcomes (unbatched); `trade`: its option.

    **Returns:** a list of strings, empty when the ordering holds.
    """
    pairs = {"both": (("D", "DM"), ("D", "X"), ("DM", "XM"), ("X", "XM")),
             "final_only": (("D", "X"),), "inputs_only": (("D", "DM"),)}[trade]
    bad = []
    for i in (1, 2):
        for lo, hi in pairs:
            a, b = float(outcomes[f"phi_{lo}{i}"]), float(outcomes[f"phi_{hi}{i}"])
            if not a < b:
                bad.append(f"phi_{hi}{i} = {b:.6g} <= phi_{lo}{i} = {a:.6g}")
    return bad


# (higher, lower cutoff, trade cost, higher's fixed cost, lower's fixed cost) of each pair in
# the selection ordering (spec R4) and which trade options have it
_PAIRS = (("DM", "D", "tau_m", "f_dm", "f_d", ("both", "inputs_only")),
          ("X", "D", "tau_x", "f_x", "f_d", ("both", "final_only")),
          ("XM", "DM", "tau_x", "f_xm", "f_dm", ("both",)),
          ("XM", "X", "tau_m", "f_xm", "f_x", ("both",)))


def ordering_impossible(model):
    """The pairs of the selection ordering (spec R4) that no equilibrium can satisfy.

    By the ZCP conditions (eq. 1 corrected) each pair's cutoff ratio in country i is a
    parameter-only factor times (w_j/w_i)^{σ−1} or B_i/B_j, e.g.
    (φ_Xi/φ_Di)^{σ−1} = τ_X^{σ−1} (f_X/f_D) B_i/B_j. The product of the two countries' ratios
    is therefore (τ^{σ−1} f_high/f_low)², whatever the wages, shifters and sizes, and both
    ratios exceed 1 only if τ^{σ−1} f_high > f_low: at symmetry this is also sufficient.

    **Arguments:** `model`: an `Ara2026` (unbatched, concrete parameters).

    **Returns:** a list of sentences, one per pair whose condition fails (empty if none does).
    """
    s = float(model.sigma)
    out = []
    for high, low, tau, f_high, f_low, options in _PAIRS:
        if model.trade not in options:
            continue
        t, fh, fl = (float(getattr(model, n)) for n in (tau, f_high, f_low))
        if not (s - 1) * np.log(t) + np.log(fh) - np.log(fl) > 0:
            out.append(f"phi_{high}i > phi_{low}i in both countries needs {tau}^(sigma-1) {f_high} > "
                       f"{f_low}, which fails ({tau} = {t:.6g}, sigma = {s:.6g}, {f_high} = {fh:.6g}, "
                       f"{f_low} = {fl:.6g})")
    return out


@eqx.filter_jit
def _levels_at(model, x):
    return model._levels(x)[0]


def _range_words(model, x):
    """(name, ln value) of the first level at `x` whose log is not finite, else of the largest
    one, named as its outcome (e.g. alpha_X1, W)."""
    levels = {n: np.atleast_1d(np.asarray(v)) for n, v in _levels_at(model, x).items()}
    bad = [n for n, v in levels.items() if not np.all(np.isfinite(v))]
    worst = bad[0] if bad else max(levels, key=lambda n: float(np.max(levels[n])))
    values = levels[worst]
    j = int(np.argmax(~np.isfinite(values))) if bad else int(np.argmax(values))
    name = worst.removesuffix("_ratio") + (str(j + 1) if values.size > 1 else "")
    return name, float(values[j])


def _not_representable(model, x, where):
    """The message for an equilibrium whose logs are not finite in float64 (validity
    `within_float64`)."""
    name, value = _range_words(model, x)
    return (f"{NOT_REPRESENTABLE} {where}, but ln {name} = {value:.4g} there is not a finite float64 "
            f"(levels beyond float64 are returned as ±inf with finite logs; this one's log itself "
            f"is not), so the equilibrium cannot be returned.")


def _validity_failure(model, eq):
    """The first failed validity condition at a point that solves the equations, else None."""
    if not np.isfinite(float(eq.residual_norm)) or float(eq.residual_norm) > _RESIDUAL_OK:
        return None
    failed = [n for n, v in model.validity(eq.x).items() if not bool(np.all(np.asarray(v)))]
    return failed[0] if failed else None


def _scan_explanation(model, L):
    """(sentence or None, whether L is known to lie strictly inside the interior domain): the
    edges of the relative sizes with an interior equilibrium (spec R3), from the locus L(ω)."""
    coarse = _coarse(model, _SCAN_LOG_OMEGA)
    inside = coarse["interior"]
    if not inside.any() or inside[0] or inside[-1]:
        return None, False  # the interior set is not inside the scan
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
    return None, within


def _iterate_explanation(model, eq, L, failed, corner_possible=True):
    """What the point where the solve stopped shows (no claim about the equilibrium set)."""
    at_x = model.outcomes(eq.x)  # a failed Equilibrium reports NaN outcomes; the point's own
    if failed == "selection_ordering":
        bad = out_of_order(at_x, model.trade)
        return (f"The point found solves the equations but its cutoffs violate the selection "
                f"ordering (spec R4: {'; '.join(bad)}), so it is not an equilibrium of this model.")
    if failed == "within_float64":
        return _not_representable(model, eq.x, "the equilibrium exists (the point found solves the "
                                               "equations and satisfies the selection ordering, spec R4)")
    # a corner needs traded final goods and unequal sizes, and is ruled out by the reduced form
    # when it placed L strictly between two edges of one interior stretch
    corner = corner_possible and model.trade != "inputs_only" and L != 1
    maybe = (f" Possibly no interior equilibrium exists at L1/L2 = {L:.6g} (a country's final-good "
             f"sector vanishing, spec R3)." if corner else "")
    bad = sorted(name for name, v in eq.x.items() if not np.all(np.isfinite(np.asarray(v))))
    if bad:
        return f"The iterate diverged ({', '.join(bad)} not finite).{maybe}" if corner else None
    flags = []
    interior = bool(at_x["interior"])
    if not interior:
        flags.append("the interior condition fails (spec R3: R_X1, R_X2 > 0)")
    if not bool(at_x["selection_ordering"]):
        flags.append("the cutoffs violate the selection ordering (spec R4)")
    if not flags:
        return None
    return f"At the point where the solve stopped, {' and '.join(flags)}.{'' if interior else maybe}"


def explain(model, eq):
    """Why the solve of `model` failed, in the model's terms (its `explain_failure`).

    First, whether the parameters rule out the selection ordering in every equilibrium
    (`ordering_impossible`, "No equilibrium with the selection ordering ..."); then whether the
    point found is an equilibrium whose logs are not finite in float64 ("Not representable in
    float64: ..."; not seen in the documented domain). Then,
    under formal Pareto with final-good trade, it scans the locus L(ω) (spec §7) for the
    relative sizes L = L₁/L₂ that have an interior equilibrium; outside them it names the edge
    and the corner (spec R3, "No interior equilibrium: ..."). Then (formal Pareto, any trade
    option) `ordered_equilibria`: the sizes at which equilibria with the selection ordering
    exist ("No equilibrium with the selection ordering ...: ... exist only for L1/L2 in [a, b]"
    when L is outside them), or the equilibrium the solve missed. Otherwise, or where the scan
    is inconclusive, it describes the point where the solve stopped (a diverged iterate, a
    failed validity condition there), or says nothing.

    **Arguments:**
    - `model`: the `Ara2026` solved (unbatched, concrete parameters);
    - `eq`: its failed `Equilibrium` (`throw=False`).

    **Returns:** one or two sentences, or None (converged, batched or traced input).
    """
    if not _is_scalar_model(model) or bool(np.all(np.asarray(eq.converged))):
        return None
    impossible = ordering_impossible(model)
    if impossible:
        return (f"No equilibrium with the selection ordering {ORDERING[model.trade]} (spec R4) "
                f"exists at these parameters, whatever the sizes: {'; '.join(impossible)} (the "
                f"product of the two countries' cutoff ratios is fixed by the parameters).")
    L = float(model.L1) / float(model.L2)
    failed = _validity_failure(model, eq)
    within = False
    if failed == "within_float64":
        return _iterate_explanation(model, eq, L, failed)
    if model.pareto == "formal":
        if model.trade != "inputs_only":
            hint, within = _scan_explanation(model, L)
            if hint:
                return hint
        hint = _reduced_explanation(model, L)
        if hint:
            return hint
    return _iterate_explanation(model, eq, L, failed, corner_possible=not within)
