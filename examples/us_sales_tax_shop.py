"""A US shop: sales tax by ZIP code, nexus, an exemption certificate, a return, and the report.

The shop is in Austin, Texas, and registered to collect sales tax in California too. Its rates
come from a ZIP rate file in the shape of the free per-state files (the rates below are
illustrative); each state's rule says whether it taxes at the origin or the destination,
whether it taxes shipping and which categories it exempts (groceries here). Four customers:

- Sacramento, California: destination rates, four tax lines on the lamp (state, county,
  city, special district), none on the coffee (groceries) nor on shipping;
- Temple, Texas: Texas is origin-based, so Austin's rates, and Texas taxes shipping;
- New York: the shop is not registered there, so no tax, and a note says why;
- a reseller in Sacramento with a California resale certificate: exempt, with a note.

Orders go through the checkout with the fake gateway; the Temple customer then returns the
lamp. Every order and refund writes a ``tax.*`` event to the outbox in its own transaction; an
outbox dispatcher delivers them to a tax reporter (an in-memory one here; TaxJar's in a real
shop), and the script prints what was reported per state.

Run: ``python examples/us_sales_tax_shop.py``
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from commercekit import Money, open_store
from commercekit.address import Address
from commercekit.cart import Cart, CartService, ShippingRate
from commercekit.checkout import CheckoutService, PayWith
from commercekit.clock import ManualClock
from commercekit.events import Dispatcher
from commercekit.inventory import InventoryService
from commercekit.money import from_minor_units
from commercekit.orders import Order, OrderService, TaxReportHandler
from commercekit.payments import PaymentService
from commercekit.pricing import CatalogEntry, Customer, InMemoryCatalog
from commercekit.tax import (
    ExemptionCertificate,
    InMemoryTaxReporter,
    Seller,
    TransactionKind,
    UsSalesTax,
    UsZipRates,
)
from commercekit.testing import FAKE_TOKEN_OK, FakeGateway

ZIP_RATES = """\
State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,\
EstimatedCityRate,EstimatedSpecialRate,RiskLevel
TX,78701,AUSTIN,0.082500,0.062500,0.000000,0.010000,0.010000,1
TX,76501,TEMPLE,0.082500,0.062500,0.005000,0.015000,0.000000,1
CA,95814,SACRAMENTO,0.087500,0.060000,0.002500,0.010000,0.015000,2
NY,10001,NEW YORK CITY,0.088750,0.040000,0.000000,0.045000,0.003750,1
"""


def usd(amount: str) -> Money:
    return Money(amount, "USD")


AUSTIN = Address("US", "TX", "78701", "Austin")
SELLER = Seller("US", AUSTIN, registrations={"US-CA"})
CATALOG = InMemoryCatalog(
    [
        CatalogEntry("LAMP", price=usd("49.99")),
        CatalogEntry("COFFEE", price=usd("12.00"), tax_category="groceries"),
    ]
)
GROUND = ShippingRate("ground", usd("7.95"), tax_category="shipping")
SACRAMENTO = Address("US", "CA", "95814", "Sacramento")
CUSTOMERS = [
    (Customer(id="sam"), SACRAMENTO),
    (Customer(id="tess"), Address("US", "TX", "76501", "Temple")),
    (Customer(id="nora"), Address("US", "NY", "10001", "New York")),
    (Customer(id="acme", exemption_certificate="CA-RESALE-7"), SACRAMENTO),
]


def show(order: Order) -> None:
    """Print the order's tax lines and notes."""
    quote = order.breakdown
    where = order.ship_to
    assert where is not None
    print(f"order {order.number} for {order.customer_id}, to {where.city}, {where.region}:")
    items = [(line.line_id, line.tax_lines) for line in quote.lines]
    if quote.shipping is not None:
        items.append(("shipping", quote.shipping.tax_lines))
    for item, tax_lines in items:
        for tax in tax_lines:
            print(f"  {item:<8} {tax.name:<22} {tax.jurisdiction:<28} {tax.rate:>7} {tax.amount}")
    for note in quote.tax_notes:
        print(f"  [{note.code}] {note.text}")
    print(f"  tax {quote.tax_total}, total {order.total}")


def main() -> None:
    """Place four orders, return one lamp, deliver the tax events and print the report."""
    clock = ManualClock(datetime(2026, 10, 1, 15, tzinfo=UTC))
    rates = UsZipRates.from_csv(io.StringIO(ZIP_RATES), name="2026-09")
    resale = ExemptionCertificate("CA-RESALE-7", "acme", {"CA"}, expires=date(2027, 6, 30))
    with open_store("memory://", clock=clock) as store:
        carts = CartService(
            store, CATALOG, tax=UsSalesTax(rates, seller=SELLER, certificates=[resale])
        )
        inventory = InventoryService(store)
        inventory.receive("LAMP", "austin", 20)
        inventory.receive("COFFEE", "austin", 50)
        payments = PaymentService(store, {"card": FakeGateway(store=store)})
        orders = OrderService(store, payments, inventory=inventory, carts=carts)
        checkout = CheckoutService(carts, orders)

        placed: dict[str, Order] = {}
        for customer, address in CUSTOMERS:
            cart = Cart(
                id=f"cart-{customer.id}",
                currency="USD",
                customer_id=customer.id,
                shipping_address=address,
            )
            carts.save(cart.add("LAMP").add("COFFEE"))
            result = checkout.place_order(
                cart.id,
                key=f"checkout-{customer.id}",
                customer=customer,
                tenders=[PayWith("card", FAKE_TOKEN_OK)],
                shipping=GROUND,
            )
            assert result.order is not None
            show(result.order)
            placed[result.order.customer_id or "guest"] = result.order

        tess = placed["tess"]
        orders.fulfil(tess.id, {"LAMP": 1, "COFFEE": 1}, key="parcel-1")
        clock.advance(timedelta(days=3))
        back = orders.return_lines(tess.id, {"LAMP": 1}, key="rma-tess-1")
        print(f"tess returns the lamp: refunded {back.refunded}")

        # The host runs this in a worker; here one drain delivers everything due.
        reporter = InMemoryTaxReporter()
        dispatcher = Dispatcher(
            store, consumer="tax-reports", handlers={"tax.*": [TaxReportHandler(store, reporter)]}
        )
        report = dispatcher.drain()
        print(
            f"outbox: {report.delivered} events delivered, {report.failed} failed,"
            f" {len(reporter.transactions)} reported to the tax service"
        )

        tax_by_state: dict[str, int] = defaultdict(int)
        for sale in reporter.transactions:
            sign = -1 if sale.kind is TransactionKind.REFUND else 1
            tax_by_state[sale.ship_to.region or "?"] += sign * sale.sales_tax_minor
            print(
                f"reported {sale.kind.value:<6} {sale.transaction_id:<18} to {sale.ship_to.region}:"
                f" amount {from_minor_units(sale.amount_minor, sale.currency)},"
                f" tax {from_minor_units(sale.sales_tax_minor, sale.currency)}"
            )
        for state, minor in sorted(tax_by_state.items()):
            print(f"sales tax to remit for {state}: {from_minor_units(minor, 'USD')}")


if __name__ == "__main__":
    main()
