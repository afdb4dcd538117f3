"""How orders read back from JSON: counts of units may be zero, unlike cart quantities."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import cattrs

from commercekit.cart import Quantity
from commercekit.errors import InvalidQuantityError
from commercekit.orders._order import OrderLine

__all__ = ["register_order_hooks"]


def _count(value: Any) -> Quantity:
    """A stored count of units: an int, or decimal text for measured quantities; >= 0."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            count = Decimal(value)
        except InvalidOperation:
            count = Decimal("NaN")
        if count.is_finite() and count >= 0:
            return count
    raise InvalidQuantityError(f"a count of units is an int or decimal text >= 0, got {value!r}")


def _structure_line(data: Any, _: type) -> OrderLine:
    return OrderLine(
        line_id=data["line_id"],
        sku=data["sku"],
        quantity=_count(data["quantity"]),
        fulfilled=_count(data.get("fulfilled", 0)),
        returned=_count(data.get("returned", 0)),
        refunded=_count(data.get("refunded", 0)),
        stock={str(sku): int(units) for sku, units in data.get("stock", {}).items()},
    )


def register_order_hooks(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the orders area's types (registered through the area)."""
    converter.register_structure_hook(OrderLine, _structure_line)
