"""Demo section: shipping quoted from table rates for a cart split over two warehouses."""

from __future__ import annotations

from typing import TextIO

from commercekit.address import Address
from commercekit.demo._common import section
from commercekit.money import Money
from commercekit.shipping import (
    FlatRate,
    FreeOver,
    Shipment,
    ShippableItem,
    ShippingMethod,
    ShippingRequest,
    TableRates,
    WeightBands,
)
from commercekit.tax import TaxZone
from commercekit.units import Weight

__all__ = ["shipping_tour"]


def _eur(amount: str) -> Money:
    return Money(amount, "EUR")


def shipping_tour(out: TextIO) -> None:
    """Quote three methods for a cart leaving from Paris and Lyon; show a refusal's reason."""
    section(out, "Shipping: table rates for a cart split over two warehouses")
    bands = WeightBands(
        [(Weight("1", "kg"), _eur("4.90")), (Weight("5", "kg"), _eur("7.90"))],
        over=_eur("14.90"),
    )
    table = TableRates(
        [
            ShippingMethod("standard", "Standard", FreeOver(_eur("60.00"), bands)),
            ShippingMethod(
                "express", "Express", FlatRate(_eur("12.00")), zones=[TaxZone("fr", "FR")]
            ),
            ShippingMethod(
                "letter", "Letter", FlatRate(_eur("2.50")), max_weight=Weight("500", "g")
            ),
        ]
    )
    paris = Shipment(
        "paris",
        Address("FR", postal_code="75011"),
        [
            ShippableItem("MUG", 3, Weight("350", "g")),
        ],
    )
    lyon = Shipment(
        "lyon",
        Address("FR", postal_code="69002"),
        [
            ShippableItem("TEE", 2, Weight("0.2", "kg")),
        ],
    )
    request = ShippingRequest("EUR", Address("FR", postal_code="33000"), [paris, lyon], 4290)
    for quote in table.quote(request):
        boxes = ", ".join(f"{p.location} {p.weight.value} {p.weight.unit}" for p in quote.parcels)
        print(f"  {quote.method:<9} {quote.amount}  ({boxes})", file=out)
    for refusal in table.refusals(request):
        print(f"  {refusal.method} does not apply: {refusal.reason} ({refusal.message})", file=out)
