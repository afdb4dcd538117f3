"""Working state of the pipeline: one row per cart line, the shipment, and small helpers."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from commercekit.pricing import CatalogEntry

__all__ = ["SHIPPING_KEY", "Index", "Row", "Shipment", "floor", "index_rows", "times"]

#: Rows by SKU, by collection and by tag.
Index = tuple[dict[str, list[int]], dict[str, list[int]], dict[str, list[int]]]
#: The allocation key of shipping; sorts before any line id (line ids are percent-encoded).
SHIPPING_KEY = " shipping"


class Row:
    """One line being priced (mutable working state, private to the pipeline)."""

    __slots__ = (
        "adjustments",
        "entry",
        "id",
        "quantity",
        "remaining",
        "start",
        "subtotal",
        "units",
    )

    def __init__(
        self,
        line_id: str,
        entry: CatalogEntry,
        quantity: tuple[int, int],
        units: int,
        subtotal: int,
    ) -> None:
        self.id = line_id
        self.entry = entry
        #: The quantity as an exact fraction (numerator, denominator).
        self.quantity = quantity
        #: Counted units (0 for a line sold by measure).
        self.units = units
        self.subtotal = subtotal
        self.remaining = subtotal
        self.start = subtotal
        self.adjustments: dict[str, int] = {}


class Shipment:
    """The shipping amount being priced (working state)."""

    __slots__ = ("adjustments", "amount", "remaining", "start")

    def __init__(self, amount: int) -> None:
        self.amount = amount
        self.remaining = amount
        self.start = amount
        self.adjustments: dict[str, int] = {}


def index_rows(rows: Sequence[Row]) -> Index:
    """Row indices by SKU, collection and tag."""
    by_sku: dict[str, list[int]] = {}
    by_collection: dict[str, list[int]] = {}
    by_tag: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_sku.setdefault(row.entry.sku, []).append(i)
        for collection in row.entry.collections:
            by_collection.setdefault(collection, []).append(i)
        for tag in row.entry.tags:
            by_tag.setdefault(tag, []).append(i)
    return by_sku, by_collection, by_tag


def times(amount: Fraction, quantity: tuple[int, int]) -> tuple[int, int]:
    """``amount * quantity`` as an integer fraction (numerator, denominator)."""
    return amount.numerator * quantity[0], amount.denominator * quantity[1]


def floor(amount: Fraction) -> int:
    """``amount`` rounded down to an integer."""
    return amount.numerator // amount.denominator
