"""Reservations per second: InventoryService.reserve against hand-written SQL doing the same work.

The baseline is what a careful developer would write by hand with the same driver: in one
transaction, the check for expired holds on the SKU (freeing any it finds), the guarded
``UPDATE ... WHERE on_hand - reserved - n >= floor`` and the reservation row with its line.
The expiry check is required work, not an extra: issue 5 says a reservation attempt frees the
expired holds on the SKUs it touches in the same transaction, so a hand-written reserve that
skipped it would not do the job (it was added to the baseline in the inventory speed-up; before
that the baseline did only the update and the inserts). The idempotency key needs no extra
statement: the unique key of ``ck_reservations`` refuses a second reservation under it, in the
baseline as in the library. The library does more still (bundle expansion, allocation over
locations, low-stock thresholds, input checks, replaying a repeated key).
Both run interleaved in the same run, in 1 and 4 processes, on SQLite and, when
``COMMERCEKIT_TEST_POSTGRES_URL`` is set, on PostgreSQL. Each side first makes ``WARMUP``
reservations (caches, statement caches and the interpreter's specialisations settle, and the
figures are of a store in use rather than of its first rows), then 20 interleaved rounds are
timed: with 6 rounds the median ratio of the same build moved by 0.2x from run to run.

Target (issue 5): the library at >= 0.8x the hand-written throughput, i.e. a time ratio <= 1.25.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks._harness import Ratio, compare, report
from commercekit import open_store
from commercekit.inventory import InventoryService
from commercekit.rules import MAX_QUANTITY
from commercekit.storage import Store

SKU, LOCATION = "HOT-TEE", "main"
POSTGRES_ENV = "COMMERCEKIT_TEST_POSTGRES_URL"
TARGET = "<= 1.25x time (>= 0.8x throughput)"
WARMUP = 300

_UPDATE = (
    "UPDATE ck_stock_levels SET reserved = reserved + ?, updated_at = ?"
    " WHERE sku = ? AND location = ? AND on_hand - reserved - ? >= stock_floor"
)
# Driven by the (status, expires_at) index, the line of each due reservation looked up by
# primary key; a plain join may read every line of the hot SKU instead (its own index, as
# PostgreSQL chooses with the statistics of a young table), which costs more with each
# reservation made.
_EXPIRED_HOLDS = (
    "SELECT id, quantity FROM (SELECT r.id, (SELECT l.quantity FROM ck_reservation_lines l"
    " WHERE l.reservation_id = r.id AND l.sku = ? AND l.location = ?) AS quantity"
    " FROM ck_reservations r WHERE r.status = 'active' AND r.expires_at <= ?) due"
    " WHERE quantity IS NOT NULL"
)
_EXPIRE = (
    "UPDATE ck_reservations SET status = 'expired', updated_at = ?"
    " WHERE id = ? AND status = 'active'"
)
_UNRESERVE = (
    "UPDATE ck_stock_levels SET reserved = reserved - ?, updated_at = ?"
    " WHERE sku = ? AND location = ? AND reserved >= ?"
)
_INSERT_RESERVATION = (
    "INSERT INTO ck_reservations (id, reservation_key, status, request_hash, expires_at,"
    " created_at, updated_at) VALUES (?, ?, 'active', ?, ?, ?, ?)"
)
_INSERT_LINE = (
    "INSERT INTO ck_reservation_lines (reservation_id, sku, location, quantity) VALUES (?, ?, ?, ?)"
)


def _open(url: str, schema: str | None) -> Store:
    return open_store(url) if schema is None else open_store(url, schema=schema)


class HandWritten:
    """The baseline: one connection of the same driver, four statements in a transaction.

    The expired holds of the SKU are looked up first and, if there are any, freed (in the
    benchmark there never are: the TTL is 15 minutes).
    """

    def __init__(self, url: str, schema: str | None) -> None:
        self.postgres = schema is not None
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(url, autocommit=True)
            self.conn.execute(f'SET search_path TO "{schema}"')
        else:
            path = url.removeprefix("sqlite:///")
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA busy_timeout = 30000")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.postgres else text

    def reserve(self, key: str) -> None:
        """Hold one unit of the hot SKU under ``key``."""
        now = datetime.now(UTC)
        expires = now + timedelta(minutes=15)
        stamp: Any = now
        until: Any = expires
        if not self.postgres:
            stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            until = expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ident = uuid.uuid4().hex
        execute = self.conn.execute
        execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")
        try:
            freed = 0
            for held, units in execute(
                self._sql(_EXPIRED_HOLDS), (SKU, LOCATION, stamp)
            ).fetchall():
                if execute(self._sql(_EXPIRE), (stamp, held)).rowcount == 1:
                    freed += units
            if freed:
                execute(self._sql(_UNRESERVE), (freed, stamp, SKU, LOCATION, freed))
            updated = execute(self._sql(_UPDATE), (1, stamp, SKU, LOCATION, 1)).rowcount
            if updated != 1:
                raise RuntimeError("out of stock")
            execute(self._sql(_INSERT_RESERVATION), (ident, key, "h", until, stamp, stamp))
            execute(self._sql(_INSERT_LINE), (ident, SKU, LOCATION, 1))
        except BaseException:
            execute("ROLLBACK")
            raise
        execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _reservers(url: str, schema: str | None, tag: str) -> tuple[Callable[[], object], ...]:
    store = _open(url, schema)
    service = InventoryService(store)
    hand = HandWritten(url, schema)
    keys = itertools.count()

    def library() -> object:
        return service.reserve(f"{tag}-lib-{next(keys)}", {SKU: 1})

    def baseline() -> object:
        hand.reserve(f"{tag}-sql-{next(keys)}")
        return None

    def close() -> object:
        hand.close()
        store.close()
        return None

    return library, baseline, close


def _warm_up(library: Callable[[], object], baseline: Callable[[], object]) -> None:
    for _ in range(WARMUP):
        library()
        baseline()


def _worker(
    url: str, schema: str | None, index: int, rounds: int, number: int, barrier: Any
) -> None:
    library, baseline, close = _reservers(url, schema, f"p{index}")
    _warm_up(library, baseline)
    barrier.wait()
    for round_ in range(rounds):
        for fn in (library, baseline) if round_ % 2 == 0 else (baseline, library):
            barrier.wait()
            for _ in range(number):
                fn()
            barrier.wait()
    close()


def _parallel(
    name: str, url: str, schema: str | None, processes: int, rounds: int, number: int
) -> Ratio:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    workers = [
        ctx.Process(target=_worker, args=(url, schema, i, rounds, number, barrier))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    ratios, cand, base = [], [], []
    for round_ in range(rounds):
        times = {}
        for mode in ("lib", "sql") if round_ % 2 == 0 else ("sql", "lib"):
            barrier.wait()
            start = time.perf_counter()
            barrier.wait()
            times[mode] = (time.perf_counter() - start) / (processes * number)
        ratios.append(times["lib"] / times["sql"])
        cand.append(times["lib"])
        base.append(times["sql"])
    for worker in workers:
        worker.join()
    return Ratio(name, statistics.median(ratios), statistics.median(cand), statistics.median(base))


def _prepare(url: str, schema: str | None) -> None:
    with (
        open_store(url, migrate=True)
        if schema is None
        else open_store(url, schema=schema, migrate=True)
    ) as store:
        # Enough for every reservation of the run: the most one movement may add, twice.
        inventory = InventoryService(store)
        for _ in range(2):
            inventory.receive(SKU, LOCATION, MAX_QUANTITY)


def _targets() -> list[tuple[str, str, str | None]]:
    directory = tempfile.mkdtemp(prefix="ck-bench-")
    found: list[tuple[str, str, str | None]] = [
        ("sqlite", f"sqlite:///{os.path.join(directory, 'bench.db')}", None)
    ]
    pg = os.environ.get(POSTGRES_ENV)
    if pg:
        found.append(("postgresql", pg, f"ck_bench_{uuid.uuid4().hex[:10]}"))
    return found


def _drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run(rounds: int = 20, number: int = 100) -> list[tuple[Ratio, str]]:
    """Measure and return (ratio, target) pairs: time per reservation, library / hand-written."""
    results: list[tuple[Ratio, str]] = []
    for backend, url, schema in _targets():
        try:
            _prepare(url, schema)
            library, baseline, close = _reservers(url, schema, "solo")
            try:
                _warm_up(library, baseline)
                results.append(
                    (
                        compare(
                            f"reserve, {backend}, 1 process",
                            library,
                            baseline,
                            rounds=rounds,
                            number=number,
                        ),
                        TARGET,
                    )
                )
            finally:
                close()
            results.append(
                (
                    _parallel(f"reserve, {backend}, 4 processes", url, schema, 4, rounds, number),
                    TARGET,
                )
            )
        finally:
            if schema is not None:
                _drop(url, schema)
    return results


def main() -> None:
    """Print the inventory benchmark."""
    print("inventory reservations (median time ratio, library / hand-written SQL)")
    print(report(run()))


if __name__ == "__main__":
    main()
