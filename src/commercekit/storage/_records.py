"""Idempotency records and the outbox: append-mostly tables keyed for retries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from commercekit.clock import ensure_utc
from commercekit.errors import (
    ConflictError,
    IdempotencyConflictError,
    NotFoundError,
    ValidationError,
)
from commercekit.records import IdempotencyRecord, OutboxEvent
from commercekit.rules import check_identifier
from commercekit.storage._aggregates import dumps_canonical

if TYPE_CHECKING:
    from commercekit.ports import SqlTransaction

__all__ = ["SqlIdempotencyRepository", "SqlOutboxRepository"]


class SqlIdempotencyRepository:
    """Idempotency keys per scope (``"checkout"``, ``"refund"``, ...).

    :meth:`begin` either creates the record (``is_new``: the caller does the work and then calls
    :meth:`complete`) or returns the existing one, whose ``response`` the caller replays. A key
    reused with a different request is an :class:`~commercekit.errors.IdempotencyConflictError`.
    """

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def _build(self, row: Any, *, is_new: bool = False) -> IdempotencyRecord:
        return IdempotencyRecord(
            scope=row[0],
            key=row[1],
            request_hash=row[2],
            completed=row[3] == "completed",
            response=row[4],
            created_at=self._tx.py_time(row[5]),
            is_new=is_new,
        )

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record for ``key`` in ``scope``, or ``None``."""
        row = self._tx.execute(
            "SELECT scope, idem_key, request_hash, status, response, created_at"
            " FROM ck_idempotency WHERE scope = ? AND idem_key = ?",
            (scope, key),
        ).fetchone()
        return None if row is None else self._build(row)

    def begin(self, scope: str, key: str, request_hash: str) -> IdempotencyRecord:
        """Claim ``key`` for a request (identified by ``request_hash``) or return its record."""
        scope = check_identifier(scope, name="idempotency scope")
        key = check_identifier(key, name="idempotency key")
        request_hash = check_identifier(request_hash, name="request hash")
        now = self._tx.db_now()
        row = self._tx.execute(
            "INSERT INTO ck_idempotency (scope, idem_key, request_hash, status, created_at,"
            " updated_at) VALUES (?, ?, ?, 'started', ?, ?)"
            " ON CONFLICT (scope, idem_key) DO NOTHING"
            " RETURNING scope, idem_key, request_hash, status, response, created_at",
            (scope, key, request_hash, now, now),
        ).fetchone()
        if row is not None:
            return self._build(row, is_new=True)
        existing = self.get(scope, key)
        assert existing is not None  # the insert conflicted with it, in this transaction
        if existing.request_hash != request_hash:
            raise IdempotencyConflictError(
                f"idempotency key {key!r} ({scope}) was first used for a different request"
            )
        return existing

    def complete(self, scope: str, key: str, response: str) -> None:
        """Store the response of the request that claimed ``key``."""
        if not isinstance(response, str):
            raise ValidationError("an idempotent response is stored as text (serialize it first)")
        updated = self._tx.execute(
            "UPDATE ck_idempotency SET status = 'completed', response = ?, updated_at = ?"
            " WHERE scope = ? AND idem_key = ?",
            (response, self._tx.db_now(), scope, key),
        ).rowcount
        if updated != 1:
            raise NotFoundError(f"no idempotency record {key!r} in scope {scope!r}")

    def delete_older_than(self, cutoff: datetime) -> int:
        """Delete records created before ``cutoff``; return how many."""
        return self._tx.execute(
            "DELETE FROM ck_idempotency WHERE created_at < ?", (self._tx.db_time(cutoff),)
        ).rowcount


_EVENT = (
    "id, topic, payload, created_at, available_at, attempts, delivered_at, last_error,"
    " claimed_by, claimed_until, dead_at"
)
_MAX_ID = 2**63 - 1  # ids are 64-bit on every backend: a larger one names no event
# Who may mark an event: anyone when it is not held or its lease has run out, else its holder.
_HOLDER = " AND (claimed_until IS NULL OR claimed_until <= ? OR claimed_by = ?)"


def _check_event_id(event_id: object) -> int:
    if isinstance(event_id, bool) or not isinstance(event_id, int):
        raise ValidationError(f"an outbox event id is an int, got {event_id!r}")
    if not 1 <= event_id <= _MAX_ID:
        raise NotFoundError(f"no outbox event {event_id}")
    return event_id


def _check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(f"ask for at least 1 outbox event, got limit={limit!r}")
    return min(limit, _MAX_ID)


def _error_text(error: str) -> str:
    """The first 2,000 characters of ``error``, storable on every backend.

    NUL and lone surrogates (which PostgreSQL or UTF-8 refuse) are written as escapes.
    """
    text = error[:2000].encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\x00")


class SqlOutboxRepository:
    """Events stored in the transaction of the change that caused them.

    Consumers :meth:`claim` events under a lease, deliver them, then call
    :meth:`mark_delivered` (or :meth:`mark_failed` with a retry time, or :meth:`mark_dead` to
    give up on it): delivery is at least once, and one event is held by one consumer at a time.
    :meth:`pending` and :meth:`dead` are plain reads; :meth:`revive` makes a dead event due.

    Claiming is one guarded ``WITH picked AS MATERIALIZED (SELECT ...) UPDATE ... RETURNING``:
    on PostgreSQL the ``SELECT`` takes ``FOR UPDATE SKIP LOCKED`` (rows another transaction is
    claiming or marking are passed over, not waited for); on SQLite the write transaction
    already holds the database's write lock (``BEGIN IMMEDIATE``), so no one else can claim
    between the read and the write. Both walk the partial index ``ck_outbox_claimable``.
    """

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def _build(self, row: Any) -> OutboxEvent:
        return OutboxEvent(
            id=int(row[0]),
            topic=row[1],
            payload=row[2],
            created_at=self._tx.py_time(row[3]),
            available_at=self._tx.py_time(row[4]),
            attempts=int(row[5]),
            delivered_at=None if row[6] is None else self._tx.py_time(row[6]),
            last_error=row[7],
            claimed_by=row[8],
            claimed_until=None if row[9] is None else self._tx.py_time(row[9]),
            dead_at=None if row[10] is None else self._tx.py_time(row[10]),
        )

    def append(self, topic: str, payload: Mapping[str, Any]) -> int:
        """Add an event (``payload`` is JSON data: use the codec for money and dates)."""
        topic = check_identifier(topic, name="topic")
        now = self._tx.db_now()
        row = self._tx.execute(
            "INSERT INTO ck_outbox (topic, payload, created_at, available_at)"
            " VALUES (?, ?, ?, ?) RETURNING id",
            (topic, dumps_canonical(dict(payload)), now, now),
        ).fetchone()
        return int(row[0])

    def claim(self, consumer: str, *, limit: int = 100, lease: timedelta) -> list[OutboxEvent]:
        """Take up to ``limit`` events for ``consumer`` until ``now + lease``, oldest first.

        Only undelivered, live events whose retry time has come and that nobody holds (no
        lease, or an expired one) are taken. Concurrent consumers never get the same event
        while its lease runs.
        """
        consumer = check_identifier(consumer, name="outbox consumer")
        limit = _check_limit(limit)
        if not isinstance(lease, timedelta) or lease <= timedelta(0):
            raise ValidationError(f"an outbox lease is a positive timedelta, got {lease!r}")
        try:
            until = self._tx.db_time(self._tx.now() + lease)
        except OverflowError:
            raise ValidationError(f"an outbox lease of {lease} ends after year 9999") from None
        now = self._tx.db_now()
        if self._tx.dialect == "postgresql":
            index, lock = "", " FOR UPDATE SKIP LOCKED"
        else:  # without statistics SQLite would read and sort every due event instead
            index, lock = " INDEXED BY ck_outbox_claimable", ""
        # The picked ids are MATERIALIZED: computed once. PostgreSQL may otherwise rescan a
        # subquery inside the UPDATE, and each rescan skips the rows just updated and locks
        # the next ones, so a claim would take more than ``limit`` events. Rows it locks are
        # checked again against the WHERE clause first, so a picked row is due and free.
        rows = self._tx.execute(
            f"WITH picked AS MATERIALIZED (SELECT id FROM ck_outbox{index}"
            " WHERE delivered_at IS NULL AND dead_at IS NULL AND available_at <= ?"
            " AND (claimed_until IS NULL OR claimed_until <= ?)"
            f" ORDER BY id LIMIT ?{lock})"
            " UPDATE ck_outbox SET claimed_by = ?, claimed_until = ?"
            " WHERE id IN (SELECT id FROM picked)"
            " AND (claimed_until IS NULL OR claimed_until <= ?)"
            f" RETURNING {_EVENT}",
            (now, now, limit, consumer, until, now),
        ).fetchall()
        return sorted((self._build(row) for row in rows), key=lambda event: event.id)

    def pending(self, *, limit: int = 100) -> list[OutboxEvent]:
        """Undelivered, live events whose retry time has come, oldest first, held or not.

        A plain read for inspection and tests: consumers use :meth:`claim`, or two of them
        deliver the same events.
        """
        rows = self._tx.execute(
            f"SELECT {_EVENT} FROM ck_outbox WHERE delivered_at IS NULL AND dead_at IS NULL"
            " AND available_at <= ? ORDER BY id LIMIT ?",
            (self._tx.db_now(), limit),
        ).fetchall()
        return [self._build(row) for row in rows]

    def dead(self, *, limit: int = 100) -> list[OutboxEvent]:
        """Dead events (given up on, see :meth:`mark_dead`), oldest first: the dead letters."""
        limit = _check_limit(limit)
        rows = self._tx.execute(
            f"SELECT {_EVENT} FROM ck_outbox WHERE dead_at IS NOT NULL ORDER BY id LIMIT ?",
            (limit,),
        ).fetchall()
        return [self._build(row) for row in rows]

    def get(self, event_id: int) -> OutboxEvent:
        """One event by id."""
        event_id = _check_event_id(event_id)
        row = self._tx.execute(f"SELECT {_EVENT} FROM ck_outbox WHERE id = ?", (event_id,))
        found = row.fetchone()
        if found is None:
            raise NotFoundError(f"no outbox event {event_id}")
        return self._build(found)

    def _holder(self, consumer: str | None) -> tuple[str, tuple[Any, ...]]:
        """The guard that lets only ``consumer`` mark an event it may hold (none: anyone)."""
        if consumer is None:
            return "", ()
        return _HOLDER, (self._tx.db_now(), check_identifier(consumer, name="outbox consumer"))

    def _refused(self, event_id: int, consumer: str | None) -> OutboxEvent:
        """After a guarded mark changed nothing: the settled event, or why it was refused."""
        event = self.get(event_id)  # NotFoundError for an unknown id
        if event.delivered_at is not None or event.dead_at is not None:
            return event
        raise ConflictError(
            f"outbox event {event_id} is held by {event.claimed_by!r} until "
            f"{event.claimed_until}, not by {consumer!r}: that consumer delivers it"
        )

    def mark_delivered(self, event_id: int, *, consumer: str | None = None) -> OutboxEvent:
        """Record that the event reached its handler and release its lease; return it.

        Marking a delivered event again changes nothing and returns it as stored. A dead event
        that is marked delivered (a late report, or one delivered by hand) is dead no more.
        """
        event_id = _check_event_id(event_id)
        guard, held = self._holder(consumer)
        row = self._tx.execute(
            "UPDATE ck_outbox SET delivered_at = ?, attempts = attempts + 1, claimed_by = NULL,"
            " claimed_until = NULL, dead_at = NULL"
            f" WHERE id = ? AND delivered_at IS NULL{guard}"
            f" RETURNING {_EVENT}",
            (self._tx.db_now(), event_id, *held),
        ).fetchone()
        return self._build(row) if row is not None else self._refused(event_id, consumer)

    def mark_failed(
        self, event_id: int, error: str, *, retry_at: datetime, consumer: str | None = None
    ) -> OutboxEvent:
        """Record a failed delivery, release the lease and retry at ``retry_at``; return it.

        An event already delivered, or dead, is left as it is and returned.
        """
        event_id = _check_event_id(event_id)
        if not isinstance(error, str):
            raise ValidationError(f"an outbox error is text, got {error!r}")
        if not isinstance(retry_at, datetime):
            raise ValidationError(f"retry_at is a datetime, got {retry_at!r}")
        retry = self._tx.db_time(ensure_utc(retry_at))
        guard, held = self._holder(consumer)
        row = self._tx.execute(
            "UPDATE ck_outbox SET attempts = attempts + 1, last_error = ?, available_at = ?,"
            " claimed_by = NULL, claimed_until = NULL"
            f" WHERE id = ? AND delivered_at IS NULL AND dead_at IS NULL{guard}"
            f" RETURNING {_EVENT}",
            (_error_text(error), retry, event_id, *held),
        ).fetchone()
        return self._build(row) if row is not None else self._refused(event_id, consumer)

    def mark_dead(self, event_id: int, error: str, *, consumer: str | None = None) -> OutboxEvent:
        """Record a last failed delivery and give up on the event; return it.

        The event releases its lease and leaves the due events: :meth:`claim` and
        :meth:`pending` pass it over, :meth:`dead` lists it, :meth:`revive` brings it back.
        An event already delivered or dead is left as it is and returned.
        """
        event_id = _check_event_id(event_id)
        if not isinstance(error, str):
            raise ValidationError(f"an outbox error is text, got {error!r}")
        guard, held = self._holder(consumer)
        row = self._tx.execute(
            "UPDATE ck_outbox SET attempts = attempts + 1, last_error = ?, dead_at = ?,"
            " claimed_by = NULL, claimed_until = NULL"
            f" WHERE id = ? AND delivered_at IS NULL AND dead_at IS NULL{guard}"
            f" RETURNING {_EVENT}",
            (_error_text(error), self._tx.db_now(), event_id, *held),
        ).fetchone()
        return self._build(row) if row is not None else self._refused(event_id, consumer)

    def revive(self, event_id: int) -> OutboxEvent:
        """Make a dead event due now, its attempts and last error kept; return it.

        An event that is not dead (alive or delivered) is left as it is and returned.
        """
        event_id = _check_event_id(event_id)
        now = self._tx.db_now()
        row = self._tx.execute(
            "UPDATE ck_outbox SET dead_at = NULL, available_at = ?"
            f" WHERE id = ? AND dead_at IS NOT NULL RETURNING {_EVENT}",
            (now, event_id),
        ).fetchone()
        return self._build(row) if row is not None else self.get(event_id)

    def delete_delivered(self, *, before: datetime) -> int:
        """Delete events delivered before ``before``; return how many."""
        return self._tx.execute(
            "DELETE FROM ck_outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?",
            (self._tx.db_time(before),),
        ).rowcount

    def delete_dead(self, *, before: datetime) -> int:
        """Delete dead events (given up on) that died before ``before``; return how many."""
        return self._tx.execute(
            "DELETE FROM ck_outbox WHERE dead_at IS NOT NULL AND dead_at < ?",
            (self._tx.db_time(before),),
        ).rowcount
