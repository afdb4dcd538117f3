"""Checkout with a shipping quote: re-quoted when the reservation splits the cart differently.

The shop of the shipping guide: mugs in Lyon and Berlin, posters in Lyon, tee-shirts in
Berlin, Lyon first. Ada's quote (from the preview) ships two mugs and the poster from Lyon;
before she checks out another customer takes Lyon's two mugs, so her reservation ships
three mugs from Berlin. The courier (priced by the cart's subtotal) costs the same and the
checkout goes on, saying what changed; standard shipping (by weight) costs 11.80 instead of
13.80, and the checkout fails and gives the stock back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from commercekit import Money, errors
from commercekit.address import Address
from commercekit.cart import Cart, CartService
from commercekit.checkout import CheckoutService, CheckoutState, PayWith, ShippingChoice
from commercekit.clock import ManualClock
from commercekit.gateways.payments import FAKE_TOKEN_OK, FakeGateway
from commercekit.inventory import InventoryService, PriorityOrder, ReservationStatus
from commercekit.orders import OrderService
from commercekit.payments import PaymentService
from commercekit.pricing import CatalogEntry, InMemoryCatalog, PercentOffItems, Promotion
from commercekit.shipping import (
    DeliveryEstimate,
    FlatRate,
    FreeOver,
    PerStep,
    PriceBands,
    ShippingMethod,
    ShippingQuote,
    TableRates,
    WeightBands,
    shipping_request,
)
from commercekit.storage import Store, open_store
from commercekit.tax import TaxZone
from commercekit.units import Dimensions, Weight


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


PARIS = Address("FR", postal_code="75011", city="Paris")
CATALOG = InMemoryCatalog(
    [
        CatalogEntry(
            "MUG",
            price=eur("8.00"),
            tags={"fragile"},
            shipping_weight=Weight("350", "g"),
            dimensions=Dimensions("12", "9", "9"),
        ),
        CatalogEntry(
            "POSTER",
            price=eur("15.00"),
            shipping_weight=Weight("200", "g"),
            dimensions=Dimensions("60", "8", "8"),
        ),
        CatalogEntry("TEE", price=eur("20.00"), shipping_weight=Weight("7", "oz")),
    ]
)
STANDARD = ShippingMethod(
    "standard",
    "Standard",
    FreeOver(
        eur("60.00"),
        WeightBands(
            [
                (Weight("1", "kg"), eur("4.90")),
                (Weight("2", "kg"), eur("6.90")),
                (Weight("5", "kg"), eur("8.90")),
            ],
            over=PerStep(Weight("1", "kg"), eur("1.50")),
            divisor=5000,
        ),
    ),
    zones=[TaxZone("france", "FR")],
    estimate=DeliveryEstimate(2, 4),
)
COURIER = ShippingMethod(
    "courier",
    "Paris courier",
    PriceBands([(eur("30.00"), eur("9.90")), (eur("100.00"), eur("5.50"))], over=eur("3.50")),
    zones=[TaxZone("paris", "FR", postal_codes=["75*"])],
    estimate=DeliveryEstimate(0, 1),
)
LETTER = ShippingMethod("letter", "Letter", FlatRate(eur("2.50")), zones=[TaxZone("fr", "FR")])


@pytest.fixture
def store() -> Iterator[Store]:
    clock = ManualClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    with open_store("memory://", clock=clock) as opened:
        yield opened


def shop(store: Store, table: TableRates | None) -> tuple[CheckoutService, InventoryService]:
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
    carts = CartService(store, CATALOG, promotions=[Promotion("ten", "10%", [PercentOffItems(10)])])
    payments = PaymentService(store, {"fake": FakeGateway(store=store)})
    orders = OrderService(store, payments, inventory=inventory, carts=carts)
    return CheckoutService(carts, orders, rates=table), inventory


def quoted(checkout: CheckoutService, inventory: InventoryService, method: str) -> ShippingChoice:
    cart = Cart(id="ada", currency="EUR", shipping_address=PARIS)
    cart = checkout.carts.save(cart.add("MUG", 3).add("POSTER", 1).add("TEE", 1))
    preview = inventory.preview_allocation(cart, catalog=CATALOG)
    request = shipping_request(
        cart,
        CATALOG,
        preview.lines,
        locations=inventory.location_addresses(),
        breakdown=checkout.carts.quote(cart),
        bundles=preview.bundles,
    )
    table = TableRates([STANDARD, COURIER, LETTER])
    (quote,) = [q for q in table.quote(request) if q.method == method]
    return ShippingChoice(quote, request)


def test_the_same_split_needs_no_new_quote(store: Store) -> None:
    checkout, inventory = shop(store, TableRates([STANDARD, COURIER]))
    choice = quoted(checkout, inventory, "standard")
    assert choice.quote.amount == eur("13.80")
    result = checkout.place_order(
        "ada", key="k1", shipping=choice, tenders=[PayWith("fake", FAKE_TOKEN_OK)]
    )
    assert result.state is CheckoutState.COMPLETED and result.requote is None
    assert result.order is not None
    assert result.order.breakdown.shipping_total == eur("13.80")
    assert result.order.total == eur("53.10") + eur("13.80")


def test_another_split_at_the_same_price_goes_on_and_says_what_changed(store: Store) -> None:
    checkout, inventory = shop(store, TableRates([STANDARD, COURIER]))
    choice = quoted(checkout, inventory, "courier")
    inventory.reserve("grace", {"MUG": 2})  # Lyon's two mugs go to another customer
    result = checkout.place_order(
        "ada", key="k1", shipping=choice, tenders=[PayWith("fake", FAKE_TOKEN_OK)]
    )
    assert result.state is CheckoutState.COMPLETED
    assert result.requote is not None and result.requote.changed == ("berlin", "lyon")
    assert result.order is not None and result.order.breakdown.shipping_total == eur("11.00")
    stored = checkout.get("k1")
    assert isinstance(stored.shipping_quote, ShippingQuote)
    assert [p.location for p in stored.shipping_quote.parcels] == ["berlin", "lyon"]
    assert stored.shipping_quote.parcels[0].weight.value > choice.quote.parcels[0].weight.value


def test_another_price_fails_and_gives_the_stock_back(store: Store) -> None:
    checkout, inventory = shop(store, TableRates([STANDARD, COURIER]))
    choice = quoted(checkout, inventory, "standard")
    inventory.reserve("grace", {"MUG": 2})
    with pytest.raises(errors.CheckoutFailedError) as raised:
        checkout.place_order(
            "ada", key="k1", shipping=choice, tenders=[PayWith("fake", FAKE_TOKEN_OK)]
        )
    failed = raised.value
    assert (failed.step, failed.cause) == ("shipping", "PriceChangedError")
    assert "11.80" in str(failed) and "13.80" in str(failed)
    assert failed.undone == ("released reservation checkout:k1",)
    reservation = inventory.by_key("checkout:k1")
    assert reservation is not None and reservation.status is ReservationStatus.RELEASED


def test_a_method_no_longer_offered_or_no_provider_fails_clearly(store: Store) -> None:
    checkout, inventory = shop(store, TableRates([STANDARD]))
    choice = quoted(checkout, inventory, "courier")
    inventory.reserve("grace", {"MUG": 2})
    with pytest.raises(errors.CheckoutFailedError) as raised:
        checkout.place_order(
            "ada", key="k1", shipping=choice, tenders=[PayWith("fake", FAKE_TOKEN_OK)]
        )
    assert (raised.value.step, raised.value.cause) == ("shipping", "MethodRefusedError")
    checkout.rates = None
    with pytest.raises(errors.CheckoutFailedError) as raised:
        checkout.place_order(
            "ada", key="k2", shipping=choice, tenders=[PayWith("fake", FAKE_TOKEN_OK)]
        )
    assert (raised.value.step, raised.value.cause) == ("shipping", "ShippingError")
    assert inventory.level("MUG", "berlin") is not None
    level = inventory.level("MUG", "berlin")
    assert level is not None and level.reserved == 0
