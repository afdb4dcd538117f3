"""The promotions step of the pipeline: qualify, calculate, cap, then apply.

Works on integer minor units. The rules it implements are documented in
:mod:`commercekit.pricing._promotions` (lanes, priority, compounding, stacking, caps, limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

import attrs

from commercekit.cart._arith import div_round, ratio
from commercekit.errors import CurrencyMismatchError, ValidationError
from commercekit.money import Currency, Money
from commercekit.money import allocate_minor as _allocate
from commercekit.pricing import (
    AmountOffItems,
    AmountOffOrder,
    AmountOffShipping,
    BuyXGetY,
    CatalogEntry,
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

__all__ = ["Outcome", "Row", "Shipment", "run_promotions"]

SHIPPING_KEY = " shipping"  # sorts before any line id (line ids are percent-encoded)
_LANES = {Lane.ITEMS: 0, Lane.ORDER: 1}


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

    # -- helpers ------------------------------------------------------------------------------

    def units(self, money: Money) -> Fraction:
        if money.currency is not self.ctx.currency:
            raise CurrencyMismatchError(self.ctx.currency.code, money.currency.code, "discount")
        num, den = ratio(money.amount)
        return Fraction(num * self.ctx.scale, den)

    def matching(self, items: ItemFilter) -> list[int]:
        key = id(items)
        found = self._matches.get(key)
        if found is None:
            found = [i for i, row in enumerate(self.rows) if items.matches(row.entry)]
            self._matches[key] = found
        return found

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
        avail = [row.remaining for row in self.rows]
        ship_avail = self.shipment.remaining if self.shipment is not None else 0
        totals: dict[int, int] = {}
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
                target = div_round(*_times(price, row.quantity), self.ctx.rounding)
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
            total = min(_floor(self.units(action.amount)), sum(weights))
            return self.spread(total, list(range(len(self.rows))), weights), 0
        if isinstance(action, PercentOffShipping):
            return {}, self.percent_of(ship, Fraction(action.percent))
        if isinstance(action, AmountOffShipping):
            return {}, min(ship, _floor(self.units(action.amount)))
        if isinstance(action, BuyXGetY):
            return self._buy_x_get_y(action, avail), 0
        return self._tiered(action, avail), 0

    def _percent_items(
        self, items: ItemFilter, percent: Fraction, avail: list[int]
    ) -> dict[int, int]:
        indices = [i for i in self.matching(items) if avail[i] > 0]
        if self.ctx.per_total:
            weights = [avail[i] for i in indices]
            return self.spread(self.percent_of(sum(weights), percent), indices, weights)
        deltas = {}
        for i in indices:
            amount = self.percent_of(avail[i], percent)
            if amount:
                deltas[i] = amount
        return deltas

    def _amount_items(self, action: AmountOffItems, avail: list[int]) -> dict[int, int]:
        amount = self.units(action.amount)
        indices = [i for i in self.matching(action.items) if avail[i] > 0]
        if not action.per_unit:
            weights = [avail[i] for i in indices]
            return self.spread(min(_floor(amount), sum(weights)), indices, weights)
        deltas = {}
        for i in indices:
            off = div_round(*_times(amount, self.rows[i].quantity), self.ctx.rounding)
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
        return self.spread(min(_floor(self.units(chosen.amount)), sum(weights)), live, weights)

    def _buy_x_get_y(self, action: BuyXGetY, avail: list[int]) -> dict[int, int]:
        buy_set = {i for i in self.matching(action.buy_items) if self.rows[i].units}
        get_items = action.get_items if action.get_items is not None else action.buy_items
        get_set = {i for i in self.matching(get_items) if self.rows[i].units}
        both = buy_set & get_set
        n_buy = sum(self.rows[i].units for i in buy_set - both)
        n_get = sum(self.rows[i].units for i in get_set - both)
        n_both = sum(self.rows[i].units for i in both)

        def feasible(n: int) -> bool:
            return max(0, n * action.buy - n_buy) + max(0, n * action.get - n_get) <= n_both

        low, high = 0, (n_buy + n_get + n_both) // (action.buy + action.get)
        if action.max_applications is not None:
            high = min(high, action.max_applications)
        while low < high:
            middle = (low + high + 1) // 2
            if feasible(middle):
                low = middle
            else:
                high = middle - 1
        if low == 0:
            return {}

        def cheapest(index: int) -> tuple[Fraction, str]:
            return Fraction(avail[index], self.rows[index].units), self.rows[index].id

        # The dearest shared units are kept for buying; the cheapest may be discounted.
        free_shared = n_both - max(0, low * action.buy - n_buy)
        pool: list[tuple[Fraction, str, int, int]] = []
        for i in sorted(both, key=cheapest):
            take = min(self.rows[i].units, free_shared)
            if take <= 0:
                break
            free_shared -= take
            pool.append((*cheapest(i), i, take))
        pool.extend((*cheapest(i), i, self.rows[i].units) for i in get_set - both)
        pool.sort()
        wanted = low * action.get
        percent = Fraction(action.percent)
        deltas: dict[int, int] = {}
        for _, _, i, count in pool:
            if wanted <= 0:
                break
            take = min(count, wanted)
            wanted -= take
            units = self.rows[i].units
            amount = div_round(
                avail[i] * take * percent.numerator,
                units * 100 * percent.denominator,
                self.ctx.rounding,
            )
            if amount:
                deltas[i] = deltas.get(i, 0) + amount
        return deltas

    # -- application --------------------------------------------------------------------------

    def apply(self, promo: Promotion, deltas: dict[int, int], ship: int) -> None:
        for index, amount in deltas.items():
            row = self.rows[index]
            row.remaining -= amount
            row.adjustments[promo.id] = row.adjustments.get(promo.id, 0) + amount
        if ship and self.shipment is not None:
            self.shipment.remaining -= ship
            self.shipment.adjustments[promo.id] = ship

    def start_lane(self) -> None:
        for row in self.rows:
            row.start = row.remaining
        if self.shipment is not None:
            self.shipment.start = self.shipment.remaining


def _times(amount: Fraction, quantity: tuple[int, int]) -> tuple[int, int]:
    return amount.numerator * quantity[0], amount.denominator * quantity[1]


def _floor(amount: Fraction) -> int:
    return amount.numerator // amount.denominator


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
