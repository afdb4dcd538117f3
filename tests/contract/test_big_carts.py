"""Large carts behave the same on every backend (issue 12, point 6).

A cart of thousands of SKUs stays within both backends' parameter limits (one parameter for a
set of SKUs), is held, committed and released with set-based statements on PostgreSQL, and
gives the same answers and errors as on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from commercekit import open_store
from commercekit.errors import InsufficientStockError, UnknownSkuError
from commercekit.inventory import InventoryService, MovementKind, ReservationStatus
from commercekit.storage import Store
from tests._inventory import audit

_FILL = (
    "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)"
    " INSERT INTO {table} SELECT {columns} FROM g"
)


def fill(store: Store, skus: int, units: int = 3) -> None:
    """``skus`` stock rows ``B-1`` ... of ``units`` each at "main", receipts in the ledger."""
    with store.transaction() as tx:
        now = tx.db_now()
        tx.execute(
            _FILL.format(
                table="ck_stock_levels (sku, location, on_hand, reserved, stock_floor, updated_at)",
                columns=f"'B-' || n, 'main', {units}, 0, 0, ?",
            ),
            (skus, now),
        )
        tx.execute(
            _FILL.format(
                table="ck_stock_movements (sku, location, kind, quantity, created_at)",
                columns=f"'B-' || n, 'main', 'receive', {units}, ?",
            ),
            (skus, now),
        )


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'big.db'}")
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        opened = open_store(url, schema=schema, migrate=True)
    with opened:
        yield opened


def test_an_unknown_sku_in_a_huge_cart_is_the_same_error_everywhere(store: Store) -> None:
    fill(store, 13_200)
    cart = {f"B-{n}": 1 for n in range(1, 13_201)} | {"GHOST": 1}
    inventory = InventoryService(store)
    with pytest.raises(UnknownSkuError) as info:
        inventory.reserve("huge", cart)
    assert info.value.skus == ("GHOST",)
    assert inventory.by_key("huge") is None


def test_a_large_cart_is_held_committed_and_released_in_full(store: Store) -> None:
    fill(store, 500)
    inventory = InventoryService(store)
    lines = {f"B-{n}": 2 for n in range(1, 501)}
    held = inventory.reserve("big-1", lines)
    assert len(held.lines) == 500
    assert inventory.stock("B-7")[0].reserved == 2
    with pytest.raises(InsufficientStockError):  # only 1 of each left: nothing more is held
        inventory.reserve("big-2", lines)
    assert inventory.stock("B-7")[0].reserved == 2
    second = inventory.reserve("big-3", {f"B-{n}": 1 for n in range(1, 501)})
    released = inventory.release(second)
    assert released.status is ReservationStatus.RELEASED
    committed = inventory.commit(held, reference="order-big")
    assert committed.status is ReservationStatus.COMMITTED
    level = inventory.stock("B-500")[0]
    assert (level.on_hand, level.reserved) == (1, 0)
    sales = [m for m in inventory.movements("B-500", "main") if m.kind is MovementKind.SALE]
    assert [(m.quantity, m.reference) for m in sales] == [(-2, "order-big")]
    assert audit(store) == []
