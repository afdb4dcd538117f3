"""A whole shop in one script: store, catalog, stock, cart, checkout, receipt.

Everything a host wires once at start-up, then one customer's order from cart to receipt,
paid with the fake gateway (swap in ``StripeGateway`` for real money). The store is a
throwaway SQLite file; give ``open_store`` ``sqlite:///shop.db`` or a ``postgresql://`` URL
to keep your shop.

Run: ``python examples/quickstart.py``
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from commercekit import Money, format_money, open_store
from commercekit.address import Address
from commercekit.cart import Breakdown, Cart, CartService, ShippingRate
from commercekit.checkout import CheckoutService, PayWith
from commercekit.errors import CouponError
from commercekit.inventory import InventoryService
from commercekit.orders import Order, OrderService
from commercekit.payments import PaymentService
from commercekit.pricing import (
    CatalogEntry,
    CouponCode,
    InMemoryCatalog,
    PercentOffItems,
    Promotion,
)
from commercekit.storage import Store
from commercekit.tax import FlatTaxTable, TaxRate
from commercekit.testing import FAKE_TOKEN_OK, FakeGateway

LOCALE = "en_US"  # the customer's locale: receipts are formatted for people, never computed


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def wire_shop(store: Store) -> tuple[CartService, InventoryService, CheckoutService]:
    """The services a host builds once per process, around one store."""
    catalog = InMemoryCatalog(
        [
            CatalogEntry("MUG", price=usd("12.00")),
            CatalogEntry("TEE", price=usd("25.00")),
            CatalogEntry("STICKER", price=usd("2.50")),
        ]
    )
    welcome = Promotion(
        "welcome", "10% off your first order", [PercentOffItems(10)], [CouponCode("WELCOME10")]
    )
    carts = CartService(
        store,
        catalog,
        promotions=[welcome],
        tax=FlatTaxTable(default=TaxRate("Sales tax", "0.0825", "US-TX")),
    )
    inventory = InventoryService(store)
    payments = PaymentService(store, {"card": FakeGateway(store=store)})
    orders = OrderService(store, payments, inventory=inventory, carts=carts)
    return carts, inventory, CheckoutService(carts, orders)


def receipt(order: Order, locale: str) -> str:
    """The order as the customer reads it, every amount formatted for ``locale``."""

    def fmt(money: Money) -> str:
        return format_money(money, locale)

    def row(label: str, money: Money) -> str:
        return f"  {label:<32}{fmt(money):>12}"

    quote: Breakdown = order.breakdown
    rows = [f"Order #{order.number} ({order.status.value})"]
    for line in quote.lines:
        rows.append(
            row(f"{line.quantity} x {line.line_id} at {fmt(line.unit_price)}", line.subtotal)
        )
        rows.extend(row(f"  {a.label}", -a.amount) for a in line.adjustments)
    rows.append(row("Subtotal", quote.subtotal))
    rows.append(row("Discounts", -quote.discount_total))
    if quote.shipping is not None:
        rows.append(row(f"Shipping ({quote.shipping.method})", quote.shipping_total))
    rows.append(row("Tax", quote.tax_total))
    rows.append(row("Total", quote.grand_total))
    rows.append(row("Paid by card", order.captured))
    return "\n".join(rows)


def main() -> None:
    """Stock the shelves, fill a cart, try two coupons, check out, print the receipt."""
    with (
        tempfile.TemporaryDirectory() as folder,
        open_store(f"sqlite:///{Path(folder) / 'shop.db'}") as store,
    ):
        carts, inventory, checkout = wire_shop(store)
        inventory.receive("MUG", "main", 20, reason="opening stock")
        inventory.receive("TEE", "main", 5, reason="opening stock")

        # A cart is an immutable value; the service stores it under its id.
        home = Address("US", region="TX", postal_code="78701", city="Austin")
        cart = Cart(id="cart-ada", currency="USD", customer_id="ada", shipping_address=home)
        cart = carts.save(cart.add("MUG", 2).add("TEE", 1))

        for code in ("SPRING50", "WELCOME10"):
            try:
                cart, quote = carts.apply_coupon(cart, code)
            except CouponError as refused:
                print(f"coupon {refused.code}: refused ({refused.reason})")
            else:
                print(f"coupon {code}: accepted, total now {quote.grand_total}")
        cart = carts.save(cart)

        # One key per press of the "Pay" button: a retry with it never charges twice.
        result = checkout.place_order(
            cart.id,
            key="checkout-ada-1",
            tenders=[PayWith("card", FAKE_TOKEN_OK)],
            shipping=ShippingRate("ground", usd("5.00")),
        )
        order = result.order
        assert order is not None
        print(receipt(order, LOCALE))
        print(f"total in de_DE: {format_money(order.total, 'de_DE')}")

        again = checkout.place_order(
            cart.id,
            key="checkout-ada-1",
            tenders=[PayWith("card", FAKE_TOKEN_OK)],
            shipping=ShippingRate("ground", usd("5.00")),
        )
        assert again.order is not None and again.order.id == order.id
        level = inventory.level("MUG", "main")
        assert level is not None
        print(f"same key, same order #{again.order.number}; MUG left: {level.available}")


if __name__ == "__main__":
    main()
