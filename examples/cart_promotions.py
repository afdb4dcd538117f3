"""Price a cart with promotions, tax and shipping, and print its explained breakdown.

Run: ``python examples/cart_promotions.py``
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from commercekit import Money
from commercekit.cart import Breakdown, Cart, ShippingRate, price_cart
from commercekit.pricing import (
    AmountOffOrder,
    BuyXGetY,
    CatalogEntry,
    CouponCode,
    ItemFilter,
    Lane,
    PercentOffShipping,
    Promotion,
    SubtotalAtLeast,
)
from commercekit.tax import FlatTaxTable, TaxRate


def usd(amount: str) -> Money:
    return Money(amount, "USD")


CATALOG = {
    "MUG": CatalogEntry("MUG", price=usd("12.00"), tags={"kitchen"}, tax_category="goods"),
    "COFFEE": CatalogEntry("COFFEE", price=usd("28.00"), sold_by_measure=True, tax_category="food"),
    "SOCKS": CatalogEntry("SOCKS", price=usd("6.50"), collections={"apparel"}),
}
PROMOTIONS = [
    Promotion("mugs-3for2", "Mugs: 3 for 2", [BuyXGetY(2, 1, ItemFilter(tags={"kitchen"}))]),
    Promotion(
        "save10",
        "SAVE10: 10 off orders over 50",
        [AmountOffOrder(usd("10"))],
        [CouponCode({"SAVE10"}), SubtotalAtLeast(usd("50"))],
        lane=Lane.ORDER,
    ),
    Promotion(
        "ship-free",
        "Free shipping over 75",
        [PercentOffShipping(100)],
        [SubtotalAtLeast(usd("75"))],
    ),
]
TAX = FlatTaxTable({"goods": TaxRate("Sales tax", "0.0725", "US-CA"), "food": ()})


def show(breakdown: Breakdown) -> None:
    """Print every line, adjustment and total of ``breakdown``."""
    for line in breakdown.lines:
        print(f"{line.line_id:<8} {line.quantity!s:>6} x {line.unit_price}  = {line.subtotal}")
        for adjustment in line.adjustments:
            print(f"{'':>10}- {adjustment.amount} {adjustment.label}")
        for tax in line.tax_lines:
            print(f"{'':>10}+ {tax.amount} {tax.name} ({tax.rate})")
        print(f"{'':>10}line total {line.total}")
    if breakdown.shipping is not None:
        shipping = breakdown.shipping
        print(f"shipping {shipping.method}: {shipping.amount} -> {shipping.total}")
    print(
        f"subtotal {breakdown.subtotal}, discounts {breakdown.discount_total}, "
        f"tax {breakdown.tax_total}, grand total {breakdown.grand_total}"
    )
    for coupon in breakdown.coupons:
        verdict = "accepted" if coupon.accepted else f"refused: {coupon.reason}"
        print(f"coupon {coupon.code}: {verdict}")


def main() -> None:
    """Quote one cart, then the same cart after the customer removes a mug."""
    cart = (
        Cart(id="demo", currency="USD")
        .add("MUG", 3)
        .add("COFFEE", Decimal("0.75"))
        .add("SOCKS", 2)
        .apply_coupon("save10")
    )
    at = datetime(2026, 5, 1, tzinfo=UTC)
    shipping = ShippingRate("ground", usd("7.95"))
    first = price_cart(cart, CATALOG, at=at, promotions=PROMOTIONS, tax=TAX, shipping=shipping)
    show(first)
    print()
    smaller = cart.set_quantity("MUG", 1).remove("SOCKS")
    show(price_cart(smaller, CATALOG, at=at, promotions=PROMOTIONS, tax=TAX, shipping=shipping))


if __name__ == "__main__":
    main()
