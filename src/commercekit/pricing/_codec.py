"""Codec hooks for pricing values: tagged unions for conditions and actions, plain JSON data."""

from __future__ import annotations

import enum
import re
from typing import Any

import cattrs
from cattrs.strategies import configure_tagged_union

from commercekit.codec import register_hooks
from commercekit.pricing._actions import Action
from commercekit.pricing._conditions import Condition

__all__ = ["register_pricing_hooks"]


def _tag(cls: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _is_commercekit_enum(cls: Any) -> bool:
    return (
        isinstance(cls, type)
        and issubclass(cls, enum.Enum)
        and cls.__module__.startswith("commercekit.")
    )


@register_hooks
def register_pricing_hooks(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the condition and action unions and plain JSON forms.

    Conditions and actions carry their kind as ``"type"`` (``{"type": "percent_off_items",
    ...}``); sets of names become sorted lists; commercekit's enums become their values.
    Registered automatically on every converter :mod:`commercekit.codec` builds.
    """
    converter.register_unstructure_hook_func(
        lambda cls: cls == frozenset[str], lambda value: sorted(value)
    )
    converter.register_unstructure_hook_func(_is_commercekit_enum, lambda value: value.value)
    configure_tagged_union(Condition, converter, tag_generator=_tag, tag_name="type")
    configure_tagged_union(Action, converter, tag_generator=_tag, tag_name="type")
