"""Demo section: a full checkout on the store, a shipment, a return with its exact refund."""

from __future__ import annotations

from typing import TextIO

from commercekit.address import Address
from commercekit.cart import Cart, CartService, PricingPolicy
from commercekit.checkout import CheckoutService, PayWith, ShippingChoice
from commercekit.demo._common import section
from commercekit.inventory import InventoryService
from commercekit.money import Money, format_money, from_minor_units
from commercekit.orders import Order, OrderService
from commercekit.payments import PaymentService
from commercekit.pricing import (
    CatalogEntry,
    InMemoryCatalog,
    PercentOffItems,
    Promotion,
    SubtotalAtLeast,
)
from commercekit.shipping import (
    FlatRate,
    FreeOver,
    ShippingMethod,
    TableRates,
    shipping_request,
)
from commercekit.storage import Store
from commercekit.tax import FlatTaxTable, TaxRate, TaxZone
from commercekit.testing import FAKE_TOKEN_OK, FakeGateway
from commercekit.units import Weight

__all__ = ["checkout_tour"]

LOCALE = "de_DE"  # the customer's: amounts read as Germans write them


def _eur(amount: str) -> Money:
    return Money(amount, "EUR")


def _receipt(out: TextIO, order: Order, names: dict[str, str]) -> None:
    def show(minor: int) -> str:
        return format_money(from_minor_units(minor, order.currency), LOCALE)

    breakdown = order.breakdown
    print(f"  Bestellung {order.number} ({order.status.value})", file=out)
    for line in breakdown.lines:
        print(f"    {line.quantity} x {names[line.sku]:<16}{show(line.total_minor):>12}", file=out)
    if breakdown.discount_total_minor:
        print(f"    {'davon Rabatt':<20}{show(-breakdown.discount_total_minor):>12}", file=out)
    if breakdown.shipping is not None:
        print(f"    {'Versand':<20}{show(breakdown.shipping.total_minor):>12}", file=out)
    print(f"    {'Summe':<20}{show(breakdown.grand_total_minor):>12}", file=out)
    print(f"    {'enthaltene MwSt.':<20}{show(breakdown.tax_total_minor):>12}", file=out)


def checkout_tour(out: TextIO, store: Store, run: str) -> None:
    """Reserve, authorize, place and capture in one call; ship; take one item back."""
    section(out, "Checkout: cart to paid order in one call, then a return refunded exactly")
    names = {"MUG": "Tasse", "TEE": "T-Shirt"}
    catalog = InMemoryCatalog(
        [
            CatalogEntry("MUG", price=_eur("12.90"), shipping_weight=Weight("350", "g")),
            CatalogEntry("TEE", price=_eur("24.90"), shipping_weight=Weight("200", "g")),
        ]
    )
    carts = CartService(
        store,
        catalog,
        promotions=[
            Promotion(
                "ten-over-50", "10% ab 50 €", [PercentOffItems(10)], [SubtotalAtLeast(_eur("50"))]
            )
        ],
        tax=FlatTaxTable(default=TaxRate("MwSt.", "0.19", "DE")),
        policy=PricingPolicy(prices_include_tax=True),
    )
    inventory = InventoryService(store)
    warehouse = f"berlin-{run}"
    inventory.set_location_address(warehouse, Address("DE", postal_code="10115", city="Berlin"))
    for sku in ("MUG", "TEE"):
        inventory.receive(sku, warehouse, 20, key=f"demo-{run}-{sku}")
    payments = PaymentService(store, {"card": FakeGateway(store=store)})
    orders = OrderService(store, payments, inventory=inventory, carts=carts)
    checkout = CheckoutService(carts, orders, number_prefix=f"D{run}-")

    home = Address("DE", postal_code="80331", city="München")
    cart = Cart(id=f"cart-{run}", currency="EUR", customer_id=f"ada-{run}", shipping_address=home)
    cart = carts.save(cart.add("MUG", 2).add("TEE", 1))
    standard = ShippingMethod(
        "standard",
        "Standard",
        FreeOver(_eur("100"), FlatRate(_eur("4.90"))),
        zones=[TaxZone("de", "DE")],
    )
    preview = inventory.preview_allocation(cart, catalog=catalog)
    request = shipping_request(
        cart,
        catalog,
        preview.lines,
        locations=inventory.location_addresses(),
        breakdown=carts.quote(cart),
    )
    (quote,) = TableRates([standard]).quote(request)
    result = checkout.place_order(
        cart,
        key=f"checkout-{run}",
        tenders=[PayWith("card", FAKE_TOKEN_OK)],
        shipping=ShippingChoice(quote, request),
    )
    order = result.order
    assert order is not None
    print(f"  place_order: {result.state.value}; captured {order.captured}", file=out)
    _receipt(out, order, names)
    again = checkout.place_order(
        cart,
        key=f"checkout-{run}",
        tenders=[PayWith("card", FAKE_TOKEN_OK)],
        shipping=ShippingChoice(quote, request),
    )
    assert again.order is not None
    print(f"  the same key again: order {again.order.number}, no second charge", file=out)

    shipped = orders.fulfil(order.id, {"MUG": 2, "TEE": 1}, key="parcel-1")
    back = orders.return_lines(shipped.id, {"MUG": 1}, key="return-1")
    refund = back.refunds[-1]

    def show(minor: int) -> str:
        return format_money(from_minor_units(minor, back.currency), LOCALE)

    print(
        f"  one Tasse back: refunded {show(refund.amount_minor)} = the Tasse "
        f"{show(refund.lines[0].amount_minor)} (after its discount; MwSt. "
        f"{show(refund.lines[0].tax_minor)}) + its share of shipping "
        f"{show(refund.shipping_minor)}; {back.status.value}, the Tasse is back on hand",
        file=out,
    )
