"""A shop filled through the public API, and ways to read a store back, for the backup tests.

:func:`fill` touches every area (carts, stock with a ledger, reservations in each state,
bundles, policies, thresholds, location addresses, promotion usage, payments, gift cards and
their holds, orders and their numbers, checkout records, outbox events delivered, leased and
dead, idempotency records). :func:`read_back` reads it through the services;
:func:`table_rows` reads every ``ck_`` table, generically, for the comparison that covers an
area added later without anyone listing it here.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from commercekit import Money
from commercekit.address import Address
from commercekit.cart import Cart, CartService
from commercekit.checkout import CheckoutService, PayWith
from commercekit.clock import ManualClock
from commercekit.gateways.payments import FAKE_TOKEN_OK, FakeGateway
from commercekit.inventory import InventoryService, StockPolicy
from commercekit.orders import CaptureMode, OrderService
from commercekit.payments import PaymentService, StoreCreditGateway, issue_gift_card
from commercekit.ports import IDEMPOTENCY, OUTBOX, PROMOTION_USAGE
from commercekit.pricing import (
    CatalogEntry,
    CouponCode,
    InMemoryCatalog,
    PercentOffItems,
    Promotion,
)
from commercekit.storage import Store

__all__ = [
    "START",
    "Shop",
    "fill",
    "file_rows",
    "read_back",
    "services",
    "table_rows",
    "tables_in_database",
]

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
GIFT_KEY = "test-only gift card key, long enough for the rule"
ADDRESS = Address("US", region="TX", postal_code="78701")
SCHEMA_TABLES = {"ck_schema_versions", "ck_schema_migrations"}


def usd(amount: str) -> Money:
    return Money(amount, "USD")


@attrs.frozen
class Shop:
    """The services of a shop over one store, wired as a host would wire them."""

    store: Store
    carts: CartService
    inventory: InventoryService
    payments: PaymentService
    orders: OrderService
    checkout: CheckoutService
    gifts: StoreCreditGateway


def services(store: Store, clock: ManualClock) -> Shop:
    catalog = InMemoryCatalog(
        [
            CatalogEntry("MUG", price=usd("8.00")),
            CatalogEntry("TEE", price=usd("20.00")),
            CatalogEntry("KIT", price=usd("30.00")),
        ]
    )
    promotions = [
        Promotion("ten", "10% off", [PercentOffItems(10)], [CouponCode("TEN")], usage_limit=5)
    ]
    gifts = StoreCreditGateway(store, key=GIFT_KEY)
    payments = PaymentService(
        store, {"fake": FakeGateway(store=store, clock=clock), "gift_card": gifts}
    )
    carts = CartService(store, catalog, promotions=promotions)
    inventory = InventoryService(store)
    orders = OrderService(
        store, payments, inventory=inventory, carts=carts, capture=CaptureMode.ON_FULFILMENT
    )
    return Shop(store, carts, inventory, payments, orders, CheckoutService(carts, orders), gifts)


def _cart(shop: Shop, cart_id: str, *lines: tuple[str, int], coupon: str | None = None) -> Cart:
    cart = Cart(id=cart_id, currency="USD", customer_id="ada", shipping_address=ADDRESS)
    for sku, quantity in lines:
        cart = cart.add(sku, quantity)
    if coupon is not None:
        cart = cart.apply_coupon(coupon)
    return shop.carts.save(cart)


def fill(store: Store, clock: ManualClock) -> dict[str, Any]:
    """Put something in every table of the store; return what :func:`read_back` needs."""
    shop = services(store, clock)
    inventory = shop.inventory
    inventory.set_location_address("main", ADDRESS)
    inventory.receive("MUG", "main", 50)
    inventory.receive("TEE", "main", 20)
    inventory.receive("TEE", "east", 5)
    inventory.adjust("MUG", "main", -2, reason="damaged")
    inventory.transfer("TEE", "main", "east", 3)
    inventory.set_bundle("KIT", {"MUG": 1, "TEE": 1})
    inventory.set_policy("PRE", StockPolicy.backorder(5), locations=["main"])
    inventory.set_low_stock_threshold("MUG", 3)
    clock.advance(timedelta(minutes=1))
    inventory.reserve("hold-active", {"MUG": 2})
    inventory.release(inventory.reserve("hold-released", {"TEE": 1}))
    inventory.commit(inventory.reserve("hold-committed", {"KIT": 1}))

    code, _ = issue_gift_card(store, usd("10.00"), key=GIFT_KEY)
    _cart(shop, "c1", ("MUG", 2), ("TEE", 1), coupon="TEN")
    split = [
        PayWith("gift_card", shop.gifts.card_token(code), limit=usd("5.00"), credit=True),
        PayWith("fake", FAKE_TOKEN_OK),
    ]
    first = shop.checkout.place_order("c1", key="k1", tenders=split).order
    _cart(shop, "c2", ("TEE", 2))
    second = shop.checkout.place_order("c2", key="k2", tenders=[PayWith("fake", FAKE_TOKEN_OK)])
    assert first is not None and second.order is not None
    shop.orders.fulfil(first.id, {"MUG": 2, "TEE": 1}, key="ship-1")
    _cart(shop, "c3", ("MUG", 1))  # left open

    clock.advance(timedelta(minutes=1))
    with store.transaction() as tx:
        outbox = tx.repository(OUTBOX)
        pending = outbox.pending(limit=3)
        outbox.mark_delivered(pending[0].id)
        outbox.mark_dead(pending[1].id, "the endpoint answered 410")
        outbox.claim("worker-1", limit=1, lease=timedelta(minutes=5))
        outbox.append("host.custom", {"note": "ünïcode", "amount": "1.10"})
        records = tx.repository(IDEMPOTENCY)
        records.begin("host", "started-key", "hash-1")
        records.begin("host", "done-key", "hash-2")
        records.complete("host", "done-key", '{"ok": true}')
    return {"orders": [first.id, second.order.id], "gift_code": code}


def read_back(store: Store, clock: ManualClock, filled: dict[str, Any]) -> dict[str, Any]:
    """What the services say about the shop: equal on the source and its restored copy."""
    shop = services(store, clock)
    inventory = shop.inventory
    orders = [shop.orders.get(order_id) for order_id in filled["orders"]]
    payment_ids = [payment.payment_id for order in orders for payment in order.payments]
    with store.transaction(readonly=True) as tx:
        outbox = tx.repository(OUTBOX)
        events = outbox.pending(limit=1000) + outbox.dead(limit=1000)
        every = [outbox.get(event.id) for event in events]
        records = tx.repository(IDEMPOTENCY)
        idempotency = [records.get("host", "started-key"), records.get("host", "done-key")]
        usage = tx.repository(PROMOTION_USAGE).count("ten", "ada")
    return {
        "schema": store.schema_state().areas,
        "carts": [shop.carts.load(cart_id) for cart_id in ("c1", "c2", "c3")],
        "levels": [inventory.stock(sku) for sku in ("MUG", "TEE", "PRE")],
        "movements": [inventory.movements("MUG", "main"), inventory.movements("TEE", "east")],
        "reservations": [
            inventory.by_key(key) for key in ("hold-active", "hold-released", "hold-committed")
        ],
        "bundle": inventory.bundle("KIT"),
        "policy": inventory.policy("PRE"),
        "addresses": inventory.location_addresses(),
        "orders": orders,
        "payments": [shop.payments.get(payment_id) for payment_id in payment_ids],
        "gift_card": shop.gifts.gift_card(filled["gift_code"]),
        "checkouts": [shop.checkout.get(key) for key in ("k1", "k2")],
        "outbox": every,
        "idempotency": idempotency,
        "usage": usage,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def tables_in_database(store: Store) -> set[str]:
    """Every ``ck_`` table of the store, read from the catalog."""
    with store.transaction(readonly=True) as tx:
        if tx.dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        return {str(row[0]) for row in tx.execute(sql).fetchall() if str(row[0]).startswith("ck_")}


def table_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every data table's rows, in one order, timestamps as UTC text: comparable across backends."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with store.transaction(readonly=True) as tx:
        for table in sorted(tables_in_database(store) - SCHEMA_TABLES):
            cursor: Any = tx.execute(f"SELECT * FROM {table} LIMIT 0")
            columns = sorted(str(row[0]) for row in cursor.description)
            select = f"SELECT {', '.join(columns)} FROM {table}"
            rows = [tuple(_plain(v) for v in row) for row in tx.execute(select).fetchall()]
            found[table] = sorted(rows, key=repr)
    return found


def file_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The rows a backup file holds, in :func:`table_rows`'s form."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    order: list[int] = []
    current = ""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            value = json.loads(line)
            if isinstance(value, dict) and "table" in value:
                current = value["table"]
                columns = value["columns"]
                order = sorted(range(len(columns)), key=columns.__getitem__)
                found[current] = []
            elif isinstance(value, list):
                found[current].append(tuple(value[i] for i in order))
    return {table: sorted(rows, key=repr) for table, rows in found.items()}
