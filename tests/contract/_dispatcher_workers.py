"""Worker function for the two-dispatcher test (importable by ``spawn`` children).

A worker gets a store URL and schema (never a store), opens its own store, waits at the
barrier so that both dispatchers start together, and drains the outbox with a
:class:`~commercekit.events.Dispatcher` whose handler writes each delivery down in the table
``ck_test_deliveries`` (event id, consumer, process id), in a transaction of its own, as a
host's handler with a side effect would, then takes a moment as a network call would. It
puts one result dict on the ``results`` queue: its dispatch report's counts and every
exception it did not expect, as text.
"""

from __future__ import annotations

import os
import time
import traceback
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

import attrs

from commercekit.events import Dispatcher
from commercekit.records import OutboxEvent
from commercekit.storage import open_store

__all__ = ["DELIVERIES", "dispatcher_worker"]

BARRIER_TIMEOUT = 60.0
#: Far longer than the test runs: no lease expires, so an event delivered twice is a bug.
LEASE = timedelta(seconds=120)
#: The table the handlers write to (created by the test).
DELIVERIES = "ck_test_deliveries"
#: What the rest of a delivery takes (a webhook's round trip, say), outside any transaction.
#: It also leaves the other process room to take SQLite's write lock, which is not queued.
DELIVERY_TIME = 0.002


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


def dispatcher_worker(
    url: str,
    schema: str | None,
    consumer: str,
    batch: int,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Drain the outbox with one dispatcher; report what it did."""
    unexpected: list[str] = []
    report: dict[str, int] = {}
    try:
        with open_store(url, schema=schema, migrate=False) as store:

            def record(event: OutboxEvent) -> None:
                with store.transaction() as tx:
                    tx.execute(
                        f"INSERT INTO {DELIVERIES} (event_id, consumer, pid) VALUES (?, ?, ?)",
                        (event.id, consumer, os.getpid()),
                    )
                time.sleep(DELIVERY_TIME)

            dispatcher = Dispatcher(
                store, consumer=consumer, handlers={"*": [record]}, lease=LEASE, batch=batch
            )
            barrier.wait(BARRIER_TIMEOUT)
            report = attrs.asdict(dispatcher.drain())
    except BaseException as exc:
        unexpected.append(_describe(exc))
        unexpected.append(traceback.format_exc())
    results.put(
        {"pid": os.getpid(), "consumer": consumer, "report": report, "unexpected": unexpected}
    )
