"""Reference values for the Niem and Kim (2020) replication, each with its source.

Every number of Table 3 (§IV.C, S = 10, T = 2, a = 0.1, b = 4, z = 2, N = 2) as printed, three
decimals; the claims of Lemmas 1-3, Propositions 1-3 and Table 2; and the consumer surplus in the
convention of the paper's own formula (density Ψ/(b−1), Table 1 and Appendix A2), which Table 3
does not use (it tabulates (b−1) times that formula), computed by an independent NumPy/SciPy
solver of the two-stage game (not diffecon).
"""

from ._protocol import Ref

CITATION = ("Niem, L. D. and Kim, T. (2020). Trade of Vertically Differentiated Products, Quality Improvement, "
            "and Welfare. Seoul Journal of Economics 33(2).")

# Table 3 as printed: (row, column) -> (firm 2, firm 1)
TABLE3 = {
    "price": {"home": (2.430, 22.260), "foreign": (0.486, 4.452), "region": (2.917, 26.711)},
    "quality": {"home": (2.430, 12.637), "foreign": (0.486, 2.527), "region": (2.917, 15.164)},
    "avg_cost": {"home": (1.183, 12.907), "foreign": (0.237, 2.581), "region": (1.419, 15.489)},
    "consumer_surplus": {"home": (10.803, 314.528), "foreign": (0.432, 12.581), "region": (15.556, 452.921)},
    "producer_surplus": {"home": (3.921, 64.130), "foreign": (0.157, 2.565), "region": (5.646, 92.347)},
}
TABLE3_ROWS = {"price": "Optimal prices", "quality": "Optimal qualities", "avg_cost": "Averaged cost",
               "consumer_surplus": "Consumers' surplus", "producer_surplus": "Producers' surplus"}
TABLE3_COLUMNS = {"home": "Home (S = 10)", "foreign": "Foreign (printed 'T = 10')", "region": "Region (S+T = 12)"}


def table3_source(row: str, column: str, firm: int) -> str:
    """Where a cell of Table 3 is printed."""
    return f"Table 3 (§IV.C), row '{TABLE3_ROWS[row]}', column {TABLE3_COLUMNS[column]}, firm {firm}"


# Table 3's single numbers: label -> (value, row as printed)
TABLE3_SINGLE = {
    "welfare (autarky), Home S=10": Ref(393.382, "Table 3 (§IV.C), row 'Welfares (autarky)', Home"),
    "welfare (autarky), Foreign T=2": Ref(15.735, "Table 3 (§IV.C), row 'Welfares (autarky)', Foreign"),
    "welfare (autarky), Home + Foreign": Ref(409.117, "Table 3 (§IV.C), row 'Welfares (autarky)', Region"),
    "welfare (trade), Region": Ref(566.470, "Table 3 (§IV.C), row 'Welfares (trade)', Region"),
    "gain from trade, Region": Ref(157.353, "Table 3 (§IV.C), row 'Gains from trade', Region"),
    "gain, both firms in Foreign (ω = 0), Home": Ref(-2.984, "Table 3 (§IV.C), last row, Home"),
    "gain, both firms in Foreign (ω = 0), Foreign": Ref(160.337, "Table 3 (§IV.C), last row, Foreign"),
    "gain, both firms in Foreign (ω = 0), Region": Ref(157.353, "Table 3 (§IV.C), last row, Region"),
}

_FORMULA = ("derived: Table 3's welfare rows recomputed with the consumer surplus of the paper's formula "
            "(density Ψ/(b−1), Table 1, Appendix A2) by an independent NumPy/SciPy solver, S = 10, T = 2, "
            "a = 0.1, b = 4, z = 2")
FORMULA_CONVENTION = {
    "W_H autarky": Ref(176.4945, _FORMULA),
    "W_F autarky": Ref(7.0598, _FORMULA),
    "W_R trade": Ref(254.1521, _FORMULA),
    "regional gain": Ref(70.5978, _FORMULA),
    "Home gain, ω = 0": Ref(-46.3621, _FORMULA),
}

CLAIMS = {
    "home_loses": Ref("gain_H < 0", "§IV.C, text after Table 3: 'when both firms locate in Foreign, Home becomes "
                      "worse off'"),
    "quality_scaling": Ref("1/(z−1)", "Lemma 3 (§III) and Table 2: q_i and p_i scale with Ψ^{1/(z−1)}"),
    "boundaries": Ref("0", "Lemma 3 (§III): the market boundaries θ_i do not depend on the market size Ψ"),
    "surplus_scaling": Ref("z/(z−1)", "Table 2 (§IV) and Appendix A3: CS, PS and W scale with Ψ^{z/(z−1)}"),
    "ac_printed": Ref("z/(z−1)", "Table 2 (§IV) and Appendix A3: average cost printed as scaling with Ψ^{z/(z−1)}"),
    "ac_corrected": Ref("1/(z−1)", "derived: average cost = total cost Ψ^{z/(z−1)} over output Ψ (Appendix A3); "
                        "Table 3's Region/Home ratio 15.489/12.907 = 1.2 = 12/10"),
    "quality_rises": Ref("((S+T)/S)^{1/(z−1)}", "Proposition 2 (§IV) with Lemma 3: trade raises every quality "
                         "and average cost by ((S+T)/S)^{1/(z−1)}"),
    "regional_gain": Ref("> 0", "Proposition 3 (§IV): trade raises the welfare of the region"),
    "small_partner": Ref("< 0", "§IV.D (Discussion, third point) and Table 3's last row: a country may lose "
                         "from trade when its firms locate abroad"),
    "two_firms": Ref("N = 2", "Lemmas 1-2 (§III) and §IV.C: 'the market is covered by only two firms'"),
    "three_firms": Ref("—", "not in the paper, which treats N = 2 only"),
    "b_range": Ref(4.7125, "§IV.C, first paragraph: 'two firms because 2 < b < 4.7125' (citing Liao 2008)"),
}
B_RANGE_NOTE = ("typo: the covered corner needs b + 3a − 4 ≤ 3(1−a)t; it fails above b = 4.3572 (4.7302 at a = 0), "
                "computed by bisection on solves; Table 3's b = 4 is inside")
