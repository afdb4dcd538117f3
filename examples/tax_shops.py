"""Price one EU cart and one US cart, and print their tax lines and totals.

The EU shop is a German seller past the EU distance-selling threshold, so a consumer in Paris
pays French VAT: 20% on the lamp, 5.5% on the atlas (a printed book), and shipping follows
the goods it ships. The US shop is in Austin, Texas, registered in California too; it loads
a ZIP rate table (illustrative rates, in the shape of the free per-state rate files) and
ships to Sacramento, where the lamp gets four tax lines and the coffee (groceries) none.

Run: ``python examples/tax_shops.py``
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from commercekit import Money
from commercekit.address import Address
from commercekit.cart import Breakdown, Cart, PricingPolicy, ShippingRate, price_cart
from commercekit.pricing import CatalogEntry
from commercekit.tax import (
    EuCategory,
    EuVat,
    Seller,
    ShippingTax,
    TaxLine,
    UsSalesTax,
    UsZipRates,
)

AT = datetime(2026, 10, 1, 12, tzinfo=UTC)

# One row per ZIP code, as the per-state rate files have them (the rates are illustrative).
ZIP_RATES = """\
State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,\
EstimatedCityRate,EstimatedSpecialRate,RiskLevel
TX,78701,AUSTIN,0.082500,0.062500,0.000000,0.010000,0.010000,1
CA,95814,SACRAMENTO,0.087500,0.060000,0.002500,0.010000,0.015000,2
"""


def show_taxes(title: str, breakdown: Breakdown) -> None:
    """Print every line with its tax lines, shipping, the tax notes and the totals."""
    print(title)

    def taxes(tax_lines: tuple[TaxLine, ...]) -> None:
        for tax in tax_lines:
            where = tax.jurisdiction or "-"
            print(f"    + {tax.amount} {tax.name} {where} at {tax.rate} ({tax.source})")

    for line in breakdown.lines:
        print(f"  {line.line_id:<8} {line.quantity!s:>3} x {line.unit_price} = {line.subtotal}")
        taxes(line.tax_lines)
    if breakdown.shipping is not None:
        shipping = breakdown.shipping
        print(f"  shipping {shipping.method}: {shipping.amount}")
        taxes(shipping.tax_lines)
    for note in breakdown.tax_notes:
        print(f"  note [{note.code}] {note.text}")
    print(
        f"  subtotal {breakdown.subtotal}, shipping {breakdown.shipping_total}, "
        f"tax {breakdown.tax_total}, grand total {breakdown.grand_total}"
    )


def eu_cart() -> Breakdown:
    """A German shop over the threshold sells to a consumer in Paris: French VAT."""
    seller = Seller("DE", Address("DE", postal_code="10115", city="Berlin"), eu_over_threshold=True)
    catalog = {
        "LAMP": CatalogEntry("LAMP", price=Money("100.00", "EUR")),
        "ATLAS": CatalogEntry("ATLAS", price=Money("50.00", "EUR"), tax_category=EuCategory.BOOKS),
    }
    paris = Address("FR", postal_code="75008", city="Paris")
    cart = Cart(id="eu-1", currency="EUR", shipping_address=paris).add("LAMP").add("ATLAS")
    # Shipping follows the goods: 9.00 split 100 : 50 into 6.00 at 20% and 3.00 at 5.5%.
    return price_cart(
        cart,
        catalog,
        at=AT,
        tax=EuVat(seller),
        shipping=ShippingRate("colissimo", Money("9.00", "EUR"), tax_category="standard"),
        policy=PricingPolicy(shipping_tax=ShippingTax.WEIGHTED),
    )


def us_cart() -> Breakdown:
    """An Austin shop registered in California ships to Sacramento: destination rates."""
    rates = UsZipRates.from_csv(io.StringIO(ZIP_RATES), name="2026-09")
    seller = Seller("US", Address("US", "TX", "78701", "Austin"), registrations={"US-CA"})
    catalog = {
        "LAMP": CatalogEntry("LAMP", price=Money("49.99", "USD")),
        "COFFEE": CatalogEntry("COFFEE", price=Money("12.00", "USD"), tax_category="groceries"),
    }
    sacramento = Address("US", "CA", "95814", "Sacramento")
    cart = Cart(id="us-1", currency="USD", shipping_address=sacramento)
    # California exempts groceries and separately stated shipping.
    return price_cart(
        cart.add("LAMP").add("COFFEE"),
        catalog,
        at=AT,
        tax=UsSalesTax(rates, seller=seller),
        shipping=ShippingRate("ground", Money("7.95", "USD"), tax_category="shipping"),
    )


def main() -> None:
    """Price both carts and print them."""
    show_taxes("EU cart: Berlin to Paris", eu_cart())
    print()
    show_taxes("US cart: Austin to Sacramento", us_cart())


if __name__ == "__main__":
    main()
