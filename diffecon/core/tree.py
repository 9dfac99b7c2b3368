"""`replace`: the one way to copy a model with some parameters replaced."""

from __future__ import annotations

from typing import Any

import equinox as eqx

from ._model import check_parameters, check_requirements, is_concrete
from ._tree import replace_fields

__all__ = ["replace"]


def replace(model: eqx.Module, /, **fields: Any) -> eqx.Module:
    """A copy of `model` with the named fields replaced.

    Values take the dtype of the field they replace (float64, or float32 inside a float32
    `sweep`). Concrete values are checked like the constructor checks them (a ValueError names
    the parameter); traced values are checked by `solve` per element.

    **Arguments:** `model`; `**fields`: field name -> new value.

    **Returns:** the new model (the original is unchanged: models are immutable).
    """
    if not fields:
        return model
    unknown = [n for n in fields if n not in model.__dataclass_fields__]
    if unknown:
        raise ValueError(
            f"replace: {type(model).__name__} has no field {unknown[0]!r}; its fields are "
            f"{', '.join(f for f in model.__dataclass_fields__ if not f.startswith('_'))}."
        )
    new = replace_fields(model, fields)
    if is_concrete(tuple(getattr(new, n) for n in fields)) and hasattr(new, "requirements"):
        check_parameters(new)
        check_requirements(new)
    return new
