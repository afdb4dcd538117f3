"""Integer arithmetic in minor units: exact division with a named rounding mode."""

from __future__ import annotations

from decimal import Decimal

from commercekit.errors import ValidationError
from commercekit.money import Rounding

__all__ = ["div_round", "ratio"]


def ratio(value: Decimal | int) -> tuple[int, int]:
    """``value`` as an exact integer fraction ``(numerator, denominator)``."""
    if isinstance(value, int):
        return value, 1
    return value.as_integer_ratio()


def div_round(numerator: int, denominator: int, mode: str = Rounding.HALF_UP) -> int:
    """``numerator / denominator`` rounded to an integer with ``mode``; both are >= 0.

    >>> div_round(5, 2), div_round(5, 2, Rounding.HALF_EVEN), div_round(7, 2, Rounding.DOWN)
    (3, 2, 3)
    """
    if mode == Rounding.HALF_UP:
        return (2 * numerator + denominator) // (2 * denominator)
    quotient, remainder = divmod(numerator, denominator)
    if not remainder:
        return quotient
    if mode in (Rounding.DOWN, Rounding.FLOOR):
        return quotient
    if mode in (Rounding.UP, Rounding.CEILING):
        return quotient + 1
    if mode == Rounding.ZERO_FIVE_UP:
        return quotient + 1 if quotient % 5 == 0 else quotient
    twice = 2 * remainder
    if twice > denominator:
        return quotient + 1
    if twice < denominator:
        return quotient
    if mode == Rounding.HALF_EVEN:
        return quotient + (quotient & 1)
    if mode == Rounding.HALF_DOWN:
        return quotient
    raise ValidationError(f"unknown rounding mode {mode!r}")
