"""Worker processes for the inventory concurrency tests (importable by "spawn" children)."""

from __future__ import annotations

import random
import time
import traceback
from datetime import timedelta
from typing import Any

from commercekit import open_store
from commercekit.errors import InsufficientStockError, ReservationError
from commercekit.inventory import InventoryService, PriorityOrder, ReservationLine
from commercekit.storage import Store

SKUS = ("A-tee", "B-mug", "C-茶")
LOCATIONS = ("east", "west")


def open_for(url: str, schema: str | None) -> Store:
    """A store on ``url`` (``schema`` for PostgreSQL), without migrating."""
    if schema is None:
        return open_store(url, migrate=False)
    return open_store(url, schema=schema, migrate=False, pool_size=2)


def cart_for(rng: random.Random, index: int) -> Any:
    """One unit of each SKU, in a shape and line order that varies from cart to cart."""
    shape = index % 3
    if shape == 0:
        return {"KIT": 1}  # a bundle of the three SKUs
    lines = [(sku, 1) for sku in SKUS]
    if shape == 1:
        rng.shuffle(lines)
        return lines
    return list(reversed(lines))  # against byte order


def random_cart(rng: random.Random) -> list[tuple[str, int]]:
    """A random non-empty subset of the SKUs, 1-2 units each, in random line order."""
    skus = rng.sample(SKUS, rng.randint(1, len(SKUS)))
    return [(sku, rng.randint(1, 2)) for sku in skus]


def reserve_worker(
    url: str, schema: str | None, worker: int, carts: int, ttl_ms: int, barrier: Any, results: Any
) -> None:
    """Race to reserve ``carts`` carts; commit every second success; report the counts.

    With ``ttl_ms`` the carts are random subsets of the SKUs held for that many milliseconds,
    so that reservations expire mid-race and later reservations free them.
    """
    granted = committed = refused = 0
    errors: list[str] = []
    rng = random.Random(worker)
    try:
        with open_for(url, schema) as store:
            order = LOCATIONS if worker % 2 else tuple(reversed(LOCATIONS))
            inventory = InventoryService(store, strategy=PriorityOrder(order))
            ttl = timedelta(milliseconds=ttl_ms) if ttl_ms else None
            barrier.wait(timeout=60)
            for index in range(carts):
                cart = random_cart(rng) if ttl else cart_for(rng, worker + index)
                try:
                    held = inventory.reserve(f"w{worker}-c{index}", cart, ttl=ttl)
                except InsufficientStockError:
                    refused += 1
                    continue
                granted += 1
                if granted % 2 == 0:
                    try:
                        inventory.commit(held)
                    except ReservationError:
                        assert ttl  # only an expired reservation may fail to commit
                    else:
                        committed += 1
                if ttl and index % 4 == 3:
                    time.sleep(ttl_ms / 1000)
    except Exception:
        errors.append(traceback.format_exc())
    results.put((worker, granted, committed, refused, errors))


def naive_worker(
    url: str, schema: str | None, worker: int, read_barrier: Any, results: Any
) -> None:
    """The classic bug: read available in one transaction, write in another.

    Every worker reads, waits at the barrier until all have read, then writes the reserved
    count it computed from its stale read and records its reservation.
    """
    granted = 0
    errors: list[str] = []
    try:
        with open_for(url, schema) as store:
            with store.transaction(readonly=True) as tx:
                level = tx.stock.level(SKUS[0], LOCATIONS[0])
            assert level is not None
            read_barrier.wait(timeout=60)
            if level.available >= 1:
                with store.transaction() as tx:
                    tx.execute(
                        "UPDATE ck_stock_levels SET reserved = ? WHERE sku = ? AND location = ?",
                        (level.reserved + 1, SKUS[0], LOCATIONS[0]),
                    )
                    tx.reservations.create(
                        f"naive-{worker}",
                        [ReservationLine(SKUS[0], LOCATIONS[0], 1)],
                        expires_at=tx.now().replace(year=2100),
                        request_hash="naive",
                    )
                granted = 1
    except Exception:
        errors.append(traceback.format_exc())
    results.put((worker, granted, 0, 0, errors))
