"""Reference values for the Ara (2026) replication, each with its source.

The paper prints two numbers (R_Xi/E_Mi = 2.4 and 0.75); everything else it states as signs,
orderings and propositions, and its figures are drawn from its own numerical solution. The other
numbers here were computed by an independent NumPy/SciPy solver of the paper's equilibrium (the
13 conditions of §2.3-2.4 with the Pareto aggregates of Appendix A.1: zero-cutoff-profit (1),
free entry, labour markets and trade balance), not by diffecon; each source says what was
computed and at which parameters. The baseline parameters are those of Figures 1-4 (§3.4):
σ = 4, k = 5, τ_X = 1.3, f_D = 1, f_X = 1.4, f_DM = 1.4, f_XM = 1.2, f_E = 2.5, L2 = 1, with
τ_M = 1.5 ("P_A", Figures 1, 2, 4) or τ_M = 1.1 ("P_B", Figures 3, 4, A.1).
"""

from ._protocol import Ref

CITATION = "Ara, T. (2026). Market Size, Firm Sourcing, and Vertical Specialization."

_IND = "derived: independent NumPy/SciPy solve of the equilibrium (§2.3-2.4, Appendix A.1)"
_SYM = _IND + " at the symmetric point L1 = L2 = 1, τ_M = {}"

# numbers the paper prints
RX_EM_A = Ref(2.4, "§3.4, text after Figure 1: 'Assumption 1 is satisfied (R_Xi/E_Mi = 2.4)' (τ_M = 1.5)")
RX_EM_B = Ref(0.75, "§3.5, text before Figure 3: 'Assumption 1 no longer holds (R_Xi/E_Mi = 0.75)' (τ_M = 1.1)")
RX_EM_NOTE = {1.5: "paper prints one decimal; the independent solver gives 2.4066068",
              1.1: "paper prints two decimals; the independent solver gives 0.7518914"}
SYMMETRY_OMEGA = Ref(1.0, "§3.4, text after Figure 1: R_X and ω 'coincide at (1, 1) under country symmetry'")
SYMMETRY_RX = Ref(1.0, "§3.4, text after Figure 1: R_X and ω 'coincide at (1, 1) under country symmetry'")

# symmetric equilibrium levels (formal Pareto), by τ_M
SYMMETRIC = {
    1.5: dict(alpha_X1=4.4815142, alpha_M1=8.8938871, theta1=1.8049551, phi_D1=0.9589935,
              phi_DM1=1.6092231, phi_X1=1.3946600, phi_XM1=1.9872112, B1=1.1338433, W1=0.4530960,
              P1=2.2070376),
    1.1: dict(alpha_X1=4.1182000, alpha_M1=1.8862478, theta1=0.5639185, phi_D1=1.0221334,
              phi_DM1=1.2577942, phi_X1=1.4864841, phi_XM1=1.5532357, B1=0.9364343, W1=0.4829278,
              P1=2.0707031),
}
SYMMETRIC_SOURCE = {t: _SYM.format(t) for t in SYMMETRIC}

# elasticities d ln/d ln L at symmetry, and the slopes of eqs (12), (19), (20)
_AT_SYM = _IND + "; {} at the symmetric point, τ_M = {}"
HATS = {"omega": {1.5: 0.0426769, 1.1: -0.0362613}, "W": {1.5: 0.3142277, 1.1: 0.3231005}}
HAT_FORMULA = {"omega": "eq. (21), ω̂/L̂ = Φ_L/(Ψ_ω − Φ_ω),", "W": "eq. (22), Ŵ/L̂,"}
A_COEF = {1.5: 0.2238402, 1.1: -0.1410982}
PHI_OMEGA = {1.5: -20.937511, 1.1: -11.237127}
PSI_OMEGA = {1.5: 15.955140, 1.1: -56.502937}
SLOPE_SOURCE = {"A": "the coefficient A of eq. (12) (§3.6, before eq. 22)",
                "Phi_omega": "the slope Φ_ω of the LMC curve (19) (Appendix A.2.4)",
                "Psi_omega": "the slope Ψ_ω of the TB curve (20) (Appendix A.2.4)"}


def at_symmetry(what: str, tau_m: float) -> str:
    """The source of a value computed by the independent solver at symmetry."""
    return _AT_SYM.format(what, tau_m)


# eq. (8) at the asymmetric point L1 = 1.3: (d ln φ_D1/d ln ω, d ln φ_D2/d ln ω, Ξ)
EQ8 = {1.5: (-0.1943805, 0.2555315, 62.0806), 1.1: (0.1233038, -0.1587855, 5.0755)}
EQ8_SOURCE = _IND + " at L1 = 1.3, τ_M = {}; eq. (8)'s coefficients evaluated there"

# derived comparisons: a formula of the paper evaluated at diffecon's solved levels
FORMULA = {
    "eq21": "derived: eq. (21) evaluated at diffecon's solved levels",
    "eq22": "derived: eq. (22) evaluated at diffecon's solved levels",
    "eq12": "derived: eq. (12), φ̂_D1 = −A ω̂, evaluated at diffecon's solved levels",
    "closed": "derived: the ratios' definitions (§2.4) differentiated with eqs (8), (12), (21) at diffecon's levels",
    "eq8_times": "derived: eq. (8) coefficient × diffecon's ω̂ at L1 = 1.3",
    "zcp": Ref("max |formula − diffecon| < 1e-9", "derived: the zero-cutoff-profit conditions (1) differentiated "
               "(Appendix A.2.3, eqs A.13-A.14, with A.14's coefficient of φ̂_XM1 corrected) at L1 = 1.3"),
    "eq6": "derived: eq. (6) (final goods only, §3.1; proof A.2.1) evaluated at diffecon's solved levels",
    "eq7": "derived: eq. (7) (inputs only, §3.1; proof A.2.2) evaluated at diffecon's solved levels",
}

# the paper's statements
CLAIMS = {
    "omega_sign": Ref("+ / −", "§3.6, eq. (21) and Figure 4(a): ω rises with L under Assumption 1 (τ_M = 1.5), "
                      "falls when it fails (τ_M = 1.1)"),
    "W_sign": Ref("+ / +", "§3.6, eq. (22) and Figure 4(b): relative welfare increases in relative market size for "
                  "both τ_M"),
    "eq10": Ref("holds", "§3.2, eq. (10) and Proposition 1"),
    "eq11": Ref("holds", "§3.2, eq. (11) and Proposition 1"),
    "D_both": Ref("holds", "§3.2, text after eq. (8): φ̂_D1 and φ̂_D2 move in opposite directions"),
    "prop2": Ref("− / + / + / +", "§3.3, Proposition 2 and Figure 2"),
    "prop3": Ref("+ / − / − / +", "§3.3, Proposition 3"),
    "flip": Ref("− / + / + / −", "§3.5, Figure A.1 and its text: Proposition 3's signs reverse when Assumption 1 "
                "fails"),
    "figA1": Ref("+ / + / + / −", "§3.5, text after Figure 3 and Figure A.1(a)-(b)"),
    "RX_steeper": Ref("1.1 steeper", "§3.5, text after Figure 3: 'both R_X and E_M become more responsive to L'"),
    "EM_steeper": Ref("1.1 steeper", "§3.5, text after Figure 3: 'both R_X and E_M become more responsive to L'"),
    "W_steeper": Ref("1.5 steeper", "§3.6, text after eq. (22), Figure 4(b): 'When input trade costs are high "
                     "(τ_M = 1.5), the welfare gain from market size is larger'"),
    "gap_smaller": Ref("smaller at τ_M = 1.1", "§3.6, text after eq. (22): Ψ_ω − Φ_ω 'becomes smaller in absolute "
                       "value' when Assumption 1 fails"),
    "polar_final": Ref("holds", "§3.1, eq. (6) and the text after it (final goods only)"),
    "polar_inputs": Ref("holds", "§3.1, eq. (7) and the text after it (inputs only)"),
}
EM_CROSSINGS = Ref("0.5842, 1.7117", _IND + " along L at τ_M = 1.1 and 1.5 (global traces); where the two E_M(L) "
                   "curves cross besides L = 1")
EM_NOTE = ("contradicts the paper's prose: at L = 1 E_M is less responsive at τ_M = 1.1 (1.5405 vs 1.6387); "
           "the τ_M = 1.1 curve is steeper only outside L ∈ (0.584, 1.712)")
W_NOTE = ("contradicts the paper's prose: d ln W/d ln L is 0.31423 at τ_M = 1.5 and 0.32310 at 1.1; also under "
          "exact Pareto (0.311545). The model is not bent to the text")
GAP_NOTE = "contradicts the paper's argument for Fig. 4(b): 36.89 vs 45.27"
CLAIM_NOTES = {
    "eq10": "independent solver: −0.0522297, −0.0095528, +0.0237784, +0.0664553",
    "prop2": "independent solver: −0.478890, +0.478890, +0.680915, +1.638696",
    "prop3": "independent solver: α_X1 +0.373181, α_M1 −0.193329",
    "figA1": "independent solver: +2.048868, +1.540526, +0.254171",
}

# d ln ω/d ln L at symmetry along τ_M
TAU_SWEEP = {1.06: -0.056474, 1.10: -0.036261, 1.15: -0.016098, 1.25: 0.011572, 1.30: 0.020982,
             1.50: 0.042677, 2.00: 0.057915, 5.00: 0.062493}
TAU_SWEEP_SOURCE = _IND + "; eq. (21) at the symmetric point, τ_M = {:g}"
TAU_STAR = Ref(1.2018575866, _IND + ": the τ_M at which R_Xi/E_Mi = 1 at symmetry (Assumption 1's boundary, §3.2)")
AT_TAU_STAR = Ref("0 and 1/3", "derived: at R_X/E_M = 1, θ = ρ (Assumption 1's boundary) so Ψ_ω is infinite in "
                  "eq. (21), ω̂ = 0, and eq. (22) gives Ŵ = L̂/(σ−1)")

# global traces (ω, W1/W2, R_X, E_M) along L1 (L2 = 1), by τ_M
TRACES = {
    1.5: {0.5: (0.971439, 0.804181, 0.604084, 0.315107), 0.8: (0.990542, 0.932280, 0.858162, 0.693336),
          1.25: (1.009548, 1.072639, 1.165281, 1.442303), 1.5: (1.017330, 1.135909, 1.326155, 1.950295),
          2.0: (1.029401, 1.243501, 1.655400, 3.173527)},
    1.1: {0.5: (1.024503, 0.799137, 0.212153, 0.297860), 0.8: (1.008092, 0.930431, 0.630824, 0.706277),
          1.25: (0.991973, 1.074770, 1.585229, 1.415876), 1.5: (0.985593, 1.140037, 2.346804, 1.914825),
          2.0: (0.976083, 1.251351, 4.713583, 3.357284)},
}
TRACE_SOURCE = _IND + " at L1 = {:g}, τ_M = {} (the curves of Figures 2, 4 and A.1), continued from L1 = 1"

# where the interior equilibrium exists: θ_i = ρ at the ends (the smaller country's final sector vanishes)
INTERIOR = {1.5: (0.12351, 8.09649), 1.1: (0.28433, 3.51703)}
INTERIOR_SOURCE = (_IND + ", τ_M = {}: the L1 at which the smaller country's final-good sales reach zero "
                   "(θ_i = ρ in eq. (20)), by root finding on the reduced system (19)-(20)")
EDGES = Ref("converges inside, fails outside", "derived: the interior range of L1 (rows 'interior range of L'); "
            "outside it the smaller country's final-good sector vanishes, which the paper's interior system "
            "(§2.4) does not describe")
PARETO_SUPPORT = Ref("not discussed", "the paper's Pareto closed forms (§3.3, Appendix A.1) assume every cutoff "
                     "is above the Pareto minimum φ_min = 1; it does not check it")
EXACT = {"φ_D": 0.957797, "α_X": 4.146480, "R_X/E_M": 2.406607, "d ln ω/d ln L": 0.043985, "d ln W/d ln L": 0.311545}
EXACT_SOURCE = _IND + " with the Pareto integrals truncated at φ_min (exact Pareto), symmetric point, τ_M = 1.5"
POLAR = {"final_only": Ref(0.062540, _IND + " of the final-goods-only case (§3.1, eq. 6), symmetric point"),
         "inputs_only": Ref(-0.099523, _IND + " of the inputs-only case (§3.1, eq. 7), symmetric point, τ_M = 1.5")}

# points on the LMC curve Φ (19) and the TB curve Ψ (20): (ω, Φ, Ψ), at L = 1
CURVES = {1: (1.5, ((0.98, 1.528657, 0.714793), (1.02, 0.659725, 1.388986))),
          3: (1.1, ((0.98, 1.255076, 3.451465), (1.02, 0.800363, 0.298240)))}
CURVE_SOURCE = ("derived: eq. ({}) (the {} curve of Figure {}) at ω = {}, L = 1, τ_M = {}, with α_Xi and θ_i "
                "from the Pareto aggregates (Appendix A.1) computed independently in NumPy/SciPy")
