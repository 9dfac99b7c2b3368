"""`sweep`: solve a model at many parameter values in one compiled, batched call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._tree import check_field_names, replace_fields
from .model import Model
from .solve import solve_impl
from .statics import Of, outcome_selector

__all__ = ["sweep"]

# Elements per vmapped chunk when the caller does not choose: large enough to amortise the
# per-chunk loop overhead, small enough that a 10^7-point sweep does not hold every
# intermediate (Jacobians, LU factors) in memory at once.
_DEFAULT_CHUNK = 65536


def _batch_inputs(model: Model, over: Mapping[str, Any], grid: bool):
    names = check_field_names(model, tuple(over), "over")
    values = {n: jnp.asarray(over[n], dtype=jnp.float64) for n in names}
    param_shapes = {n: jnp.shape(getattr(model, n)) for n in names}
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
        axes = [values[n].shape[0] for n in names]
        batch_shape = tuple(axes)
        mesh = np.meshgrid(*[np.arange(a) for a in axes], indexing="ij")
        flat = {n: values[n][jnp.asarray(m.ravel())] for n, m in zip(names, mesh)}
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
        flat = {
            n: jnp.broadcast_to(values[n], batch_shape + param_shapes[n]).reshape(
                (-1,) + param_shapes[n]
            )
            for n in names
        }
    return flat, batch_shape


def _resolve_devices(devices: Any) -> Sequence[jax.Device] | None:
    if devices is None:
        return None
    if devices == "all":
        return jax.devices()
    if isinstance(devices, int):
        return jax.devices()[:devices]
    return list(devices)


@eqx.filter_jit
def _sweep_impl(model, flat, select, x0, chunk, max_steps, rtol, atol, tol):
    def one(p):
        eq = solve_impl(replace_fields(model, p), x0, None, max_steps, rtol, atol, tol)
        out = dict(select(eq))
        out["converged"] = eq.converged
        out["residual_norm"] = eq.residual_norm
        out["steps"] = eq.steps
        return out

    return jax.lax.map(one, flat, batch_size=chunk)


def sweep(
    model: Model,
    over: Mapping[str, Any],
    of: Of | None = None,
    *,
    grid: bool = False,
    chunk: int | None = None,
    devices: Any = None,
    x0: Any = None,
    max_steps: int = 100,
    rtol: float = 1e-10,
    atol: float = 1e-10,
    tol: float = 1e-8,
) -> dict[str, jax.Array]:
    """Solve `model` at many parameter values at once (vmap in memory-bounded chunks).

    **Arguments:**
    - `model`: the base model; parameters not in `over` keep its values;
    - `over`: parameter name -> values, shape `(batch..., *parameter_shape)`; batch shapes
      broadcast together, or with `grid=True` each is a 1-D list and the Cartesian product is
      solved (output shape `(len_1, len_2, ...)`);
    - `of`: outcome name(s) or a callable `Equilibrium -> Array` (default: every float outcome);
    - `chunk`: elements solved per vmapped chunk (default: all, up to 65,536);
    - `devices`: `None` (default device), `"all"`, a count, or a list of devices to shard the
      batch over;
    - `x0`, `max_steps`, `rtol`, `atol`, `tol`: as for `solve`.

    **Returns:** a dict of outcome arrays of shape `batch_shape + outcome_shape`, plus
    `converged` (per element; never raises), `residual_norm` and `steps`.
    """
    if not isinstance(model, Model):
        raise TypeError(f"sweep expects a diffecon Model, got {type(model).__name__}.")
    flat, batch_shape = _batch_inputs(model, over, grid)
    size = int(np.prod(batch_shape, dtype=np.int64))
    x0 = model.guess() if x0 is None else x0
    if of is None:
        sample = model.outcomes(x0)
        of = tuple(k for k, v in sample.items() if jnp.issubdtype(jnp.asarray(v).dtype, jnp.inexact))
    select = outcome_selector(of)
    chunk = min(size, _DEFAULT_CHUNK) if chunk is None else int(chunk)
    if chunk < 1:
        raise ValueError(f"chunk={chunk} must be a positive integer.")

    devs = _resolve_devices(devices)
    multiple = chunk * (len(devs) if devs else 1)
    padded = -(-size // multiple) * multiple
    if padded != size:  # pad with copies of the first point; dropped below
        flat = {n: jnp.concatenate([v, jnp.repeat(v[:1], padded - size, axis=0)]) for n, v in flat.items()}
    if devs and len(devs) > 1:
        sharding = NamedSharding(Mesh(np.asarray(devs), ("batch",)), PartitionSpec("batch"))
        flat = jax.device_put(flat, sharding)
        chunk = chunk * len(devs)
    out = _sweep_impl(model, flat, select, x0, chunk, max_steps, rtol, atol, tol)
    return {k: v[:size].reshape(batch_shape + v.shape[1:]) for k, v in out.items()}
