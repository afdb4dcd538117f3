"""Quantities: whole units for counted products, decimals for products sold by measure."""

from __future__ import annotations

from decimal import Decimal

from commercekit.errors import InvalidQuantityError
from commercekit.rules import MAX_QUANTITY

__all__ = ["MAX_QUANTITY", "MAX_QUANTITY_PLACES", "Quantity", "check_quantity"]

# MAX_QUANTITY, the largest quantity one line may hold, is the one of commercekit.rules.
#: The most decimal places a measured quantity may have (grams of a kilogram, and finer).
MAX_QUANTITY_PLACES = 6

#: A line quantity: an ``int`` for counted products, a ``Decimal`` for products sold by measure.
Quantity = int | Decimal


def check_quantity(value: object) -> Quantity:
    """Validate a line quantity and return it; anything unusable is an InvalidQuantityError.

    ``int`` quantities count units; ``Decimal`` quantities measure (1.25 kg). Zero, negative,
    NaN, infinite, more than :data:`MAX_QUANTITY`, more than :data:`MAX_QUANTITY_PLACES`
    decimals, floats and bools are refused.

    >>> check_quantity(3), check_quantity(Decimal("1.250"))
    (3, Decimal('1.250'))
    >>> check_quantity(0)
    Traceback (most recent call last):
    ...
    commercekit.errors.InvalidQuantityError: quantity must be positive, got 0
    """
    cls = value.__class__
    if cls is int:
        count: int = value  # type: ignore[assignment]
        if count <= 0:
            raise InvalidQuantityError(f"quantity must be positive, got {count}")
        if count > MAX_QUANTITY:
            raise InvalidQuantityError(f"quantity {count} exceeds the maximum of {MAX_QUANTITY}")
        return count
    if cls is Decimal:
        measure: Decimal = value  # type: ignore[assignment]
        if not measure.is_finite():
            raise InvalidQuantityError(f"quantity must be finite, got {measure}")
        if measure <= 0:
            raise InvalidQuantityError(f"quantity must be positive, got {measure}")
        if measure > MAX_QUANTITY:
            raise InvalidQuantityError(f"quantity {measure} exceeds the maximum of {MAX_QUANTITY}")
        exponent = measure.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_QUANTITY_PLACES:
            raise InvalidQuantityError(
                f"quantity {measure} has more than {MAX_QUANTITY_PLACES} decimal places"
            )
        return measure
    if cls is float:
        raise InvalidQuantityError(
            f"float quantity {value!r} refused: pass an int, or a Decimal for measured products"
        )
    raise InvalidQuantityError(f"a quantity must be an int or a Decimal, got {value!r}")


def add_quantities(left: Quantity, right: Quantity) -> Quantity:
    """The sum of two valid quantities, validated again (it may pass the maximum)."""
    if left.__class__ is int and right.__class__ is int:
        return check_quantity(left + right)
    return check_quantity(Decimal(left) + Decimal(right))
