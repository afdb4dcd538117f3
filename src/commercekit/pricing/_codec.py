"""Codec hooks for pricing values: tagged unions for conditions and actions, plain JSON data."""

from __future__ import annotations

import enum
import re
from typing import Any

import cattrs
from cattrs.strategies import configure_tagged_union

from commercekit.pricing.promotions._actions import Action
from commercekit.pricing.promotions._conditions import Condition

__all__ = ["register_pricing_hooks"]


def _tag(cls: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _is_commercekit_enum(cls: Any) -> bool:
    return (
        isinstance(cls, type)
        and issubclass(cls, enum.Enum)
        and cls.__module__.startswith("commercekit.")
    )


def register_pricing_hooks(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the condition and action unions and plain JSON forms.

    Conditions and actions carry their kind as ``"type"`` (``{"type": "percent_off_items",
    ...}``); sets of names become sorted lists; commercekit's enums become their values.
    The pricing area declares it (:data:`~commercekit.pricing.PRICING_AREA`), so every
    converter :func:`~commercekit.codec.make_json_converter` builds has it.
    """
    converter.register_unstructure_hook_func(
        lambda cls: cls == frozenset[str], lambda value: sorted(value)
    )
    converter.register_unstructure_hook_func(_is_commercekit_enum, lambda value: value.value)
    configure_tagged_union(Condition, converter, tag_generator=_tag, tag_name="type")
    configure_tagged_union(Action, converter, tag_generator=_tag, tag_name="type")
