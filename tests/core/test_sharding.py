"""sweep sharded over 4 virtual CPU devices gives the unsharded results.

The device count is fixed when JAX starts, so the sharded sweeps run in a subprocess started
with XLA_FLAGS=--xla_force_host_platform_device_count=4; it prints its comparisons as JSON.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

_SCRIPT = r"""
import json, sys
import jax, numpy as np
import diffecon as de
from diffecon.models import Krugman1980
sys.path.insert(0, ".")
from tests.core.toys import Cubic
from diffecon.core import _sharding

# Record how each compiled block's results are laid out across the devices.
layouts = []
_fetch = _sharding.fetch_batch
def recording_fetch(out, mesh):
    if "converged" in out:  # the final stage of a block (the first stage returns unknowns)
        v = out["converged"]
        layouts.append((len(v), sorted(len(s.data) for s in v.addressable_shards)))
    return _fetch(out, mesh)
_sharding.fetch_batch = recording_fetch

assert len(jax.devices()) == 4, jax.devices()
rng = np.random.default_rng(int(sys.argv[1]))
report = {}

def compare(name, model, over, **kw):
    one = de.sweep(model, over, **kw)
    layouts.clear()
    four = de.sweep(model, over, devices="all", **kw)
    report[name] = {
        "devices": four.devices, "blocks": four.blocks,
        # every block split in 4 equal per-device slices
        "split_evenly": all(shards == [n // 4] * 4 for n, shards in layouts) and len(layouts) == four.blocks,
        "keys_equal": sorted(one) == sorted(four),
        "max_abs_diff": max(float(np.max(np.abs(np.asarray(one[k], float) - np.asarray(four[k], float))))
                            for k in one),
        "converged_equal": bool(np.array_equal(one["converged"], four["converged"])),
        "n_converged": int(np.sum(four["converged"])), "size": int(np.size(four["converged"])),
    }

# 1,001 points: not a multiple of 4 devices, so padding is exercised.
k = {n: rng.uniform(lo, hi, 1001) for n, lo, hi in (("L1", .2, 5), ("tau", 1, 3), ("sigma", 1.5, 10))}
compare("krugman", Krugman1980(), k, of=["omega", "W1"])
# 6 warm-start paths of 25 points, one path per device and chunk, several blocks.
compare("cubic_grid_warm_blocks", Cubic(), {"a": rng.uniform(.5, 2, 6), "b": np.linspace(-9, 9, 25)},
        grid=True, of="x", wrt="b", warm_start=True, chunk=1, memory=2_000)
compare("cubic_float32", Cubic(), {"a": rng.uniform(.5, 2, 99), "b": rng.uniform(-9, 9, 99)},
        of="x", dtype="float32")
print("REPORT" + json.dumps(report))
"""


def test_sharded_sweeps_equal_unsharded_on_four_devices(rng):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(int(rng.integers(2**31)))],
        cwd=root, env=env, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    line = next(s for s in run.stdout.splitlines() if s.startswith("REPORT"))
    report = json.loads(line[len("REPORT"):])
    assert report["cubic_grid_warm_blocks"]["blocks"] > 1
    assert set(report) == {"krugman", "cubic_grid_warm_blocks", "cubic_float32"}
    for name, r in report.items():
        assert r["devices"] == 4 and r["split_evenly"], (name, r)
        assert r["keys_equal"] and r["converged_equal"], (name, r)
        assert r["n_converged"] == r["size"], (name, r)
        # float64 agrees to the last bits; float32 to a few ulps (XLA vectorises a chunk of 25
        # and one of 99 differently, and a converged Newton step moves by ~1 ulp).
        bound = 1e-5 if name.endswith("float32") else 1e-12
        assert r["max_abs_diff"] <= bound, (name, r)
