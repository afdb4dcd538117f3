"""Input checks and small helpers shared by the inventory service's parts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from commercekit.errors import InvalidQuantityError, ValidationError
from commercekit.inventory._records import ReservationLine
from commercekit.rules import MAX_QUANTITY, check_count, check_identifier
from commercekit.rules import check_text as rules_check_text

__all__ = [
    "Lines",
    "Row",
    "check_sku",
    "check_text",
    "check_ttl",
    "normalize_lines",
    "request_hash",
    "row_order",
    "shortage_text",
]

Row = tuple[str, str]
Lines = (
    Mapping[str, int | Decimal] | Iterable[tuple[str, int | Decimal]] | Iterable[ReservationLine]
)


def row_order(row: Row) -> tuple[bytes, bytes]:
    """The sort key of a stock row: (SKU, location) as bytes, the order rows are locked in."""
    return (row[0].encode(), row[1].encode())


def check_sku(value: Any, *, name: str = "sku") -> str:
    """A SKU or location name: 1-200 characters of valid Unicode text without NUL."""
    return check_identifier(value, name=name)


def check_text(value: Any, *, name: str, required: bool = False) -> str | None:
    """A reason or reference: ``None`` unless ``required``, else text (:mod:`commercekit.rules`)."""
    return rules_check_text(value, name=name, required=required)


def check_ttl(value: Any) -> timedelta:
    """A reservation TTL: a positive timedelta of at most 366 days."""
    if not isinstance(value, timedelta) or not timedelta(0) < value <= timedelta(days=366):
        raise ValidationError(f"a reservation TTL is a timedelta in (0, 366 days], got {value!r}")
    return value


def normalize_lines(lines: Any) -> dict[str, int]:
    """Cart lines as units per SKU, summed across lines; every SKU and quantity checked.

    ``lines`` is a mapping of SKU to units, or an iterable of ``(sku, units)`` pairs or of
    objects with ``sku`` and ``quantity`` attributes (a SKU may appear on several lines).

    >>> normalize_lines([("TEE", 1), ("MUG", 2), ("TEE", 3)])
    {'TEE': 4, 'MUG': 2}
    """
    if type(lines) is dict:
        plain = _plain_mapping(lines)
        if plain is not None:
            return plain
    if isinstance(lines, Mapping):
        items: list[Any] = list(lines.items())
    elif isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise ValidationError(f"cart lines are a mapping or an iterable of lines, got {lines!r}")
    else:
        items = list(lines)
    demand: dict[str, int] = {}
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            sku, units = item
        elif hasattr(item, "sku") and hasattr(item, "quantity"):
            sku, units = item.sku, item.quantity
        else:
            raise ValidationError(f"a cart line is (sku, quantity), got {item!r}")
        sku = check_sku(sku)
        if isinstance(units, Decimal) and units.is_finite() and units == units.to_integral_value():
            units = int(units)  # Decimal("2") is two units; Decimal("0.5") is refused below
        elif isinstance(units, Decimal):
            raise InvalidQuantityError(
                f"{units} of {sku!r} is not a whole number of stock units: convert measured "
                "quantities with cart_demand() and the catalog's stock_units"
            )
        check_count(units)
        total = demand.get(sku, 0) + units
        if total > MAX_QUANTITY:
            raise InvalidQuantityError(f"{total} units of {sku} is beyond {MAX_QUANTITY}")
        demand[sku] = total
    if not demand:
        raise ValidationError("nothing to reserve: the cart has no lines")
    return demand


def _plain_mapping(lines: dict[Any, Any]) -> dict[str, int] | None:
    """The common case checked in one pass: a dict of short ASCII SKUs to positive ints.

    ``None`` when any entry needs the general checks (and their error messages).
    """
    for sku, units in lines.items():
        if (
            type(sku) is not str
            or not 0 < len(sku) <= 200
            or not sku.isascii()
            or not sku.isprintable()  # ASCII controls (NUL, tab, newline) are not printable
            or sku[0] == " "
            or sku[-1] == " "
            or type(units) is not int
            or not 0 < units <= MAX_QUANTITY
        ):
            return None
    return dict(lines) if lines else None


def request_hash(demand: Mapping[str, int]) -> str:
    """A digest of the requested units per SKU: the same cart in any order, the same hash."""
    # SKUs never contain NUL (check_sku), so NUL-separated text is unambiguous.
    if len(demand) == 1:  # most carts reserved at once hold one SKU: skip the sort and join
        ((sku, units),) = demand.items()
        text = f"{sku}\x00{units}"
    else:
        text = "\x00".join([f"{sku}\x00{units}" for sku, units in sorted(demand.items())])
    # BLAKE2s (256-bit) is CPython's own code: no OpenSSL digest set-up on every reservation.
    return hashlib.blake2s(text.encode()).hexdigest()


def shortage_text(shortages: Mapping[str, int]) -> str:
    """``"SKU short by N, ..."`` for an error message."""
    return ", ".join(f"{sku} short by {units}" for sku, units in shortages.items())
