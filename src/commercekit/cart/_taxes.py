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
from commercekit.pricing.promotions import Row, ShippingRow
from commercekit.tax import (
    SHIPPING_ITEM,
    ItemTax,
    Seller,
    TaxableItem,
    TaxBuyer,
    TaxRequest,
    TaxResult,
)
from commercekit.values import trusted_constructor

__all__ = ["NO_TAX", "answers", "tax_request"]

NO_TAX = TaxResult()
# The pipeline's own rows are already checked: a line id, a SKU, integer amounts.
_taxable_item = trusted_constructor(TaxableItem)


def _quantity(row: Row) -> int | Decimal:
    num, den = row.quantity
    return num if den == 1 else Decimal(num) / Decimal(den)


def tax_request(
    rows: list[Row],
    shipment: ShippingRow | None,
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
        _taxable_item(
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


def answers(result: TaxResult) -> dict[str, ItemTax]:
    """The answer per item key (each key is checked against the request while assembling)."""
    if not isinstance(result, TaxResult):
        raise ValidationError(f"a tax calculator must answer a TaxResult, got {result!r}")
    return {item.key: item for item in result.items}
