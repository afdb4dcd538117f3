"""Worker functions for the multi-process storage tests (importable by ``spawn`` children).

Every worker receives a store URL and schema (never a store), opens its own store, waits at a
barrier so that all workers start together, does its share of the work and puts one result dict
on the ``results`` queue. Any exception a worker did not expect is recorded as text under
``"unexpected"`` instead of being raised, so that the parent test can assert there were none
(a ``StorageBusyError`` or "database is locked" reaching a worker is such an exception).
"""

from __future__ import annotations

import os
import random
import time
import traceback
from multiprocessing.connection import Connection
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any

import attrs

from commercekit.errors import ConflictError
from commercekit.storage import AggregateKind, MovementKind, Store, open_store

__all__ = [
    "COUNTER",
    "Counter",
    "consume_worker",
    "fork_child",
    "increment_worker",
    "migrate_worker",
    "open_worker_store",
    "reserve_worker",
    "victim_worker",
]

BARRIER_TIMEOUT = 60.0


@attrs.frozen
class Counter:
    """The smallest aggregate: an id, a version and a value incremented by the workers."""

    id: str
    version: int = 0
    value: int = 0


COUNTER: AggregateKind[Counter] = AggregateKind("proc_counter", Counter)


def open_worker_store(url: str, schema: str | None, *, migrate: bool = False) -> Store:
    """Open the store a worker uses: the parent already migrated it."""
    return open_store(url, schema=schema, migrate=migrate)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


def _fatal(results: Queue[dict[str, Any]], exc: BaseException) -> None:
    results.put(
        {
            "pid": os.getpid(),
            "unexpected": [_describe(exc)],
            "traceback": traceback.format_exc(),
        }
    )


def increment_worker(
    url: str,
    schema: str | None,
    ident: str,
    increments: int,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Add 1 to a shared counter ``increments`` times by version-checked read-modify-save.

    Attempts alternate between two patterns. In one the read and the save are separate
    transactions (a request that loaded a cart and a later one that saves it), so concurrent
    workers really do save stale versions. In the other the read and the save share one write
    transaction (on SQLite a deferred ``BEGIN`` would then fail with "database is locked" when a
    reader turns writer after another process committed; ``BEGIN IMMEDIATE`` prevents that).
    Each :class:`ConflictError` is counted and the increment retried from a fresh read.
    """
    try:
        rng = random.Random(os.getpid())
        unexpected: list[str] = []
        conflicts = done = 0
        with open_worker_store(url, schema) as store:
            barrier.wait(BARRIER_TIMEOUT)
            # First round in lockstep: every worker reads the same version before any saves, so
            # all saves but one are stale. The race is certain, not left to the scheduler.
            with store.transaction(readonly=True) as tx:
                first = tx.aggregates(COUNTER).get(ident)
            barrier.wait(BARRIER_TIMEOUT)
            try:
                with store.transaction() as tx:
                    tx.aggregates(COUNTER).save(attrs.evolve(first, value=first.value + 1))
                done += 1
            except ConflictError:
                conflicts += 1
            while done < increments and len(unexpected) < 5:
                try:
                    if (done + conflicts) % 2:
                        with store.transaction() as tx:
                            current = tx.aggregates(COUNTER).get(ident)
                            tx.aggregates(COUNTER).save(
                                attrs.evolve(current, value=current.value + 1)
                            )
                    else:
                        with store.transaction(readonly=True) as tx:
                            current = tx.aggregates(COUNTER).get(ident)
                        with store.transaction() as tx:
                            tx.aggregates(COUNTER).save(
                                attrs.evolve(current, value=current.value + 1)
                            )
                    done += 1
                except ConflictError:
                    conflicts += 1
                    time.sleep(rng.uniform(0, 0.002))
                except Exception as exc:
                    unexpected.append(_describe(exc))
        results.put(
            {"pid": os.getpid(), "done": done, "conflicts": conflicts, "unexpected": unexpected}
        )
    except BaseException as exc:
        _fatal(results, exc)


def consume_worker(
    url: str,
    schema: str | None,
    promotion_id: str,
    limit: int,
    attempts: int,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Try ``attempts`` times to consume one use of a promotion limited to ``limit`` uses."""
    try:
        unexpected: list[str] = []
        granted = refused = 0
        with open_worker_store(url, schema) as store:
            barrier.wait(BARRIER_TIMEOUT)
            for _ in range(attempts):
                try:
                    with store.transaction() as tx:
                        ok = tx.promotion_usage.consume(promotion_id, limit=limit)
                    if ok:
                        granted += 1
                    else:
                        refused += 1
                except Exception as exc:
                    unexpected.append(_describe(exc))
        results.put(
            {"pid": os.getpid(), "granted": granted, "refused": refused, "unexpected": unexpected}
        )
    except BaseException as exc:
        _fatal(results, exc)


def reserve_worker(
    url: str,
    schema: str | None,
    sku: str,
    location: str,
    attempts: int,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Try ``attempts`` times to reserve one unit; after each attempt read the level back.

    Every level read (inside the reserving transaction and in a separate read transaction)
    is checked for ``reserved > on_hand`` and any such sighting is reported as ``oversold``.
    """
    try:
        unexpected: list[str] = []
        oversold: list[tuple[int, int]] = []
        reserved = refused = 0
        with open_worker_store(url, schema) as store:
            barrier.wait(BARRIER_TIMEOUT)
            for _ in range(attempts):
                try:
                    with store.transaction() as tx:
                        ok = tx.stock.reserve(sku, location, 1)
                        level = tx.stock.level(sku, location)
                    assert level is not None
                    if level.reserved > level.on_hand:
                        oversold.append((level.on_hand, level.reserved))
                    if ok:
                        reserved += 1
                    else:
                        refused += 1
                    with store.transaction(readonly=True) as tx:
                        seen = tx.stock.level(sku, location)
                    assert seen is not None
                    if seen.reserved > seen.on_hand:
                        oversold.append((seen.on_hand, seen.reserved))
                except Exception as exc:
                    unexpected.append(_describe(exc))
        results.put(
            {
                "pid": os.getpid(),
                "reserved": reserved,
                "refused": refused,
                "oversold": oversold,
                "unexpected": unexpected,
            }
        )
    except BaseException as exc:
        _fatal(results, exc)


def migrate_worker(
    targets: list[tuple[str, str | None]],
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """For each fresh database in ``targets``: meet the other worker, then ``store.migrate()``.

    Reports the ``[area, version]`` pairs each call applied (all of them for the one that
    migrated, ``[]`` for the one that found the work done).
    """
    try:
        applied: list[list[Any]] = []
        unexpected: list[str] = []
        for url, schema in targets:
            barrier.wait(BARRIER_TIMEOUT)
            try:
                with open_worker_store(url, schema) as store:
                    applied.append([list(done) for done in store.migrate()])
            except Exception as exc:
                applied.append(["failed"])
                unexpected.append(_describe(exc))
        results.put({"pid": os.getpid(), "applied": applied, "unexpected": unexpected})
    except BaseException as exc:
        _fatal(results, exc)


def victim_worker(
    url: str,
    schema: str | None,
    ident_prefix: str,
    sku: str,
    ready: Event,
    results: Queue[dict[str, Any]],
) -> None:
    """Write several rows in one transaction, report what it sees, signal ``ready``, then hang.

    The parent SIGKILLs this process while the transaction is open.
    """
    try:
        with open_worker_store(url, schema) as store, store.transaction() as tx:
            for index in range(3):
                tx.aggregates(COUNTER).add(Counter(f"{ident_prefix}-{index}", value=index))
            tx.stock.move(sku, "main", 7, MovementKind.RECEIVE, reference="victim")
            tx.stock.move(f"{sku}-NEW", "main", 4, MovementKind.RECEIVE, reference="victim")
            tx.promotion_usage.consume("VICTIM-PROMO", limit=10)
            tx.idempotency.begin("victim", "key-1", "hash-1")
            tx.outbox.append("victim.wrote", {"rows": 3})
            seen = tx.execute(
                "SELECT count(*) FROM ck_aggregates WHERE id LIKE ?", (f"{ident_prefix}-%",)
            ).fetchone()[0]
            level = tx.stock.level(sku, "main")
            backend_pid = (
                tx.execute("SELECT pg_backend_pid()").fetchone()[0]
                if store.backend == "postgresql"
                else None
            )
            results.put(
                {
                    "pid": os.getpid(),
                    "seen_in_tx": int(seen),
                    "on_hand_in_tx": None if level is None else level.on_hand,
                    "backend_pid": backend_pid,
                }
            )
            ready.set()
            time.sleep(120)  # killed long before this ends
        results.put({"pid": os.getpid(), "unexpected": ["the victim was not killed"]})
    except BaseException as exc:
        _fatal(results, exc)


def fork_child(store: Store, ident: str, marker_sql: str, conn: Connection) -> None:
    """Run in a forked child: use the parent's ``store`` object and send back what happened.

    ``marker_sql`` counts a temporary table the parent created in its own connection: a child
    that reused the inherited connection would see it (``marker`` 1).
    """
    report: dict[str, Any] = {"pid": os.getpid(), "unexpected": []}
    try:
        with store.transaction(readonly=True) as tx:
            report["marker"] = int(tx.execute(marker_sql).fetchone()[0])
        with store.transaction() as tx:
            tx.aggregates(COUNTER).add(Counter(ident, value=41))
            if store.backend == "postgresql":
                report["backend_pid"] = tx.execute("SELECT pg_backend_pid()").fetchone()[0]
        with store.transaction() as tx:
            stored = tx.aggregates(COUNTER).get(ident)
            tx.aggregates(COUNTER).save(attrs.evolve(stored, value=stored.value + 1))
        with store.transaction(readonly=True) as tx:
            report["value"] = tx.aggregates(COUNTER).get(ident).value
    except BaseException as exc:
        report["unexpected"].append(_describe(exc))
        report["traceback"] = traceback.format_exc()
    conn.send(report)
    conn.close()
