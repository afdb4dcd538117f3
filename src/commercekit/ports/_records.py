"""Ports for the records every area shares: idempotency keys and the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from commercekit.ports._storage import RepositoryKey

if TYPE_CHECKING:
    from commercekit.records import IdempotencyRecord, OutboxEvent

__all__ = ["IDEMPOTENCY", "OUTBOX", "IdempotencyRepository", "OutboxRepository"]


class IdempotencyRepository(Protocol):
    """Idempotency keys and the responses stored under them."""

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record for ``key`` in ``scope``, or ``None``."""
        ...

    def begin(self, scope: str, key: str, request_hash: str) -> IdempotencyRecord:
        """Claim ``key`` for a request, or return its record."""
        ...

    def complete(self, scope: str, key: str, response: str) -> None:
        """Store the response of the request that claimed ``key``."""
        ...

    def delete_older_than(self, cutoff: datetime) -> int:
        """Delete records created before ``cutoff``."""
        ...


class OutboxRepository(Protocol):
    """Events written in the transaction of their change, delivered at least once."""

    def append(self, topic: str, payload: Mapping[str, Any]) -> int:
        """Add an event; return its id."""
        ...

    def pending(self, *, limit: int = 100) -> list[OutboxEvent]:
        """Undelivered events whose retry time has come, oldest first."""
        ...

    def get(self, event_id: int) -> OutboxEvent:
        """One event by id."""
        ...

    def mark_delivered(self, event_id: int) -> None:
        """Record that the event reached its handler."""
        ...

    def mark_failed(self, event_id: int, error: str, *, retry_at: datetime) -> None:
        """Record a failed delivery and when to try again."""
        ...

    def delete_delivered(self, *, before: datetime) -> int:
        """Delete events delivered before ``before``."""
        ...


#: Idempotency records (``tx.repository(IDEMPOTENCY)``, shorthand ``tx.idempotency``).
IDEMPOTENCY: RepositoryKey[IdempotencyRepository] = RepositoryKey("idempotency")
#: The outbox (shorthand ``tx.outbox``).
OUTBOX: RepositoryKey[OutboxRepository] = RepositoryKey("outbox")
