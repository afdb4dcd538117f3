"""Inventory's records: stock levels, ledger movements and reservations, as frozen values.

They belong to the inventory area; the storage ports are typed with them and every store
backend builds them, never the reverse.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = [
    "MovementKind",
    "Reservation",
    "ReservationLine",
    "ReservationStatus",
    "StockLevel",
    "StockMovement",
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
    """One entry of the stock ledger: a signed quantity with its kind, reason and time.

    ``key`` is the idempotency key the movement was made under, if any: a movement retried
    under the same key is recorded once.
    """

    id: int
    sku: str
    location: str
    kind: MovementKind
    quantity: int
    reason: str | None
    reference: str | None
    created_at: datetime
    key: str | None = None


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
