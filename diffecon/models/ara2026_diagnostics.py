"""Why a solve of `Ara2026` failed, in the model's terms (the model's `explain_failure`).

Under formal Pareto with traded final goods the equilibria of Ara (2026) are the crossings of
the equilibrium locus L(ω) of the reduced system (eqs 17–20, spec §7.4) with the relative size
L = L₁/L₂. `explain` scans that locus over ln ω (no root finding, no solve), so it can say
whether an interior equilibrium exists (spec R3), where the interior domain of L ends and which
country's final-good sector vanishes there, and whether the equilibria it finds satisfy the
selection ordering (spec R4). Elsewhere (exact Pareto, inputs only), or where the scan is
inconclusive, it describes the point where the solve stopped. Every equilibrium it reports is
re-checked with the 13-equation residuals.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .ara2026_closed_forms import reduced_form

__all__ = ["explain", "interior_equilibria", "out_of_order", "ordering_impossible"]

# The scan covers |ln ω| ≤ 4 (the R2-feasible set is |ln ω| < 0.28 at P_A) in steps of 2e-3,
# then zooms twice (steps 1e-6, 5e-10); every stage has the same size, so one compile serves all.
_SCAN_LOG_OMEGA = 4.0
_SCAN_POINTS = 4001
_RESIDUAL_OK = 1e-4  # a refined crossing; a spurious one (a pole of L(ω)) is O(1) off
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


def _range_words(model, x):
    levels, _ = model._levels(x)
    worst = max(levels, key=lambda n: float(np.max(np.asarray(levels[n]))))
    return f"ln {worst} = {float(np.max(np.asarray(levels[worst]))):.4g}"


def _validity_failure(model, eq):
    """The first failed validity condition at a point that solves the equations, else None."""
    if not np.isfinite(float(eq.residual_norm)) or float(eq.residual_norm) > _RESIDUAL_OK:
        return None
    failed = [n for n, v in model.validity(eq.x).items() if not bool(np.all(np.asarray(v)))]
    return failed[0] if failed else None


def _describe_roots(model, roots, failed, band=None):
    """A sentence about the interior equilibria found (all of them, or all within the band)."""
    at = lambda rs: ", ".join(f"{om:.6g}" for om, _, _ in rs)  # noqa: E731
    good = [r for r in roots if all(r[1].values())]
    ordered = [r for r in roots if r[1]["selection_ordering"]]
    if not ordered:
        where = "" if band is None else (f" needs |ln omega| < {band:.6g} (phi_DM > phi_D and "
                                         f"phi_XM > phi_X in both countries), and")
        if not roots:
            return (f"No equilibrium with the selection ordering {ORDERING[model.trade]} (spec R4):"
                    f" it{where} the equations have no interior equilibrium there.")
        n = len(roots)
        return (f"No equilibrium with the selection ordering {ORDERING[model.trade]} (spec R4):"
                f"{' it' + where if band is not None else ''} the equations' "
                f"{'only interior equilibrium' if n == 1 else 'interior equilibria'}"
                f"{' there' if band is not None else ''} (omega ≈ {at(roots)}) "
                f"{'has' if n == 1 else 'have'} cutoffs out of that order, so the separable "
                f"activities do not describe a consistent firm choice.")
    if good:
        one = len(good) == 1
        head = "An interior equilibrium exists" if one else f"{len(good)} interior equilibria exist"
        tail = "did not reach it" if one else "reached none of them"
        if failed:
            tail = f"stopped at a point that fails the validity condition {failed!r}"
        return (f"{head} at these parameters (reduced form, spec §7.4: omega ≈ {at(good)}), but "
                f"the solve {tail} from its starting point.")
    return (f"The interior equilibria at these parameters (reduced form, spec §7.4: omega ≈ "
            f"{at(ordered)}) satisfy the selection ordering but not every validity condition "
            f"({', '.join(n for n, v in ordered[0][1].items() if not v)}).")


def _scan_explanation(model, L, failed):
    """(sentence or None, whether L is known to lie strictly inside the interior domain)."""
    coarse = _coarse(model, _SCAN_LOG_OMEGA)
    inside = coarse["interior"]
    band = ordering_band(model)
    if not inside.any() or inside[0] or inside[-1]:
        # the interior set is not inside the scan; the ordering still bounds ln ω
        if band is None:
            return None, False
        roots, complete = interior_equilibria(model, band)
        return (_describe_roots(model, roots, failed, band) if complete else None), False
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
    roots, complete = interior_equilibria(model)
    if not roots or not complete:
        if band is not None and band < _SCAN_LOG_OMEGA:
            roots, complete = interior_equilibria(model, band)
            if complete:
                return _describe_roots(model, roots, failed, band), within
        return None, within
    return _describe_roots(model, roots, failed), True


def _iterate_explanation(model, eq, L, failed, corner_possible=True):
    """What the point where the solve stopped shows (no claim about the equilibrium set)."""
    at_x = model.outcomes(eq.x)  # a failed Equilibrium reports NaN outcomes; the point's own
    if failed == "selection_ordering":
        bad = out_of_order(at_x, model.trade)
        return (f"The point found solves the equations but its cutoffs violate the selection "
                f"ordering (spec R4: {'; '.join(bad)}), so it is not an equilibrium of this model.")
    if failed == "within_float64":
        return (f"The equilibrium exists, but some of its values overflow float64 "
                f"({_range_words(model, eq.x)} > 708), so they cannot be returned; sigma - 1 near 0 "
                f"with very unequal costs or sizes does this.")
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
    (`ordering_impossible`, "No equilibrium with the selection ordering ..."). Then, under
    formal Pareto with final-good trade, it scans the reduced form (spec §7) for the
    relative sizes L = L₁/L₂ that have an interior equilibrium. Outside them it names the edge
    and the corner (spec R3, "No interior equilibrium: ..."); inside them it gives the
    equilibria and says whether any satisfies the selection ordering (R4, "No equilibrium with
    the selection ordering ..." when none does). Otherwise, or where the scan is inconclusive,
    it describes the point where the solve stopped (a diverged iterate, a failed validity
    condition there), or says nothing.

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
    if failed != "within_float64" and model.pareto == "formal" and model.trade in ("both", "final_only"):
        hint, within = _scan_explanation(model, L, failed)
        if hint:
            return hint
    return _iterate_explanation(model, eq, L, failed, corner_possible=not within)
