"""Quote table rates for a cart split across two warehouses, and print quotes and parcels.

Run: ``python examples/shipping_quotes.py``
"""

from __future__ import annotations

from datetime import UTC, datetime

from commercekit import Money, open_store
from commercekit.address import Address
from commercekit.cart import Cart, price_cart
from commercekit.inventory import InventoryService, PriorityOrder
from commercekit.money import from_minor_units
from commercekit.pricing import CatalogEntry
from commercekit.shipping import (
    DeliveryEstimate,
    Dimensions,
    FlatRate,
    FreeOver,
    PerStep,
    PriceBands,
    ShippingMethod,
    TableRates,
    Weight,
    WeightBands,
    shipping_request,
)
from commercekit.tax import TaxZone


def eur(amount: str) -> Money:
    """An amount in euros."""
    return Money(amount, "EUR")


CATALOG = {
    "MUG": CatalogEntry(
        "MUG",
        price=eur("8.00"),
        tags={"fragile"},
        shipping_weight=Weight("350", "g"),
        dimensions=Dimensions("12", "9", "9"),
    ),
    "POSTER": CatalogEntry(
        "POSTER",
        price=eur("15.00"),
        shipping_weight=Weight("200", "g"),
        dimensions=Dimensions("60", "8", "8"),
    ),
    "TEE": CatalogEntry("TEE", price=eur("20.00"), shipping_weight=Weight("7", "oz")),
}


def shop_table() -> TableRates:
    """A letter, a standard parcel by billable weight, and a Paris courier by subtotal."""
    france, germany = TaxZone("france", "FR"), TaxZone("germany", "DE")
    by_weight = WeightBands(
        [
            (Weight("1", "kg"), eur("4.90")),
            (Weight("2", "kg"), eur("6.90")),
            (Weight("5", "kg"), eur("8.90")),
        ],
        over=PerStep(Weight("1", "kg"), eur("1.50")),
        divisor=5000,
    )
    return TableRates(
        [
            ShippingMethod(
                "letter",
                "Tracked letter",
                FlatRate(eur("2.50")),
                zones=[france],
                max_weight=Weight("500", "g"),
                excluded_tags={"fragile"},
            ),
            ShippingMethod(
                "standard",
                "Standard",
                FreeOver(eur("60.00"), by_weight),
                carrier="Colissimo",
                zones=[france, germany],
                estimate=DeliveryEstimate(2, 4),
            ),
            ShippingMethod(
                "courier",
                "Paris courier",
                PriceBands([(eur("30.00"), eur("9.90")), (eur("100.00"), eur("5.50"))]),
                zones=[TaxZone("paris", "FR", postal_codes=["75*"])],
                min_subtotal=eur("20.00"),
                estimate=DeliveryEstimate(0, 1),
            ),
        ]
    )


def main() -> None:
    """Stock Lyon and Berlin, split Ada's cart between them, and quote the table."""
    home = Address("FR", postal_code="75011", city="Paris")
    with open_store("memory://") as store:
        inventory = InventoryService(store, strategy=PriorityOrder(["lyon", "berlin"]))
        inventory.set_location_address("lyon", Address("FR", postal_code="69007", city="Lyon"))
        inventory.set_location_address("berlin", Address("DE", postal_code="10115", city="Berlin"))
        for sku, location, units in [
            ("MUG", "lyon", 2),
            ("POSTER", "lyon", 5),
            ("MUG", "berlin", 9),
            ("TEE", "berlin", 9),
        ]:
            inventory.receive(sku, location, units)

        cart = Cart(currency="EUR", id="cart-ada", shipping_address=home)
        cart = cart.add("MUG", 3).add("POSTER", 1).add("TEE", 1)
        breakdown = price_cart(cart, CATALOG, at=datetime(2026, 3, 2, 12, tzinfo=UTC))
        preview = inventory.preview_allocation(cart, catalog=CATALOG)
        request = shipping_request(
            cart,
            CATALOG,
            preview.lines,
            locations=inventory.location_addresses(),
            breakdown=breakdown,
            bundles=preview.bundles,
        )
        table = shop_table()
        subtotal = from_minor_units(request.subtotal_minor, request.currency)
        print(f"cart {cart.id}: subtotal {subtotal}, {len(request.shipments)} shipments")
        for quote in table.quote(request):
            print(f"quote {quote.method}: {quote.amount}")
            for parcel in quote.parcels:
                box = parcel.dimensions
                sides = f"{box.length} x {box.width} x {box.height} {box.unit}" if box else "-"
                contents = ", ".join(f"{n} {sku}" for sku, n in parcel.contents)
                print(
                    f"  parcel from {parcel.location}: {parcel.weight.value}"
                    f" {parcel.weight.unit}, box {sides}: {contents}"
                )
        for refusal in table.refusals(request):
            print(f"refused {refusal.method}: {refusal.reason.value}")


if __name__ == "__main__":
    main()
