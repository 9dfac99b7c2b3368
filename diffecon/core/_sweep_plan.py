"""How a sweep is cut up: which parameter values each point gets, and how many points fit in
memory at once (the vmapped chunk and the per-call block)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._tree import check_field_names

# Multiplies the traced size of one residual evaluation to cover what XLA keeps alive around it
# (solver state, LU factors, the fallback's copies, fusion temporaries); measured peaks on the
# Krugman models sit well below this bound.
_SAFETY = 8
# The largest chunk chosen automatically: beyond this, per-chunk loop overhead is already
# negligible and bigger vmaps only cost memory.
_MAX_AUTO_CHUNK = 1 << 20
# On a CPU a chunk's temporaries should stay in cache, and a vmapped loop runs until its
# slowest point is done: chunks of ~1,000 points solved Krugman (1980) 1.5× faster than one
# chunk of 10^4 (measured, results unchanged). Accelerators want the widest chunks.
CPU_AUTO_CHUNK = 1 << 10


@dataclass(frozen=True)
class Points:
    """The batch of parameter values, without materialising it: `gather(idx)` builds the values
    of flat points `idx` (C order over `batch_shape`) only when they are needed.

    **Fields:** `values` (name -> array of shape `(batch dims..., *parameter_shape)`),
    `param_shapes`, `batch_shape`, `grid` (value `i` varies along batch axis `i` only), `traced`
    (some value is a JAX tracer: `sweep` is itself being traced).
    """

    values: Mapping[str, Any]
    param_shapes: Mapping[str, tuple[int, ...]]
    batch_shape: tuple[int, ...]
    grid: bool
    traced: bool

    @property
    def size(self) -> int:
        return math.prod(self.batch_shape)

    def gather(self, idx: np.ndarray, dtype: Any) -> dict[str, Any]:
        """Parameter values of flat points `idx`: name -> array `(len(idx), *parameter_shape)`."""
        axes = np.unravel_index(idx, self.batch_shape) if self.batch_shape else ()
        out = {}
        for i, (name, v) in enumerate(self.values.items()):
            ps = self.param_shapes[name]
            k = v.ndim - len(ps)  # number of batch dimensions of this value
            if self.grid:
                index = (axes[i],)
            else:
                mine = axes[len(axes) - k:] if k else ()
                index = tuple(a if n > 1 else np.zeros_like(a) for a, n in zip(mine, v.shape[:k]))
            if index:
                picked = v[index]
            else:  # a single value shared by every point
                picked = (jnp if self.traced else np).broadcast_to(v, (len(idx),) + ps)
            out[name] = picked.astype(dtype) if self.traced else np.asarray(picked, dtype=dtype)
        return out


def batch_points(model: Any, over: Mapping[str, Any], grid: bool) -> Points:
    """Validate `over` against `model`'s parameters and describe the batch it spans."""
    names = check_field_names(model, tuple(over), "over")
    traced = any(isinstance(over[n], jax.core.Tracer) for n in names)
    def to_array(name: str, v: Any) -> Any:
        if isinstance(v, jax.core.Tracer):
            return jnp.asarray(v, dtype=jnp.float64)
        try:
            if v is None or isinstance(v, (str, bytes)):
                raise TypeError
            array = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"over[{name!r}]={v!r} is not an array of numbers; parameter {name} takes float "
                "values (a list or array, one per point)."
            ) from None
        return jnp.asarray(array) if traced else array

    values = {n: to_array(n, over[n]) for n in names}
    param_shapes = {n: tuple(np.shape(getattr(model, n))) for n in names}
    for n in names:
        ps = param_shapes[n]
        if values[n].ndim < len(ps) or values[n].shape[values[n].ndim - len(ps):] != ps:
            raise ValueError(
                f"over[{n!r}] has shape {values[n].shape}; parameter {n} has shape {ps}, so its "
                f"values need shape (batch..., {', '.join(map(str, ps))})."
            )
    if grid:
        for n in names:
            if values[n].ndim != 1 + len(param_shapes[n]):
                raise ValueError(f"grid=True needs a 1-D list of values for {n!r}.")
        batch_shape = tuple(values[n].shape[0] for n in names)
    else:
        shapes = [values[n].shape[: values[n].ndim - len(param_shapes[n])] for n in names]
        try:
            batch_shape = tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise ValueError(
                "the arrays in `over` have batch shapes "
                + ", ".join(f"{n}: {s}" for n, s in zip(names, shapes))
                + " that do not broadcast together (pass grid=True for a Cartesian product)."
            ) from None
    return Points(values, param_shapes, batch_shape, grid, traced)


def _tree_size(tree: Any) -> int:
    return sum(math.prod(np.shape(leaf)) for leaf in jax.tree_util.tree_leaves(tree))


def _traced_size(fn: Any, *args: Any) -> int:
    """Number of scalars produced by all operations of `fn` (a bound on its live temporaries)."""
    jaxpr = jax.make_jaxpr(fn)(*args)
    return sum(math.prod(v.aval.shape) for eqn in jaxpr.eqns for v in eqn.outvars
               if hasattr(v.aval, "shape"))


def bytes_per_solve(model: Any, x0: Any, n_out: int, n_in: int, n_wrt: int, itemsize: int) -> int:
    """Estimated working memory of one vmapped solve, from the model's own sizes.

    Newton and the Levenberg–Marquardt fallback differentiate the residuals in forward mode
    (one tangent per unknown) and factor an n×n Jacobian; `wrt` adds one tangent per
    differentiated parameter. The residuals' traced size stands for everything they allocate.
    """
    n_x = _tree_size(x0)
    residual_size = _traced_size(model.residuals, x0) + n_x
    work = (n_x + 1 + n_wrt) * residual_size + 8 * n_x * n_x
    return itemsize * (_SAFETY * work + n_out + n_in)


def memory_budget(device: jax.Device) -> int:
    """Bytes one sweep may use on `device`: a quarter of an accelerator's memory limit, or on a
    CPU an eighth of the machine's RAM up to 2 GiB (the results themselves live in RAM too)."""
    try:
        stats = device.memory_stats() or {}
    except Exception:  # some backends do not implement memory statistics
        stats = {}
    if stats.get("bytes_limit"):
        return int(stats["bytes_limit"]) // 4
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 << 30
    return min(ram // 8, 2 << 30)


@dataclass(frozen=True)
class Plan:
    """How the batch is cut: `chunk` units per vmapped step on each device, `block` units per
    compiled call (a multiple of `chunk * n_devices`), `n_blocks` calls in all."""

    chunk: int
    block: int
    n_blocks: int


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def plan(n_units: int, n_devices: int, solve_bytes: int, io_bytes: int, budget: int,
         chunk: int | None, max_chunk: int | None = None) -> Plan:
    """Choose chunk and block so that one chunk's working memory and one block's inputs and
    outputs each take at most half of `budget` per device.

    **Arguments:** `n_units` (points, or paths with warm starts), `n_devices`, `solve_bytes`
    (working memory of one unit being solved), `io_bytes` (inputs + outputs of one unit),
    `budget` (bytes per device), `chunk` (the caller's override, or None), `max_chunk` (the
    largest automatic chunk; default `_MAX_AUTO_CHUNK`).
    """
    per_device = max(1, -(-n_units // n_devices))
    if chunk is None:
        cap = max(1, min(budget // 2 // max(solve_bytes, 1), max_chunk or _MAX_AUTO_CHUNK))
        chunk = -(-per_device // -(-per_device // cap))  # equal chunks: little padding
    step = chunk * n_devices
    fits = max(1, budget // 2 // max(io_bytes, 1)) * n_devices  # units per call, all devices
    block = min(max(step, fits // step * step), -(-n_units // step) * step)
    n_blocks = -(-n_units // block)
    block = -(-_ceil_div(n_units, n_blocks) // step) * step  # equal blocks, still ≤ the bound
    return Plan(chunk, block, -(-n_units // block))


def check_chunk(chunk: Any) -> int | None:
    if chunk is None:
        return None
    if int(chunk) != chunk or int(chunk) < 1:
        raise ValueError(f"chunk={chunk} must be a positive integer (or None for automatic).")
    return int(chunk)


def unit_shape(points: Points, warm_start: bool) -> tuple[tuple[int, ...], int]:
    """(shape of the independent units, points per unit): with warm starts a unit is a path
    along the last batch axis, otherwise a single point."""
    if not warm_start:
        return points.batch_shape, 1
    if not points.batch_shape:
        raise ValueError("warm_start=True needs at least one batch axis to walk along.")
    return points.batch_shape[:-1], points.batch_shape[-1]


def resolve_devices(devices: Any) -> Sequence[jax.Device] | None:
    """`None` -> default device; `"all"` -> every device (all hosts); int n -> the first n."""
    if devices is None:
        return None
    if isinstance(devices, str):
        if devices != "all":
            raise ValueError(f"devices={devices!r}: use None, 'all', a count or a list of devices.")
        return jax.devices()
    if isinstance(devices, int):
        available = jax.devices()
        if not 1 <= devices <= len(available):
            raise ValueError(f"devices={devices}: between 1 and {len(available)} devices are available.")
        return available[:devices]
    return list(devices)
