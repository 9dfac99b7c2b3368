"""`sweep`: solve a model at many parameter values in one compiled, batched call.

The batch is solved in memory-bounded pieces: a *chunk* of points is vmapped at a time
(`lax.map`), a *block* of chunks is one compiled call, and batches larger than a block are
streamed through the same compiled function block by block, the results collected on the host.
The batch axis can be sharded over devices (`devices=`), across hosts with `jax.distributed`.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _reasons, _sharding
from ._model import AbstractModel as Model
from ._model import initial_guess, requirements_ok
from ._solve import Equilibrium, fallback_stage, find_traced, finish, first_stage
from ._solver import Solver, as_solver
from ._statics import Of, OutcomeSelector, outcome_selector
from ._sweep_plan import (
    CPU_AUTO_CHUNK,
    batch_points,
    bytes_per_solve,
    check_chunk,
    memory_budget,
    plan,
    resolve_devices,
    unit_shape,
)
from ._tree import check_field_names, replace_fields
from .progress import ProgressBar

__all__ = ["sweep", "SweepResult"]

class SweepResult(dict):
    """The outcome arrays of `sweep` (a dict), with how they were computed as attributes.

    **Attributes:** `dtype` ("float64" or "float32": the precision every float array was
    computed in), `chunk` (points, or paths with warm starts, vmapped at once per device),
    `blocks` (compiled calls made), `devices` (devices the batch was sharded over),
    `warm_start`, and `tol` (the residual tolerance behind `converged`).
    """

    def __init__(self, arrays: Mapping[str, Any], **info: Any):
        super().__init__(arrays)
        self.info = dict(info)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["info"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"SweepResult({dict.__repr__(self)}, {self.info})"

    def reasons(self) -> np.ndarray:
        """Every point's reason in words (an object array of the batch's shape)."""
        codes = np.asarray(self["reason"])
        words = {int(c): self.explain(int(c)) for c in np.unique(codes)}
        return np.vectorize(words.__getitem__, otypes=[object])(codes) if codes.size else codes.astype(object)

    def explain(self, code: int) -> str:
        """One reason code in words (the model's parameter and validity names)."""
        return dict(self.info["reason_words"]).get(int(code), f"reason code {int(code)}")

    def failures(self) -> dict[str, int]:
        """How many points failed for each reason (an empty dict when all converged)."""
        codes = np.asarray(self["reason"]).ravel()
        unique, counts = np.unique(codes[codes != _reasons.CONVERGED], return_counts=True)
        return {self.explain(int(c)): int(n) for c, n in zip(unique, counts)}


def _flatten_result(r: SweepResult):
    keys = tuple(sorted(r))
    return tuple((jax.tree_util.DictKey(k), r[k]) for k in keys), (keys, tuple(r.info.items()))


# A pytree like a dict, so `jax.block_until_ready`, `tree_map` and jit outputs see the arrays.
jax.tree_util.register_pytree_with_keys(
    SweepResult, _flatten_result,
    lambda aux, leaves: SweepResult(dict(zip(aux[0], leaves)), **dict(aux[1])),
)


@dataclass(frozen=True)
class _Config:
    """Everything static about a sweep's compiled function (hashed by `filter_jit`)."""

    select: OutcomeSelector
    wrt: tuple[str, ...]
    chunk: int
    warm_start: bool
    mesh: Any
    solver: Solver
    guess_each: bool = True  # start each point (or path) at its own `model.guess()`


def _point_outputs(model: Model, params: Mapping[str, Any], flat: Any, x0: Any, steps: Any,
                   config: _Config) -> dict:
    """Selected outcomes, derivatives and flags of one point at the unknowns found.

    Nothing here raises: a point that did not converge gets NaN values and derivatives and
    its reason code; a converged point whose derivative is not finite (a singular Jacobian)
    keeps its values, gets NaN derivatives and the reason `DERIVATIVE_UNDEFINED`.
    """
    model = replace_fields(model, params)

    def solved(theta):
        eq = finish(replace_fields(model, theta), flat, x0, config.solver, steps)
        values = config.select(eq)
        floats = {k: v for k, v in values.items() if jnp.issubdtype(v.dtype, jnp.inexact)}
        return floats, (values, eq)

    if config.wrt:
        jac, (values, eq) = jax.jacfwd(solved, has_aux=True)({n: getattr(model, n) for n in config.wrt})
        derivatives = {f"d{k}/d{n}": jac[k][n] for k in jac for n in config.wrt}
    else:
        _, (values, eq) = solved({})
        derivatives = {}
    ok = eq.converged
    defined = jnp.all(jnp.stack([jnp.all(jnp.isfinite(d)) for d in derivatives.values()]
                                or [jnp.asarray(True)]))
    reason = jnp.where(ok & ~defined, _reasons.DERIVATIVE_UNDEFINED, eq.reason).astype(jnp.int32)
    nan = lambda v: jnp.where(ok, v, jnp.nan) if jnp.issubdtype(v.dtype, jnp.inexact) else v  # noqa: E731
    values = {k: nan(v) for k, v in values.items()}
    derivatives = {k: jnp.where(ok & jnp.isfinite(d), d, jnp.nan) for k, d in derivatives.items()}
    return {**values, **derivatives, "converged": ok, "reason": reason,
            "residual_norm": eq.residual_norm, "steps": eq.steps}


def _start(model: Model, params: Mapping[str, Any], x0: Any, config: _Config) -> Any:
    # The guess at the point's own parameters (often a closed form) beats the base model's.
    return replace_fields(model, params).guess() if config.guess_each else x0


def _solve_chunk(model: Model, x0: Any, points: dict, config: _Config) -> dict:
    """One vmapped chunk: Newton for all, the fallback only when some point needs it."""
    solver = config.solver
    models = jax.vmap(lambda p: replace_fields(model, p))(points)
    starts = jax.vmap(lambda p: _start(model, p, x0, config))(points)
    flat, ok, steps = jax.vmap(lambda m, s: first_stage(m, s, solver))(models, starts)

    def fallback():
        found, more = jax.vmap(lambda m, s, f, o: fallback_stage(m, s, f, o, solver))(
            models, starts, flat, ok)
        return jnp.where(ok[:, None], flat, found), steps + jnp.where(ok, 0, more)

    # An unbatched predicate: a chunk where every point converged skips the fallback entirely
    # (under vmap a per-point `cond` would become a `select` and run it for every point).
    found, steps = jax.lax.cond(jnp.all(ok), lambda: (flat, steps), fallback)
    return jax.vmap(lambda p, f, s, k: _point_outputs(model, p, f, s, k, config))(
        points, found, starts, steps)


def _chunked(fn: Any, batch: dict, chunk: int) -> Any:
    """`fn` (vmapped over a chunk) applied `chunk` points at a time over the batch's axis 0."""
    n = jax.tree_util.tree_leaves(batch)[0].shape[0]
    split = jax.tree_util.tree_map(lambda v: v.reshape((n // chunk, chunk) + v.shape[1:]), batch)
    out = jax.lax.map(fn, split)
    return jax.tree_util.tree_map(lambda v: v.reshape((n,) + v.shape[2:]), out)


def _params(batch: dict) -> dict:
    return {k: v for k, v in batch.items() if not k.startswith("__")}


@eqx.filter_jit
def _first_block(model: Model, x0: Any, batch: dict, config: _Config) -> dict:
    """Stage 1 of a staged sweep: the root finder at every point, and the outcomes,
    derivatives and flags at what it found, in one program (nothing of the fallback compiled).
    `__ok` says where the root finder itself succeeded; elsewhere stage 2 replaces the rest."""
    dynamic, static = eqx.partition((model, x0), eqx.is_array)

    def local(dynamic, batch):
        m, x = eqx.combine(dynamic, static)

        def chunk_fn(p):
            def one(p):
                start = _start(m, p, x, config)
                flat, ok, steps = first_stage(replace_fields(m, p), start, config.solver)
                return {**_point_outputs(m, p, flat, start, steps, config), "__ok": ok}

            return jax.vmap(one)(p)

        return _chunked(chunk_fn, _params(batch), config.chunk)

    return _sharding.shard_batch(local, config.mesh)(dynamic, batch)


@eqx.filter_jit
def _fallback_block(model: Model, x0: Any, batch: dict, config: _Config) -> dict:
    """Stage 2, on the compacted failures of stage 1 only: the fallback from each point's
    start, then its outcomes, derivatives and flags (`__steps`: stage 1's steps)."""

    def chunk_fn(b):
        def one(b):
            p = _params(b)
            m = replace_fields(model, p)
            start = _start(model, p, x0, config)
            flat0 = ravel_pytree(start)[0]
            flat, more = fallback_stage(m, start, flat0, jnp.zeros((), bool), config.solver)
            return _point_outputs(model, p, flat, start, b["__steps"] + more, config)

        return jax.vmap(one)(b)

    return _chunked(chunk_fn, batch, config.chunk)


def _staged_block(model: Model, x0: Any, block: dict, config: _Config, report: Any) -> dict:
    """One block in at most two compiled stages: the root finder with the outcomes at every
    point, then the fallback only on the points that need it, gathered into a compact batch
    (padded to a power of two, so few sizes are compiled) and scattered back.
    `report(stage, compiling)` names each stage as it starts (host side only: no added syncs)."""
    mesh = config.mesh
    stage = "solve, outcomes and derivatives" if config.wrt else "solve and outcomes"
    report(stage, True)
    out = _first_block(model, x0, _sharding.put_batch(block, mesh), config)
    report(stage, False)
    out = dict(out)
    # Only the flags come to the host here (every process, when several share the batch); the
    # results stay where they are unless some point needs the fallback.
    ok = np.asarray(_sharding.fetch_batch({"__ok": out.pop("__ok")}, mesh)["__ok"])
    failed = np.flatnonzero(~ok)
    if failed.size and config.solver.fallback != "none":
        out = dict(_sharding.fetch_batch(out, mesh))
        size = min(max(8, 1 << int(np.ceil(np.log2(failed.size)))), ok.size)
        size = -(-size // config.chunk) * config.chunk if size >= config.chunk else size
        pad = np.resize(failed, size)
        compact = {k: np.asarray(v)[pad] for k, v in block.items()}
        compact["__steps"] = np.asarray(out["steps"])[pad]
        sub = _Config(config.select, config.wrt, min(config.chunk, size), False, None,
                      config.solver, config.guess_each)
        stage = f"fallback on {failed.size:,} points"
        report(stage, True)
        again = _fallback_block(model, x0, compact, sub)
        report(stage, False)
        merged = {}
        for k, v in out.items():
            host = np.array(v)
            host[failed] = np.asarray(again[k])[: failed.size]
            merged[k] = host
        # Back where the caller expects a block's results: on the device, or over the mesh.
        out = (_sharding.put_batch(merged, mesh) if mesh is not None
               else {k: jnp.asarray(v) for k, v in merged.items()})
    return out


def _solve_path_point(model: Model, x_start: Any, params: Mapping[str, Any], config: _Config):
    """One point of a warm-started path: (outputs, the unknowns found)."""
    found, steps = find_traced(replace_fields(model, params), x_start, config.solver)
    out = _point_outputs(model, params, found, x_start, steps, config)
    _, unravel = ravel_pytree(x_start)
    return out, unravel(found)


def _solve_units(model: Model, x0: Any, points: dict, config: _Config) -> dict:
    """Solve a stack of units, `config.chunk` at a time: points, or paths (warm starts)."""
    if not config.warm_start:
        n = jax.tree_util.tree_leaves(points)[0].shape[0]
        chunked = jax.tree_util.tree_map(
            lambda v: v.reshape((n // config.chunk, config.chunk) + v.shape[1:]), points)
        out = jax.lax.map(lambda p: _solve_chunk(model, x0, p, config), chunked)
        return jax.tree_util.tree_map(lambda v: v.reshape((n,) + v.shape[2:]), out)

    def path(params):
        first = jax.tree_util.tree_map(lambda v: v[0], params)
        x_init = _start(model, first, x0, config)

        def step(x_prev, p):
            out, x = _solve_path_point(model, x_prev, p, config)
            # A failed point does not poison the rest of the path: keep the last good start.
            x_next = jax.tree_util.tree_map(lambda a, b: jnp.where(out["converged"], a, b), x, x_prev)
            return x_next, out

        return jax.lax.scan(step, x_init, params)[1]

    return jax.lax.map(path, points, batch_size=config.chunk)


@eqx.filter_jit
def _solve_block(model: Model, x0: Any, points: dict, config: _Config) -> dict:
    dynamic, static = eqx.partition((model, x0), eqx.is_array)

    def local(dynamic, points):
        m, x = eqx.combine(dynamic, static)
        return _solve_units(m, x, points, config)

    return _sharding.shard_batch(local, config.mesh)(dynamic, points)


def _cast(tree: Any, dtype: str) -> Any:
    leaves = jax.tree_util.tree_leaves(tree)
    if all(isinstance(v, jax.Array) and v.dtype == dtype for v in leaves if eqx.is_inexact_array(v)) \
            and not any(isinstance(v, float) for v in leaves):
        return tree  # already in this precision: no eager conversion (a dispatch per leaf)
    return jax.tree_util.tree_map(
        lambda v: jnp.asarray(v, dtype) if eqx.is_inexact_array(v) or isinstance(v, float) else v, tree
    )


# Sizes depend only on shapes: kept per (model structure, shapes, selection), so repeated small
# sweeps do not re-trace the model (tens of milliseconds) on every call. Bounded: the oldest
# entries go first.
_SIZES: OrderedDict[Any, Any] = OrderedDict()
_SIZES_MAX = 256


def _shape_key(*trees: Any) -> Any:
    leaves, treedef = jax.tree_util.tree_flatten(trees)
    return treedef, tuple((np.shape(v), str(getattr(v, "dtype", type(v).__name__))) for v in leaves)


def _cached(key: Any, compute: Any) -> Any:
    try:
        hash(key)
    except TypeError:  # an unhashable static field: just compute
        return compute()
    if key in _SIZES:
        _SIZES.move_to_end(key)
        return _SIZES[key]
    value = _SIZES[key] = compute()
    while len(_SIZES) > _SIZES_MAX:
        _SIZES.popitem(last=False)
    return value


def _float_outcomes(model: Model, x0: Any, shape: Any = None) -> tuple[str, ...]:
    def compute():
        sample = jax.eval_shape(model.outcomes, x0)
        return tuple(k for k, v in sample.items() if jnp.issubdtype(v.dtype, jnp.inexact))

    return _cached(("outcomes", shape or _shape_key(model, x0)), compute)


def _output_size(model: Model, x0: Any, select: OutcomeSelector, shape: Any = None) -> int:
    """Scalars one point returns (selected outcomes and the four flags)."""
    def compute():
        def selected(model, x0):
            flags = (jnp.asarray(True), jnp.asarray(0), jnp.asarray(0.0), jnp.asarray(0))
            eq = Equilibrium(model, x0, model.outcomes(x0), *flags)
            return select(eq)

        shapes = jax.eval_shape(selected, model, x0)
        return sum(int(np.prod(s.shape)) for s in jax.tree_util.tree_leaves(shapes)) + 4

    return _cached(("size", select, shape or _shape_key(model, x0)), compute)


def sweep(
    model: Model,
    over: Mapping[str, Any],
    of: Of | None = None,
    *,
    grid: bool = False,
    chunk: int | None = None,
    devices: Any = None,
    x0: Any = None,
    wrt: str | Sequence[str] | None = None,
    warm_start: bool = False,
    solver: Solver | None = None,
    dtype: Any = None,
    memory: int | None = None,
    progress: bool = True,
) -> SweepResult:
    """Solve `model` at many parameter values at once: vmapped, memory-bounded, sharded.

    **Arguments:**
    - `model`: the base model; parameters not in `over` keep its values;
    - `over`: parameter name -> values, shape `(batch..., *parameter_shape)`; batch shapes
      broadcast together, or with `grid=True` each is a 1-D list and the Cartesian product is
      solved (output shape `(len_1, len_2, ...)`);
    - `of`: outcome name(s) or a callable `Equilibrium -> Array` (default: every float outcome);
    - `chunk`: points vmapped at once on each device (paths with `warm_start`); default: as
      many as fit in half of `memory` by an estimate from the model's sizes (unknowns,
      residual temporaries, outcomes);
    - `devices`: `None` (the default device), `"all"` (every device of every process), a
      count, or a list of devices; the batch axis is split over them (`shard_map`);
    - `x0`: as for `solve` (it starts every point, or every path; default: each point's own
      `guess()`);
    - `solver`: a `Solver`, as for `solve` (its tolerances default to 1e-10, 1e-10, 1e-8 in
      float64 and 1e-5, 1e-5, 1e-4 in float32);
    - `wrt`: parameter name(s); adds the exact derivative of every float outcome `k` with respect
      to each `n`, under the key `"dk/dn"` (e.g. `"domega/dL1"`, shape
      `batch + outcome_shape + parameter_shape`), by the implicit function theorem;
    - `warm_start`: solve along the last batch axis as a path, each solution starting the next
      point (`lax.scan`), with the other axes solved in parallel. Use it for continuation: when
      the default guess is poor far from the baseline (extreme trade costs, near corners), order
      the path from easy to hard. It is sequential along the path, so it is slower for
      well-behaved models where every point converges from the guess;
    - `dtype`: shorthand for `Solver(dtype=...)`: `"float64"` (default) or `"float32"`, an
      opt-in throughput mode; everything is
      computed in float32 and the result says so (`result.dtype`, the arrays' dtype). Expect
      relative errors of about 1e-6 in outcomes and 1e-4 to 1e-3 in derivatives (measured
      against float64 in the tests and the benchmark);
    - `memory`: bytes the sweep may use per device (default: a quarter of an accelerator's
      memory, or an eighth of the RAM up to 2 GiB on a CPU). Batches whose inputs and outputs
      exceed half of it are solved block by block and returned as host (NumPy) arrays;
    - `progress`: report on stderr a sweep that runs over a second (nothing for shorter
      ones): the points done, the block and stage running (`compiling` while a new shape is
      compiled), and the time; a bar redrawn in place on a terminal, plain lines every 5 s in a
      log file, a pipe or a notebook. Points are counted as blocks finish (a block's chunks run
      inside one compiled call, which reports nothing until it returns); once the bar shows,
      `sweep` waits for the result before returning, so its last line tells the total time.

    **Returns:** a `SweepResult` (a dict) of outcome arrays of shape `batch_shape +
    outcome_shape`, plus `converged` and `reason` (per element: a bad point never aborts the
    batch; it gets NaN values and derivatives and a reason code, `result.reasons()` in words),
    `residual_norm`, `steps`, and the derivatives asked for with `wrt`.
    """
    if not isinstance(model, Model):
        raise TypeError(f"sweep expects a diffecon model, got {type(model).__name__}.")
    solver = as_solver(solver, dtype=None if dtype is None else _precision(dtype))
    precision = solver.dtype
    wrt = () if wrt is None else check_field_names(model, wrt, "wrt")
    chunk = check_chunk(chunk)
    points = batch_points(model, over, grid)
    devs = resolve_devices(devices)
    if points.traced and (devs or precision != "float64"):
        raise ValueError("sweep inside jit/grad/vmap supports neither devices= nor dtype='float32'.")
    guess_each = x0 is None
    x0 = initial_guess(model) if x0 is None else x0
    shape = _shape_key(model, x0)  # computed once: it keys every cached size below
    select = outcome_selector(_float_outcomes(model, x0, shape) if of is None else of)

    units_shape, path_len = unit_shape(points, warm_start)
    n_units = int(np.prod(units_shape, dtype=np.int64))
    n_devices = len(devs) if devs else 1
    itemsize = np.dtype(precision).itemsize
    n_in = sum(int(np.prod(s)) for s in points.param_shapes.values())
    n_wrt_scalars = sum(int(np.prod(np.shape(getattr(model, n)))) for n in wrt)
    n_out = _output_size(model, x0, select, shape) * (1 + n_wrt_scalars)
    solve_bytes = _cached(("bytes", len(wrt), n_out, n_in, itemsize, shape),
                          lambda: bytes_per_solve(model, x0, n_out, n_in, len(wrt), itemsize))
    if memory is None:  # this process's own device: another host's has no statistics here
        mine = [d for d in devs or () if d.process_index == jax.process_index()]
        budget = memory_budget(mine[0] if mine else jax.local_devices()[0])
    else:
        budget = int(memory)
    platform = (devs[0] if devs else jax.local_devices()[0]).platform
    cut = plan(max(n_units, 1), n_devices, solve_bytes, (n_in + n_out) * itemsize * path_len,
               budget, chunk, CPU_AUTO_CHUNK if platform == "cpu" else None)
    if points.traced and cut.n_blocks > 1:
        cut = type(cut)(cut.chunk, -(-n_units // cut.chunk) * cut.chunk, 1)
    mesh = _sharding.batch_mesh(devs)
    config = _Config(select, wrt, cut.chunk, warm_start, mesh, solver, guess_each=guess_each)

    enabled = bool(progress) and not points.traced and jax.process_index() == 0
    bar = ProgressBar(points.size, f"sweep {type(model).__name__}", enabled, unit="points")
    done = 0

    def report(stage: str, compiling: bool) -> None:
        where = f"block {b + 1}/{cut.n_blocks}: " if cut.n_blocks > 1 else ""
        bar.update(done, note=where + ("compiling " if compiling else "") + stage)

    precision_scope = jax.enable_x64(False) if precision == "float32" else contextlib.nullcontext()
    with precision_scope, bar.running():
        model_c, x0_c = _cast((model, x0), precision)
        pieces = []
        for b in range(cut.n_blocks):
            units = np.arange(b * cut.block, (b + 1) * cut.block)
            units = np.where(units < n_units, units, 0)  # pad the last block with unit 0
            idx = (units[:, None] * path_len + np.arange(path_len)).ravel()
            block = points.gather(idx, precision)
            if warm_start:
                block = {n: v.reshape((cut.block, path_len) + v.shape[1:]) for n, v in block.items()}
            if warm_start or points.traced:
                report("paths", True)
                out = _solve_block(model_c, x0_c, _sharding.put_batch(block, mesh), config)
                report("paths", False)
            else:
                out = _staged_block(model_c, x0_c, block, config, report)
            out = _sharding.fetch_batch(out, mesh)
            if cut.n_blocks > 1:
                out = jax.device_get(out)  # the host copy: this block is done
                done = min((b + 1) * cut.block * path_len, points.size)
            pieces.append(out)
        if bar.due():  # a long sweep: its last line comes when the result is ready
            jax.block_until_ready(pieces)
    if len(pieces) == 1:
        merged = pieces[0]
    else:
        merged = {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}
    size = points.size
    result = {}
    for k, v in merged.items():
        per_point = v.shape[2:] if warm_start else v.shape[1:]
        if v.shape == points.batch_shape + per_point:  # no padding to drop: no eager ops
            result[k] = v
            continue
        flat = v.reshape((-1,) + per_point)[: n_units * path_len]
        result[k] = flat[:size].reshape(points.batch_shape + per_point)
    if bar.due():
        failed = int(np.size(result["converged"]) - np.count_nonzero(np.asarray(result["converged"])))
        bar.close(points.size, note=f"done, {failed:,} not converged (result.failures())" if failed
                  else "done")
    return SweepResult(
        result, dtype=precision, chunk=cut.chunk, blocks=cut.n_blocks, devices=n_devices,
        warm_start=warm_start, tol=solver.tol, reason_words=_reason_words(model, x0, shape),
    )


def _precision(dtype: Any) -> str:
    name = getattr(np.dtype(dtype), "name", None) if dtype is not None else "float64"
    if name not in ("float64", "float32"):
        raise ValueError(f"dtype={dtype!r}: sweep computes in 'float64' (default) or 'float32'.")
    return name


def _reason_words(model: Model, x0: Any, shape: Any = None) -> tuple[tuple[int, str], ...]:
    """Every reason code this model can give, with its words (hashable: kept in `info`)."""
    def compute():
        n_valid = len(_reasons.validity_names(model, x0))
        n_req = len(requirements_ok(model)[1])
        codes = [_reasons.CONVERGED, _reasons.NOT_FINITE, _reasons.NOT_SOLVED,
                 _reasons.DERIVATIVE_UNDEFINED]
        codes += [_reasons.VALIDITY + k for k in range(n_valid)]
        codes += [_reasons.REQUIREMENT + r for r in range(n_req)]
        return tuple((c, _reasons.describe(model, x0, c)) for c in codes)

    return _cached(("reasons", shape or _shape_key(model, x0)), compute)
