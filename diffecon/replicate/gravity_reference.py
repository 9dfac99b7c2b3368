"""Reference values for the gravity replication: USITC gegravity 0.3 (`OneSectorGE`, pip package,
MIT licence), with their sources.

gegravity's README example, run on its bundled sample data (30 countries, 2006): PPML estimates
with exporter and importer fixed effects (printed in the README to 7 digits), and the country
results of its experiment (CAN and JPN sign a PTA) with the cost coefficients as printed there
(lndist -0.3898623, contiguity 0.891577, common_language 0.0326249, pta 0.4711383,
international -3.412584, constant 16.32434), sigma = 5, reference importer DEU. The country results
were generated once with gegravity itself in a throwaway virtual environment (gegravity is not a
dependency); its README prints the CAN row to 6 decimals (-0.135770, 0.995835, 1.573180,
-1.939006), the same.
"""

CITATION = ("USITC gegravity 0.3 (Python package, MIT licence): OneSectorGE and the example in its README "
            "(sample data: 30 countries, 2006).")

COEF_SOURCE = "gegravity README, PPML estimates of its example (exporter + importer fixed effects), printed to 7 digits"
SE_SOURCE = "gegravity README, robust standard errors of its example's PPML estimates, printed to 7 digits"
CAN_JPN_SOURCE = ("gegravity 0.3 OneSectorGE output for its README experiment (CAN and JPN sign a PTA, σ = 5, "
                  "reference importer DEU), generated with gegravity itself; the README prints the CAN row")
INVARIANT_SOURCE = ("derived: a property every full-GE counterfactual has (exact fit of the observed baseline, "
                    "market clearing, world income as numeraire, deficits adding up, numeraire invariance)")
MAX_DIFFERENCE_SOURCE = "derived: the largest |diffecon − gegravity| over all 30 countries × 7 outcomes should be 0"
MONTE_CARLO_SOURCE = "derived: every Monte Carlo draw of the standard-error simulation should converge"

GEGRAVITY_VERSION = "0.3"

GEGRAVITY_COEF = {"lndist": -0.3898623, "contiguity": 0.891577, "common_language": 0.0326249,
                  "pta": 0.4711383, "international": -3.412584}
GEGRAVITY_SE = {"lndist": 0.0729915, "contiguity": 0.1327354, "common_language": 0.0840702,
                "pta": 0.1076578, "international": 0.2151235}

# country -> {outcome: value}; percent changes except welfare_statistic ((E/P)/(E'/P')).
GEGRAVITY_CAN_JPN = {
    "AUS": {"factory_gate_price_change": 0.004142882268, "imr_change": 0.0112491593, "welfare_statistic": 1.00007106, "foreign_exports_change": -0.08767847753, "foreign_imports_change": -0.03376019388, "intranational_trade_change": 0.01993986853, "gdp_change": -0.007105477724},
    "AUT": {"factory_gate_price_change": -0.002774453154, "imr_change": 0.002404915604, "welfare_statistic": 1.000051795, "foreign_exports_change": -0.034691061, "foreign_imports_change": -0.02644745288, "intranational_trade_change": -0.001602089939, "gdp_change": -0.005179244202},
    "BEL": {"factory_gate_price_change": -0.002051601439, "imr_change": 0.0003569703493, "welfare_statistic": 1.000024086, "foreign_exports_change": -0.03769805713, "foreign_imports_change": -0.03056363222, "intranational_trade_change": -0.01123887738, "gdp_change": -0.00240856319},
    "BRA": {"factory_gate_price_change": -0.005588117184, "imr_change": -9.164188378e-05, "welfare_statistic": 1.000054968, "foreign_exports_change": -0.08022832561, "foreign_imports_change": -0.06649723106, "intranational_trade_change": -0.005960476214, "gdp_change": -0.005496480338},
    "CAN": {"factory_gate_price_change": -0.1357699842, "imr_change": -0.5517236447, "welfare_statistic": 0.9958348083, "foreign_exports_change": 1.573180396, "foreign_imports_change": 1.504743646, "intranational_trade_change": -1.939005892, "gdp_change": 0.4182613071},
    "CHE": {"factory_gate_price_change": -0.002460580782, "imr_change": 0.001203979417, "welfare_statistic": 1.000036647, "foreign_exports_change": -0.03423190688, "foreign_imports_change": -0.02763295831, "intranational_trade_change": -0.007033274674, "gdp_change": -0.003664516079},
    "CHN": {"factory_gate_price_change": 0.009104296975, "imr_change": 0.01170049825, "welfare_statistic": 1.00002596, "foreign_exports_change": -0.03464059536, "foreign_imports_change": -0.06564313048, "intranational_trade_change": 0.01182155594, "gdp_change": -0.002595897539},
    "DEU": {"factory_gate_price_change": -0.002006924474, "imr_change": 0, "welfare_statistic": 1.00002007, "foreign_exports_change": -0.03599498259, "foreign_imports_change": -0.03491340387, "intranational_trade_change": -0.01275592994, "gdp_change": -0.002006924474},
    "DNK": {"factory_gate_price_change": -0.00389722945, "imr_change": 0.00287542041, "welfare_statistic": 1.000067729, "foreign_exports_change": -0.03968662968, "foreign_imports_change": -0.02900045615, "intranational_trade_change": 0.002525526156, "gdp_change": -0.006772455123},
    "ESP": {"factory_gate_price_change": -0.001934889469, "imr_change": 0.002281162501, "welfare_statistic": 1.000042161, "foreign_exports_change": -0.05298947535, "foreign_imports_change": -0.03341577293, "intranational_trade_change": -0.003776199195, "gdp_change": -0.004215955798},
    "FIN": {"factory_gate_price_change": -0.003592477406, "imr_change": 0.004142402329, "welfare_statistic": 1.000077352, "foreign_exports_change": -0.04483946983, "foreign_imports_change": -0.03508818948, "intranational_trade_change": 0.006983961072, "gdp_change": -0.007734559339},
    "FRA": {"factory_gate_price_change": -0.002335624811, "imr_change": 0.001069763378, "welfare_statistic": 1.000034055, "foreign_exports_change": -0.03947532777, "foreign_imports_change": -0.03055997313, "intranational_trade_change": -0.007819992229, "gdp_change": -0.00340535176},
    "GBR": {"factory_gate_price_change": -0.001575743238, "imr_change": 0.001519405867, "welfare_statistic": 1.000030952, "foreign_exports_change": -0.05780762084, "foreign_imports_change": -0.03546651917, "intranational_trade_change": -0.007541259835, "gdp_change": -0.003095102078},
    "HKG": {"factory_gate_price_change": 0.01982644453, "imr_change": 0.02082741011, "welfare_statistic": 1.000010008, "foreign_exports_change": -0.06997529766, "foreign_imports_change": 0.02286508537, "intranational_trade_change": 0.0268849879, "gdp_change": -0.001000757149},
    "IDN": {"factory_gate_price_change": 0.005021517632, "imr_change": 0.01283839093, "welfare_statistic": 1.000078165, "foreign_exports_change": -0.03905654828, "foreign_imports_change": -0.02475880598, "intranational_trade_change": 0.02453986211, "gdp_change": -0.007815869862},
    "IND": {"factory_gate_price_change": 0.004242158996, "imr_change": 0.009713569907, "welfare_statistic": 1.000054712, "foreign_exports_change": -0.04864675368, "foreign_imports_change": -0.03111567669, "intranational_trade_change": 0.01359854636, "gdp_change": -0.005470879493},
    "IRL": {"factory_gate_price_change": -0.005422401057, "imr_change": 0.0008502161627, "welfare_statistic": 1.00006273, "foreign_exports_change": -0.03977030049, "foreign_imports_change": -0.04087563539, "intranational_trade_change": -0.002524654592, "gdp_change": -0.00627256389},
    "ITA": {"factory_gate_price_change": -0.001909403121, "imr_change": 0.001119588351, "welfare_statistic": 1.00003029, "foreign_exports_change": -0.04449062801, "foreign_imports_change": -0.03625481175, "intranational_trade_change": -0.008473102783, "gdp_change": -0.00302895756},
    "JPN": {"factory_gate_price_change": 0.2453922573, "imr_change": 0.1915344149, "welfare_statistic": 0.99946274, "foreign_exports_change": 1.249639324, "foreign_imports_change": 2.348381177, "intranational_trade_change": 0.2587852016, "gdp_change": 0.05375488331},
    "KOR": {"factory_gate_price_change": 0.01420440265, "imr_change": 0.01850306203, "welfare_statistic": 1.00004298, "foreign_exports_change": -0.0434233452, "foreign_imports_change": -0.05091872065, "intranational_trade_change": 0.02883213673, "gdp_change": -0.004297864148},
    "MEX": {"factory_gate_price_change": -0.02020202333, "imr_change": -0.007386831783, "welfare_statistic": 1.000128178, "foreign_exports_change": -0.1038109775, "foreign_imports_change": -0.07810179315, "intranational_trade_change": -0.005910748182, "gdp_change": -0.01281613825},
    "MYS": {"factory_gate_price_change": 0.01097575499, "imr_change": 0.01912980628, "welfare_statistic": 1.000081532, "foreign_exports_change": -0.02598634517, "foreign_imports_change": -0.01758194483, "intranational_trade_change": 0.03779811053, "gdp_change": -0.008152491729},
    "NLD": {"factory_gate_price_change": -0.002382122012, "imr_change": 0.0008994098129, "welfare_statistic": 1.000032816, "foreign_exports_change": -0.03820281166, "foreign_imports_change": -0.03067774499, "intranational_trade_change": -0.008408355442, "gdp_change": -0.00328150231},
    "POL": {"factory_gate_price_change": -0.002574834508, "imr_change": 0.003155635364, "welfare_statistic": 1.000057306, "foreign_exports_change": -0.04206365869, "foreign_imports_change": -0.02958742495, "intranational_trade_change": 0.001001449826, "gdp_change": -0.005730289046},
    "SGP": {"factory_gate_price_change": 0.01102485986, "imr_change": 0.01345164205, "welfare_statistic": 1.000024265, "foreign_exports_change": -0.03723311146, "foreign_imports_change": -0.03566815447, "intranational_trade_change": 0.01498493508, "gdp_change": -0.002426455793},
    "SWE": {"factory_gate_price_change": -0.003574350877, "imr_change": 0.00279681726, "welfare_statistic": 1.000063714, "foreign_exports_change": -0.04506114331, "foreign_imports_change": -0.03803804087, "intranational_trade_change": 0.001565321561, "gdp_change": -0.006370989952},
    "THA": {"factory_gate_price_change": 0.005540576358, "imr_change": 0.01201615475, "welfare_statistic": 1.000064752, "foreign_exports_change": -0.03551896417, "foreign_imports_change": -0.02714815929, "intranational_trade_change": 0.02021229534, "gdp_change": -0.006474800373},
    "TUR": {"factory_gate_price_change": -0.0006610966178, "imr_change": 0.005405613234, "welfare_statistic": 1.000060667, "foreign_exports_change": -0.05209512045, "foreign_imports_change": -0.03213215897, "intranational_trade_change": 0.006173623905, "gdp_change": -0.006066381927},
    "USA": {"factory_gate_price_change": -0.04093889759, "imr_change": -0.03353027626, "welfare_statistic": 1.000074117, "foreign_exports_change": -0.3922752891, "foreign_imports_change": -0.1906727916, "intranational_trade_change": -0.06899585566, "gdp_change": -0.007411106301},
    "ZAF": {"factory_gate_price_change": -0.001113250946, "imr_change": 0.005743653226, "welfare_statistic": 1.00006857, "foreign_exports_change": -0.06057752069, "foreign_imports_change": -0.03978104675, "intranational_trade_change": 0.008430189938, "gdp_change": -0.006856510358},
}
