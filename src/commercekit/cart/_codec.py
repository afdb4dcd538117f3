"""Codec hooks for cart values: quantities are JSON integers (counted) or text (measured)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import cattrs

from commercekit.cart._metadata import Metadata
from commercekit.cart._quantity import Quantity, check_quantity
from commercekit.errors import InvalidQuantityError, ValidationError

__all__ = ["register_cart_hooks"]


def _structure_quantity(value: Any, _: Any) -> Quantity:
    if value.__class__ is int:
        return check_quantity(value)
    if isinstance(value, str):
        try:
            return check_quantity(Decimal(value))
        except ArithmeticError:
            raise InvalidQuantityError(f"not a quantity: {value!r}") from None
    raise InvalidQuantityError(f"a quantity must be an integer or decimal text, got {value!r}")


def _structure_metadata(value: Any, _: Any) -> Metadata:
    if not isinstance(value, dict):
        raise ValidationError(f"metadata must be an object of text values, got {value!r}")
    return Metadata(value)


def register_cart_hooks(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the quantity union and :class:`~commercekit.cart.Metadata`.

    An ``int`` stays a JSON integer, a ``Decimal`` becomes exact text; metadata is a JSON
    object. The cart area declares it (:data:`~commercekit.cart.CART_AREA`), so every converter
    :func:`~commercekit.codec.make_json_converter` builds has it.
    """
    converter.register_structure_hook(Quantity, _structure_quantity)
    converter.register_unstructure_hook(
        Quantity, lambda value: value if value.__class__ is int else str(value)
    )
    converter.register_structure_hook(Metadata, _structure_metadata)
    converter.register_unstructure_hook(Metadata, dict)
