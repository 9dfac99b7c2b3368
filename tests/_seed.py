"""The test suite's random draws: fresh every run, replayable from one run-wide seed."""

import os
import secrets
import zlib

import numpy as np

SEED_VARIABLE = "DIFFECON_TEST_SEED"


def run_seed() -> int:
    """The run-wide seed (drawn once per run unless `DIFFECON_TEST_SEED` is set)."""
    return int(os.environ.setdefault(SEED_VARIABLE, str(secrets.randbelow(2**32))))


def generator(label: str) -> np.random.Generator:
    """A generator for `label` (a test id, a fixture name), derived from the run-wide seed."""
    return np.random.default_rng(zlib.crc32(f"{run_seed()}:{label}".encode()))
