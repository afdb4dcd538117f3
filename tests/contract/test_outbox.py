"""The outbox with several consumers: claims under a lease, idempotent marks, unknown ids.

One contract, subclassed per backend (memory, SQLite, PostgreSQL) as in
``test_storage_contract.py``; then two consumer processes draining 1,000 events from a SQLite
file and from PostgreSQL, which must deliver every event exactly once.
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from commercekit.clock import ManualClock
from commercekit.errors import (
    ConflictError,
    InvalidIdentifierError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from commercekit.ports import OUTBOX, OutboxRepository
from commercekit.records import OutboxEvent
from commercekit.storage import Store, open_store
from tests.contract import _outbox_workers as outbox_workers
from tests.contract import test_storage_processes as storage_processes
from tests.contract._backends import T0, BackendContract, OnMemory, OnPostgres, OnSqlite
from tests.contract.test_storage_processes import Target, run_workers, unexpected_errors

target = storage_processes.target  # the same backends: a SQLite file and a PostgreSQL schema

MINUTE = timedelta(minutes=1)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _append(store: Store, count: int, topic: str = "order.placed") -> list[int]:
    with store.transaction() as tx:
        return [tx.repository(OUTBOX).append(topic, {"n": n}) for n in range(count)]


class OutboxContract(BackendContract):
    """What every backend's outbox does; a backend mixin provides the store."""

    # -- claiming -----------------------------------------------------------------------------

    def test_claim_hands_each_event_to_one_consumer(self, store: Store) -> None:
        ids = _append(store, 5)
        with store.transaction() as tx:
            outbox: OutboxRepository = tx.repository(OUTBOX)
            first = outbox.claim("relay-a", limit=3, lease=MINUTE)
            second = outbox.claim("relay-b", limit=3, lease=MINUTE)
            third = outbox.claim("relay-c", lease=MINUTE)
        assert [e.id for e in first] == ids[:3]
        assert [e.id for e in second] == ids[3:]
        assert third == []
        assert {(e.claimed_by, e.claimed_until) for e in first} == {("relay-a", T0 + MINUTE)}
        assert {(e.claimed_by, e.claimed_until) for e in second} == {("relay-b", T0 + MINUTE)}
        assert all(e.attempts == 0 and e.delivered_at is None for e in first + second)
        with store.transaction(readonly=True) as tx:
            stored = [tx.outbox.get(i) for i in ids]
            # pending() is a plain read: it shows held events too.
            assert [e.id for e in tx.outbox.pending()] == ids
        assert stored == first + second

    def test_claim_skips_delivered_and_not_yet_due_events(
        self, store: Store, clock: ManualClock
    ) -> None:
        delivered, later, due = _append(store, 3)
        with store.transaction() as tx:
            tx.outbox.mark_delivered(delivered)
            tx.outbox.mark_failed(later, "handler down", retry_at=T0 + 5 * MINUTE)
        with store.transaction() as tx:
            assert [e.id for e in tx.outbox.claim("relay-a", lease=10 * MINUTE)] == [due]
        clock.advance(5 * MINUTE)
        with store.transaction() as tx:
            [retry] = tx.outbox.claim("relay-b", lease=MINUTE)
        assert (retry.id, retry.attempts, retry.last_error) == (later, 1, "handler down")
        assert retry.claimed_until == T0 + 6 * MINUTE

    def test_a_claim_rolled_back_holds_nothing(self, store: Store) -> None:
        [event] = _append(store, 1)
        with pytest.raises(RuntimeError), store.transaction() as tx:
            assert [e.id for e in tx.outbox.claim("relay-a", lease=MINUTE)] == [event]
            raise RuntimeError("the relay crashed before committing its claim")
        with store.transaction() as tx:
            assert [e.id for e in tx.outbox.claim("relay-b", lease=MINUTE)] == [event]

    def test_an_expired_lease_lets_another_consumer_claim(
        self, store: Store, clock: ManualClock
    ) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            assert len(tx.outbox.claim("relay-a", lease=MINUTE)) == 1
        clock.advance(MINUTE - timedelta(microseconds=1))
        with store.transaction() as tx:
            assert tx.outbox.claim("relay-b", lease=MINUTE) == []  # still held
        clock.advance(timedelta(microseconds=1))  # relay-a died: its lease has run out
        with store.transaction() as tx:
            [again] = tx.outbox.claim("relay-b", lease=MINUTE)
        assert (again.id, again.claimed_by, again.attempts) == (event, "relay-b", 0)
        with store.transaction() as tx:
            # relay-a comes back: relay-b owns the event now, so relay-a's report is refused.
            with pytest.raises(ConflictError, match="relay-b"):
                tx.outbox.mark_delivered(event, consumer="relay-a")
            done = tx.outbox.mark_delivered(event, consumer="relay-b")
        assert (done.attempts, done.delivered_at, done.claimed_by) == (1, T0 + MINUTE, None)

    def test_the_holder_may_mark_after_its_lease_ran_out(
        self, store: Store, clock: ManualClock
    ) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            tx.outbox.claim("relay-a", lease=MINUTE)
        clock.advance(2 * MINUTE)  # slow, but nobody claimed it meanwhile
        with store.transaction() as tx:
            done = tx.outbox.mark_delivered(event, consumer="relay-a")
            assert done.delivered_at == T0 + 2 * MINUTE
            assert tx.outbox.claim("relay-b", lease=MINUTE) == []

    # -- marking ------------------------------------------------------------------------------

    def test_mark_delivered_is_idempotent(self, store: Store, clock: ManualClock) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            assert len(tx.outbox.claim("relay-a", lease=MINUTE)) == 1
            first = tx.outbox.mark_delivered(event, consumer="relay-a")
            assert first == tx.outbox.mark_delivered(event, consumer="relay-a")
        assert (first.attempts, first.delivered_at) == (1, T0)
        assert (first.claimed_by, first.claimed_until) == (None, None)
        clock.advance(MINUTE)
        with store.transaction() as tx:
            # Again later, by anyone: nothing changes, the stored event comes back.
            assert tx.outbox.mark_delivered(event) == first
            assert tx.outbox.mark_delivered(event, consumer="relay-b") == first
            # A late failure report for a delivered event changes nothing either.
            late = tx.outbox.mark_failed(event, "timeout", retry_at=T0, consumer="relay-b")
            assert late == first
            assert tx.outbox.get(event) == first
            assert tx.outbox.claim("relay-b", lease=MINUTE) == []

    def test_unknown_ids_are_refused(self, store: Store) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            for missing in (event + 1, 10**6, 0, -1, 2**63, 10**30):
                with pytest.raises(NotFoundError):
                    tx.outbox.mark_delivered(missing)
                with pytest.raises(NotFoundError):
                    tx.outbox.mark_failed(missing, "x", retry_at=T0)
                with pytest.raises(NotFoundError):
                    tx.outbox.get(missing)
            for bad in ("1", 1.0, True, None):
                with pytest.raises(ValidationError):
                    tx.outbox.mark_delivered(bad)
            # Expected refusals leave the transaction usable.
            assert tx.outbox.mark_delivered(event).attempts == 1
        with store.transaction(readonly=True) as tx:
            assert tx.execute("SELECT count(*) FROM ck_outbox").fetchone()[0] == 1

    def test_a_foreign_lease_is_refused(self, store: Store) -> None:
        first, second = _append(store, 2)
        with store.transaction() as tx:
            tx.outbox.claim("relay-a", lease=MINUTE)
        with store.transaction() as tx:
            with pytest.raises(ConflictError, match="relay-a"):
                tx.outbox.mark_delivered(first, consumer="relay-b")
            with pytest.raises(ConflictError, match="relay-a"):
                tx.outbox.mark_failed(first, "x", retry_at=T0 + MINUTE, consumer="relay-b")
            held = tx.outbox.get(first)
            assert (held.claimed_by, held.attempts, held.delivered_at) == ("relay-a", 0, None)
            assert held.last_error is None and held.available_at == T0
            # Without a consumer the mark is not checked: an operator settles it by hand.
            assert tx.outbox.mark_delivered(second).delivered_at == T0
            assert tx.outbox.mark_delivered(first, consumer="relay-a").attempts == 1

    def test_mark_failed_releases_the_lease_and_sets_the_retry_time(
        self, store: Store, clock: ManualClock
    ) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            tx.outbox.claim("relay-a", lease=10 * MINUTE)
            failed = tx.outbox.mark_failed(
                event, "503 from the webhook", retry_at=T0 + MINUTE, consumer="relay-a"
            )
        assert (failed.claimed_by, failed.claimed_until) == (None, None)
        assert (failed.attempts, failed.available_at) == (1, T0 + MINUTE)
        assert failed.last_error == "503 from the webhook"
        with store.transaction() as tx:
            assert tx.outbox.claim("relay-b", lease=MINUTE) == []  # not due yet
        clock.advance(MINUTE)  # due again, long before relay-a's lease would have run out
        with store.transaction() as tx:
            [retry] = tx.outbox.claim("relay-b", lease=MINUTE)
            assert retry.claimed_by == "relay-b"
            done = tx.outbox.mark_delivered(event, consumer="relay-b")
        assert (done.attempts, done.last_error) == (2, "503 from the webhook")

    def test_error_text_is_stored_the_same_everywhere(self, store: Store) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            failed = tx.outbox.mark_failed(event, "bad\x00byte \ud800" + "x" * 3000, retry_at=T0)
        assert failed.last_error is not None
        assert failed.last_error.startswith("bad\\x00byte \\ud800xxx")
        with store.transaction(readonly=True) as tx:
            assert tx.outbox.get(event).last_error == failed.last_error

    def test_bad_arguments_are_validation_errors(self, store: Store) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            for consumer in ("", " relay", "relay\x00", 7):
                with pytest.raises(InvalidIdentifierError):
                    tx.outbox.claim(consumer, lease=MINUTE)
            with pytest.raises(InvalidIdentifierError):
                tx.outbox.mark_delivered(event, consumer="")
            for limit in (0, -1, True, 2.0, None):
                with pytest.raises(ValidationError, match="limit"):
                    tx.outbox.claim("relay", limit=limit, lease=MINUTE)
            for lease in (timedelta(0), -MINUTE, 60, None, timedelta.max):
                with pytest.raises(ValidationError, match="lease"):
                    tx.outbox.claim("relay", lease=lease)
            with pytest.raises(ValidationError, match="naive"):
                tx.outbox.mark_failed(event, "x", retry_at=datetime(2026, 3, 1))
            with pytest.raises(ValidationError):
                tx.outbox.mark_failed(event, None, retry_at=T0)
            assert tx.outbox.get(event) == OutboxEvent(
                event, "order.placed", '{"n":0}', T0, T0, 0, None, None
            )

    # -- dead letters -------------------------------------------------------------------------

    def test_mark_dead_takes_the_event_out_of_claims_and_pending(
        self, store: Store, clock: ManualClock
    ) -> None:
        doomed, alive = _append(store, 2)
        with store.transaction() as tx:
            assert len(tx.outbox.claim("relay-a", lease=MINUTE)) == 2
            dead = tx.outbox.mark_dead(doomed, "410 Gone", consumer="relay-a")
        assert (dead.dead_at, dead.attempts, dead.last_error) == (T0, 1, "410 Gone")
        assert (dead.claimed_by, dead.claimed_until, dead.delivered_at) == (None, None, None)
        clock.advance(2 * MINUTE)  # relay-a's lease on the other one has run out
        with store.transaction() as tx:
            assert [e.id for e in tx.outbox.pending()] == [alive]
            assert [e.id for e in tx.outbox.claim("relay-b", lease=MINUTE)] == [alive]
            assert tx.outbox.dead() == [dead]
            assert tx.outbox.get(doomed) == dead

    def test_mark_dead_is_guarded_and_idempotent(self, store: Store, clock: ManualClock) -> None:
        first, second = _append(store, 2)
        with store.transaction() as tx:
            tx.outbox.claim("relay-a", lease=MINUTE)
        with store.transaction() as tx:
            with pytest.raises(ConflictError, match="relay-a"):
                tx.outbox.mark_dead(first, "x", consumer="relay-b")
            assert tx.outbox.get(first).dead_at is None
            dead = tx.outbox.mark_dead(first, "gave up", consumer="relay-a")
        clock.advance(MINUTE)
        with store.transaction() as tx:
            # Again, or a late failure report: nothing changes, the attempt is not counted twice.
            assert tx.outbox.mark_dead(first, "again", consumer="relay-b") == dead
            assert tx.outbox.mark_failed(first, "late", retry_at=T0, consumer="relay-b") == dead
            # A delivered event is not given up on.
            delivered = tx.outbox.mark_delivered(second, consumer="relay-a")
            assert tx.outbox.mark_dead(second, "too late") == delivered
            assert tx.outbox.dead() == [dead]
            with pytest.raises(NotFoundError):
                tx.outbox.mark_dead(10**6, "x")
            with pytest.raises(ValidationError):
                tx.outbox.mark_dead(first, None)
            for limit in (0, -1, True, None):
                with pytest.raises(ValidationError, match="limit"):
                    tx.outbox.dead(limit=limit)

    def test_dead_lists_oldest_first_up_to_the_limit(self, store: Store) -> None:
        ids = _append(store, 4)
        with store.transaction() as tx:
            for event in reversed(ids[:3]):
                tx.outbox.mark_dead(event, "down")
            assert [e.id for e in tx.outbox.dead()] == ids[:3]
            assert [e.id for e in tx.outbox.dead(limit=2)] == ids[:2]

    def test_revive_makes_a_dead_event_due_now_with_its_attempts(
        self, store: Store, clock: ManualClock
    ) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            tx.outbox.mark_failed(event, "503", retry_at=T0 + MINUTE)
        clock.advance(MINUTE)
        with store.transaction() as tx:
            tx.outbox.claim("relay-a", lease=MINUTE)
            tx.outbox.mark_dead(event, "503 again", consumer="relay-a")
        clock.advance(10 * MINUTE)
        with store.transaction() as tx:
            revived = tx.outbox.revive(event)
            assert tx.outbox.revive(event) == revived  # not dead any more: unchanged
        assert (revived.dead_at, revived.available_at) == (None, T0 + 11 * MINUTE)
        assert (revived.attempts, revived.last_error) == (2, "503 again")
        with store.transaction() as tx:
            assert tx.outbox.dead() == []
            assert [e.id for e in tx.outbox.pending()] == [event]
            [again] = tx.outbox.claim("relay-b", lease=MINUTE)
            done = tx.outbox.mark_delivered(again.id, consumer="relay-b")
            assert tx.outbox.revive(event) == done
            with pytest.raises(NotFoundError):
                tx.outbox.revive(event + 1)
        assert (done.attempts, done.dead_at) == (3, None)

    def test_a_dead_event_marked_delivered_is_dead_no_more(self, store: Store) -> None:
        [event] = _append(store, 1)
        with store.transaction() as tx:
            tx.outbox.mark_dead(event, "timeout")
            done = tx.outbox.mark_delivered(event)  # it had arrived after all
            assert (done.dead_at, done.delivered_at, done.attempts) == (None, T0, 2)
            assert tx.outbox.dead() == []

    def test_prune_deletes_dead_letters_that_died_long_enough_ago(
        self, store: Store, clock: ManualClock
    ) -> None:
        old, young, alive = _append(store, 3)
        with store.transaction() as tx:
            tx.outbox.mark_dead(old, "gone")
        clock.advance(timedelta(days=20))
        with store.transaction() as tx:
            tx.outbox.mark_dead(young, "gone too")
        clock.advance(timedelta(days=15))
        report = store.prune(outbox_dead_for=timedelta(days=30))
        assert report.dead_outbox_events == 1
        with store.transaction(readonly=True) as tx:
            assert [e.id for e in tx.outbox.dead()] == [young]
            assert [e.id for e in tx.outbox.pending()] == [alive]
            with pytest.raises(NotFoundError):
                tx.outbox.get(old)

    def test_a_read_only_transaction_cannot_claim(self, store: Store) -> None:
        _append(store, 1)
        with pytest.raises(StorageError), store.transaction(readonly=True) as tx:
            tx.outbox.claim("relay", lease=MINUTE)


class TestMemoryOutbox(OnMemory, OutboxContract):
    pass


class TestSqliteOutbox(OnSqlite, OutboxContract):
    def test_events_written_before_the_upgrade_can_be_claimed(self, tmp_path: Path) -> None:
        path = tmp_path / "shop.db"
        shutil.copy(FIXTURES / "schema_v2.sqlite", path)  # a commercekit 0.1 database
        with open_store(f"sqlite:///{path}", clock=ManualClock(T0 + 365 * 24 * 60 * MINUTE)) as s:
            assert s.schema_state().version("core") >= 2
            with s.transaction() as tx:
                pending = tx.outbox.pending()
                claimed = tx.outbox.claim("relay", lease=MINUTE)
        assert {e.topic for e in claimed} == {"stock.low"}
        assert [e.id for e in claimed] == [e.id for e in pending]
        assert all(e.claimed_by is None for e in pending)


class TestPostgresOutbox(OnPostgres, OutboxContract):
    def test_a_claim_in_flight_is_skipped_not_waited_for(self, store: Store) -> None:
        ids = _append(store, 10)
        claimed = threading.Event()
        done = threading.Event()
        held: list[int] = []

        def hold() -> None:
            with store.transaction() as tx:
                held.extend(e.id for e in tx.outbox.claim("relay-a", limit=4, lease=MINUTE))
                claimed.set()
                done.wait(10)

        thread = threading.Thread(target=hold)
        thread.start()
        try:
            assert claimed.wait(10)
            with store.transaction() as tx:
                # Fail rather than wait if the rows relay-a locked were waited for.
                tx.execute("SET LOCAL lock_timeout = '2s'")
                other = [e.id for e in tx.outbox.claim("relay-b", limit=10, lease=MINUTE)]
        finally:
            done.set()
            thread.join()
        assert held == ids[:4]
        assert other == ids[4:]

    def test_the_claim_index_is_used(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.execute(
                "INSERT INTO ck_outbox (topic, payload, created_at, available_at, delivered_at)"
                " SELECT 'old', '{}', ?, ?, ? FROM generate_series(1, 20000)",
                (T0, T0, T0),
            )
        _append(store, 5)
        with store.transaction() as tx:
            tx.execute("ANALYZE ck_outbox")
            plan = "\n".join(
                row[0]
                for row in tx.execute(
                    "EXPLAIN SELECT id FROM ck_outbox"
                    " WHERE delivered_at IS NULL AND dead_at IS NULL AND available_at <= ?"
                    " AND (claimed_until IS NULL OR claimed_until <= ?)"
                    " ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED",
                    (T0, T0),
                ).fetchall()
            )
        assert "ck_outbox_claimable" in plan, plan


# -- two consumer processes -------------------------------------------------------------------

EVENTS = 1000
BATCH = 50


@pytest.mark.slow
def test_two_consumer_processes_deliver_every_event_exactly_once(target: Target) -> None:
    with target.open() as store:
        with store.transaction() as tx:
            ids = [tx.outbox.append("order.placed", {"n": n}) for n in range(EVENTS)]
        results = run_workers(
            outbox_workers.consumer_worker,
            [(target.url, target.schema, f"relay-{n}", BATCH) for n in range(2)],
        )
        assert unexpected_errors(results) == []
        deliveries = Counter(i for r in results for i in r["delivered"])
        assert sorted(deliveries) == ids  # every event delivered ...
        assert [i for i, times in deliveries.items() if times > 1] == []  # ... exactly once
        # Both consumers really took part: the test raced two of them.
        assert all(r["delivered"] for r in results), [len(r["delivered"]) for r in results]
        with store.transaction(readonly=True) as tx:
            rows = tx.execute(
                "SELECT attempts, count(*) FROM ck_outbox WHERE delivered_at IS NOT NULL"
                " AND claimed_by IS NULL GROUP BY attempts"
            ).fetchall()
            assert tx.outbox.pending() == []
    assert [tuple(row) for row in rows] == [(1, EVENTS)]
