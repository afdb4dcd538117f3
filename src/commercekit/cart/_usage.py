"""Promotion usage in the store: read the counts before pricing, consume them at checkout.

Every applied promotion counts one use under its id (in all, and for the customer unless the
cart is a guest's), and every coupon code that unlocked one counts one use under
:func:`~commercekit.pricing.code_counter_id` (``"code:" + CODE``). Counters are consumed in
sorted order, so concurrent checkouts on PostgreSQL take their row locks in the same order
and cannot deadlock one another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from commercekit.cart._breakdown import Breakdown
from commercekit.errors import CouponError, ValidationError
from commercekit.ports import PROMOTION_USAGE, TransactionPort
from commercekit.pricing import CouponRefusal, Promotion, UsageCounts, code_counter_id

__all__ = ["consume_promotions", "read_usage_counts", "release_promotions"]


@attrs.frozen
class _Claim:
    """One counter to move: a promotion's (with its customer) or a coupon code's."""

    counter: str
    customer_id: str | None
    limit: int | None
    per_customer_limit: int | None
    promotion_id: str
    code: str | None


def _stricter(left: int | None, right: int | None) -> int | None:
    if left is None:
        return right
    return left if right is None else min(left, right)


def _claims(
    breakdown: Breakdown, promotions: Sequence[Promotion], customer_id: str | None
) -> list[_Claim]:
    by_id = {promo.id: promo for promo in promotions}
    claims: dict[str, _Claim] = {}
    for outcome in breakdown.promotions:
        if not outcome.applied:
            continue
        promo = by_id.get(outcome.promotion_id)
        if promo is None:
            raise ValidationError(
                f"promotion {outcome.promotion_id!r} applied to cart {breakdown.cart_id!r}"
                " is not among the promotions given"
            )
        code = outcome.coupon_code
        claims[promo.id] = _Claim(
            promo.id,
            customer_id,
            promo.usage_limit,
            promo.usage_limit_per_customer,
            promo.id,
            code,
        )
        if code is not None:
            counter = code_counter_id(code)
            earlier = claims.get(counter)
            limit = promo.usage_limit_per_code
            if earlier is not None:  # two promotions unlocked by one code: one use, both limits
                limit = _stricter(earlier.limit, limit)
            claims[counter] = _Claim(counter, None, limit, None, promo.id, code)
    return [claims[key] for key in sorted(claims)]


def _exhausted(tx: TransactionPort, claim: _Claim) -> CouponError:
    if claim.counter != claim.promotion_id:
        what = f"coupon {claim.code} (promotion {claim.promotion_id!r}) has no uses left"
    else:
        count = tx.repository(PROMOTION_USAGE).count(claim.counter, claim.customer_id)
        mine = claim.per_customer_limit
        if claim.customer_id is not None and mine is not None and count.by_customer >= mine:
            what = (
                f"promotion {claim.promotion_id!r} was used {count.by_customer} times by"
                f" customer {claim.customer_id!r} (limit {mine})"
            )
        else:
            what = f"promotion {claim.promotion_id!r} reached its usage limit ({claim.limit})"
    return CouponError(
        f"{what}: usage exhausted",
        claim.code,
        CouponRefusal.USAGE_EXHAUSTED,
        promotion_id=claim.promotion_id,
    )


def consume_promotions(
    tx: TransactionPort,
    breakdown: Breakdown,
    promotions: Sequence[Promotion],
    *,
    customer_id: str | None,
) -> tuple[str, ...]:
    """Consume one use of every promotion and coupon code ``breakdown`` applied, or none.

    Call it in the checkout's write transaction ``tx``, with the promotions the breakdown was
    priced with and the id of the cart's customer (``None`` for a guest, who is not limited
    per customer). Each counter moves by one guarded atomic statement that respects
    ``usage_limit``, ``usage_limit_per_customer`` and ``usage_limit_per_code``, so concurrent
    checkouts never pass a limit. If any limit is exhausted, the uses already counted here are
    given back before :class:`~commercekit.errors.CouponError` (reason ``usage_exhausted``,
    naming the promotion and code) is raised: nothing is consumed. Returns the counters
    consumed, in order (promotion ids and ``"code:..."`` ids).
    """
    usage = tx.repository(PROMOTION_USAGE)
    done: list[_Claim] = []
    for claim in _claims(breakdown, promotions, customer_id):
        if usage.consume(
            claim.counter,
            customer_id=claim.customer_id,
            limit=claim.limit,
            per_customer_limit=claim.per_customer_limit,
        ):
            done.append(claim)
            continue
        error = _exhausted(tx, claim)
        for earlier in reversed(done):
            usage.release(earlier.counter, customer_id=earlier.customer_id)
        raise error
    return tuple(claim.counter for claim in done)


def release_promotions(
    tx: TransactionPort,
    breakdown: Breakdown,
    promotions: Sequence[Promotion],
    *,
    customer_id: str | None,
) -> None:
    """Give back the uses :func:`consume_promotions` counted for ``breakdown`` (order cancelled)."""
    for claim in _claims(breakdown, promotions, customer_id):
        tx.repository(PROMOTION_USAGE).release(claim.counter, customer_id=claim.customer_id)


def read_usage_counts(
    tx: TransactionPort,
    promotions: Sequence[Promotion],
    *,
    customer_id: str | None,
    coupons: Iterable[str] = (),
) -> UsageCounts:
    """The usage counts pricing needs, read in ``tx``: promotions with a limit, and ``coupons``.

    A coupon code is read only when a promotion that accepts it has ``usage_limit_per_code``.
    """
    totals: dict[str, int] = {}
    mine: dict[str, int] = {}
    codes: dict[str, int] = {}
    limited_codes: set[str] = set()
    for promo in promotions:
        if promo.usage_limit_per_code is not None:
            limited_codes |= promo.coupon_codes
        if promo.usage_limit is None and promo.usage_limit_per_customer is None:
            continue
        count = tx.repository(PROMOTION_USAGE).count(promo.id, customer_id)
        totals[promo.id] = count.total
        mine[promo.id] = count.by_customer
    for code in coupons:
        if code in limited_codes:
            codes[code] = tx.repository(PROMOTION_USAGE).count(code_counter_id(code)).total
    return UsageCounts(promotions=totals, customer=mine, codes=codes)
