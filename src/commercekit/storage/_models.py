"""The records the store hands out: frozen values, never live rows."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = [
    "IdempotencyRecord",
    "MovementKind",
    "OutboxEvent",
    "PruneReport",
    "Reservation",
    "ReservationLine",
    "ReservationStatus",
    "StockLevel",
    "StockMovement",
    "UsageCount",
]


@attrs.frozen
class StockLevel:
    """Stock of one SKU at one location. ``available`` never goes below ``floor``."""

    sku: str
    location: str
    on_hand: int
    reserved: int
    floor: int

    @property
    def available(self) -> int:
        """``on_hand - reserved``: what can still be reserved (down to ``floor``)."""
        return self.on_hand - self.reserved


class MovementKind(enum.StrEnum):
    """Why on-hand stock changed; the ledger of movements sums to on hand."""

    RECEIVE = "receive"
    ADJUST = "adjust"
    SALE = "sale"
    RETURN = "return"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"


@attrs.frozen
class StockMovement:
    """One entry of the stock ledger: a signed quantity with its kind, reason and time."""

    id: int
    sku: str
    location: str
    kind: MovementKind
    quantity: int
    reason: str | None
    reference: str | None
    created_at: datetime


class ReservationStatus(enum.StrEnum):
    """The life of a reservation: active until committed, released or expired."""

    ACTIVE = "active"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


@attrs.frozen
class ReservationLine:
    """A quantity of one SKU held at one location."""

    sku: str
    location: str
    quantity: int


@attrs.frozen
class Reservation:
    """Stock held for a cart or order under a caller-chosen key until ``expires_at``."""

    id: str
    key: str
    status: ReservationStatus
    lines: tuple[ReservationLine, ...]
    request_hash: str
    expires_at: datetime
    created_at: datetime


@attrs.frozen
class UsageCount:
    """How often a promotion was used: in all, and by one customer (0 for guests)."""

    promotion_id: str
    total: int
    by_customer: int


@attrs.frozen
class IdempotencyRecord:
    """The first request made under an idempotency key, and its response once completed.

    ``is_new`` is true only for the call that created the record: that caller does the work.
    """

    scope: str
    key: str
    request_hash: str
    completed: bool
    response: str | None
    created_at: datetime
    is_new: bool = False


@attrs.frozen
class OutboxEvent:
    """An event written in the same transaction as the change that caused it."""

    id: int
    topic: str
    payload: str
    created_at: datetime
    available_at: datetime
    attempts: int
    delivered_at: datetime | None
    last_error: str | None


@attrs.frozen
class PruneReport:
    """What :meth:`Store.prune <commercekit.storage.Store.prune>` removed or freed."""

    carts: int = 0
    reservations_expired: int = 0
    reservations_deleted: int = 0
    idempotency_records: int = 0
    outbox_events: int = 0
