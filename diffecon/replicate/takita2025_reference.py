"""Reference values for the Takita (2025) replication, each with its source.

The paper prints no estimates: its results are closed forms (eqs 20-54), Tables 8-9 (regime
sequences) and statements in §4. Numbers in this module are either the paper's closed forms
evaluated at stated parameters, or the equilibrium of §2 (utility maximisation (1)-(12), pricing
and zero profit (13)-(17), market clearing (17)-(19)) solved at stated parameters by an
independent NumPy/SciPy solver that maximises utility numerically (not diffecon); each source
says which. Section, equation, table and figure numbers are the paper's.
"""

from ._protocol import Ref

CITATION = ("Takita, T. (2025). A Spatial Economic Approach to International Trade in High-Quality National "
            "Brand Goods and Regional Branding from Developing Countries.")

_SOLVED = ("derived: the equilibrium of §2 (eqs 1-19) solved by an independent NumPy/SciPy solver that "
           "maximises utility numerically, at σ = 4, μf = 0.5, μm = 1.5, f = m = 1 and the stated τ, β, Q, q")
ANCHOR_SOURCE = _SOLVED
SLOPE_SOURCE = _SOLVED + "; slopes by central finite differences of that solver"

# (parameters, {outcome: value}, {parameter: dL1/dparameter}); the other parameters are σ = 4,
# μf = 0.5, μm = 1.5, f = m = 1 (e = μf + (σ−1)(μm−1) = 2)
ANCHORS = [
    (dict(tau=1.3, beta=1.0, Q=1.0, q=0.6), dict(L1=0.7670843776, N1=0.1917710944, N2=0.0582289056,
     T11=0.5271455670, T21=0.0728544330, T12=0.2399388106, T22=0.1600611894, u1=-0.7950153752,
     u2=-0.9301704112), dict(q=2.6708437761)),
    (dict(tau=1.3, beta=1.0, Q=0.9, q=0.62), dict(L1=0.4946282153, N1=0.1236570538, N2=0.1331771587,
     T11=0.3938661136, T21=0.2261338864, T12=0.1007621017, T22=0.2792378983, u1=-0.8331936725,
     u2=-0.8043244360, c11=3.8530025509, c21=1.8505394974, c12=1.2371223046, c22=4.8468381537),
     dict(q=2.86675268, Q=3.74722996, tau=1.24430665, beta=-1.61759864)),
    (dict(tau=1.1, beta=1.25, Q=1.05, q=0.6), dict(L1=0.6373570581, T21=0.2585677496), dict(q=-5.6398693641)),
    (dict(tau=1.1, beta=1.25, Q=1.0, q=0.55), dict(L1=0.2360558569), dict(q=-5.2788828612)),
]

# the closed forms of §3 as printed: (statement, source)
FORMS = {
    "prices": Ref("p2/p1 = Q^μm", "§3.1, eqs (20)-(21)"),
    "output": Ref("x2/x1 = Q^(μf−μm)", "§3.1, eqs (24)-(25)"),
    "labour": Ref("l2/l1 = Q^μf", "§3.1, eqs (26)-(27)"),
    "L1": Ref("A q − (φ/h)/(1 − φ/h)", "§3.2, eq. (38); §4.3, eq. (51)"),
    "L2": Ref("1/(1 − φ/h) − A q", "§3.2, eq. (39); §4.3, eq. (52)"),
    "L1_Ak": Ref("A(q − k) + 1/2", "§4.3, eq. (51), with A and k defined below it"),
    "phi_above": Ref("a separate case for φ > 1", "§4.4, eqs (53)-(54)"),
    "firms": Ref("N = L/(labour per firm)", "§3.1, eqs (28)-(29)"),
    "c11": Ref("eq. (34)", "§3.1, eq. (34)"),
    "c21": Ref("eq. (35)", "§3.1, eq. (35)"),
    "c12": Ref("eq. (36)", "§3.1, eq. (36)"),
    "c22": Ref("eq. (37)", "§3.1, eq. (37)"),
    "volumes": Ref("eqs (42), (45)", "§3.2, eqs (42) and (45)"),
    "gdp": Ref("GDP = L", "§3.2, eqs (40)-(41)"),
    "T11": Ref("eq. (46)", "§3.2, eq. (46)"),
    "T21": Ref("eq. (47) (corrected)", "§3.2, eq. (47), with the typo corrected (see the row 'T21 as printed')"),
    "T12": Ref("eq. (48)", "§3.2, eq. (48)"),
    "T22": Ref("eq. (49)", "§3.2, eq. (49)"),
    "T21_printed": Ref("eq. (47)", "§3.2, eq. (47) as printed"),
    "identities": Ref("identities", "derived: adding up of eqs (46)-(49) (T11 + T21 = q, T12 + T22 = 1 − q) and "
                      "eqs (38), (40) (GDP1 = L1)"),
    "corners": Ref("no profitable entry", "derived: §4.3-4.4 corner regimes, L1 = 1 or 0 where eq. (51) leaves "
                   "[0, 1]; a firm entering the empty country makes a loss (eqs 30-33 at N_i = 0)"),
    "slope": Ref("A(φ, h)", "§4.3, eq. (51): the slope A(φ, h) of L1 in q"),
    "dL1_dh": Ref("h(Q): 'cultural impact index'", "§3.1, definition of h(Q) after eq. (29); the derivative "
                  "qφ/(1−φh)² + φ(1−q)/(h−φ)² is derived from eq. (51)"),
}
T21_PRINTED_AT = ("§3.2, eq. (47) as printed, evaluated at the stated τ, β, Q, q (σ = 4, μf = 0.5, μm = 1.5, "
                  "h = Q², φ = (τ/β)^(1−σ))")

TABLES = {8: "Table 8 (§4.3, φ < 1), the row for this band of Q",
          9: "Table 9 (§4.4, φ > 1), the row for this band of Q"}

# thresholds of §4.3-4.4 and Tables 8-9 (derived: the printed formula evaluated at the figures'
# parameters, φ = 0.4551661356 below 1 and 1.4674117205 above, e = 2)
_E = " evaluated at e = μf + (σ−1)(μm−1) = 2"
THRESHOLDS = {
    "hme_ends_below": "§4.3(1), sentence before item 1: complete agglomeration from q = 1/(1+φ), at φ = 0.455",
    "items_below": "§4.3(1), items 1-2: the threshold φ/(1+φ) as printed, at φ = 0.455",
    "rhme_ends_above": "§4.4(1), items 1-2: complete agglomeration in the small country from q = φ/(1+φ), at φ = 1.467",
    "t8_small": "Table 8, row Q = (2φ/(1+φ²))^(1/e) (§4.3(3)(a)), at φ = 0.455," + _E,
    "t8_equal": "Table 8, row Q = 1 (same quality)",
    "t8_large": "Table 8, last row, and §4.3(2)(a): Q = ((1+φ²)/(2φ))^(1/e), at φ = 0.455," + _E,
    "t8_large_printed": "§4.3(2)(b) as printed, exponent 1/(μf+(σ−1)(μm+1)) = 1/8, at φ = 0.455",
    "t9_small": "Table 9 and §4.4(3)(b): Q = (2φ/(1+φ²))^(1/e), at φ = 1.467," + _E,
    "t9_equal": "Table 9, row Q = 1 (same quality)",
    "t9_large": "Table 9 and §4.4(2)(b): Q = ((1+φ²)/(2φ))^(1/e), at φ = 1.467," + _E,
}

TYPOS = {
    "L2_equal": "§4.3(1), item 1: L2 as printed, +((1+φ)/(1−φ))(q − 1/2) + 1/2, evaluated at q = 0.6, φ = 0.455",
    "c21": "§2.3, eq. (10) as printed, evaluated at τ = 1.3, β = 1, Q = 0.9, q = 0.62 with N1, N2 from eqs (28)-(29)",
    "x2": "§2.4, eq. (17) as printed (zero-profit output), evaluated at σ = 4, Q = 0.9, μm = 1.5, f = m = w = 1",
    "price_index": Ref("exponent 1/ρ", "§3.1, eqs (22)-(23) as printed"),
    "output_claim": Ref("x2/x1 > 1", "§3.1, text after eq. (25): 'When 0 < μf < μm, Country 2's output exceeds "
                        "that of Country 1'"),
}
