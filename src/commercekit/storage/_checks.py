"""Argument checks shared by the repositories: bad input fails before any SQL runs."""

from __future__ import annotations

from typing import Any

from commercekit.errors import InvalidQuantityError, ValidationError

__all__ = ["check_key", "check_quantity"]

# Beyond this a sum of quantities could overflow a 64-bit column.
MAX_QUANTITY = 10**15


def check_quantity(value: Any, *, name: str = "quantity", allow_negative: bool = False) -> int:
    """An int quantity: not a bool, float or Decimal; non-zero; within ``MAX_QUANTITY``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuantityError(f"{name} must be an int, got {value!r}")
    if value == 0 or (value < 0 and not allow_negative):
        raise InvalidQuantityError(
            f"{name} must be {'non-zero' if allow_negative else 'positive'}, got {value}"
        )
    if abs(value) > MAX_QUANTITY:
        raise InvalidQuantityError(f"{name} {value} is beyond the supported {MAX_QUANTITY}")
    return value


def check_key(value: Any, *, name: str) -> str:
    """A non-empty identifier of at most 200 characters without NUL (which PostgreSQL refuses)."""
    if not isinstance(value, str) or not value or len(value) > 200 or "\x00" in value:
        raise ValidationError(f"{name} must be text of 1-200 characters without NUL: {value!r}")
    return value
