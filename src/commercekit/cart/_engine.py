"""The state the promotions step works on: rows, shipment, context, and shared helpers.

Qualification (:mod:`commercekit.cart._qualify`) and calculation
(:mod:`commercekit.cart._calculate`) read it; :meth:`Engine.apply` is the only writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

import attrs

from commercekit.cart._arith import div_round, ratio
from commercekit.cart._rows import Index, Row, Shipment, index_rows
from commercekit.errors import CurrencyMismatchError
from commercekit.money import Currency, Money
from commercekit.money import allocate_minor as _allocate
from commercekit.pricing import Customer, ItemFilter, Promotion, UsageCounts

__all__ = ["Context", "Engine"]


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

    def __init__(self, rows: Sequence[Row], shipment: Shipment | None, ctx: Context) -> None:
        self.rows = rows
        self.shipment = shipment
        self.ctx = ctx
        self._matches: dict[int, list[int]] = {}
        #: What is left of each row, kept equal to ``row.remaining`` (read without a copy).
        self.avail = [row.remaining for row in rows]
        self._index: Index | None = None

    def units(self, money: Money) -> Fraction:
        """``money`` in (possibly fractional) minor units of the cart's currency."""
        if money.currency is not self.ctx.currency:
            raise CurrencyMismatchError(self.ctx.currency.code, money.currency.code, "discount")
        num, den = ratio(money.amount)
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
                self._index = index_rows(rows)
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
