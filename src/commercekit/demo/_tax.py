"""Demo section: one EU and one US quote, every tax line with its jurisdiction and source."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import TextIO

from commercekit.address import Address
from commercekit.cart import Breakdown, Cart, price_cart
from commercekit.demo._common import section
from commercekit.money import Money
from commercekit.pricing import CatalogEntry, Customer
from commercekit.tax import EuVat, Seller, TaxCalculator, UsSalesTax, UsZipRates

__all__ = ["tax_tour"]

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)
# A synthetic row in the layout of the free per-state ZIP rate files (rates are made up).
US_RATES = """State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,\
EstimatedCityRate,EstimatedSpecialRate,RiskLevel
CA,90001,SYNTHETIC CITY,0.095000,0.060000,0.002500,0.007500,0.025000,1
"""


def _percent(rate: Decimal) -> str:
    return f"{rate * 100:f}".rstrip("0").rstrip(".")


def _quote(
    out: TextIO,
    title: str,
    cart: Cart,
    catalog: dict[str, CatalogEntry],
    tax: TaxCalculator,
    seller: Seller,
    customer: Customer | None = None,
) -> Breakdown:
    quote = price_cart(cart, catalog, at=AT, tax=tax, seller=seller, customer=customer)
    print(f"  {title}", file=out)
    for line in quote.lines:
        for tax_line in line.tax_lines:
            print(
                f"    {line.sku:<5} {line.subtotal} {tax_line.name} {_percent(tax_line.rate)}% "
                f"{tax_line.jurisdiction}: {tax_line.amount}  [{tax_line.source}]",
                file=out,
            )
    for note in quote.tax_notes:
        print(f"    note ({note.code}): {note.text}", file=out)
    print(f"    tax {quote.tax_total}, total {quote.grand_total}", file=out)
    return quote


def tax_tour(out: TextIO) -> None:
    """Quote a cart to France (B2C and B2B) and one to a four-jurisdiction US address."""
    section(out, "Tax by jurisdiction: EU VAT and US sales tax, each line with its source")
    eu_catalog = {
        "BOOK": CatalogEntry("BOOK", price=Money("20.00", "EUR"), tax_category="books"),
        "MUG": CatalogEntry("MUG", price=Money("12.00", "EUR")),
    }
    seller = Seller("DE", Address("DE", postal_code="10115"), eu_over_threshold=True)
    paris = Address("FR", postal_code="75001", city="Paris")
    cart = Cart(currency="EUR", shipping_address=paris).add("BOOK", 1).add("MUG", 2)
    vat = EuVat(seller)
    _quote(
        out, "German seller over the EU threshold, French consumer:", cart, eu_catalog, vat, seller
    )
    business = Customer(vat_id="FR40303265045")
    _quote(
        out,
        "The same cart to a French business with a valid VAT id:",
        cart,
        eu_catalog,
        vat,
        seller,
        business,
    )
    us_catalog = {"LAMP": CatalogEntry("LAMP", price=Money("49.99", "USD"))}
    us_seller = Seller("US", Address("US", region="TX", postal_code="78701"), {"US-CA"})
    sales_tax = UsSalesTax(UsZipRates.from_csv(io.StringIO(US_RATES), name="demo"))
    la = Address("US", region="CA", postal_code="90001")
    us_cart = Cart(currency="USD", shipping_address=la).add("LAMP", 1)
    _quote(
        out,
        "A Texas seller registered in California, shipping to 90001:",
        us_cart,
        us_catalog,
        sales_tax,
        us_seller,
    )
