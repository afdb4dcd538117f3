"""The promotions step of the pipeline: qualify, calculate, cap, then apply.

Works on integer minor units. The rules it implements are documented in
:mod:`commercekit.pricing._promotions` (lanes, priority, compounding, stacking, caps, limits).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

import attrs

from commercekit.cart._arith import div_round, ratio
from commercekit.cart._bxgy import buy_x_get_y
from commercekit.cart._rows import SHIPPING_KEY, Index, Row, Shipment, floor, index_rows, times
from commercekit.errors import CurrencyMismatchError, ValidationError
from commercekit.money import Currency, Money, Rounding
from commercekit.money import allocate_minor as _allocate
from commercekit.pricing import (
    AmountOffItems,
    AmountOffOrder,
    AmountOffShipping,
    BuyXGetY,
    ContainsItems,
    CouponCode,
    CouponRefusal,
    Customer,
    CustomerGroupIn,
    DateWindow,
    FirstOrder,
    FixedPrice,
    ItemFilter,
    Lane,
    PercentOffItems,
    PercentOffOrder,
    PercentOffShipping,
    Promotion,
    QuantityAtLeast,
    Stacking,
    SubtotalAtLeast,
    TieredSpend,
    UsageCounts,
)
from commercekit.pricing._actions import Action

__all__ = ["Outcome", "run_promotions"]

_LANES = {Lane.ITEMS: 0, Lane.ORDER: 1}


@attrs.frozen
class Outcome:
    """What happened to one promotion."""

    promotion: Promotion
    reason: CouponRefusal | None
    amount: int
    code: str | None


@attrs.frozen
class _Context:
    customer: Customer
    coupons: tuple[str, ...]
    at: datetime
    usage: UsageCounts
    currency: Currency
    scale: int
    per_total: bool
    rounding: str


_SKIP = object()


class _Engine:
    def __init__(self, rows: Sequence[Row], shipment: Shipment | None, ctx: _Context) -> None:
        self.rows = rows
        self.shipment = shipment
        self.ctx = ctx
        self._matches: dict[int, list[int]] = {}
        #: What is left of each row, kept equal to ``row.remaining`` (read without a copy).
        self.avail = [row.remaining for row in rows]
        self._index: Index | None = None

    # -- helpers ------------------------------------------------------------------------------

    def units(self, money: Money) -> Fraction:
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
        return div_round(amount * percent.numerator, percent.denominator * 100, self.ctx.rounding)

    def spread(self, total: int, indices: list[int], weights: list[int]) -> dict[int, int]:
        if not indices or total <= 0:
            return {}
        keys = [self.rows[i].id for i in indices]
        parts = _allocate(total, weights, keys)
        return {i: part for i, part in zip(indices, parts, strict=True) if part}

    # -- qualification ------------------------------------------------------------------------

    def refusal(self, promo: Promotion) -> object:
        ctx = self.ctx
        code: str | None = None
        for condition in promo.conditions:
            if isinstance(condition, CouponCode):
                present = [c for c in ctx.coupons if c in condition.codes]
                if not present:
                    return _SKIP
                limit = promo.usage_limit_per_code
                usable = [c for c in present if limit is None or ctx.usage.codes.get(c, 0) < limit]
                if not usable:
                    return CouponRefusal.USAGE_EXHAUSTED
                code = code or usable[0]
        if not promo.active:
            return CouponRefusal.INACTIVE
        for condition in promo.conditions:
            if isinstance(condition, DateWindow):
                if condition.starts_at is not None and ctx.at < condition.starts_at:
                    return CouponRefusal.NOT_STARTED
                if condition.ends_at is not None and ctx.at >= condition.ends_at:
                    return CouponRefusal.EXPIRED
        usage = ctx.usage
        if promo.usage_limit is not None and usage.promotions.get(promo.id, 0) >= promo.usage_limit:
            return CouponRefusal.USAGE_EXHAUSTED
        limit = promo.usage_limit_per_customer
        if (
            limit is not None
            and not ctx.customer.is_guest
            and usage.customer.get(promo.id, 0) >= limit
        ):
            return CouponRefusal.USAGE_EXHAUSTED
        minimum_missed = False
        for condition in promo.conditions:
            if isinstance(condition, CustomerGroupIn):
                if ctx.customer.group not in condition.groups:
                    return CouponRefusal.CONDITIONS_NOT_MET
            elif isinstance(condition, FirstOrder):
                if not ctx.customer.first_order:
                    return CouponRefusal.CONDITIONS_NOT_MET
            elif isinstance(condition, ContainsItems):
                if not self.matching(condition.items):
                    return CouponRefusal.CONDITIONS_NOT_MET
            elif isinstance(condition, SubtotalAtLeast):
                spent = sum(self.rows[i].start for i in self.matching(condition.items))
                if spent < self.units(condition.amount):
                    minimum_missed = True
            elif isinstance(condition, QuantityAtLeast):
                count = sum(self.rows[i].units for i in self.matching(condition.items))
                if count < condition.quantity:
                    minimum_missed = True
        if minimum_missed:
            return CouponRefusal.MINIMUM_NOT_MET
        return code

    # -- calculation --------------------------------------------------------------------------

    def calculate(self, promo: Promotion) -> tuple[dict[int, int], int]:
        """Per-row and shipping amounts ``promo`` takes off, capped; nothing is applied."""
        ship_avail = self.shipment.remaining if self.shipment is not None else 0
        if len(promo.actions) == 1:  # the common case reads the live amounts, no copy
            totals, ship_total = self._action(promo.actions[0], self.avail, ship_avail)
        else:
            avail = self.avail[:]
            totals = {}
            ship_total = 0
            for action in promo.actions:
                deltas, ship = self._action(action, avail, ship_avail)
                for index, amount in deltas.items():
                    avail[index] -= amount
                    totals[index] = totals.get(index, 0) + amount
                ship_avail -= ship
                ship_total += ship
        if promo.max_discount is not None:
            cap = int(self.units(promo.max_discount))  # a cap finer than the unit rounds down
            if sum(totals.values()) + ship_total > cap:
                indices = sorted(totals)
                keys = [self.rows[i].id for i in indices] + [SHIPPING_KEY]
                weights = [totals[i] for i in indices] + [ship_total]
                parts = _allocate(cap, weights, keys)
                totals = {i: p for i, p in zip(indices, parts, strict=False) if p}
                ship_total = parts[-1]
        return totals, ship_total

    def _action(self, action: Action, avail: list[int], ship: int) -> tuple[dict[int, int], int]:
        if isinstance(action, PercentOffItems):
            return self._percent_items(action.items, Fraction(action.percent), avail), 0
        if isinstance(action, AmountOffItems):
            return self._amount_items(action, avail), 0
        if isinstance(action, FixedPrice):
            price = self.units(action.price)
            deltas = {}
            for i in self.matching(action.items):
                row = self.rows[i]
                target = div_round(*times(price, row.quantity), self.ctx.rounding)
                if avail[i] > target:
                    deltas[i] = avail[i] - target
            return deltas, 0
        if isinstance(action, PercentOffOrder):
            indices = list(range(len(self.rows)))
            weights = avail[:]
            total = self.percent_of(sum(weights), Fraction(action.percent))
            return self.spread(total, indices, weights), 0
        if isinstance(action, AmountOffOrder):
            weights = avail[:]
            total = min(floor(self.units(action.amount)), sum(weights))
            return self.spread(total, list(range(len(self.rows))), weights), 0
        if isinstance(action, PercentOffShipping):
            return {}, self.percent_of(ship, Fraction(action.percent))
        if isinstance(action, AmountOffShipping):
            return {}, min(ship, floor(self.units(action.amount)))
        if isinstance(action, BuyXGetY):
            return buy_x_get_y(action, self.rows, avail, self.matching, self.ctx.rounding), 0
        return self._tiered(action, avail), 0

    def _percent_items(
        self, items: ItemFilter, percent: Fraction, avail: list[int]
    ) -> dict[int, int]:
        indices = [i for i in self.matching(items) if avail[i] > 0]
        if self.ctx.per_total:
            weights = [avail[i] for i in indices]
            return self.spread(self.percent_of(sum(weights), percent), indices, weights)
        num, den = percent.numerator, percent.denominator * 100
        deltas = {}
        if self.ctx.rounding == Rounding.HALF_UP:  # the default, inlined: 2x faster
            for i in indices:
                amount = (2 * avail[i] * num + den) // (2 * den)
                if amount:
                    deltas[i] = amount
            return deltas
        for i in indices:
            amount = div_round(avail[i] * num, den, self.ctx.rounding)
            if amount:
                deltas[i] = amount
        return deltas

    def _amount_items(self, action: AmountOffItems, avail: list[int]) -> dict[int, int]:
        amount = self.units(action.amount)
        indices = [i for i in self.matching(action.items) if avail[i] > 0]
        if not action.per_unit:
            weights = [avail[i] for i in indices]
            return self.spread(min(floor(amount), sum(weights)), indices, weights)
        deltas = {}
        for i in indices:
            off = div_round(*times(amount, self.rows[i].quantity), self.ctx.rounding)
            if off:
                deltas[i] = min(off, avail[i])
        return deltas

    def _tiered(self, action: TieredSpend, avail: list[int]) -> dict[int, int]:
        indices = self.matching(action.items)
        spent = sum(self.rows[i].start for i in indices)
        chosen = None
        for tier in action.tiers:
            if spent >= self.units(tier.threshold):
                chosen = tier
        if chosen is None:
            return {}
        if chosen.percent is not None:
            return self._percent_items(action.items, Fraction(chosen.percent), avail)
        live = [i for i in indices if avail[i] > 0]
        weights = [avail[i] for i in live]
        assert chosen.amount is not None
        return self.spread(min(floor(self.units(chosen.amount)), sum(weights)), live, weights)

    # -- application --------------------------------------------------------------------------

    def apply(self, promo: Promotion, deltas: dict[int, int], ship: int) -> None:
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
        for row in self.rows:
            row.start = row.remaining
        if self.shipment is not None:
            self.shipment.start = self.shipment.remaining


def run_promotions(
    rows: Sequence[Row],
    shipment: Shipment | None,
    promotions: Sequence[Promotion],
    *,
    customer: Customer,
    coupons: tuple[str, ...],
    at: datetime,
    usage: UsageCounts,
    currency: Currency,
    per_total: bool,
    rounding: str,
) -> list[Outcome]:
    """Apply ``promotions`` to ``rows`` and ``shipment`` in place.

    Returns one outcome per promotion considered, in the order they ran.
    """
    ctx = _Context(
        customer, coupons, at, usage, currency, 10**currency.minor_units, per_total, rounding
    )
    engine = _Engine(rows, shipment, ctx)
    ordered = sorted(promotions, key=lambda p: p.id)
    ordered.sort(key=lambda p: (_LANES[p.lane], -p.priority))
    if len({p.id for p in ordered}) != len(ordered):
        raise ValidationError("promotion ids must be unique")
    outcomes: dict[str, Outcome] = {}
    exclusive = _choose_exclusive(engine, ordered, outcomes)
    if exclusive is not None:
        for promo in ordered:
            if promo.id in outcomes:
                continue
            verdict = engine.refusal(promo)
            if verdict is _SKIP:
                continue
            reason = verdict if isinstance(verdict, CouponRefusal) else None
            outcomes[promo.id] = Outcome(promo, reason or CouponRefusal.NOT_COMBINABLE, 0, None)
        return [outcomes[p.id] for p in ordered if p.id in outcomes]
    for lane in (Lane.ITEMS, Lane.ORDER):
        engine.start_lane()
        stopped = False
        for promo in ordered:
            if promo.lane is not lane or promo.id in outcomes:
                continue
            verdict = engine.refusal(promo)
            if verdict is _SKIP:
                continue
            if isinstance(verdict, CouponRefusal):
                outcomes[promo.id] = Outcome(promo, verdict, 0, None)
                continue
            code = verdict if isinstance(verdict, str) else None
            if stopped:
                outcomes[promo.id] = Outcome(promo, CouponRefusal.NOT_COMBINABLE, 0, code)
                continue
            deltas, ship = engine.calculate(promo)
            total = sum(deltas.values()) + ship
            if not total:
                outcomes[promo.id] = Outcome(promo, CouponRefusal.NOTHING_TO_DISCOUNT, 0, code)
                continue
            engine.apply(promo, deltas, ship)
            outcomes[promo.id] = Outcome(promo, None, total, code)
            stopped = promo.stacking is Stacking.STOP
    return [outcomes[p.id] for p in ordered if p.id in outcomes]


def _choose_exclusive(
    engine: _Engine, ordered: list[Promotion], outcomes: dict[str, Outcome]
) -> Promotion | None:
    for promo in ordered:
        if promo.stacking is not Stacking.EXCLUSIVE:
            continue
        verdict = engine.refusal(promo)
        if verdict is _SKIP:
            continue
        if isinstance(verdict, CouponRefusal):
            outcomes[promo.id] = Outcome(promo, verdict, 0, None)
            continue
        code = verdict if isinstance(verdict, str) else None
        deltas, ship = engine.calculate(promo)
        total = sum(deltas.values()) + ship
        if not total:
            outcomes[promo.id] = Outcome(promo, CouponRefusal.NOTHING_TO_DISCOUNT, 0, code)
            continue
        engine.apply(promo, deltas, ship)
        outcomes[promo.id] = Outcome(promo, None, total, code)
        return promo
    return None
