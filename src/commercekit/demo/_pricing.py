"""Demo section: a cart with promotions and its explained breakdown."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TextIO

from commercekit.cart import Cart, ShippingRate, price_cart
from commercekit.demo._common import section
from commercekit.money import Money
from commercekit.pricing import (
    AmountOffOrder,
    BuyXGetY,
    CatalogEntry,
    CouponCode,
    Lane,
    Promotion,
    SubtotalAtLeast,
)
from commercekit.tax import FlatTaxTable, TaxRate

__all__ = ["pricing_tour"]


def pricing_tour(out: TextIO) -> None:
    """Price a cart with a 3-for-2 and a coupon; print every adjustment."""
    section(out, "A cart with promotions: every adjustment explained, parts add up")
    eur = "EUR"
    catalog = {
        "MUG": CatalogEntry("MUG", price=Money("12.00", eur), tax_category="std"),
        "TEA": CatalogEntry("TEA", price=Money("30.00", eur), sold_by_measure=True),
    }
    promotions = [
        Promotion("3for2", "Mugs 3 for 2", [BuyXGetY(2, 1)]),
        Promotion(
            "save5",
            "SAVE5: 5 off over 30",
            [AmountOffOrder(Money("5", eur))],
            [CouponCode({"SAVE5"}), SubtotalAtLeast(Money("30", eur))],
            lane=Lane.ORDER,
        ),
    ]
    cart = Cart(currency=eur).add("MUG", 3).add("TEA", Decimal("0.5")).apply_coupon("save5")
    quote = price_cart(
        cart,
        catalog,
        at=datetime(2026, 5, 1, tzinfo=UTC),
        promotions=promotions,
        tax=FlatTaxTable({"std": TaxRate("VAT", "0.19")}),
        shipping=ShippingRate("post", Money("4.90", eur)),
    )
    for line in quote.lines:
        taken = ", ".join(f"-{a.amount.amount} {a.label}" for a in line.adjustments)
        print(
            f"  {line.line_id:<4} {line.quantity!s:>4} x {line.unit_price}: {line.subtotal} "
            f"[{taken}] tax {line.tax_total} -> {line.total}",
            file=out,
        )
    print(
        f"  subtotal {quote.subtotal} - discounts {quote.discount_total} + shipping "
        f"{quote.shipping_total} + tax {quote.tax_total} = {quote.grand_total}",
        file=out,
    )
