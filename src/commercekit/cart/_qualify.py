"""Qualification: whether a promotion applies to the cart, and if not, why."""

from __future__ import annotations

from commercekit.cart._engine import Engine
from commercekit.pricing import (
    ContainsItems,
    CouponCode,
    CouponRefusal,
    CustomerGroupIn,
    DateWindow,
    FirstOrder,
    Promotion,
    QuantityAtLeast,
    SubtotalAtLeast,
)

__all__ = ["SKIP", "Verdict", "refusal"]

#: The promotion needs a coupon code the cart does not carry: leave it out of the outcomes.
SKIP = object()

#: What :func:`refusal` returns: a reason, :data:`SKIP`, or the unlocking code (or ``None``).
Verdict = CouponRefusal | str | object | None


def refusal(engine: Engine, promo: Promotion) -> Verdict:
    """Why ``promo`` does not apply; else the coupon code that unlocks it, or ``None``."""
    ctx = engine.ctx
    code: str | None = None
    for condition in promo.conditions:
        if isinstance(condition, CouponCode):
            present = [c for c in ctx.coupons if c in condition.codes]
            if not present:
                return SKIP
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
