"""Bundled data sets and loaders for bilateral trade tables (provenance and licence: README.md)."""

from ._load import check_trade, countries_of, load_trade, load_trade_sample, pair_matrices, pair_matrix

__all__ = ["load_trade_sample", "load_trade", "check_trade", "pair_matrix", "pair_matrices",
           "countries_of"]
