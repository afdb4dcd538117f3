"""No deadlock reaches a caller (issue 12, point 1; the inventory guide promises it).

Every inventory path takes its locks in one order (reservation rows by id, then stock rows by
bytes). What PostgreSQL may still pick as a deadlock victim is a transaction the service owns,
which it runs again, or a caller's, which gets a :class:`RetryableConflictError`.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commercekit import open_store
from commercekit.clock import ManualClock
from commercekit.errors import CommerceError, ConflictError, RetryableConflictError
from commercekit.inventory import InventoryService, MovementKind, ReservationStatus
from commercekit.ports import STOCK
from commercekit.storage import Store
from tests._inventory import audit
from tests.integration import _deadlock_workers as workers

SPAWN = multiprocessing.get_context("spawn")
START = datetime(2026, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def store(postgres_url: str, postgres_schema: str) -> Iterator[tuple[Store, ManualClock]]:
    clock = ManualClock(START)
    with open_store(
        postgres_url, schema=postgres_schema, clock=clock, migrate=True, pool_size=4
    ) as opened:
        yield opened, clock


def test_a_caller_transaction_against_a_late_commit_never_hands_a_raw_deadlock_on(
    store: tuple[Store, ManualClock],
) -> None:
    """Two connections stepped by hand into a lock cycle over one hold and its stock row.

    The caller's transaction locks the stock row first (a receipt), then commits the expired
    hold; the service's own commit of the same hold locks the reservation, then needs the row.
    PostgreSQL breaks the cycle by failing one of them: the service's own transaction runs
    again, the caller's gets a retryable error. Neither sees a bare ``deadlock detected``.
    """
    shop, clock = store
    inventory = InventoryService(shop, ttl=timedelta(minutes=1))
    inventory.receive("S", "main", 10)
    held = inventory.reserve("cart-e", [("S", 2)])
    clock.advance(timedelta(minutes=5))  # the hold is past its expiry, not swept

    caller_has_row = threading.Event()
    outcome: dict[str, Any] = {}

    def caller() -> None:
        try:
            with shop.transaction() as tx:
                tx.repository(STOCK).move("S", "main", 5, MovementKind.RECEIVE)
                caller_has_row.set()
                threading.Event().wait(0.5)  # the service's commit now waits on the row
                outcome["caller"] = inventory.commit(held)  # joins: wants the reservation
        except CommerceError as exc:
            outcome["caller"] = exc

    def service() -> None:
        caller_has_row.wait(10)
        try:
            outcome["service"] = inventory.commit(held)  # locks the reservation, then the row
        except CommerceError as exc:
            outcome["service"] = exc

    threads = [threading.Thread(target=caller), threading.Thread(target=service)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    bare = [
        who
        for who, result in outcome.items()
        if isinstance(result, ConflictError) and not isinstance(result, RetryableConflictError)
    ]
    assert bare == [], outcome
    assert not isinstance(outcome["service"], Exception), outcome
    assert outcome["service"].status is ReservationStatus.COMMITTED
    if isinstance(outcome["caller"], Exception):
        assert isinstance(outcome["caller"], RetryableConflictError)
        assert outcome["caller"].retryable
    assert audit(shop) == []
    sold = [m for m in inventory.movements("S", "main") if m.kind is MovementKind.SALE]
    assert sum(m.quantity for m in sold) == -2  # committed once, whoever won


@pytest.mark.slow
def test_sixteen_processes_on_a_hot_sku_see_no_deadlock_and_no_oversell(
    postgres_url: str, postgres_schema: str
) -> None:
    with open_store(postgres_url, schema=postgres_schema, migrate=True) as shop:
        InventoryService(shop).receive(workers.HOT, "main", 40)
    barrier, results = SPAWN.Barrier(16), SPAWN.Queue()
    processes = [
        SPAWN.Process(
            target=workers.hot_sku_worker,
            args=(postgres_url, postgres_schema, index, 4.0, barrier, results),
        )
        for index in range(16)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    assert [error for report in reports for error in report["unexpected"]] == []
    assert sum(report["done"] for report in reports) > 100
    with open_store(postgres_url, schema=postgres_schema) as shop:
        InventoryService(shop).sweep()
        assert audit(shop) == []
