"""Helpers for commercekit's frozen value classes: trusted constructors for hot paths.

A frozen attrs class sets each field through ``object.__setattr__`` and runs converters and
validators; on the pricing hot path, for values whose fields were computed by commercekit
itself (a tax line from a rate and an integer amount), that costs more than the arithmetic.
:func:`trusted_constructor` builds the same object through the slots' own descriptors,
without converters, validators or ``__attrs_post_init__``: use it only where every field is
already of the declared type and checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["trusted_constructor"]

T = TypeVar("T")


def trusted_constructor(cls: type[T]) -> Callable[..., T]:
    """A positional constructor of ``cls`` (every field, in declaration order) that trusts it.

    >>> @attrs.frozen
    ... class Point:
    ...     x: int = attrs.field(converter=int)
    ...     y: int = 0
    >>> make = trusted_constructor(Point)
    >>> make(1, 2) == Point(1, 2)
    True
    """
    fields = attrs.fields(cls)  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    for index, field in enumerate(fields):
        namespace[f"set{index}"] = cls.__dict__[field.name].__set__
    arguments = ", ".join(f"a{index}" for index in range(len(fields)))
    body = "".join(f"    set{index}(obj, a{index})\n" for index in range(len(fields)))
    # Generated once per class: one descriptor call per field, no loop, no keyword handling.
    exec(f"def make({arguments}):\n    obj = new(cls)\n{body}    return obj\n", namespace)
    make: Callable[..., T] = namespace["make"]
    return make
