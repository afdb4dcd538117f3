"""Eight OS processes race for the same stock, with twice as much demand as there is stock.

The checker (:func:`tests._inventory.audit` plus the exact totals) must find nothing wrong with
the inventory service, and must catch the oversell of a deliberately naive implementation.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from commercekit import open_store
from commercekit.inventory import InventoryService
from commercekit.storage import Store
from tests._inventory import audit
from tests.integration._inventory_workers import (
    LOCATIONS,
    SKUS,
    naive_worker,
    reserve_worker,
)

pytestmark = pytest.mark.slow

WORKERS = 8
PER_LOCATION = 20  # 40 units of each SKU in all
CARTS_PER_WORKER = 10  # 80 carts of one unit of each SKU: twice the stock


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
        open_store(url).close()  # migrate once, before the race
        yield url, None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        open_store(url, schema=schema, migrate=True).close()
        yield url, schema


def open_target(target: tuple[str, str | None]) -> Store:
    url, schema = target
    return open_store(url) if schema is None else open_store(url, schema=schema)


def race(
    worker: Callable[..., None], target: tuple[str, str | None], *extra: Any
) -> list[tuple[int, int, int, int, list[str]]]:
    """Run ``WORKERS`` spawned processes of ``worker`` released together by a barrier."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=worker, args=(*target, index, *extra, barrier, results))
        for index in range(WORKERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=90) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    return outcomes


def stock_up(store: Store) -> None:
    inventory = InventoryService(store)
    inventory.set_bundle("KIT", dict.fromkeys(SKUS, 1))
    for sku in SKUS:
        for location in LOCATIONS:
            inventory.receive(sku, location, PER_LOCATION)


def test_no_oversell_and_exact_exhaustion(target: tuple[str, str | None]) -> None:
    with open_target(target) as store:
        stock_up(store)
    outcomes = race(reserve_worker, target, CARTS_PER_WORKER, 0)
    assert [errors for *_, errors in outcomes if errors] == []
    granted = sum(outcome[1] for outcome in outcomes)
    committed = sum(outcome[2] for outcome in outcomes)
    refused = sum(outcome[3] for outcome in outcomes)
    total = PER_LOCATION * len(LOCATIONS)
    assert granted + refused == WORKERS * CARTS_PER_WORKER == 2 * total
    assert granted == total  # every unit went to exactly one buyer, none twice
    with open_target(target) as store:
        assert audit(store) == []
        with store.transaction(readonly=True) as tx:
            levels = tx.stock.levels()
        for sku in SKUS:
            rows = [level for level in levels if level.sku == sku]
            assert sum(level.on_hand for level in rows) == total - committed
            assert sum(level.reserved for level in rows) == granted - committed
            assert all(level.available == 0 for level in rows)


def test_the_checker_catches_a_naive_read_then_write(target: tuple[str, str | None]) -> None:
    with open_target(target) as store:
        InventoryService(store).receive(SKUS[0], LOCATIONS[0], WORKERS // 2)
    outcomes = race(naive_worker, target)
    assert [errors for *_, errors in outcomes if errors] == []
    granted = sum(outcome[1] for outcome in outcomes)
    assert granted == WORKERS  # each read 4 available before anyone wrote
    with open_target(target) as store:
        problems = audit(store)
    assert any("oversold" in problem for problem in problems), problems
    assert any("!= active holds" in problem for problem in problems), problems


def test_expiring_holds_of_overlapping_carts(target: tuple[str, str | None]) -> None:
    """Random carts over overlapping SKUs, held 150 ms: reservations free each other's holds."""
    with open_target(target) as store:
        stock_up(store)
    outcomes = race(reserve_worker, target, 3 * CARTS_PER_WORKER, 150)
    assert [errors for *_, errors in outcomes if errors] == []
    assert sum(outcome[3] for outcome in outcomes) > 0  # demand really exceeded stock
    with open_target(target) as store:
        assert audit(store) == []
        with store.transaction(readonly=True) as tx:
            expired = tx.execute(
                "SELECT count(*) FROM ck_reservations WHERE status = 'expired'"
            ).fetchone()[0]
        assert expired > 0  # some holds were freed by later reservations
