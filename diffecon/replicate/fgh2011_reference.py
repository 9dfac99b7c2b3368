"""Reference values for the Fajgelbaum, Grossman and Helpman (2011) replication, with sources.

The paper prints its examples' parameters (footnotes 27 and 29) and draws Figures 1-3 from them,
but prints no numbers from its solutions. The numbers here were computed by an independent
NumPy/SciPy solver of the paper's equations (not diffecon), at the parameters of Figure 1
(footnote 27: N = 1000 in both countries, q = (0.9, 1.05), θ = (0.5, 0.7), f = (1.5, 5),
c = (0.05, 0.3), y − 1 Gamma (exponential) with scale 6 in R and 2 in P) or of Figure 2 (footnote
29: q = (0.75, 0.9), θ = (0.6, 0.6), f = (1.5, 20)); each source names the equations solved.
Pages are those of NBER Working Paper 15329.
"""

from ._protocol import Ref

CITATION = ("Fajgelbaum, P., Grossman, G. M. and Helpman, E. (2011). Income Distribution, Product Quality, and "
            "International Trade. NBER Working Paper 15329.")

_IND = "derived: independent NumPy/SciPy solve of "
_FIG1 = " at the parameters of Figure 1 (footnote 27, p. 19)"
_FIG2 = " at the parameters of Figure 2 (footnote 29, p. 20)"
_AUTARKY = _IND + "the autarky equilibrium (Section 3, eqs 7-11, p. 10)"

AUTARKY_N = {"R": (61.634073, 111.145067), "P": (122.826851, 89.115667)}
AUTARKY_S_H = {"R": 0.833588, "P": 0.668368}
AUTARKY_SOURCE = _AUTARKY + _FIG1
ELASTICITY_N = {"R": (0.6759, 1.0647), "P": (0.7025, 1.1476)}
ELASTICITY_SOURCE = (_AUTARKY + _FIG1 + "; its elasticity n̂_q/N̂ (the comparative statics of Section 3, p. 11; "
                     "Appendix 9.2)")
FIG2_AUTARKY_N = {"R": (442.981667, 5.646979), "P": (517.524452, 0.988055)}
FIG2_AUTARKY_SOURCE = _AUTARKY + _FIG2
INTEGER = Ref("n_H^P = 0.988 < 1", _AUTARKY + _FIG2 + "; the paper treats n as continuous (footnote 12)")
EQUAL_THETA = Ref(0.0, "Section 3, p. 11: with θ_H = θ_L 'the demand expansion would induce equiproportionate entry'")

CLAIMS = {
    "growth": Ref("n̂_H > N̂ > n̂_L", "Section 3, p. 11: n̂_H > N̂ > n̂_L when θ_H > θ_L (Assumption 1)"),
    "nL_negative": Ref("possible", "Section 3, p. 11: 'It is even possible that the number of low-quality "
                       "producers will fall (n̂_L < 0)'"),
    "growth_gain": Ref("richest gain", "Section 3, eq. (13), p. 12: under growth the richest group gains"),
    "fosd": Ref("n̂_H > 0 > n̂_L", "Section 3, p. 11: an upward (FOSD) shift of income raises n_H and lowers n_L"),
    "beta": Ref("d ln β_H/dy = q_H − q_a > 0", "Section 2.1, eq. (5), p. 7: β_H rises with income"),
    "mps": Ref("n_H↑ n_L↓", "Section 3, p. 11: a mean-preserving spread raises n_H and lowers n_L when the "
               "majority buys L at every income"),
    "markup": Ref("0.6667 > 0.5556", "derived: markups θ_q/q_q of Section 2.2, eq. (6), at Figure 1's θ and q "
                  "(footnote 27)"),
    "unique": Ref(0.0, "Proposition 1, p. 10: the autarky equilibrium is unique"),
    "fig1_gain": Ref("both gain, median more", "Section 4, p. 19, Figure 1: 'all consumers gain'; 'the rich gain "
                     "proportionately more than the poor'"),
    "fn28": Ref("diversified up to 0.8", "Section 4, p. 19, footnote 28: P specialises in L only for ρ_H > 0.8; "
                "below, Figure 1 uses the diversified equilibrium (15)-(16)"),
    "fig2_P": Ref("P's poorest lose", "Section 4, p. 20, text of Figure 2: 'the figures for the poor country look "
                  "qualitatively similar'"),
    "fig2_pattern": Ref("R both, P only L", _IND + "the general (complementarity) equilibrium" + _FIG2 +
                        " at ρ = (0.5, 0.8)"),
    "prop4": Ref("holds", "Section 5.2, Proposition 4, p. 23: its premise D_H^R > D_H^P and D_L^P > D_L^R"),
    "cor1ii": Ref("unique, R:H P:L", "Section 5.2, Corollary 1(ii), p. 23"),
    "cor1i": Ref("R makes both, P nothing", "Section 5.2, Corollary 1(i), p. 23"),
    "specialised": Ref("n_H↑ n_L↓, richest gain", "Section 5.2, eq. (19), p. 22: with specialisation a higher ρ_H "
                       "raises n_H and lowers n_L; the richest gain in both countries"),
    "fig3_regions": Ref("4 regions", "Section 4, p. 20-21, Figure 3: four patterns of specialisation"),
    "fig3_unique": Ref("unique", "Section 4, p. 20-21, Figure 3 (one pattern at every point)"),
    "fig3_corner": Ref("R only H, P only L", "Section 4, p. 20-21, Figure 3: 'if the cost of transporting both goods "
                       "is sufficiently small, each class of goods is produced in a single location'"),
    "prop2i": Ref("R exports H", "Section 4, Proposition 2(i), p. 16"),
    "prop3": Ref("ñ_q↑ ñ_q'↓", "Section 4, Proposition 3, p. 18"),
    "prop2ii": Ref("R: H out, L in", "Section 4, Proposition 2(ii), p. 16"),
    "prop2iii": Ref("R: H out, L in", "Section 4, Proposition 2(iii), p. 16"),
    "harm_poor": Ref("possible", "Section 4, p. 18: an equiproportionate increase in 1 + ρ_H and 1 + ρ_L 'can "
                     "harm the poor'"),
    "fn34": Ref("all gain", "Section 6, p. 26, footnote 34: 'A small tariff raises the average welfare of all "
                "income groups, for example, when the parameters take the values that were used to generate "
                "Figure 1'"),
    "tariff_n": Ref("n_H↑ n_L↓", "Section 6, p. 25, text after eq. (20): the tariff raises the number of "
                    "high-quality and lowers the number of low-quality varieties"),
    "prop5": Ref("threshold pattern", "Section 7.1, Proposition 5, p. 29"),
    "lemma2": Ref("rising", "Section 7.1, Lemma 2, p. 27"),
    "prop6": Ref("[[1,1,0],[0,0,0],[0,0,1]]", "Section 7.2, Proposition 6, p. 30 (one producer per quality, "
                 "richer countries make higher qualities); the pattern is what the proposition implies here"),
    "prop7": Ref("richer buy relatively more high q", "Section 7.2, Proposition 7 and Lemma 1, p. 27-30"),
}
NOTES = {
    "nL_negative": "the paper's possibility cannot occur with two qualities: n̂_L/N̂ > 0 in closed form",
    "fn28": "the paper's ρ_L = 0.5 sits on the boundary where R stops making L",
    "fn28_H": "paper prints 0.8; the independent solver gives 0.868206",
    "fig2_P": "not reproduced; W_P(median) = {:.4f}",
    "harm_poor": "not attainable with two qualities: it is a population scaling, which every income group gains from",
    "fn34": "not reproduced: the poorest lose",
}

# Figure 1 path along ρ_H (ρ_L = 0.5), from eqs (15)-(16): name -> values at ρ_H = 0, 0.2, 0.4, 0.6, 0.8
FIG1_PATH = {
    "ñ_H^R": (102.91895, 129.97995, 157.22022, 184.53139, 211.85958),
    "ñ_L^R": (126.72659, 104.23628, 87.63824, 75.00505, 65.13985),
    "n_L^R (16)": (5.95445, 1.96999, -0.07665, -1.15201, -1.71456),
    "n_H^P (16)": (74.64817, 77.93224, 77.19887, 69.29228, 36.44575),
    "W_R(y=1)": (100, 107.5534, 115.1668, 122.7654, 130.3090),
    "W_R(median)": (100, 111.1279, 121.9525, 132.4823, 142.7356),
}
FIG1_PATH_SOURCE = (_IND + "the diversified trade equilibrium, eqs (15)-(16) (Section 4, p. 15)" + _FIG1 +
                    " along ρ_H, ρ_L = 0.5 (the curves of Figure 1, p. 19); W = 100·v/v(ρ_H = 0) as in its "
                    "right panel")
_BOUNDARY = _IND + "eqs (15)-(16)" + _FIG1 + ": where n_{} from eq. (16) crosses zero"
FIG1_CROSS_L = Ref(0.389644, _BOUNDARY.format("L^R") + ", along ρ_H at ρ_L = 0.5")
FIG1_CROSS_H = Ref(0.868206, _BOUNDARY.format("H^P") + ", along ρ_H at ρ_L = 0.5; footnote 28 (p. 19) says 0.8")
FIG1_ACTUAL = Ref(130.43, _IND + "the general (complementarity) equilibrium" + _FIG1 +
                  " at ρ = (0.5, 0.8) (regime R: H, P: L and H); W_R(y=1) = 100·v/v(ρ_H = 0)")

FIG2_ENDS = {"nH0": 3.96378, "nH8": 11.82856, "nL0": 704.86926, "nL8": 642.28587,
             "W_poor": 98.4508, "W_median": 101.5690, "W_P_median": 100.6221}
FIG2_SOURCE = (_IND + "eqs (15)-(16)" + _FIG2 + " at ρ_H = 0 and 0.8, ρ_L = 0.5 (the curves of Figure 2, p. 20); "
               "W = 100·v/v(ρ_H = 0)")
FIG2_CROSS = Ref(0.149851, _BOUNDARY.format("H^P").replace(_FIG1, _FIG2) + ", along ρ_H at ρ_L = 0.5")
FIG2_ACTUAL = {"poor": 99.0862, "median": 100.7170}
FIG2_ACTUAL_SOURCE = (_IND + "the general (complementarity) equilibrium" + _FIG2 + " at ρ_H = 0 and 0.8, "
                      "ρ_L = 0.5; W = 100·v/v(ρ_H = 0)")

MARGINAL = {"Fig. 1": (-0.198, -0.263, -0.362), "Fig. 2": (0.0116, -0.0119, -0.387)}
MARGINAL_SOURCE = (_IND + "eqs (15)-(16) at ρ = (0.5, 0.4) with the parameters of {}; the derivative "
                   "d ln v^R/dτ_H of eq. (17) (Section 4, p. 17)")

INTEGRATED_N = {"n_L": 143.182279, "n_H": 215.121046}
INTEGRATED_SOURCE = (_IND + "the integrated world (Section 5.1, p. 21: one country with N = 2000 and the "
                     "mixture of both income distributions)" + _FIG1)
DEMAND = {(0, 0): 1.12497, (1, 0): 1.57503, (0, 1): 3.89978, (1, 1): 3.60022}
DEMAND_SOURCE = _IND + "eq. (18) (Section 5.1, p. 22) at the integrated equilibrium" + _FIG1
SPECIALISED = {"n_L^P": 145.48742, "n_H^R": 214.2912}
SPECIALISED_SOURCE = (_IND + "the specialised equilibrium (Section 5.2, eq. 19, p. 22: R makes H, P makes L)" +
                      _FIG1 + " at ρ = (0.95, 0.95)")

# Figure 3's boundaries: ρ_L* where n_L^R = 0 (by ρ_H) and ρ_H* where n_H^P = 0 (by ρ_L)
FIG3_L = {0.0: 0.5189, 0.2: 0.5074, 0.6: 0.4942, 0.8: 0.4902}
FIG3_H = {0.0: 0.9117, 0.1: 0.9030, 0.3: 0.8855, 0.45: 0.8725}
FIG3_SOURCE = (_IND + "eqs (15)-(16)" + _FIG1 + ": the boundaries of the regions of Figure 3 (p. 21), where "
               "n_{} from eq. (16) crosses zero")

TARIFF = {"total": -0.0984, "composition": -0.0113, "redistribution": -0.0872, "rich": 0.0434}
_TARIFF = (_IND + "the specialised equilibrium (R makes H, P makes L, ρ = 1) with a specific tariff t on R's "
           "imports (Section 6, eq. 20, p. 25)" + _FIG1 + "; ")
TARIFF_SOURCE = {
    "total": _TARIFF + "d ln v^R/dt at y = 1",
    "composition": _TARIFF + "the composition term of eq. (20) at y = 1",
    "redistribution": _TARIFF + "the redistribution term of eq. (20) at y = 1",
    "rich": _TARIFF.replace(_FIG1, _FIG1 + " but R's income U[6.5, 7.5]") + "d ln v^R/dt at y_min = 6.5",
}
EQ20_EXACT = "derived: eq. (20) (Section 6, p. 25), composition + redistribution, = the exact derivative"
REBATE = "derived: Section 6, p. 24: the tariff revenue rebated lump sum, r = t·s_L^R, at diffecon's s_L^R"
AD_VALOREM = ("derived: an ad-valorem rate a on the c.i.f. price p_L is the specific tariff a·p_L (Section 6 with "
              "eq. (6)'s fixed markups): d ln v/da = p_L × eq. (20)'s −0.0984")
AD_VALOREM_GAP = "derived: d ln v/da = p_L · d ln v/dt (chain rule through t = a·p_L)"
AD_VALOREM_SAME = "derived: a = t/p_L is the specific tariff t = 0.02 (Section 6): identical equilibria"
