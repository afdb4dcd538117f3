"""An EU shop: orders from five customers, each taxed by the EU VAT rules, and the OSS summary.

The seller is in Berlin, past the EU's EUR 10,000 distance-selling threshold and filing
through the One-Stop Shop, so a consumer pays the VAT of the country the goods go to. Shelf
prices include German VAT; the shop keeps its net price (``Keep.NET``), so a French consumer
pays French VAT on the same net, and a buyer who pays no EU VAT pays the net. Shipping
follows the goods it ships (``ShippingTax.WEIGHTED``). The customers:

- a consumer in Berlin: German VAT, 19% on the lamp and 7% on the atlas (a printed book);
- a consumer in Paris: French VAT, 20% and 5.5%;
- a business in Lyon with a valid French VAT id: reverse charge, no VAT, a note on the
  invoice;
- a business whose VAT id has a typo: charged as a consumer, with a note saying why;
- a consumer in Zurich: an export, zero-rated.

Each order goes through the checkout with the fake gateway; the script then totals the VAT
per country and rate, as the quarterly OSS return asks.

Run: ``python examples/eu_vat_shop.py``
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from commercekit import Money, open_store, sum_money
from commercekit.address import Address
from commercekit.cart import Cart, CartService, PricingPolicy, ShippingRate
from commercekit.checkout import CheckoutService, PayWith
from commercekit.clock import ManualClock
from commercekit.inventory import InventoryService
from commercekit.orders import Order, OrderService
from commercekit.payments import PaymentService
from commercekit.pricing import CatalogEntry, Customer, InMemoryCatalog
from commercekit.tax import EuCategory, EuVat, Keep, Seller, ShippingTax
from commercekit.testing import FAKE_TOKEN_OK, FakeGateway


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


BERLIN = Address("DE", postal_code="10115", city="Berlin")
SELLER = Seller("DE", BERLIN, eu_over_threshold=True, eu_oss=True)
CATALOG = InMemoryCatalog(
    [
        CatalogEntry("LAMP", price=eur("119.00")),  # 100.00 + 19% German VAT
        CatalogEntry("ATLAS", price=eur("53.50"), tax_category=EuCategory.BOOKS),  # 50.00 + 7%
    ]
)
SHIPPING = ShippingRate("dhl", eur("5.95"), tax_category="standard")
CUSTOMERS = [
    (Customer(id="dora"), BERLIN),
    (Customer(id="amelie"), Address("FR", postal_code="75008", city="Paris")),
    (Customer(id="acme", vat_id="FR40303265045"), Address("FR", postal_code="69002", city="Lyon")),
    (
        Customer(id="typo", vat_id="FR40303265046"),
        Address("FR", postal_code="13001", city="Marseille"),
    ),
    (Customer(id="urs"), Address("CH", postal_code="8001", city="Zurich")),
]


def show(order: Order) -> None:
    """Print the order's lines with their VAT, its notes and its total."""
    quote = order.breakdown
    where = order.ship_to
    assert where is not None
    print(f"order {order.number} for {order.customer_id}, to {where.city} ({where.country}):")
    for line in quote.lines:
        vat = ", ".join(f"{t.jurisdiction} {t.rate:%} {t.amount}" for t in line.tax_lines)
        print(f"  {line.line_id:<6} {line.total!s:>11}  VAT {vat or 'none'}")
    if quote.shipping is not None:
        vat = ", ".join(f"{t.jurisdiction} {t.rate:%} {t.amount}" for t in quote.shipping.tax_lines)
        print(f"  {'ship':<6} {quote.shipping.total!s:>11}  VAT {vat or 'none'}")
    for note in quote.tax_notes:
        print(
            textwrap.fill(
                f"[{note.code}] {note.text}", 92, initial_indent="  ", subsequent_indent="    "
            )
        )
    print(f"  VAT {quote.tax_total}, paid {order.total}")


def oss_return(orders: list[Order]) -> dict[tuple[str, Decimal], Money]:
    """VAT collected per (country, rate), goods and shipping.

    The seller's own country goes on its domestic return, the others on the OSS return.
    """
    collected: dict[tuple[str, Decimal], list[Money]] = defaultdict(list)
    for order in orders:
        quote = order.breakdown
        tax_lines = [tax for line in quote.lines for tax in line.tax_lines]
        if quote.shipping is not None:
            tax_lines.extend(quote.shipping.tax_lines)
        for tax in tax_lines:
            collected[(tax.jurisdiction or "?", tax.rate)].append(tax.amount)
    return {key: sum_money(amounts, "EUR") for key, amounts in sorted(collected.items())}


def main() -> None:
    """Wire the shop, place one order per customer, print them and the OSS summary."""
    clock = ManualClock(datetime(2026, 10, 5, 10, tzinfo=UTC))
    with open_store("memory://", clock=clock) as store:
        carts = CartService(
            store,
            CATALOG,
            tax=EuVat(SELLER, keep=Keep.NET),
            seller=SELLER,
            policy=PricingPolicy(prices_include_tax=True, shipping_tax=ShippingTax.WEIGHTED),
        )
        inventory = InventoryService(store)
        inventory.receive("LAMP", "berlin", 50)
        inventory.receive("ATLAS", "berlin", 50)
        payments = PaymentService(store, {"card": FakeGateway(store=store)})
        checkout = CheckoutService(carts, OrderService(store, payments, inventory=inventory))

        orders = []
        for customer, address in CUSTOMERS:
            cart = Cart(
                id=f"cart-{customer.id}",
                currency="EUR",
                customer_id=customer.id,
                shipping_address=address,
            )
            carts.save(cart.add("LAMP").add("ATLAS"))
            result = checkout.place_order(
                cart.id,
                key=f"checkout-{customer.id}",
                customer=customer,
                tenders=[PayWith("card", FAKE_TOKEN_OK)],
                shipping=SHIPPING,
            )
            assert result.order is not None
            show(result.order)
            orders.append(result.order)

        print("VAT collected (DE: the German return; other member states: the OSS return):")
        for (country, rate), amount in oss_return(orders).items():
            print(f"  {country} at {rate:%}: {amount}")


if __name__ == "__main__":
    main()
