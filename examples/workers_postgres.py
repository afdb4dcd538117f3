"""Several worker processes place orders on one PostgreSQL shop while a dispatcher delivers events.

This is how a deployed shop runs: web workers (here, plain processes) each open their own
store on the same database and place orders at once; stock is never oversold, whatever the
interleaving, because each reservation is one guarded statement. Every placed order writes an
``order.placed`` event to the outbox in the transaction that stores it, and a dispatcher
(its own worker in production; a thread of this script here) delivers those events, at least
once, to a handler: the order confirmation e-mail.

There are 10 lamps on the shelf and every other cart wants one (16 lamp carts with the
defaults), so the lamp carts that come too late are refused for stock, their payment holds
voided; the mug carts all go through. The script checks that exactly 10 lamps were sold and
that every placed order's confirmation went out.

Run against a database you may create tables in (the tables go in the schema ``--schema``,
``commercekit`` by default, created if missing)::

    python examples/workers_postgres.py postgresql://user@localhost/shop
    COMMERCEKIT_DATABASE_URL=postgresql://... python examples/workers_postgres.py --workers 8

Needs the ``postgres`` extra: ``pip install "commercekit[postgres]"``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor

from commercekit import Money, open_store
from commercekit.cart import Cart, CartService
from commercekit.checkout import CheckoutService, PayWith
from commercekit.errors import CheckoutFailedError
from commercekit.events import Dispatcher
from commercekit.inventory import InventoryService
from commercekit.orders import OrderService
from commercekit.payments import PaymentService
from commercekit.pricing import CatalogEntry, InMemoryCatalog
from commercekit.records import OutboxEvent
from commercekit.storage import Store
from commercekit.testing import FAKE_TOKEN_OK, FakeGateway

LAMPS = 10  # on the shelf at the start of each run
CATALOG = InMemoryCatalog(
    [
        CatalogEntry("LAMP", price=Money("79.00", "EUR")),
        CatalogEntry("MUG", price=Money("9.50", "EUR")),
    ]
)


def build_checkout(store: Store) -> CheckoutService:
    """The services every process builds around its own store (one per process)."""
    carts = CartService(store, CATALOG)
    inventory = InventoryService(store)
    payments = PaymentService(store, {"card": FakeGateway(store=store)})  # state in the store
    return CheckoutService(carts, OrderService(store, payments, inventory=inventory, carts=carts))


def worker(url: str, schema: str, run: str, number: int, orders: int) -> tuple[list[str], int]:
    """One worker process: place ``orders`` checkouts; return the order ids and the refusals."""
    placed: list[str] = []
    refused = 0
    with open_store(url, schema=schema) as store:
        checkout = build_checkout(store)
        for turn in range(orders):
            key = f"{run}-w{number}-{turn}"
            cart = Cart(id=f"cart-{key}", currency="EUR", customer_id=f"customer-{number}")
            cart = cart.add("LAMP") if turn % 2 == 0 else cart.add("MUG", 2)
            checkout.carts.save(cart)
            try:
                result = checkout.place_order(
                    cart.id, key=key, tenders=[PayWith("card", FAKE_TOKEN_OK)]
                )
            except CheckoutFailedError as failed:
                if failed.cause != "InsufficientStockError":
                    raise
                refused += 1  # no lamp left: the hold on the card was voided, nothing sold
            else:
                assert result.order is not None
                placed.append(result.order.id)
    return placed, refused


def main() -> None:
    """Migrate, stock the shelf, run the workers and the dispatcher, check what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("COMMERCEKIT_DATABASE_URL"))
    parser.add_argument("--schema", default="commercekit")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--orders", type=int, default=8, help="checkouts per worker")
    args = parser.parse_args()
    if not args.url or not args.url.startswith("postgresql://"):
        parser.error("give a postgresql:// URL, or set COMMERCEKIT_DATABASE_URL")
    run = uuid.uuid4().hex[:8]  # keys of this run: the script may run again on the same shop

    # The deploy step: migrate once (`commercekit migrate URL` does the same), then stock.
    with open_store(args.url, schema=args.schema, migrate=True) as store:
        inventory = InventoryService(store)
        level = inventory.level("LAMP", "main")
        if level is None:
            inventory.receive("LAMP", "main", LAMPS)
        elif level.available != LAMPS:  # an earlier run's leftovers: count the shelf again
            inventory.adjust("LAMP", "main", LAMPS - level.available, reason="stock count")
        inventory.receive("MUG", "main", 2 * args.workers * args.orders)

        confirmed: dict[str, str] = {}  # order id -> number; at least once: keyed, not counted
        lock = threading.Lock()

        def send_confirmation(event: OutboxEvent) -> None:
            payload = json.loads(event.payload)
            with lock:
                confirmed[payload["order"]] = payload["number"]

        dispatcher = Dispatcher(
            store, consumer=f"mailer-{run}", handlers={"order.placed": [send_confirmation]}
        )
        stop = threading.Event()
        delivering = threading.Thread(target=dispatcher.run, args=(stop, 0.1))
        delivering.start()
        try:
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(args.workers, mp_context=spawn) as pool:
                futures = [
                    pool.submit(worker, args.url, args.schema, run, number, args.orders)
                    for number in range(args.workers)
                ]
                results = [future.result() for future in futures]
        finally:
            stop.set()
            delivering.join()
        dispatcher.drain()  # whatever the last workers wrote after the thread's last claim

        placed = [order for ids, _refused in results for order in ids]
        refused = sum(refused for _ids, refused in results)
        lamp = inventory.level("LAMP", "main")
        assert lamp is not None
        lamps_sold = LAMPS - lamp.available
        lamp_carts = args.workers * ((args.orders + 1) // 2)
        print(f"{args.workers} workers, {args.workers * args.orders} checkouts:")
        print(f"  placed {len(placed)} orders, refused {refused} for stock")
        print(f"  lamps: {LAMPS} on the shelf, {lamps_sold} sold, {lamp.available} left")
        # Never oversold, never undersold: every lamp cart got one while there were any.
        assert lamps_sold == min(LAMPS, lamp_carts) == lamp_carts - refused
        missing = set(placed) - set(confirmed)
        print(f"  confirmations sent for {len(placed) - len(missing)} of {len(placed)} orders")
        assert not missing, f"no order.placed event delivered for {sorted(missing)}"
        numbers = sorted(int(confirmed[order]) for order in placed)
        assert len(set(numbers)) == len(placed), "an order number given twice"
        print(f"  order numbers {numbers[0]} to {numbers[-1]}, one per order")


if __name__ == "__main__":
    main()
