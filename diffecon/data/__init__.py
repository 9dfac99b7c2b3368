"""Bundled data sets and loaders for bilateral trade tables (provenance and licence: README.md)."""

from ._cp2015 import CP2015Data, load_cp2015, load_cp2015_nafta
from ._load import (
    check_trade,
    countries_of,
    country_values,
    load_trade,
    load_trade_sample,
    pair_matrices,
    pair_matrix,
)

__all__ = ["load_trade_sample", "load_trade", "check_trade", "pair_matrix", "pair_matrices",
           "country_values", "countries_of", "load_cp2015_nafta", "load_cp2015", "CP2015Data"]
