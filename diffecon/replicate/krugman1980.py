"""Replication of Krugman (1980): Figures 1 and 2 and every closed form and claim of the paper.

Krugman (1980) prints no estimates; its results are closed forms (eqs 7–11, 13, 22–26) and
qualitative claims. Each closed form is compared at reference points and at random admissible
parameter draws; each claim is checked at random draws and reported as "holds in k of n draws".
The reference values and their sources are in `krugman1980_reference`.
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .. import plot
from ..core import solve, sweep
from ..models.krugman1980 import Krugman1980, Krugman1980HME, Krugman1980OutsideGood
from . import krugman1980_reference as ref
from ._protocol import Context, Paper, Section

_DRAWS = 500


def _holds(mask) -> tuple[str, bool]:
    mask = np.asarray(mask)
    return f"holds in {int(mask.sum())} of {mask.size} draws", bool(mask.all())


def _one_industry_draws(rng, n=_DRAWS):
    return {
        "L1": rng.uniform(0.2, 5, n), "L2": rng.uniform(0.2, 5, n),
        "sigma": rng.uniform(1.3, 12, n), "tau": rng.uniform(1.01, 4, n),
    }


# Every sweep of a model family asks for the same parameters, outcomes (and derivatives) over
# the same batch size, so one compiled sweep serves all of them: compilation is most of this
# replication's time.
_ONE_INDUSTRY_OUTCOMES = ["omega", "W1", "W2", "imports1", "exports1", "trade_balance1"]
_MIRROR_OUTCOMES = ["share_a1", "omega", "net_exports_a1", "n_a1", "n_a2"]
_MIRROR_SIZES = ("La1", "Lb1", "La2", "Lb2")


def _one_industry(L1=1.0, L2=1.0, sigma=4.0, tau=1.0):
    """Section II at every draw (defaults: free trade between two unit countries, σ = 4); all
    four parameters are always swept, so one compiled sweep serves every call."""
    over = dict(zip(("L1", "L2", "sigma", "tau"), np.broadcast_arrays(L1, L2, sigma, tau)))
    return sweep(Krugman1980(), over, of=_ONE_INDUSTRY_OUTCOMES)


def _mirror(f, sigma, tau):
    """Section III.B at shares f: La = Lb* = f, Lb = La* = 1 − f."""
    f = jnp.asarray(f)
    over = {"La1": f, "Lb1": 1 - f, "La2": 1 - f, "Lb2": f, "sigma": sigma, "tau": tau}
    return sweep(Krugman1980HME(), over, of=_MIRROR_OUTCOMES, wrt=_MIRROR_SIZES)


def _mirror_slope(out, f):
    """The exact d(n/n*)/dλ of a `_mirror` sweep at interior points, λ = f/(1 − f): the chain
    rule through the four sizes, n/n* = s/(1 − s) with s = n/(n + n*), and df/dλ = (1 − f)²."""
    dshare_df = sum(sign * np.asarray(out[f"dshare_a1/d{n}"])
                    for sign, n in zip((1, -1, -1, 1), _MIRROR_SIZES))
    return dshare_df / (1 - np.asarray(out["share_a1"])) ** 2 * (1 - np.asarray(f)) ** 2


def _section_one(ctx: Context) -> None:
    """Section I: the closed economy and free trade between equal economies."""
    report, rng = ctx.report, ctx.rng
    # closed economy numbers at L = 100, θ = 0.75 (σ = 4), α = β = 1 (eqs 7, 9, 10).
    eq = solve(Krugman1980(L1=100.0, L2=100.0, sigma=4.0, tau=1.0))
    report.add("eq. (7) price over wage p/w = β/θ (L=100, θ=0.75)", ref.CLOSED["price"], float(eq["p2"]),
               tol=1e-12)
    report.add("eq. (9) output per firm x = αθ/(β(1−θ))", ref.CLOSED["output"], float(eq["output"]),
               tol=1e-12)
    report.add("eq. (10) number of firms n = L(1−θ)/α", ref.CLOSED["firms"], float(eq["n1"]), tol=1e-12)
    # (A2) free trade between equal countries raises the real wage by 2^{1/(σ−1)}.
    sig = rng.uniform(1.5, 10, _DRAWS)
    free = np.asarray(_one_industry(sigma=sig)["W1"])
    # closed economy (eqs 7, 10), α = β = 1, L = 1: w/P = n^{1/(σ−1)} (σ−1)/σ with n = 1/σ
    closed = (1 / sig) ** (1 / (sig - 1)) * (sig - 1) / sig
    text, ok = _holds(np.abs(free / closed / 2 ** (1 / (sig - 1)) - 1) < 1e-9)
    report.add("Section I.C: free-trade gain in the real wage = 2^{1/(σ−1)} (equal sizes)",
               ref.FREE_TRADE_GAIN, text, ok=ok)
    # (A3) with free trade, imports = exports = L L*/(L + L*) in wage units (eq. 11).
    p = _one_industry_draws(rng)
    out = _one_industry(p["L1"], p["L2"], p["sigma"])
    target = p["L1"] * p["L2"] / (p["L1"] + p["L2"])
    text, ok = _holds((np.abs(out["imports1"] / target - 1) < 1e-10)
                      & (np.abs(out["exports1"] / target - 1) < 1e-10))
    report.add("Section I.C: imports = exports = LL*/(L+L*) under free trade", ref.FREE_TRADE_IMPORTS, text,
               ok=ok)


def _section_two(ctx: Context) -> None:
    """Section II: transport costs and the relative wage."""
    report, rng = ctx.report, ctx.rng
    for anchor in ref.OMEGA:
        L1, L2, s, g, omega = anchor.value
        eq = solve(Krugman1980(L1, L2, s, 1 / g))
        report.add(f"eq. (14) ω at L={L1:g}, L*={L2:g}, σ={s:g}, g={g:g}", omega, float(eq["omega"]),
                   tol=1e-9, source=anchor.source)
    eq = solve(Krugman1980(2.0, 1.0, 4.0, 1.25))
    report.add("real wage w/P, home (L=2, L*=1, σ=4, g=0.8)", ref.REAL_WAGE_HOME, float(eq["W1"]), tol=1e-9)
    report.add("real wage w*/P*, foreign", ref.REAL_WAGE_FOREIGN, float(eq["W2"]), tol=1e-9)
    report.add("imports = exports", ref.IMPORTS, float(eq["imports1"]), tol=1e-9)

    p = _one_industry_draws(rng)
    out = _one_industry(**p)
    sign = np.sign(p["L1"] - p["L2"])
    text, ok = _holds(np.sign(np.asarray(out["omega"]) - 1) == sign)
    report.add("(B2) the larger country has the higher wage: ω > 1 ⇔ L > L*", ref.LARGER_WAGE, text, ok=ok)
    text, ok = _holds(np.sign(np.asarray(out["W1"] - out["W2"])) == sign)
    report.add("(B5) the larger country has the higher real wage (not stated in the paper)",
               ref.LARGER_REAL_WAGE, text, ok=ok)
    text, ok = _holds(np.abs(np.asarray(out["trade_balance1"])) < 1e-9)
    report.add("(B3) trade is balanced at the equilibrium", ref.BALANCED, text, ok=ok)
    L = rng.uniform(0.2, 5, _DRAWS)
    same = _one_industry(L, L, p["sigma"], p["tau"])
    text, ok = _holds(np.abs(np.asarray(same["omega"]) - 1) < 1e-12)
    report.add("ω = 1 when L = L*", ref.EQUAL_SIZES, text, ok=ok)

    # (B1) B(ω) strictly decreasing: evaluate the residual on a grid for each draw.
    u = jnp.linspace(-2.0, 2.0, 81)

    def decreasing(L1, L2, s, t):
        m = Krugman1980(L1, L2, s, t)
        F = jax.vmap(lambda v: m.residuals({"log_omega": v})["balance_of_payments"])(u)
        return jnp.all(jnp.diff(F) < 0)

    mono = jax.vmap(decreasing)(p["L1"], p["L2"], p["sigma"], p["tau"])
    text, ok = _holds(mono)
    report.add("(B1) the balance of payments B(ω) is strictly decreasing (unique ω)", ref.DECREASING, text,
               ok=ok)
    far = solve(Krugman1980(3.0, 1.0, 4.0, 1e7))
    report.add("(B4) limit g → 0: ω → (L/L*)^{1/(2σ−1)}, L/L*=3, σ=4", ref.G_LIMIT, float(far["omega"]),
               tol=1e-6, note="evaluated at g = 1e-7")


def _section_three(ctx: Context) -> None:
    """Section III: the home-market effect (mirror-image countries, arbitrary countries, an outside good)."""
    report, rng = ctx.report, ctx.rng
    delta = 0.8**3
    for f, value in ref.N_RATIO.items():
        eq = solve(Krugman1980HME.mirror(f, sigma=4.0, tau=1.25))
        report.add(f"eq. (25) n/n* at σ=4, g=0.8, f={f}", value, float(eq["n_ratio_a"]), tol=1e-9)
    eq = solve(Krugman1980HME.mirror(0.7, sigma=4.0, tau=1.25))
    report.add("complete specialisation at f=0.7 (λ > 1/δ): n* = 0", ref.SPECIALISED, float(eq["n_a2"]),
               tol=1e-12)
    eq = solve(Krugman1980HME.mirror(0.52, sigma=2.0, tau=2.0))
    report.add("eq. (25) n/n* at σ=2, g=0.5, f=0.52", ref.N_RATIO_LOW_SIGMA, float(eq["n_ratio_a"]), tol=1e-9)

    # Exact d(n/n*)/dλ in one batch: the two reference points, then random interior points for
    # the home-market elasticity.
    sig, tau = rng.uniform(2, 8, _DRAWS - 2), rng.uniform(1.05, 2.0, _DRAWS - 2)
    d = tau ** (1 - sig)
    lam = np.exp(rng.uniform(np.log(d) + 0.05, -np.log(d) - 0.05))
    lam = np.concatenate([[0.55 / 0.45, 1.0], lam])
    f = lam / (1 + lam)
    out = _mirror(f, np.concatenate([[4.0, 4.0], sig]), np.concatenate([[1.25, 1.25], tau]))
    slope = _mirror_slope(out, f)
    report.add("HME slope d(n/n*)/dλ at f=0.55, σ=4, g=0.8", ref.SLOPE, float(slope[0]), tol=1e-9)
    report.add("(C2) magnified HME: slope at λ=1 is (1+δ)/(1−δ) > 1", (1 + delta) / (1 - delta),
               float(slope[1]), tol=1e-9, source=ref.SLOPE_AT_ONE)
    # d ln(n/n*)/d ln λ = (λ/r) dr/dλ against the closed form from eq. (25)
    share = np.asarray(out["share_a1"])[2:]
    exact = lam[2:] * slope[2:] * (1 - share) / share
    lam = lam[2:]
    closed = lam * (1 - d**2) / ((lam - d) * (1 - d * lam))
    report.add("home-market elasticity d ln(n/n*)/d ln λ = λ(1−δ²)/((λ−δ)(1−δλ)), "
               f"{lam.size} random interior points: max rel. error",
               0.0, float(np.max(np.abs(exact / closed - 1))), tol=1e-9, source=ref.ELASTICITY)

    n = _DRAWS
    sigma, tau, fs = rng.uniform(2, 8, n), rng.uniform(1.05, 2.5, n), rng.uniform(0.2, 0.8, n)
    out = _mirror(fs, sigma, tau)
    d, lam = tau ** (1 - sigma), fs / (1 - fs)
    interior = (lam > d) & (lam < 1 / d)
    r = np.clip((lam - d) / (1 - d * lam), 0, None)
    share = np.where(interior, r / (1 + r), np.where(lam >= 1 / d, 1.0, 0.0))
    err = float(np.max(np.abs(np.asarray(out["share_a1"]) - share)))
    report.add(f"eq. (25) with corners at {n} random (σ, g, f): max |error| in n/(n+n*)", 0.0, err, tol=1e-9,
               source=ref.CORNERS)
    corner = (np.asarray(out["n_a1"]) < 1e-9) | (np.asarray(out["n_a2"]) < 1e-9)
    text, ok = _holds(corner == ~interior)
    report.add("(C3) specialisation is complete exactly when λ ∉ (δ, 1/δ)", ref.COMPLETE, text, ok=ok,
               note="the paper prints the range as 'σ < L/L* > 1/σ' (δ is the paper's σ); "
                    "it means δ < L/L* < 1/δ, "
                    "as its next paragraph ('from σ to 1/σ') says")
    text, ok = _holds(np.sign(np.asarray(out["net_exports_a1"])) == np.sign(fs - 0.5))
    report.add("(C4) each country is a net exporter of the good with the larger home demand (eq. 26)",
               ref.NET_EXPORTER, text, ok=ok)
    text, ok = _holds(np.abs(np.asarray(out["omega"]) - 1) < 1e-10)
    report.add("mirror-image countries have equal wages", ref.MIRROR_WAGES, text, ok=ok)
    # The would-be entrant's relative sales (L_a/δ + δL_a*)/(L_a + L_a*) < 1 iff λ < δ.
    La, Las = fs, 1 - fs
    sales = (La / d + d * Las) / (La + Las)
    text, ok = _holds((sales < 1) == (lam < d))
    report.add("Section III.B entrant's relative sales < 1 iff λ < δ", ref.ENTRANT, text, ok=ok,
               note="the printed ratio is garbled; re-derived from the primitives, eqs (22)-(23)")

    eq = solve(Krugman1980HME(0.6, 0.5, 0.4, 0.5, 4.0, 1.25, 0.25))
    report.add("Section III.C arbitrary countries: ω (La=.6, Lb=.5, La*=.4, Lb*=.5, σ=4, g=.8, α=.25)",
               ref.ARBITRARY["omega"], float(eq["omega"]), tol=1e-9)
    report.add("Section III.C arbitrary countries: n_a/n_a*", ref.ARBITRARY["n_ratio"],
               float(eq["n_ratio_a"]), tol=1e-9)
    report.add("Section III.C arbitrary countries: net exports of a-goods B_a = −B_b",
               ref.ARBITRARY["net_exports"],
               float(eq["net_exports_a1"]), tol=1e-7)
    over = {k: rng.uniform(0.3, 0.7, n) for k in ("La1", "Lb1", "La2", "Lb2")}
    over.update(sigma=rng.uniform(2.5, 8, n), tau=rng.uniform(1.1, 2.5, n))
    out = sweep(Krugman1980HME(), over, of=["omega", "net_exports_a1"])
    rel = over["La1"] / over["Lb1"] - over["La2"] / over["Lb2"]
    text, ok = _holds(np.sign(np.asarray(out["net_exports_a1"])) == np.sign(rel))
    report.add("Section III.C: net exporter of the industry with the relatively larger home demand",
               ref.RELATIVE_DEMAND, text, ok=ok)
    small = (over["La1"] < over["La2"]) & (over["Lb1"] < over["Lb2"])
    large = (over["La1"] > over["La2"]) & (over["Lb1"] > over["Lb2"])
    w = np.asarray(out["omega"])
    text, ok = _holds(np.concatenate([w[small] < 1, w[large] > 1]))
    report.add("Section III.C: a country smaller in both markets pays the lower wage", ref.SMALL_WAGE, text,
               ok=ok)
    eq = solve(Krugman1980OutsideGood(0.6, 0.4, 1.0, 1.0, 4.0, 1.25))
    report.add("Section III.C outside good: n, La=.6, La*=.4, σ=4, g=.8", ref.OUTSIDE["n"], float(eq["n1"]),
               tol=1e-7)
    report.add("Section III.C outside good: n*", ref.OUTSIDE["n_star"], float(eq["n2"]), tol=1e-6)
    La = rng.uniform(0.1, 1, (2, n))
    same = {"La1": La[0], "La2": La[1], "sigma": rng.uniform(1.5, 10, n), "tau": rng.uniform(1.01, 3, n)}
    out = sweep(Krugman1980OutsideGood(L1=5.0, L2=5.0), same, of=["n1", "n2", "net_exports1"])
    lam = La[0] / La[1]
    more = np.asarray(out["n1"]) > lam * np.asarray(out["n2"])
    text, ok = _holds((more & (np.asarray(out["net_exports1"]) > 0))[lam > 1])
    report.add("(E1) the larger market has n/n* > La/La* and exports the IRS good", ref.LARGER_EXPORTS, text,
               ok=ok)
    report.add("footnote 5: βx/α = θ/(1−θ) (= σ − 1)", ref.FOOTNOTE5, "σ − 1 (eq. 9)", ok=True,
               note="the scanned text prints 'ix/a'; it means βx/α, as rearranging eq. (9) gives")


def _figure_one(out_dir: Path) -> Path:
    """Figure 1: the balance of payments B(ω) of eq. (14) and its unique zero."""
    model = Krugman1980(2.0, 1.0, 4.0, 1.25)
    omega_star = float(solve(model)["omega"])
    omegas = jnp.linspace(0.8, 1.3, 200)
    # eq. (14) off the equilibrium: exports and imports at each ω, from the model's outcomes
    flows = jax.vmap(lambda u: model.outcomes({"log_omega": u}))(jnp.log(omegas))
    B = (flows["exports1"] - flows["imports1"]) / (model.L1 * model.L2)
    fig, ax = plot.figure()
    ax.plot(omegas, B, label="B(ω) / (L L*)")
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(omega_star, ls="--", color="C3", label=f"equilibrium ω = {omega_star:.4f}")
    ax.set_xlabel("relative wage ω = w/w*")
    ax.set_ylabel("balance of payments")
    ax.set_title("Krugman (1980) Fig. 1: L=2, L*=1, σ=4, g=0.8")
    ax.legend()
    return plot.save(fig, out_dir / "figure1_balance_of_payments.png")


def _figure_two(out_dir: Path) -> Path:
    """Figure 2: n/n* against λ = L/L* (eq. 25 with its corners)."""
    lam = jnp.linspace(0.05, 4.0, _DRAWS)  # the claims' batch size: their compiled sweep is reused
    f = lam / (1 + lam)
    fig, ax = plot.figure(width=7.2, height=3.8)
    for sigma, tau, color in [(4.0, 1.25, "C0"), (4.0, 1 / 0.7, "C1"), (3.0, 1 / 0.65, "C2")]:
        ones = jnp.ones_like(f)
        out = _mirror(f, sigma * ones, tau * ones)
        share = np.asarray(out["share_a1"])
        ratio = np.where(share < 1, share / np.maximum(1 - share, 1e-300), np.nan)
        d = tau ** (1 - sigma)
        ax.plot(lam, ratio, color=color, label=f"σ={sigma:g}, g={1 / tau:.2f} (δ={d:.3f})")
        ax.axvline(d, color=color, ls=":", lw=0.8)
        ax.axvline(1 / d, color=color, ls=":", lw=0.8)
    ax.plot(lam, lam, "k--", lw=0.8, label="n/n* = λ (no magnification)")
    ax.set_ylim(0, 6)
    ax.set_xlabel("relative home market λ = L/L*")
    ax.set_ylabel("n/n*")
    ax.set_title("Krugman (1980) Fig. 2: home-market effect\n(dotted: specialisation kinks at λ = δ, 1/δ)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)  # beside the curves
    return plot.save(fig, out_dir / "figure2_home_market_effect.png")


def _figures(ctx: Context) -> None:
    """Figures 1 and 2."""
    ctx.figure(_figure_one(ctx.out_dir))
    ctx.figure(_figure_two(ctx.out_dir))


PAPER = Paper(
    name="krugman1980",
    title="Krugman (1980): paper vs diffecon",
    reference=ref,
    sections=(Section("section_one", _section_one), Section("section_two", _section_two),
              Section("section_three", _section_three), Section("figures", _figures)),
    seed=1980,
)
