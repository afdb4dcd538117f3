"""The last step of the pipeline: cash rounding and the breakdown, built from minor units."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from commercekit.cart._breakdown import (
    Adjustment,
    Breakdown,
    CouponStatus,
    LineBreakdown,
    PriceChange,
    PromotionOutcome,
    ShippingBreakdown,
    TaxLine,
)
from commercekit.cart._cart import Cart
from commercekit.cart._policy import PricingPolicy, ShippingRate
from commercekit.errors import CurrencyMismatchError, ValidationError
from commercekit.money import CTX, Currency, Money, cash_round
from commercekit.pricing import CouponRefusal, ResolvedPrice, UsageCounts
from commercekit.pricing.promotions import Outcome, Row, ShippingRow
from commercekit.tax import SHIPPING_ITEM, ItemTax, TaxNote
from commercekit.values import trusted_constructor

__all__ = ["assemble", "price_changes"]

# Every field is computed here from checked rows: no converter or validator to run.
_line_breakdown = trusted_constructor(LineBreakdown)


def assemble(
    cart: Cart,
    at: datetime,
    policy: PricingPolicy,
    rows: list[Row],
    prices: list[ResolvedPrice],
    shipment: ShippingRow | None,
    shipping: ShippingRate | None,
    taxes: dict[str, ItemTax],
    notes: tuple[TaxNote, ...],
    outcomes: list[Outcome],
    usage: UsageCounts,
) -> Breakdown:
    currency = cart.currency
    labels = {outcome.promotion.id: outcome.promotion.label for outcome in outcomes}
    inclusive = policy.prices_include_tax
    lines: list[LineBreakdown] = []
    subtotal = discount = tax_total = adjusted = grand = matched = 0
    for line, row, price in zip(cart.lines, rows, prices, strict=True):
        adjustments = tuple(
            [
                Adjustment(pid, labels[pid], amount, currency)
                for pid, amount in row.adjustments.items()
            ]
        )
        answer = taxes.get(row.id)
        if answer is not None:
            matched += 1
        tax_lines, taxed, adjustment = _tax_lines(answer, currency, row.remaining, inclusive)
        remaining = row.remaining
        line_discount = row.subtotal - remaining
        total = remaining + adjustment if inclusive else remaining + taxed
        lines.append(
            _line_breakdown(
                row.id,
                line.sku,
                line.quantity,
                price.unit_price,
                price.compare_at,
                price.source,
                row.subtotal,
                adjustments,
                line_discount,
                tuple(tax_lines),
                taxed,
                total,
                adjustment,
            )
        )
        subtotal += row.subtotal
        discount += line_discount
        tax_total += taxed
        adjusted += adjustment
        grand += total
    shipping_part = None
    shipping_amount = 0
    if shipment is not None and shipping is not None:
        answer = taxes.get(SHIPPING_ITEM)
        if answer is not None:
            matched += 1
        tax_lines, taxed, adjustment = _tax_lines(answer, currency, shipment.remaining, inclusive)
        total = shipment.remaining + adjustment if inclusive else shipment.remaining + taxed
        shipping_part = ShippingBreakdown(
            shipping.method,
            currency,
            shipment.amount,
            tuple(
                Adjustment(pid, labels[pid], amount, currency)
                for pid, amount in shipment.adjustments.items()
            ),
            shipment.amount - shipment.remaining,
            tax_lines,
            taxed,
            total,
            adjustment,
        )
        shipping_amount = shipment.amount
        discount += shipment.amount - shipment.remaining
        tax_total += taxed
        adjusted += adjustment
        grand += total
    if matched != len(taxes):
        charged = {row.id for row in rows} | ({SHIPPING_ITEM} if shipping_part else set())
        stray = sorted(set(taxes) - charged)
        raise ValidationError(f"the tax calculator answered for unknown item {stray[0]!r}")
    rounding = 0
    if policy.cash_rounding is not None:
        unrounded = Money.from_trusted(Decimal(grand).scaleb(-currency.minor_units, CTX), currency)
        cash = cash_round(unrounded, policy.cash_rounding, policy.rounding)
        rounding = int(cash.difference.amount.scaleb(currency.minor_units, CTX))
    return Breakdown(
        cart_id=cart.id,
        currency=currency,
        priced_at=at,
        prices_include_tax=inclusive,
        lines=tuple(lines),
        shipping=shipping_part,
        subtotal_minor=subtotal,
        discount_total_minor=discount,
        shipping_total_minor=shipping_amount,
        tax_total_minor=tax_total,
        rounding_minor=rounding,
        grand_total_minor=grand + rounding,
        promotions=tuple(
            PromotionOutcome(o.promotion.id, o.reason is None, o.reason, o.amount, currency, o.code)
            for o in outcomes
        ),
        coupons=_coupon_statuses(cart.coupons, outcomes, usage),
        tax_adjustment_total_minor=adjusted,
        tax_notes=notes,
    )


def _coupon_statuses(
    codes: Iterable[str], outcomes: list[Outcome], usage: UsageCounts
) -> tuple[CouponStatus, ...]:
    statuses = []
    for code in codes:
        related = [o for o in outcomes if code in o.promotion.coupon_codes]
        if not related:
            statuses.append(CouponStatus(code, False, None, CouponRefusal.UNKNOWN_CODE))
            continue
        used = next((o for o in related if o.reason is None and o.code == code), None)
        if used is not None:
            statuses.append(CouponStatus(code, True, used.promotion.id, None))
            continue
        first = related[0]
        limit = first.promotion.usage_limit_per_code
        if limit is not None and usage.codes.get(code, 0) >= limit:
            reason = CouponRefusal.USAGE_EXHAUSTED
        else:
            reason = first.reason or CouponRefusal.NOT_COMBINABLE
        statuses.append(CouponStatus(code, False, first.promotion.id, reason))
    return tuple(statuses)


def price_changes(cart: Cart, breakdown: Breakdown) -> tuple[PriceChange, ...]:
    """Lines whose unit price now differs from the one the customer saw (``seen_unit_price``).

    Lines without a seen price are not reported.
    """
    current = breakdown.unit_prices()
    changes = []
    for line in cart.lines:
        now = current.get(line.id)
        if line.seen_unit_price is not None and now is not None and now != line.seen_unit_price:
            changes.append(PriceChange(line.id, line.seen_unit_price, now))
    return tuple(changes)


def _tax_lines(
    item: ItemTax | None, currency: Currency, amount: int, inclusive: bool
) -> tuple[tuple[TaxLine, ...], int, int]:
    """(tax lines, their sum, the adjustment) of one item's answer, checked."""
    if item is None:
        return (), 0, 0
    lines = item.lines
    taxed = 0
    for line in lines:
        if line.currency is not currency:
            raise CurrencyMismatchError(
                currency.code,
                line.currency.code,
                message=f"the tax calculator answered in {line.currency.code}, not in"
                f" {currency.code}",
            )
        tax = line.amount_minor
        if type(tax) is not int or tax < 0:
            raise ValidationError(
                f"the tax calculator answered a tax of {tax!r} on {item.key!r}: tax is a"
                " non-negative number of minor units"
            )
        taxed += tax
    adjustment = item.adjustment_minor
    if adjustment:
        if not inclusive:
            raise ValidationError(
                f"the tax calculator restated the price of {item.key!r}, but prices exclude tax"
            )
        if amount + adjustment < 0:
            raise ValidationError(f"the tax calculator's adjustment of {item.key!r} is too large")
    return lines, taxed, adjustment
