"""Small pytree helpers shared by the core (flattening named residuals, replacing fields)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def _key_name(key: Any) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)


def flat_with_names(tree: Any) -> tuple[jax.Array, tuple[str, ...]]:
    """Concatenate the leaves of `tree` into one vector and name every element.

    A scalar leaf under key ``"trade_balance"`` is named ``trade_balance``; element ``i`` of an
    array leaf ``zero_profit`` is named ``zero_profit[i]``.
    """
    names: list[str] = []
    parts = []
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        leaf = jnp.asarray(leaf)
        base = ".".join(_key_name(k) for k in path) or "equation"
        if leaf.size == 1:
            names.append(base)
        else:
            names.extend(f"{base}{list(idx)}" for idx in np.ndindex(leaf.shape))
        parts.append(jnp.ravel(leaf))
    vec = jnp.concatenate(parts) if parts else jnp.zeros((0,))
    return vec, tuple(names)


def replace_fields(model: eqx.Module, values: Mapping[str, Any]) -> eqx.Module:
    """`model` with the named fields replaced, unchecked (values may be traced): the core of
    the public `diffecon.core.replace`, which checks concrete values.

    Float values take the dtype of the field they replace (float64 unless a caller chose float32).
    """
    if not values:
        return model
    names = tuple(values)

    def cast(name: str, value: Any) -> Any:
        old = getattr(model, name)
        return jnp.asarray(value, dtype=old.dtype) if eqx.is_inexact_array(old) else value

    return eqx.tree_at(
        lambda m: tuple(getattr(m, n) for n in names), model,
        tuple(cast(n, values[n]) for n in names), is_leaf=lambda v: v is None,
    )


def check_field_names(model: eqx.Module, names: Any, what: str) -> tuple[str, ...]:
    """Validate that every name is a float parameter of `model`; return them as a tuple."""
    names = (names,) if isinstance(names, str) else tuple(names)
    fields = [f for f in model.__dataclass_fields__ if not f.startswith("_")]
    for n in names:
        value = getattr(model, n, None) if n in fields else None
        if value is None or not eqx.is_inexact_array(value):
            raise ValueError(
                f"{what}: {n!r} is not a float parameter of {type(model).__name__}; "
                f"its parameters are {', '.join(f for f in fields if eqx.is_inexact_array(getattr(model, f)))}."
            )
    return names
