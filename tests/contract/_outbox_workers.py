"""Worker functions for the multi-process outbox test (importable by ``spawn`` children).

A worker gets a store URL and schema (never a store), opens its own store, waits at the
barrier so that the consumers start together, and drains the outbox the way a relay does:
claim a batch under a lease, deliver each event (here: write its id down), mark it delivered.
It puts one result dict on the ``results`` queue: the ids it delivered, in order, and every
exception it did not expect, as text under ``"unexpected"``.
"""

from __future__ import annotations

import os
import time
import traceback
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from commercekit.ports import OUTBOX
from commercekit.storage import open_store

__all__ = ["consumer_worker"]

BARRIER_TIMEOUT = 60.0
#: Far longer than the test runs: no lease expires, so an event delivered twice is a bug.
LEASE = timedelta(seconds=60)
#: How long one delivery takes here (seconds).
DELIVERY = 0.001


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


def consumer_worker(
    url: str,
    schema: str | None,
    consumer: str,
    batch: int,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Claim up to ``batch`` events at a time and mark each delivered in its own transaction.

    Stops when a claim comes back empty: every event left is then delivered or held by the
    other consumer, who delivers it (the lease outlasts the test).
    """
    delivered: list[int] = []
    unexpected: list[str] = []
    claims = 0
    try:
        with open_store(url, schema=schema, migrate=False) as store:
            barrier.wait(BARRIER_TIMEOUT)
            while len(unexpected) < 5:
                try:
                    with store.transaction() as tx:
                        events = tx.repository(OUTBOX).claim(consumer, limit=batch, lease=LEASE)
                    if not events:
                        break
                    claims += 1
                    for event in events:
                        delivered.append(event.id)  # the delivery: the parent counts these
                        time.sleep(DELIVERY)  # a real delivery takes time; SQLite does not
                        # queue writers, so without it one process may drain everything
                        with store.transaction() as tx:
                            tx.repository(OUTBOX).mark_delivered(event.id, consumer=consumer)
                except Exception as exc:
                    unexpected.append(_describe(exc))
        results.put(
            {
                "pid": os.getpid(),
                "consumer": consumer,
                "delivered": delivered,
                "claims": claims,
                "unexpected": unexpected,
            }
        )
    except BaseException as exc:
        results.put(
            {
                "pid": os.getpid(),
                "consumer": consumer,
                "delivered": delivered,
                "claims": claims,
                "unexpected": [*unexpected, _describe(exc)],
                "traceback": traceback.format_exc(),
            }
        )
