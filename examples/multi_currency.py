"""Sell one catalog in four currencies and show each total the way its customers write money.

The catalog is priced in euros. The shop sets its own US dollar prices for two products (a
price list); everything else, and every other currency, is converted with the day's exchange
rates, rounded half-up to the currency's minor unit: yen have none, dinars have three. Totals
are computed in the cart's currency, then formatted for the customer's locale with babel
(formatting is display only: it never feeds a calculation).

Run: ``python examples/multi_currency.py``
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from commercekit import Money, format_money
from commercekit.cart import Cart, price_cart
from commercekit.money import get_currency
from commercekit.pricing import CatalogEntry, PriceList, StaticExchangeRates, convert

CATALOG = {
    "MUG": CatalogEntry("MUG", price=Money("12.00", "EUR")),
    "TEE": CatalogEntry("TEE", price=Money("24.90", "EUR")),
    "POSTER": CatalogEntry("POSTER", price=Money("7.45", "EUR")),
}
# Round prices the shop chose for the US market; the poster has none and is converted.
US_PRICES = PriceList(
    "us-retail", "USD", {"MUG": Money("12.99", "USD"), "TEE": Money("27.00", "USD")}
)
# Units of the target currency per euro, as a rates feed would give them for the day.
RATES = StaticExchangeRates(
    {
        ("EUR", "USD"): Decimal("1.0842"),
        ("EUR", "JPY"): Decimal("162.37"),
        ("EUR", "KWD"): Decimal("0.33305"),
    }
)
# Where each currency's customers are, for display.
LOCALES = {
    "EUR": ["de_DE", "fr_FR", "nl_NL"],
    "USD": ["en_US", "es_US"],
    "JPY": ["ja_JP", "en_US"],
    "KWD": ["ar_KW", "en_GB"],
}


def main() -> None:
    """Price the same cart in each currency, then print its lines and formatted totals."""
    at = datetime(2026, 4, 1, 12, tzinfo=UTC)
    for currency, locales in LOCALES.items():
        cart = Cart(id=f"cart-{currency}", currency=currency).add("MUG", 2).add("TEE").add("POSTER")
        quote = price_cart(cart, CATALOG, at=at, price_lists=[US_PRICES], exchange_rates=RATES)
        digits = get_currency(currency).minor_units
        print(f"{currency} ({digits} decimals):")
        for line in quote.lines:
            print(
                f"  {line.quantity} x {line.line_id:<6} at {line.unit_price!s:>12} = {line.total}"
            )
        shown = ", ".join(
            f"{locale} {format_money(quote.grand_total, locale)}" for locale in locales
        )
        print(f"  total {quote.grand_total}: {shown}")

    # Converting a single amount: the same rule, one call.
    print("7.45 EUR is", convert(Money("7.45", "EUR"), "JPY", RATES.get_rate("EUR", "JPY")))
    print(
        "back in EUR at the inverse rate:", RATES.get_rate("JPY", "EUR").quantize(Decimal("1e-8"))
    )


if __name__ == "__main__":
    main()
