"""A 20,000-line reservation and its commit: PostgreSQL against SQLite (issue 12, point 6).

The same library calls on both backends, in the same run: ``reserve`` of a cart of 20,000
SKUs (one unit each, one stock row each), then ``commit``. On PostgreSQL every statement is a
round trip, so a per-row loop cost 6.8 s and 7.5 s against 0.23 s and 0.37 s on SQLite; large
carts are now written in set-based statements. Target: PostgreSQL within 3x of SQLite.

The ratio printed is PostgreSQL time / SQLite time (median of a few rounds). PostgreSQL runs
when ``COMMERCEKIT_TEST_POSTGRES_URL`` is set, in a throwaway schema dropped at the end.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks._harness import Ratio
from commercekit import open_store
from commercekit.inventory import InventoryService
from commercekit.storage import Store

POSTGRES_ENV = "COMMERCEKIT_TEST_POSTGRES_URL"
LINES = 20_000
ROUNDS = 3
TARGET = 3.0

_FILL = (
    "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)"
    " INSERT INTO {table} SELECT {columns} FROM g"
)


def _fill(store: Store, skus: int) -> None:
    """``skus`` stock rows of 10 units each at "main", with the receipts in the ledger."""
    with store.transaction() as tx:
        now = tx.db_now()
        level = "'B-' || n, 'main', 10, 0, 0, ?"
        movement = "'B-' || n, 'main', 'receive', 10, NULL, NULL, ?"
        for table, columns in (
            ("ck_stock_levels (sku, location, on_hand, reserved, stock_floor, updated_at)", level),
            (
                "ck_stock_movements (sku, location, kind, quantity, reason, reference, created_at)",
                movement,
            ),
        ):
            tx.execute(_FILL.format(table=table, columns=columns), (skus, now))


def _round(store: Store) -> tuple[float, float]:
    inventory = InventoryService(store)
    cart = {f"B-{n}": 1 for n in range(1, LINES + 1)}
    key = uuid.uuid4().hex
    started = time.perf_counter()
    held = inventory.reserve(key, cart)
    reserved = time.perf_counter()
    inventory.commit(held)
    committed = time.perf_counter()
    return reserved - started, committed - reserved


def _measure(opener: Callable[[], Store]) -> tuple[float, float]:
    with opener() as store:
        _fill(store, LINES * (ROUNDS + 1))
        _round(store)  # warm-up: statement caches, the planner, the page cache
        times = [_round(store) for _ in range(ROUNDS)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def run() -> list[tuple[Ratio, str]]:
    """Ratios PostgreSQL / SQLite for the reservation and the commit (empty without PostgreSQL)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        return []
    with tempfile.TemporaryDirectory() as folder:
        sqlite = _measure(lambda: open_store(f"sqlite:///{Path(folder) / 'big.db'}"))
    schema = f"ck_bench_{uuid.uuid4().hex[:8]}"
    try:
        postgres = _measure(lambda: open_store(url, schema=schema, migrate=True))
    finally:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    target = f"<= {TARGET:g}x"
    return [
        (
            Ratio(
                "20k-line reserve, PostgreSQL / SQLite",
                postgres[0] / sqlite[0],
                *_pair(postgres[0], sqlite[0]),
            ),
            target,
        ),
        (
            Ratio(
                "20k-line commit, PostgreSQL / SQLite",
                postgres[1] / sqlite[1],
                *_pair(postgres[1], sqlite[1]),
            ),
            target,
        ),
    ]


def _pair(candidate: float, baseline: float) -> tuple[float, float]:
    return candidate, baseline


def main() -> None:
    print(f"a {LINES:,}-line cart (median of {ROUNDS}, PostgreSQL / SQLite)")
    results = run()
    if not results:
        print(f"  (skipped: set {POSTGRES_ENV} to compare with PostgreSQL)")
    for result, target in results:
        print(result.line(target))


if __name__ == "__main__":
    main()
