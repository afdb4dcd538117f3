"""The tax step of the pipeline: the request built from the discounted amounts, the answer read.

The pipeline does not compute tax itself: it asks one :class:`~commercekit.ports.TaxCalculator`
(see :mod:`commercekit.tax`) and checks that the answer fits the request before the breakdown
is built from it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from commercekit.address import Address
from commercekit.cart._cart import Cart
from commercekit.cart._policy import PricingPolicy, RoundingPolicy, ShippingRate
from commercekit.errors import ValidationError
from commercekit.pricing import Customer
from commercekit.pricing.promotions import Row, Shipment
from commercekit.tax import (
    SHIPPING_ITEM,
    ItemTax,
    Seller,
    TaxableItem,
    TaxBuyer,
    TaxRequest,
    TaxResult,
)

__all__ = ["NO_TAX", "checked_result", "tax_request"]

NO_TAX = TaxResult()


def _quantity(row: Row) -> int | Decimal:
    num, den = row.quantity
    return num if den == 1 else Decimal(num) / Decimal(den)


def tax_request(
    rows: list[Row],
    shipment: Shipment | None,
    shipping: ShippingRate | None,
    cart: Cart,
    customer: Customer,
    at: datetime,
    policy: PricingPolicy,
    seller: Seller | None,
    ship_from: Address | None,
) -> TaxRequest:
    """The request for the calculator: every line's discounted amount, and shipping's."""
    items = tuple(
        TaxableItem(
            row.id,
            row.entry.sku,
            row.entry.tax_category,
            _quantity(row),
            row.subtotal,
            row.subtotal - row.remaining,
        )
        for row in rows
    )
    shipping_item = None
    if shipment is not None and shipping is not None:
        shipping_item = TaxableItem(
            SHIPPING_ITEM,
            None,
            shipping.tax_category,
            1,
            shipment.amount,
            shipment.amount - shipment.remaining,
        )
    if ship_from is None and seller is not None:
        ship_from = seller.address
    return TaxRequest(
        currency=cart.currency,
        at=at,
        items=items,
        shipping=shipping_item,
        ship_to=cart.shipping_address,
        ship_from=ship_from,
        billing=cart.billing_address,
        seller=seller,
        buyer=TaxBuyer(
            customer.id,
            customer.tax_exempt,
            customer.exemption_certificate,
            customer.vat_id,
            customer.vat_id_validated,
        ),
        prices_include_tax=policy.prices_include_tax,
        rounding=policy.rounding,
        per_total=policy.rounding_policy is RoundingPolicy.PER_TOTAL,
        tax_rounding=policy.tax_rounding,
        shipping_tax=policy.shipping_tax,
    )


def checked_result(request: TaxRequest, result: TaxResult) -> dict[str, ItemTax]:
    """The answer per item key, once it is known to fit ``request``.

    Every key must be one of the request's items, and an adjustment may only restate a
    tax-inclusive price, never below zero (each tax line's amount and currency are checked
    as the breakdown is assembled).
    """
    if not isinstance(result, TaxResult):
        raise ValidationError(f"a tax calculator must answer a TaxResult, got {result!r}")
    amounts = {item.key: item.amount_minor for item in request.items}
    if request.shipping is not None:
        amounts[SHIPPING_ITEM] = request.shipping.amount_minor
    answers: dict[str, ItemTax] = {}
    for item in result.items:
        if item.key not in amounts:
            raise ValidationError(f"the tax calculator answered for unknown item {item.key!r}")
        if item.adjustment_minor and not request.prices_include_tax:
            raise ValidationError(
                f"the tax calculator restated the price of {item.key!r}, but prices exclude tax"
            )
        if amounts[item.key] + item.adjustment_minor < 0:
            raise ValidationError(f"the tax calculator's adjustment of {item.key!r} is too large")
        answers[item.key] = item
    return answers
