"""Idempotency records and the outbox: append-mostly tables keyed for retries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from commercekit.errors import IdempotencyConflictError, NotFoundError, ValidationError
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


_EVENT = "id, topic, payload, created_at, available_at, attempts, delivered_at, last_error"


class SqlOutboxRepository:
    """Events stored in the transaction of the change that caused them.

    A relay reads :meth:`pending`, delivers, then calls :meth:`mark_delivered` (or
    :meth:`mark_failed` with a retry time): delivery is at least once.
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

    def pending(self, *, limit: int = 100) -> list[OutboxEvent]:
        """Undelivered events whose retry time has come, oldest first."""
        rows = self._tx.execute(
            f"SELECT {_EVENT} FROM ck_outbox WHERE delivered_at IS NULL AND available_at <= ?"
            " ORDER BY id LIMIT ?",
            (self._tx.db_now(), limit),
        ).fetchall()
        return [self._build(row) for row in rows]

    def get(self, event_id: int) -> OutboxEvent:
        """One event by id."""
        row = self._tx.execute(f"SELECT {_EVENT} FROM ck_outbox WHERE id = ?", (event_id,))
        found = row.fetchone()
        if found is None:
            raise NotFoundError(f"no outbox event {event_id}")
        return self._build(found)

    def mark_delivered(self, event_id: int) -> None:
        """Record that the event reached its handler."""
        self._tx.execute(
            "UPDATE ck_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?",
            (self._tx.db_now(), event_id),
        )

    def mark_failed(self, event_id: int, error: str, *, retry_at: datetime) -> None:
        """Record a failed delivery and when to try again."""
        self._tx.execute(
            "UPDATE ck_outbox SET attempts = attempts + 1, last_error = ?, available_at = ?"
            " WHERE id = ?",
            (error[:2000], self._tx.db_time(retry_at), event_id),
        )

    def delete_delivered(self, *, before: datetime) -> int:
        """Delete events delivered before ``before``; return how many."""
        return self._tx.execute(
            "DELETE FROM ck_outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?",
            (self._tx.db_time(before),),
        ).rowcount
