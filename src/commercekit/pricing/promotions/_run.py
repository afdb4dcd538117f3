"""Running the promotions: order them, qualify each, calculate and apply, record outcomes.

Works on integer minor units. The rules it implements are documented in
:mod:`commercekit.pricing.promotions` (lanes, priority, compounding, stacking, caps, limits).
The working state is in ``_engine``, the amounts in ``_calculate``; this module decides which
promotions apply, in which order, and why the others do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from commercekit.errors import ValidationError
from commercekit.money import Currency
from commercekit.pricing._catalog import Customer
from commercekit.pricing.promotions._calculate import calculate
from commercekit.pricing.promotions._conditions import (
    ContainsItems,
    CouponCode,
    CustomerGroupIn,
    DateWindow,
    FirstOrder,
    QuantityAtLeast,
    SubtotalAtLeast,
)
from commercekit.pricing.promotions._engine import Context, Engine, Row, ShippingRow
from commercekit.pricing.promotions._promotion import (
    CouponRefusal,
    Lane,
    Promotion,
    Stacking,
    UsageCounts,
)

__all__ = ["Outcome", "run_promotions"]

_LANES = {Lane.ITEMS: 0, Lane.ORDER: 1}

#: The promotion needs a coupon code the cart does not carry: leave it out of the outcomes.
_SKIP = object()

#: What :func:`_refusal` returns: a reason, :data:`_SKIP`, or the unlocking code (or ``None``).
_Verdict = CouponRefusal | str | object | None


def _refusal(engine: Engine, promo: Promotion) -> _Verdict:
    """Why ``promo`` does not apply; else the coupon code that unlocks it, or ``None``."""
    ctx = engine.ctx
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
    if limit is not None and not ctx.customer.is_guest and usage.customer.get(promo.id, 0) >= limit:
        return CouponRefusal.USAGE_EXHAUSTED
    minimum_missed = False
    rows = engine.rows
    for condition in promo.conditions:
        if isinstance(condition, CustomerGroupIn):
            if ctx.customer.group not in condition.groups:
                return CouponRefusal.CONDITIONS_NOT_MET
        elif isinstance(condition, FirstOrder):
            if not ctx.customer.first_order:
                return CouponRefusal.CONDITIONS_NOT_MET
        elif isinstance(condition, ContainsItems):
            if not engine.matching(condition.items):
                return CouponRefusal.CONDITIONS_NOT_MET
        elif isinstance(condition, SubtotalAtLeast):
            spent = sum(rows[i].start for i in engine.matching(condition.items))
            if spent < engine.units(condition.amount):
                minimum_missed = True
        elif isinstance(condition, QuantityAtLeast):
            count = sum(rows[i].units for i in engine.matching(condition.items))
            if count < condition.quantity:
                minimum_missed = True
    if minimum_missed:
        return CouponRefusal.MINIMUM_NOT_MET
    return code


@attrs.frozen
class Outcome:
    """What happened to one promotion in :func:`run_promotions`."""

    #: The promotion.
    promotion: Promotion
    #: Why it was not applied, or ``None`` when it was.
    reason: CouponRefusal | None
    #: What it took off, items and shipping together, in minor units (0 when refused).
    amount: int
    #: The coupon code that unlocked it, or ``None``.
    code: str | None


def _attempt(engine: Engine, promo: Promotion, *, blocked: bool = False) -> Outcome | None:
    """Qualify ``promo`` and, unless ``blocked`` by stacking, apply it; ``None``: skipped."""
    verdict = _refusal(engine, promo)
    if verdict is _SKIP:
        return None
    if isinstance(verdict, CouponRefusal):
        return Outcome(promo, verdict, 0, None)
    code = verdict if isinstance(verdict, str) else None
    if blocked:
        return Outcome(promo, CouponRefusal.NOT_COMBINABLE, 0, code)
    deltas, ship = calculate(engine, promo)
    total = sum(deltas.values()) + ship
    if not total:
        return Outcome(promo, CouponRefusal.NOTHING_TO_DISCOUNT, 0, code)
    engine.apply(promo, deltas, ship)
    return Outcome(promo, None, total, code)


def run_promotions(
    rows: Sequence[Row],
    shipment: ShippingRow | None,
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
    """Apply ``promotions`` to ``rows`` and ``shipment`` in place, by the rules of the package.

    ``rows`` and ``shipment`` are integer minor units of ``currency``; each promotion's
    adjustments are recorded on them. ``customer``, ``coupons`` (normalized codes), ``at``
    and ``usage`` are what conditions and limits are judged against; ``per_total`` rounds
    percentage item discounts once over the rows they apply to instead of per row, and
    ``rounding`` is the :class:`~commercekit.money.Rounding` mode at every rounding point.
    Returns one outcome per promotion considered, in the order they ran; a promotion whose
    coupon code the cart does not carry is left out.
    """
    ctx = Context(
        customer, coupons, at, usage, currency, 10**currency.minor_units, per_total, rounding
    )
    engine = Engine(rows, shipment, ctx)
    ordered = sorted(promotions, key=lambda p: p.id)
    ordered.sort(key=lambda p: (_LANES[p.lane], -p.priority))
    if len({p.id for p in ordered}) != len(ordered):
        raise ValidationError("promotion ids must be unique")
    outcomes: dict[str, Outcome] = {}
    if _choose_exclusive(engine, ordered, outcomes):
        for promo in ordered:
            if promo.id in outcomes:
                continue
            verdict = _refusal(engine, promo)
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
            outcome = _attempt(engine, promo, blocked=stopped)
            if outcome is None:
                continue
            outcomes[promo.id] = outcome
            if outcome.reason is None:
                stopped = promo.stacking is Stacking.STOP
    return [outcomes[p.id] for p in ordered if p.id in outcomes]


def _choose_exclusive(
    engine: Engine, ordered: list[Promotion], outcomes: dict[str, Outcome]
) -> bool:
    """Apply the first exclusive promotion that qualifies; whether one did."""
    for promo in ordered:
        if promo.stacking is not Stacking.EXCLUSIVE:
            continue
        outcome = _attempt(engine, promo)
        if outcome is None:
            continue
        outcomes[promo.id] = outcome
        if outcome.reason is None:
            return True
    return False
