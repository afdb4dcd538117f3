"""The engine's working state: the rows and shipment being discounted, and shared helpers.

:class:`Row` and :class:`ShippingRow` are the engine's input, built by the cart pipeline from
the priced lines and the shipping rate and changed in place by
:func:`~commercekit.pricing.promotions.run_promotions`; the cart's tax and breakdown steps read
them afterwards. :class:`Engine` is what qualification and calculation read;
:meth:`Engine.apply` is the only writer. Amounts are integer minor units of the cart currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

import attrs

from commercekit.errors import CurrencyMismatchError
from commercekit.money import Currency, Money, div_round
from commercekit.money import allocate_minor as _allocate
from commercekit.pricing._catalog import CatalogEntry, Customer
from commercekit.pricing.promotions._conditions import ItemFilter
from commercekit.pricing.promotions._promotion import Promotion, UsageCounts

__all__ = ["SHIPPING_KEY", "Context", "Engine", "Row", "ShippingRow", "floor", "times"]

#: Rows by SKU, by collection and by tag.
_Index = tuple[dict[str, list[int]], dict[str, list[int]], dict[str, list[int]]]

#: The allocation key of shipping wherever an amount is split over lines and shipping (a
#: discount cap, a tax): it sorts before any line id, since line ids are percent-encoded.
SHIPPING_KEY = " shipping"


class Row:
    """One cart line being priced: mutable working state the pipeline hands the engine.

    Amounts are integer minor units. ``subtotal`` is the line's base amount; ``remaining`` is
    what is left after the discounts so far, ``start`` what the current lane's conditions are
    judged on, and ``adjustments`` the amount each promotion took off, by promotion id.
    """

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


class ShippingRow:
    """The shipping amount being priced (working state, integer minor units).

    ``amount`` is the rate; ``remaining``, ``start`` and ``adjustments`` mean what they mean
    on a :class:`Row`.
    """

    __slots__ = ("adjustments", "amount", "remaining", "start")

    def __init__(self, amount: int) -> None:
        self.amount = amount
        self.remaining = amount
        self.start = amount
        self.adjustments: dict[str, int] = {}


def _index_rows(rows: Sequence[Row]) -> _Index:
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


@attrs.frozen
class Context:
    """What every promotion is judged against: customer, coupons, time, usage, money rules."""

    customer: Customer
    coupons: tuple[str, ...]
    at: datetime
    usage: UsageCounts
    currency: Currency
    scale: int
    per_total: bool
    rounding: str


class Engine:
    """The rows and shipment being discounted, with memoized item matching."""

    def __init__(self, rows: Sequence[Row], shipment: ShippingRow | None, ctx: Context) -> None:
        self.rows = rows
        self.shipment = shipment
        self.ctx = ctx
        self._matches: dict[int, list[int]] = {}
        #: What is left of each row, kept equal to ``row.remaining`` (read without a copy).
        self.avail = [row.remaining for row in rows]
        self._index: _Index | None = None

    def units(self, money: Money) -> Fraction:
        """``money`` in (possibly fractional) minor units of the cart's currency."""
        if money.currency is not self.ctx.currency:
            raise CurrencyMismatchError(
                self.ctx.currency.code,
                money.currency.code,
                message=f"a discount in {money.currency.code} cannot apply to a cart in "
                f"{self.ctx.currency.code}: currencies differ",
            )
        num, den = money.amount.as_integer_ratio()
        return Fraction(num * self.ctx.scale, den)

    def matching(self, items: ItemFilter) -> list[int]:
        """Indices of the rows ``items`` selects, in row order (memoized per call)."""
        key = id(items)
        found = self._matches.get(key)
        if found is None:
            found = self._match(items)
            self._matches[key] = found
        return found

    def _match(self, items: ItemFilter) -> list[int]:
        rows = self.rows
        if items.skus or items.collections or items.tags:
            if self._index is None:
                self._index = _index_rows(rows)
            by_sku, by_collection, by_tag = self._index
            chosen: set[int] = set()
            for sku in items.skus:
                chosen.update(by_sku.get(sku, ()))
            for collection in items.collections:
                chosen.update(by_collection.get(collection, ()))
            for tag in items.tags:
                chosen.update(by_tag.get(tag, ()))
            candidates: Iterable[int] = sorted(chosen)
        else:
            candidates = range(len(rows))
        if not (items.exclude_skus or items.exclude_tags):
            return list(candidates)
        return [i for i in candidates if items.matches(rows[i].entry)]

    def percent_of(self, amount: int, percent: Fraction) -> int:
        """``percent`` % of ``amount`` minor units, rounded by the policy."""
        return div_round(amount * percent.numerator, percent.denominator * 100, self.ctx.rounding)

    def spread(self, total: int, indices: list[int], weights: list[int]) -> dict[int, int]:
        """``total`` allocated over the rows ``indices`` by ``weights``, ties by line id."""
        if not indices or total <= 0:
            return {}
        keys = [self.rows[i].id for i in indices]
        parts = _allocate(total, weights, keys)
        return {i: part for i, part in zip(indices, parts, strict=True) if part}

    def apply(self, promo: Promotion, deltas: dict[int, int], ship: int) -> None:
        """Take ``deltas`` off the rows and ``ship`` off shipping, recorded under ``promo``."""
        avail = self.avail
        for index, amount in deltas.items():
            row = self.rows[index]
            row.remaining -= amount
            avail[index] -= amount
            row.adjustments[promo.id] = row.adjustments.get(promo.id, 0) + amount
        if ship and self.shipment is not None:
            self.shipment.remaining -= ship
            self.shipment.adjustments[promo.id] = ship

    def start_lane(self) -> None:
        """Make the current amounts the ones the next lane's conditions are judged on."""
        for row in self.rows:
            row.start = row.remaining
        if self.shipment is not None:
            self.shipment.start = self.shipment.remaining
