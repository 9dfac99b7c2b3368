"""Reference values for the Krugman (1980) replication, each with its source.

The paper prints no numbers: its results are closed forms (eqs 7-11, 13, 22-26), Figures 1-2
and statements in the text. Where a row needs a number, it is either a closed form evaluated at
stated parameters, or an equilibrium condition of the paper solved at stated parameters by an
independent NumPy/SciPy root finder (not diffecon); each source says which. Sections and
equation numbers are the paper's (AER 70(5), 1980, pp. 950-959).
"""

from ._protocol import Ref

CITATION = ("Krugman, P. (1980). Scale Economies, Product Differentiation, and the Pattern of Trade. "
            "American Economic Review 70(5), 950-959.")

_SOLVED = "derived: the balance of payments (14), B(ω) = 0, solved by an independent NumPy/SciPy root finder"

# Section I.B, the closed economy at L = 100, θ = 0.75 (σ = 4), α = β = 1
CLOSED = {
    "price": Ref(4 / 3, "Section I.B, eq. (7): p/w = β/θ, evaluated at β = 1, θ = 0.75"),
    "output": Ref(3.0, "Section I.B, eq. (9): x = αθ/(β(1−θ)), evaluated at α = β = 1, θ = 0.75"),
    "firms": Ref(25.0, "Section I.B, eq. (10): n = L(1−θ)/α, evaluated at L = 100, θ = 0.75, α = 1"),
}
FREE_TRADE_GAIN = Ref("2^{1/(σ−1)}", "Section I.C and eq. (11): n doubles with equal sizes; real wage w/P = "
                      "(w/p)·n^{1/(σ−1)} (derived from eqs (1), (7), (11))")
FREE_TRADE_IMPORTS = Ref("LL*/(L+L*)", "Section I.C, text after eq. (11): imports in wage units Ln*/(n+n*) = LL*/(L+L*)")

# Section II: (L, L*, σ, g, ω)
OMEGA = [
    Ref((2.0, 1.0, 4.0, 0.8, 1.045187825781616), _SOLVED),
    Ref((1.0, 2.0, 4.0, 0.8, 0.9567658323), _SOLVED),
    Ref((3.0, 1.0, 2.0, 0.5, 1.1601003235), _SOLVED),
    Ref((5.0, 1.0, 10.0, 0.9, 1.0488397818), _SOLVED),
    Ref((1.2, 1.0, 2.5, 0.3, 1.0372479311), _SOLVED),
]
_AT = "; real wages w/P from the CES price index of eq. (1) with p = wβ/θ (13), α = β = 1"
REAL_WAGE_HOME = Ref(0.6483934325, _SOLVED + " at L = 2, L* = 1, σ = 4, g = 0.8" + _AT)
REAL_WAGE_FOREIGN = Ref(0.5848598495, _SOLVED + " at L = 2, L* = 1, σ = 4, g = 0.8" + _AT)
IMPORTS = Ref(0.4728085305, _SOLVED + " at L = 2, L* = 1, σ = 4, g = 0.8; imports = first term of (14)")
LARGER_WAGE = Ref("ω > 1 ⇔ L > L*", "Section II.B, eq. (14′) and the text after it")
LARGER_REAL_WAGE = Ref("w/P > w*/P* ⇔ L > L*", "not stated in the paper; Section II.B's remark that workers "
                       "in the larger economy are better off (text after eq. (14′))")
BALANCED = Ref("EX = IM", "Section II.B, eq. (14): B(ω) = 0 at the equilibrium")
EQUAL_SIZES = Ref("ω = 1", "Section II.B, eq. (14′): B(1) = 0 iff L = L*")
DECREASING = Ref("decreasing", "Section II.B, text after eq. (14) and Figure 1: B(ω) falls in ω, so ω is unique")
G_LIMIT = Ref(3 ** (1 / 7), "derived: limit g → 0 of eq. (14), ω → (L/L*)^{1/(2σ−1)}, at L/L* = 3, σ = 4")

# Section III.B, mirror-image countries: eq. (25) n/n* = (λ − δ)/(1 − δλ), δ = g^{σ−1} (22)
_EQ25 = "Section III.B, eq. (25) with δ = g^{σ−1} (eq. 22), λ = f/(1−f) (eq. 21), evaluated at "
N_RATIO = {
    0.55: Ref(1.8978622328, _EQ25 + "σ = 4, g = 0.8, f = 0.55"),
    0.6: Ref(4.2586206897, _EQ25 + "σ = 4, g = 0.8, f = 0.6"),
}
SPECIALISED = Ref(0.0, "Section III.B, text after Figure 2: n* = 0 when L/L* > 1/δ (f = 0.7, σ = 4, g = 0.8)")
N_RATIO_LOW_SIGMA = Ref(1.2727272727, _EQ25 + "σ = 2, g = 0.5, f = 0.52")
SLOPE = Ref(5.2688091356, "derived: d(n/n*)/dλ = (1−δ²)/(1−δλ)² from eq. (25), at σ = 4, g = 0.8, f = 0.55")
SLOPE_AT_ONE = "derived: d(n/n*)/dλ at λ = 1 from eq. (25), (1+δ)/(1−δ), δ = 0.8³"
ELASTICITY = "derived: d ln(n/n*)/d ln λ from eq. (25), λ(1−δ²)/((λ−δ)(1−δλ)); zero error"
CORNERS = "derived: eq. (25) in (δ, 1/δ), n = 0 below δ, n* = 0 above 1/δ (Section III.B, text after Fig. 2)"
COMPLETE = Ref("λ ∉ (δ, 1/δ)", "Section III.B, text after eq. (25) and Figure 2")
NET_EXPORTER = Ref("sign B_a = sign(f − ½)", "Section III.B, eq. (26) and the text after it")
MIRROR_WAGES = Ref("ω = 1", "Section III.B, text before eq. (22): wages are equal in the mirror-image world")
ENTRANT = Ref("(L/δ + δL*)/(L + L*) < 1 ⇔ λ < δ", "Section III.B, the entrant's sales ratio after Figure 2 "
              "(garbled in print; re-derived from eqs (22)-(23))")

# Section III.C, arbitrary countries (stated in words only) and the outside good
_FREE = ("derived: the zero-profit conditions of eq. (23) for both industries and both countries plus the "
         "home labour market (Section III.C, first generalisation), solved by an independent NumPy/SciPy "
         "solver at La = .6, Lb = .5, La* = .4, Lb* = .5, σ = 4, g = .8, α = .25")
ARBITRARY = {
    "omega": Ref(1.0131007582, _FREE),
    "n_ratio": Ref(2.4018362083, _FREE),
    "net_exports": Ref(0.10644574, _FREE + "; B_a from eq. (26)'s first line"),
}
RELATIVE_DEMAND = Ref("B_a > 0 ⇔ La/Lb > La*/Lb*", "Section III.C, first generalisation: each country net-"
                      "exports the industry for whose goods it has the relatively larger demand")
SMALL_WAGE = Ref("ω < 1", "Section III.C, first generalisation: smaller countries with smaller markets for "
                 "both goods have lower wages")
_OUT = ("derived: the zero-profit conditions of eq. (23) with w = w* = 1 (Section III.C, second special case), "
        "n = (La − δLa*)/(ασ(1−δ)), at La = .6, La* = .4, σ = 4, g = .8, α = 1")
OUTSIDE = {"n": Ref(0.20245902, _OUT), "n_star": Ref(0.04754098, _OUT)}
LARGER_EXPORTS = Ref("n/n* > La/La*, B > 0", "Section III.C, second special case: the larger country net-"
                     "exports the goods produced under economies of scale")
FOOTNOTE5 = Ref("θ/(1−θ)", "footnote 5: βx/α = θ/(1−θ), from eq. (9)")
