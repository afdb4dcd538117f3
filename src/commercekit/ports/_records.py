"""Ports for the records every area shares: idempotency keys and the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
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
    """Events written in the transaction of their change, delivered at least once.

    Consumers take work with :meth:`claim`, which hands each event to one consumer at a time
    under a lease, then report with :meth:`mark_delivered` or :meth:`mark_failed`, or give up
    on an event with :meth:`mark_dead`. A consumer that dies holds its events only until the
    lease runs out; another then claims them, so an event may be delivered more than once but
    is never lost. :meth:`pending` is a plain read, for inspection: several consumers working
    from it would deliver the same events. Dead events wait in :meth:`dead` until an operator
    brings them back with :meth:`revive`.
    """

    def append(self, topic: str, payload: Mapping[str, Any]) -> int:
        """Add an event; return its id."""
        ...

    def claim(self, consumer: str, *, limit: int = 100, lease: timedelta) -> list[OutboxEvent]:
        """Take up to ``limit`` events for ``consumer`` until ``now + lease``, oldest first.

        Only undelivered, live (not dead) events whose retry time has come and that nobody
        holds (no lease, or an expired one) are taken; taking them is atomic, so concurrent
        consumers never get the same event while its lease runs. ``consumer`` is an
        identifier (the rules of :func:`~commercekit.rules.check_identifier`); ``limit`` is at
        least 1 and ``lease`` a positive :class:`~datetime.timedelta`, else
        :class:`~commercekit.errors.ValidationError`.
        """
        ...

    def pending(self, *, limit: int = 100) -> list[OutboxEvent]:
        """Undelivered, live events whose retry time has come, oldest first, held or not.

        A plain read for inspection and tests; consumers use :meth:`claim`.
        """
        ...

    def dead(self, *, limit: int = 100) -> list[OutboxEvent]:
        """Dead events, oldest first (a plain read): those :meth:`mark_dead` gave up on.

        ``limit`` is at least 1, else :class:`~commercekit.errors.ValidationError`.
        """
        ...

    def get(self, event_id: int) -> OutboxEvent:
        """One event by id (:class:`~commercekit.errors.NotFoundError` if there is none)."""
        ...

    def mark_delivered(self, event_id: int, *, consumer: str | None = None) -> OutboxEvent:
        """Record that the event reached its handler, release its lease; return the event.

        Idempotent: marking a delivered event again changes nothing (its attempts are not
        counted twice) and returns it as it is. An unknown id is a
        :class:`~commercekit.errors.NotFoundError`. With ``consumer``, an event that another
        consumer holds under a lease that has not run out is refused with
        :class:`~commercekit.errors.ConflictError`: that consumer owns it now. A dead event
        marked delivered (a late report, or one delivered by hand) is dead no more.
        """
        ...

    def mark_failed(
        self, event_id: int, error: str, *, retry_at: datetime, consumer: str | None = None
    ) -> OutboxEvent:
        """Record a failed delivery, release the lease and retry at ``retry_at``; return it.

        An unknown id is a :class:`~commercekit.errors.NotFoundError`; an event another
        consumer holds is refused as in :meth:`mark_delivered`. An event already delivered
        (by another consumer), or dead, is left as it is and returned.
        """
        ...

    def mark_dead(self, event_id: int, error: str, *, consumer: str | None = None) -> OutboxEvent:
        """Record a last failed delivery and give up on the event; return it.

        Counts one attempt, stores ``error``, releases the lease and sets ``dead_at``: the
        event is no longer claimed or pending, and :meth:`dead` lists it. Refused like
        :meth:`mark_failed` when another consumer holds it; an event already delivered or
        dead is left as it is and returned.
        """
        ...

    def revive(self, event_id: int) -> OutboxEvent:
        """Bring a dead event back: due now, its attempts and last error kept; return it.

        An event that is not dead is left as it is and returned; an unknown id is a
        :class:`~commercekit.errors.NotFoundError`.
        """
        ...

    def delete_delivered(self, *, before: datetime) -> int:
        """Delete events delivered before ``before``."""
        ...

    def delete_dead(self, *, before: datetime) -> int:
        """Delete dead events that died before ``before`` (read or revive them first)."""
        ...


#: Idempotency records (``tx.repository(IDEMPOTENCY)``, shorthand ``tx.idempotency``).
IDEMPOTENCY: RepositoryKey[IdempotencyRepository] = RepositoryKey("idempotency")
#: The outbox (shorthand ``tx.outbox``).
OUTBOX: RepositoryKey[OutboxRepository] = RepositoryKey("outbox")
