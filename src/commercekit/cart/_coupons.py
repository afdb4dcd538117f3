"""A raising coupon check on top of the refusal reasons the pipeline records."""

from __future__ import annotations

from commercekit.cart._breakdown import Breakdown, CouponStatus
from commercekit.errors import CouponError, ValidationError
from commercekit.pricing import CouponRefusal, normalize_code

__all__ = ["check_coupon"]


def check_coupon(breakdown: Breakdown, code: str) -> CouponStatus:
    """The status of coupon ``code`` in ``breakdown`` if it was accepted; else raise why.

    A refused code is a :class:`~commercekit.errors.CouponError` whose ``reason`` is the
    :class:`~commercekit.pricing.CouponRefusal` the pipeline recorded (``unknown_code``,
    ``inactive``, ``not_started``, ``expired``, ``minimum_not_met``, ``usage_exhausted``,
    ``not_combinable``, ``conditions_not_met``, ``nothing_to_discount``), with ``code`` and
    ``promotion_id`` set. A code the priced cart does not carry is a
    :class:`~commercekit.errors.ValidationError`: apply it to the cart and price it first.
    """
    normalized = normalize_code(code)
    for status in breakdown.coupons:
        if status.code != normalized:
            continue
        if status.accepted:
            return status
        reason = status.reason or CouponRefusal.NOT_COMBINABLE
        where = "" if status.promotion_id is None else f" by promotion {status.promotion_id!r}"
        raise CouponError(
            f"coupon {normalized} refused{where}: {reason.value.replace('_', ' ')}",
            normalized,
            reason,
            promotion_id=status.promotion_id,
        )
    raise ValidationError(
        f"coupon {normalized} is not on cart {breakdown.cart_id!r}; apply it and price the cart"
    )
