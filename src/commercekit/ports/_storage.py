"""Storage ports: what services need from a store, whatever database is behind it.

The SQL store in :mod:`commercekit.storage` implements all of them (on ``memory://``, SQLite and
PostgreSQL alike). Aggregates that users edit carry a version; counters move only through
guarded operations (``reserve``, ``consume``), never read-modify-write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from commercekit.ports._clock import Clock
    from commercekit.storage import AggregateKind
    from commercekit.storage._models import (
        IdempotencyRecord,
        MovementKind,
        OutboxEvent,
        PruneReport,
        Reservation,
        ReservationLine,
        ReservationStatus,
        StockLevel,
        StockMovement,
        UsageCount,
    )

__all__ = [
    "AggregateRepository",
    "IdempotencyRepository",
    "OutboxRepository",
    "PromotionUsageRepository",
    "ReservationRepository",
    "StockRepository",
    "StorePort",
    "TransactionPort",
]

A = TypeVar("A")


class AggregateRepository(Protocol[A]):
    """Versioned aggregates of one kind: a stale ``save`` raises ``ConflictError``."""

    def find(self, ident: str) -> A | None: ...
    def get(self, ident: str) -> A: ...
    def add(self, aggregate: A) -> A: ...
    def save(self, aggregate: A) -> A: ...
    def delete(self, aggregate: A) -> None: ...
    def list(
        self,
        *,
        customer_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[A]: ...


class StockRepository(Protocol):
    """Stock counters per (SKU, location) and their ledger."""

    def level(self, sku: str, location: str) -> StockLevel | None: ...
    def levels(self, skus: Iterable[str] | None = None) -> list[StockLevel]: ...
    def ensure(self, sku: str, location: str, *, floor: int = 0) -> StockLevel: ...
    def set_floor(self, sku: str, location: str, floor: int) -> StockLevel: ...
    def move(
        self,
        sku: str,
        location: str,
        quantity: int,
        kind: MovementKind,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> StockLevel: ...
    def reserve(self, sku: str, location: str, quantity: int) -> bool: ...
    def unreserve(self, sku: str, location: str, quantity: int) -> None: ...
    def sell_reserved(
        self, sku: str, location: str, quantity: int, *, reference: str | None = None
    ) -> StockLevel: ...
    def movements(self, sku: str, location: str) -> list[StockMovement]: ...


class ReservationRepository(Protocol):
    """Reservation records; the stock they hold moves through :class:`StockRepository`."""

    def create(
        self,
        key: str,
        lines: Sequence[ReservationLine],
        *,
        expires_at: datetime,
        request_hash: str,
    ) -> Reservation: ...
    def get(self, ident: str) -> Reservation: ...
    def by_key(self, key: str) -> Reservation | None: ...
    def transition(
        self, ident: str, from_status: ReservationStatus, to_status: ReservationStatus
    ) -> bool: ...
    def extend(self, ident: str, expires_at: datetime) -> bool: ...
    def expired(self, *, skus: Iterable[str] | None = None) -> list[Reservation]: ...
    def release_expired(self, *, skus: Iterable[str] | None = None) -> list[Reservation]: ...
    def delete_closed(self, *, before: datetime) -> int: ...


class PromotionUsageRepository(Protocol):
    """Promotion usage counters with an atomic consume."""

    def count(self, promotion_id: str, customer_id: str | None = None) -> UsageCount: ...
    def consume(
        self,
        promotion_id: str,
        *,
        customer_id: str | None = None,
        limit: int | None = None,
        per_customer_limit: int | None = None,
        quantity: int = 1,
    ) -> bool: ...
    def release(
        self, promotion_id: str, *, customer_id: str | None = None, quantity: int = 1
    ) -> None: ...


class IdempotencyRepository(Protocol):
    """Idempotency keys and the responses stored under them."""

    def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...
    def begin(self, scope: str, key: str, request_hash: str) -> IdempotencyRecord: ...
    def complete(self, scope: str, key: str, response: str) -> None: ...
    def delete_older_than(self, cutoff: datetime) -> int: ...


class OutboxRepository(Protocol):
    """Events written in the transaction of their change, delivered at least once."""

    def append(self, topic: str, payload: Mapping[str, Any]) -> int: ...
    def pending(self, *, limit: int = 100) -> list[OutboxEvent]: ...
    def get(self, event_id: int) -> OutboxEvent: ...
    def mark_delivered(self, event_id: int) -> None: ...
    def mark_failed(self, event_id: int, error: str, *, retry_at: datetime) -> None: ...
    def delete_delivered(self, *, before: datetime) -> int: ...


class TransactionPort(Protocol):
    """One all-or-nothing unit of work and the repositories inside it."""

    readonly: bool

    def now(self) -> datetime: ...
    def aggregates(self, kind: AggregateKind[A]) -> AggregateRepository[A]: ...
    @property
    def stock(self) -> StockRepository: ...
    @property
    def reservations(self) -> ReservationRepository: ...
    @property
    def promotion_usage(self) -> PromotionUsageRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...


class StorePort(Protocol):
    """A store: a clock and transactions (see :func:`commercekit.open_store`)."""

    clock: Clock

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Any]: ...
    def migrate(self) -> list[int]: ...
    def prune(
        self,
        *,
        carts_idle_for: timedelta | None = None,
        reservations_closed_for: timedelta | None = None,
        idempotency_older_than: timedelta | None = None,
        outbox_delivered_for: timedelta | None = None,
        cart_kind: str = "cart",
    ) -> PruneReport: ...
    def close(self) -> None: ...
