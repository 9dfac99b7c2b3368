"""Spreading a sweep's batch axis over devices (one host or many, via `jax.distributed`).

Each device solves its own slice of the batch (a one-axis mesh named "batch"); only inputs,
results and the batched loops' stopping tests move between devices. With several processes every
process builds the same block of inputs from the same `over` and hands JAX the slices its own
devices hold; results are gathered back to every process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AXIS = "batch"


def batch_mesh(devices: Sequence[jax.Device] | None) -> Mesh | None:
    """A one-axis mesh over `devices`, or None when there is nothing to shard over."""
    if devices is None or len(devices) < 2:
        return None
    return Mesh(np.asarray(devices), (AXIS,))


def shard_batch(fn: Callable[..., Any], mesh: Mesh | None) -> Callable[..., Any]:
    """`fn(replicated, batch)` run on each device's slice of `batch` (axis 0).

    The batch is viewed as (devices, local points) with the first axis sharded and `fn` vmapped
    over it, so XLA's partitioner gives every device its own slice. (`shard_map` would say the
    same more directly, but lineax's closure conversion rejects its per-device shapes.)
    """
    if mesh is None:
        return fn
    n = mesh.size
    spec = NamedSharding(mesh, PartitionSpec(AXIS))

    def sharded(replicated, batch):
        split = jax.tree_util.tree_map(lambda v: v.reshape((n, v.shape[0] // n) + v.shape[1:]), batch)
        out = jax.vmap(fn, in_axes=(None, 0))(replicated, jax.lax.with_sharding_constraint(split, spec))
        out = jax.lax.with_sharding_constraint(out, spec)
        return jax.tree_util.tree_map(lambda v: v.reshape((-1,) + v.shape[2:]), out)

    return sharded


def put_batch(points: dict[str, np.ndarray], mesh: Mesh | None) -> Any:
    """Place a block of inputs: as is on one device, split along axis 0 over a mesh."""
    if mesh is None:
        return points
    sharding = NamedSharding(mesh, PartitionSpec(AXIS))
    if jax.process_count() == 1:
        return jax.device_put(points, sharding)
    # Several hosts: each supplies only the slices that live on its own devices.
    return {
        n: jax.make_array_from_callback(v.shape, sharding, lambda index, v=v: v[index])
        for n, v in points.items()
    }


def fetch_batch(out: dict[str, jax.Array], mesh: Mesh | None) -> dict[str, Any]:
    """Results of one block where every process can read them (host arrays if multi-host)."""
    if mesh is None or jax.process_count() == 1:
        return out
    return {k: np.asarray(v) for k, v in multihost_utils.process_allgather(out, tiled=True).items()}
