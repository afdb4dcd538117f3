"""Statements a reservation sends do not grow with its lines on PostgreSQL (issue 16, point 11).

On PostgreSQL every statement is a round trip: reserving, committing and releasing a cart of
two lines or more is one set-based statement per step (its stock rows locked in (SKU,
location) byte order by that statement), so a cart of 100 lines costs what a cart of 2 does. A
1-line cart takes its row with a plain single-row statement instead. SQLite runs in-process and
may send one statement per line; there only the outcome is checked.

Statements are counted where psycopg runs them (``psycopg.Cursor.execute``, which
``Connection.execute`` goes through), as ``benchmarks/bench_checkout.py`` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from commercekit.inventory import (
    LOW_STOCK_TOPIC,
    InventoryService,
    MovementKind,
    ReservationStatus,
    StockLevel,
)
from commercekit.ports import STOCK
from commercekit.storage import Store
from tests._inventory import audit

SIZES = (1, 2, 10, 100)
UNITS = 50  # on hand per SKU


@contextlib.contextmanager
def counting(store: Store) -> Iterator[list[str]]:
    """The statements ``store`` sends inside the block (PostgreSQL; empty elsewhere)."""
    sent: list[str] = []
    if store.backend != "postgresql":
        yield sent
        return
    import psycopg

    original = psycopg.Cursor.execute

    def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        sent.append(query.decode() if isinstance(query, bytes) else str(query))
        return original(self, query, params, **kwargs)

    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]


def sku(index: int) -> str:
    return f"SKU-{index:03d}"


@pytest.fixture
def inv(store: Store) -> InventoryService:
    inventory = InventoryService(store, ttl=timedelta(minutes=10))
    for index in range(max(SIZES)):
        inventory.receive(sku(index), "main", UNITS)
    return inventory


def _cart(size: int, quantity: int) -> dict[str, int]:
    return {sku(index): quantity for index in range(size)}


def levels(store: Store) -> list[StockLevel]:
    with store.transaction(readonly=True) as tx:
        return tx.repository(STOCK).levels()


def low_events(store: Store) -> list[str]:
    with store.transaction(readonly=True) as tx:
        return [
            event.payload
            for event in tx.outbox.pending(limit=1000)
            if event.topic == LOW_STOCK_TOPIC
        ]


# A low-stock threshold no sale here reaches: each row's level after the change comes back from
# the guarded statement itself, not from a read per line. (A row that does cross writes its
# event, one outbox entry per event: tests/contract/test_inventory_service.py.)
@pytest.mark.parametrize("threshold", [None, 10], ids=["no-threshold", "threshold"])
def test_round_trips_of_reserve_and_commit_do_not_grow_with_lines(
    inv: InventoryService, store: Store, threshold: int | None
) -> None:
    if threshold is not None:
        for index in range(max(SIZES)):
            inv.set_low_stock_threshold(sku(index), threshold)
    reserved: dict[int, int] = {}
    committed: dict[int, int] = {}
    for size in SIZES:
        with counting(store) as sent:
            held = inv.reserve(f"cart-{size}", _cart(size, 1))
        reserved[size] = len(sent)
        with counting(store) as sent:
            done = inv.commit(held)
        committed[size] = len(sent)
        assert done.status is ReservationStatus.COMMITTED
        assert [line.sku for line in done.lines] == [sku(index) for index in range(size)]
    # Each size sold one unit of its SKUs: SKU-000 four times, SKU-001 three, and so on.
    sold = {index: sum(size > index for size in SIZES) for index in range(max(SIZES))}
    assert levels(store) == [
        StockLevel(sku(index), "main", UNITS - units, 0, 0) for index, units in sold.items()
    ]
    assert [m.kind for m in inv.movements(sku(0), "main")] == [MovementKind.RECEIVE] + [
        MovementKind.SALE
    ] * len(SIZES)
    assert audit(store) == []
    assert low_events(store) == []
    if store.backend != "postgresql":
        return
    assert reserved[2] == reserved[10] == reserved[100], reserved
    assert committed[2] == committed[10] == committed[100], committed
    assert reserved[1] <= reserved[2]
    assert committed[1] <= committed[2]


def test_round_trips_of_release_do_not_grow_with_lines(inv: InventoryService, store: Store) -> None:
    released: dict[int, int] = {}
    for size in SIZES:
        held = inv.reserve(f"cart-{size}", _cart(size, 2))
        with counting(store) as sent:
            assert inv.release(held).status is ReservationStatus.RELEASED
        released[size] = len(sent)
    assert all(level.reserved == 0 for level in levels(store))
    assert audit(store) == []
    if store.backend == "postgresql":
        assert released[2] == released[10] == released[100], released
        assert released[1] <= released[2]


def test_round_trips_of_a_planned_cart_do_not_grow_with_lines(
    inv: InventoryService, store: Store
) -> None:
    """A SKU with two locations takes the general planning path, set-based all the same."""
    inv.receive(sku(0), "backup", UNITS)
    reserved: dict[int, int] = {}
    for size in SIZES[1:]:
        with counting(store) as sent:
            held = inv.reserve(f"cart-{size}", {**_cart(size, 1), sku(0): UNITS + 1})
        reserved[size] = len(sent)
        assert {(line.sku, line.location) for line in held.lines} >= {
            (sku(0), "backup"),
            (sku(0), "main"),
        }
        inv.release(held)
    assert audit(store) == []
    if store.backend == "postgresql":
        assert reserved[2] == reserved[10] == reserved[100], reserved
