"""The shop the checkout benchmark runs, and its spawned worker processes.

Kept apart from ``bench_checkout`` so that a spawned worker imports this small module (and
not the benchmark run as ``__main__``). Each worker opens its own store, builds its own
services, saves its own cart and checks it out under its own keys.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from commercekit import Money, open_store
from commercekit.cart import Cart, CartService, ShippingRate
from commercekit.checkout import CheckoutResult, CheckoutService, PayWith
from commercekit.errors import CommerceError
from commercekit.gateways.payments import FAKE_TOKEN_OK, FakeGateway
from commercekit.inventory import InventoryService
from commercekit.orders import CaptureMode, OrderService
from commercekit.payments import PaymentService
from commercekit.pricing import CatalogEntry, InMemoryCatalog, PercentOffItems, Promotion
from commercekit.rules import MAX_QUANTITY
from commercekit.storage import Store
from commercekit.tax import FlatTaxTable, TaxRate

__all__ = ["SKUS", "Shop", "open_target", "run_checkouts", "sku", "stock_up", "worker"]

#: The catalog: enough SKUs for the largest cart measured (one unit of each per line).
SKUS = 100
CURRENCY = "EUR"
LOCATION = "main"
#: The one promotion: 10% off every item, with a (never reached) usage limit, so that every
#: checkout consumes a use of it.
PROMOTION = Promotion("ten-off", "10% off", [PercentOffItems(10)], usage_limit=MAX_QUANTITY)
TAX = FlatTaxTable(default=TaxRate("VAT", "0.20"))
SHIPPING = ShippingRate("standard", Money("4.90", CURRENCY))
CUSTOMER = "bench-customer"


def sku(index: int) -> str:
    """The SKU of catalog entry ``index``."""
    return f"SKU-{index:03d}"


def open_target(url: str, schema: str | None, *, migrate: bool = False) -> Store:
    """A store on SQLite (``schema`` None) or in ``schema`` on PostgreSQL."""
    if schema is None:
        return open_store(url)
    return open_store(url, schema=schema, migrate=migrate)


def stock_up(url: str, schema: str | None) -> None:
    """Create the schema and put ``MAX_QUANTITY`` units of every SKU on hand."""
    with open_target(url, schema, migrate=True) as store:
        inventory = InventoryService(store)
        for index in range(SKUS):
            inventory.receive(sku(index), LOCATION, MAX_QUANTITY)


class Shop:
    """The services of one process over ``store``, wired as a host would wire them."""

    def __init__(self, store: Store) -> None:
        catalog = InMemoryCatalog(
            CatalogEntry(sku(index), price=Money("10.00", CURRENCY)) for index in range(SKUS)
        )
        self.store = store
        self.carts = CartService(store, catalog, promotions=[PROMOTION], tax=TAX)
        inventory = InventoryService(store)
        payments = PaymentService(store, {"fake": FakeGateway(store=store)})
        orders = OrderService(
            store, payments, inventory=inventory, carts=self.carts, capture=CaptureMode.IMMEDIATE
        )
        self.checkout = CheckoutService(self.carts, orders)

    def save_cart(self, cart_id: str, skus: Sequence[str]) -> str:
        """Store a cart of one unit of each of ``skus``; return its id."""
        cart = Cart(id=cart_id, currency=CURRENCY, customer_id=CUSTOMER)
        for code in skus:
            cart = cart.add(code, 1)
        self.carts.save(cart)
        return cart_id

    def place(self, cart_id: str, key: str) -> CheckoutResult:
        """One checkout of the stored cart under ``key``: an order, paid."""
        return self.checkout.place_order(
            cart_id, key=key, tenders=[PayWith("fake", FAKE_TOKEN_OK)], shipping=SHIPPING
        )


def run_checkouts(
    shop: Shop, cart_id: str, tag: str, seconds: float, *, start: int = 0
) -> tuple[int, int, float, str]:
    """Check ``cart_id`` out under fresh keys for ``seconds``.

    Returns (orders placed, checkouts failed, elapsed seconds, first error seen or "").
    """
    done = failed = 0
    first_error = ""
    index = start
    began = time.perf_counter()
    deadline = began + seconds
    while True:
        index += 1
        try:
            result = shop.place(cart_id, f"{tag}-{index}")
        except CommerceError as exc:
            failed += 1
            first_error = first_error or f"{type(exc).__name__}: {exc}"
        else:
            if result.order is None:
                failed += 1
                first_error = first_error or f"no order ({result.state.value})"
            else:
                done += 1
        now = time.perf_counter()
        if now >= deadline:
            return done, failed, now - began, first_error


def worker(
    url: str,
    schema: str | None,
    tag: str,
    skus: Sequence[str],
    warmup: int,
    seconds: float,
    barrier: Any,
    results: Any,
) -> None:
    """One spawned process: warm up, wait for the others, check out for ``seconds``."""
    try:
        store = open_target(url, schema)
        shop = Shop(store)
        cart_id = shop.save_cart(f"cart-{tag}", skus)
        for index in range(warmup):
            shop.place(cart_id, f"{tag}-warm-{index}")
    except BaseException as exc:
        results.put((tag, 0, 0, 0.0, f"setup failed: {type(exc).__name__}: {exc}"))
        barrier.abort()  # the parent and the other workers stop waiting
        raise
    with store:
        barrier.wait(timeout=300)
        results.put((tag, *run_checkouts(shop, cart_id, tag, seconds)))
