"""Two dispatchers in two OS processes drain one outbox: each event delivered exactly once.

On a SQLite file and on a PostgreSQL schema (the ``target`` fixture of
``test_storage_processes.py``), with ``spawn``ed workers from ``_dispatcher_workers.py``.
The handlers write each delivery to a table; with a lease far longer than the test, every
event must be there exactly once, delivered by one of the two processes, and the outbox
must hold every event delivered with one attempt, none dead or held.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.contract import _dispatcher_workers as workers
from tests.contract import test_storage_processes as storage_processes
from tests.contract.test_storage_processes import Target, run_workers, unexpected_errors

target = storage_processes.target  # the same backends: a SQLite file and a PostgreSQL schema

EVENTS = 300
BATCH = 10


@pytest.mark.slow
def test_two_dispatcher_processes_deliver_every_event_exactly_once(target: Target) -> None:
    with target.open() as store:
        with store.transaction() as tx:
            tx.execute(
                f"CREATE TABLE {workers.DELIVERIES}"
                " (event_id BIGINT NOT NULL, consumer TEXT NOT NULL, pid BIGINT NOT NULL)"
            )
            ids = [tx.outbox.append("order.placed", {"n": n}) for n in range(EVENTS)]
        results = run_workers(
            workers.dispatcher_worker,
            [(target.url, target.schema, f"dispatcher-{n}", BATCH) for n in range(2)],
        )
        assert unexpected_errors(results) == []
        with store.transaction(readonly=True) as tx:
            rows = tx.execute(f"SELECT event_id, consumer, pid FROM {workers.DELIVERIES}")
            deliveries = [(int(e), c, int(p)) for e, c, p in rows.fetchall()]
            outbox = tx.execute(
                "SELECT attempts, count(*) FROM ck_outbox WHERE delivered_at IS NOT NULL"
                " AND dead_at IS NULL AND claimed_by IS NULL GROUP BY attempts"
            ).fetchall()
            assert tx.outbox.pending() == [] and tx.outbox.dead() == []
    times = Counter(event_id for event_id, _, _ in deliveries)
    assert sorted(times) == ids  # every event delivered ...
    assert [i for i, n in times.items() if n > 1] == []  # ... exactly once
    # Each delivery came from the process that reported it, and both processes took part.
    pids = {r["consumer"]: r["pid"] for r in results}
    assert all(pids[consumer] == pid for _, consumer, pid in deliveries)
    by_consumer = Counter(consumer for _, consumer, _ in deliveries)
    assert set(by_consumer) == set(pids), by_consumer
    for r in results:
        report = r["report"]
        assert report["delivered"] == by_consumer[r["consumer"]]
        assert report["failed"] == report["dead"] == report["taken_over"] == 0
    assert sum(r["report"]["claimed"] for r in results) == EVENTS
    assert [tuple(row) for row in outbox] == [(1, EVENTS)]
