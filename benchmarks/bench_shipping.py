"""Shipping: table rates for a 100-line cart split over 3 locations, against plain Decimal.

Target (issue 15): quoting takes at most 3x the time of a plain-Decimal implementation doing
the same work in the same run: for three methods (weight bands with an over-band price, price
bands on the discounted subtotal, a flat rate limited to a zone), per shipment (one per
location) the summed weight of its items, the band lookup, the per-parcel amounts summed over
the shipments, the zone check, and the quotes ordered cheapest first. A check before timing
asserts that both give the same methods and amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from benchmarks._harness import Ratio, compare, report
from commercekit.address import Address
from commercekit.money import Money
from commercekit.shipping import (
    FlatRate,
    PriceBands,
    Shipment,
    ShippableItem,
    ShippingMethod,
    ShippingRequest,
    TableRates,
    Weight,
    WeightBands,
)
from commercekit.tax import TaxZone

LOCATIONS = ["paris", "lyon", "lille"]
DESTINATION = Address("FR", postal_code="75011")
# Bands in kg: up to 1 -> 4.90, up to 5 -> 7.90, up to 20 -> 12.90, over -> 29.90.
WEIGHT_BANDS = [("1", "4.90"), ("5", "7.90"), ("20", "12.90")]
OVER = "29.90"
# On the cart's discounted subtotal: up to 50 -> 6.50, up to 150 -> 4.50, over -> free.
PRICE_BANDS = [("50", "6.50"), ("150", "4.50")]


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def build() -> tuple[TableRates, ShippingRequest, list[tuple[str, Decimal, int]]]:
    """The table, the request, and the same items as plain (location, kg, quantity) rows."""
    standard = ShippingMethod(
        "standard",
        "Standard",
        WeightBands([(Weight(up, "kg"), eur(price)) for up, price in WEIGHT_BANDS], over=eur(OVER)),
    )
    saver = ShippingMethod(
        "saver",
        "Saver",
        PriceBands([(eur(up), eur(price)) for up, price in PRICE_BANDS], over=eur("0.00")),
    )
    courier = ShippingMethod(
        "courier", "Courier", FlatRate(eur("15.00")), zones=[TaxZone("fr", "FR")]
    )
    table = TableRates([standard, saver, courier])
    rows: list[tuple[str, Decimal, int]] = []
    shipments = []
    for index, location in enumerate(LOCATIONS):
        items = []
        for line in range(index, 100, 3):
            grams = Decimal(120 + line * 37 % 900)
            quantity = 1 + line % 3
            items.append(ShippableItem(f"SKU{line:03d}", quantity, Weight(grams, "g")))
            rows.append((location, grams / 1000, quantity))
        shipments.append(Shipment(location, None, items))
    request = ShippingRequest("EUR", DESTINATION, shipments, subtotal_minor=123_45)
    return table, request, rows


def baseline(rows: list[tuple[str, Decimal, int]], subtotal: Decimal) -> list[tuple[str, Decimal]]:
    """The same quotes in plain Decimal: per location the weight, the bands, summed."""
    weights: dict[str, Decimal] = {}
    for location, kg, quantity in rows:
        weights[location] = weights.get(location, Decimal(0)) + kg * quantity
    bands = [(Decimal(up), Decimal(price)) for up, price in WEIGHT_BANDS]
    standard = Decimal(0)
    for kg in weights.values():
        standard += next((price for up, price in bands if kg <= up), Decimal(OVER))
    per_parcel = next(
        (Decimal(price) for up, price in PRICE_BANDS if subtotal <= Decimal(up)), Decimal(0)
    )
    saver = per_parcel * len(weights)
    quotes = [("standard", standard), ("saver", saver)]
    if DESTINATION.country == "FR":
        quotes.append(("courier", Decimal("15.00") * len(weights)))
    return sorted(quotes, key=lambda quote: quote[1])


def _runner() -> tuple[Callable[[], object], Callable[[], object]]:
    table, request, rows = build()
    subtotal = Decimal(request.subtotal_minor).scaleb(-2)
    got = [(q.method, q.amount.amount) for q in table.quote(request)]
    assert got == baseline(rows, subtotal), (got, baseline(rows, subtotal))
    return (lambda: table.quote(request)), (lambda: baseline(rows, subtotal))


def run(rounds: int = 9, number: int = 200) -> list[tuple[Ratio, str]]:
    """Measure and return (ratio, target) pairs."""
    candidate, base = _runner()
    ratio = compare(
        "100 lines over 3 locations, table rates vs Decimal",
        candidate,
        base,
        rounds=rounds,
        number=number,
    )
    return [(ratio, "<= 3x")]


def main() -> None:
    """Print the shipping benchmark."""
    print("shipping (median ratio, candidate / baseline)")
    print(report(run()))


if __name__ == "__main__":
    main()
