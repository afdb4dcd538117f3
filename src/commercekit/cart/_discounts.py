"""The promotions step of the pipeline: qualify, calculate, cap, then apply.

Works on integer minor units. The rules it implements are documented in
:mod:`commercekit.pricing._promotions` (lanes, priority, compounding, stacking, caps, limits).
The parts live beside this module: the shared state in :mod:`commercekit.cart._engine`,
qualification in :mod:`commercekit.cart._qualify`, calculation in
:mod:`commercekit.cart._calculate`; this module orders the promotions and records outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from commercekit.cart._calculate import calculate
from commercekit.cart._engine import Context, Engine
from commercekit.cart._qualify import SKIP, refusal
from commercekit.cart._rows import Row, Shipment
from commercekit.errors import ValidationError
from commercekit.money import Currency
from commercekit.pricing import CouponRefusal, Customer, Lane, Promotion, Stacking, UsageCounts

__all__ = ["Outcome", "run_promotions"]

_LANES = {Lane.ITEMS: 0, Lane.ORDER: 1}


@attrs.frozen
class Outcome:
    """What happened to one promotion."""

    promotion: Promotion
    reason: CouponRefusal | None
    amount: int
    code: str | None


def _attempt(engine: Engine, promo: Promotion, *, blocked: bool = False) -> Outcome | None:
    """Qualify ``promo`` and, unless ``blocked`` by stacking, apply it; ``None``: skipped."""
    verdict = refusal(engine, promo)
    if verdict is SKIP:
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
            verdict = refusal(engine, promo)
            if verdict is SKIP:
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
