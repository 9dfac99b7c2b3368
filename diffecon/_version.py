"""The version of diffecon, defined here only (pyproject.toml reads it; so does `diffecon --version`)."""

__version__ = "0.2.0"
