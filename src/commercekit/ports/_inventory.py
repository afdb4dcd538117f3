"""Inventory's repository ports: stock counters and their ledger, reservations, bundles, rules.

Typed with the inventory area's own records (:mod:`commercekit.inventory`), imported
only for type checking: importing a port never imports an area. Counters move only through
guarded operations (``reserve``, ``move``), never read-modify-write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from commercekit.ports._storage import RepositoryKey

if TYPE_CHECKING:
    from commercekit.inventory import (
        MovementKind,
        Reservation,
        ReservationLine,
        ReservationStatus,
        StockLevel,
        StockMovement,
        StockPolicy,
    )

__all__ = [
    "BUNDLES",
    "RESERVATIONS",
    "STOCK",
    "STOCK_POLICIES",
    "BundleRepository",
    "PlanningRead",
    "ReservationRepository",
    "StockPolicyRepository",
    "StockRepository",
    "StockRow",
]

# A stock row as planning reads it: (sku, location, on_hand, reserved, floor, low-stock
# threshold). Plain tuples: most carts are planned without building a StockLevel.
StockRow = tuple[str, str, int, int, int, "int | None"]
# What a reservation plans from: bundle components (bundle, component, units), stock rows, and
# whether an active reservation on those SKUs is past its expiry.
PlanningRead = tuple[list[tuple[str, str, int]], list[StockRow], bool]


class StockRepository(Protocol):
    """Stock counters per (SKU, location) and their ledger."""

    def level(self, sku: str, location: str) -> StockLevel | None:
        """The row of ``sku`` at ``location``, or ``None``."""
        ...

    def levels(self, skus: Iterable[str] | None = None) -> list[StockLevel]:
        """Rows of ``skus`` (or all), by SKU then location."""
        ...

    def ensure(self, sku: str, location: str, *, floor: int = 0) -> StockLevel:
        """Create the row with nothing on hand if missing; return it."""
        ...

    def set_floor(self, sku: str, location: str, floor: int) -> StockLevel:
        """Set the floor; refused if available stock is below it."""
        ...

    def move(
        self,
        sku: str,
        location: str,
        quantity: int,
        kind: MovementKind,
        *,
        reason: str | None = None,
        reference: str | None = None,
        key: str | None = None,
    ) -> StockLevel:
        """Change on hand by a signed ``quantity`` and record it in the ledger (guarded).

        ``key``, unique per movement, makes a retried movement fail instead of counting twice.
        """
        ...

    def reserve(self, sku: str, location: str, quantity: int) -> bool:
        """Hold ``quantity`` if available stays at or above the floor; ``False`` if not."""
        ...

    def unreserve(self, sku: str, location: str, quantity: int) -> None:
        """Give back a held ``quantity``."""
        ...

    def sell_reserved(
        self, sku: str, location: str, quantity: int, *, reference: str | None = None
    ) -> StockLevel:
        """Turn a held ``quantity`` into a sale."""
        ...

    def reserve_many(self, rows: Sequence[tuple[str, str, int]]) -> list[StockLevel] | None:
        """Hold each ``(sku, location, quantity)``; ``None`` if any guard failed (roll back)."""
        ...

    def unreserve_many(self, rows: Sequence[tuple[str, str, int]]) -> None:
        """Give back each held ``(sku, location, quantity)``."""
        ...

    def sell_reserved_many(
        self, rows: Sequence[tuple[str, str, int]], *, reference: str | None = None
    ) -> list[StockLevel]:
        """Turn each held ``(sku, location, quantity)`` into a sale."""
        ...

    def movements(self, sku: str, location: str) -> list[StockMovement]:
        """The ledger of one row, oldest first."""
        ...

    def movement_by_key(self, key: str) -> StockMovement | None:
        """The movement recorded under idempotency ``key``, or ``None``."""
        ...

    def with_thresholds(self, skus: Sequence[str]) -> list[StockRow]:
        """Every row of ``skus`` with its low-stock threshold, in one read."""
        ...

    def planning_read(self, skus: Sequence[str]) -> PlanningRead:
        """What a reservation of ``skus`` plans from, in as few statements as possible."""
        ...


class ReservationRepository(Protocol):
    """Reservation records; the stock they hold moves through :class:`StockRepository`."""

    def create(
        self,
        key: str,
        lines: Sequence[ReservationLine],
        *,
        expires_at: datetime,
        request_hash: str,
    ) -> Reservation:
        """Record an active reservation under ``key``."""
        ...

    def get(self, ident: str) -> Reservation:
        """The reservation with this id; ``NotFoundError`` if none."""
        ...

    def by_key(self, key: str) -> Reservation | None:
        """The reservation made under ``key``, or ``None``."""
        ...

    def transition(
        self, ident: str, from_status: ReservationStatus, to_status: ReservationStatus
    ) -> bool:
        """Move between statuses if still in ``from_status``."""
        ...

    def extend(self, ident: str, expires_at: datetime) -> bool:
        """Move the expiry of an active reservation."""
        ...

    def expired(self, *, skus: Iterable[str] | None = None) -> list[Reservation]:
        """Active reservations past their expiry."""
        ...

    def release_expired(self, *, skus: Iterable[str] | None = None) -> list[Reservation]:
        """Mark expired reservations expired and free their stock."""
        ...

    def delete_closed(self, *, before: datetime) -> int:
        """Delete closed reservations last changed before ``before``."""
        ...


class BundleRepository(Protocol):
    """Bundle definitions: a bundle SKU is sold as its component SKUs."""

    def components_of(self, skus: Sequence[str]) -> list[tuple[str, str, int]]:
        """(bundle, component, units) for every bundle among ``skus``."""
        ...

    def get(self, sku: str) -> dict[str, int]:
        """The components of bundle ``sku`` (empty if it is not one), in byte order."""
        ...

    def is_component(self, sku: str) -> bool:
        """Whether ``sku`` is a component of some bundle."""
        ...

    def save(self, sku: str, components: Mapping[str, int]) -> None:
        """Replace the components of bundle ``sku``."""
        ...

    def delete(self, sku: str) -> bool:
        """Forget bundle ``sku``; ``False`` if it was not one."""
        ...


class StockPolicyRepository(Protocol):
    """Backorder and preorder policies per SKU, and low-stock thresholds per row."""

    def policy(self, sku: str) -> StockPolicy:
        """The policy of ``sku`` (no backorder unless one was set)."""
        ...

    def save_policy(self, sku: str, policy: StockPolicy) -> None:
        """Upsert the policy of ``sku``."""
        ...

    def threshold(self, sku: str, location: str) -> int | None:
        """The threshold of ``sku`` at ``location`` (else the SKU's default), or ``None``."""
        ...

    def save_threshold(self, sku: str, location: str, threshold: int | None) -> None:
        """Set (``None``: remove) a threshold; location ``''`` is the SKU's default."""
        ...


#: Stock counters and the ledger (``tx.repository(STOCK)``, shorthand ``tx.stock``).
STOCK: RepositoryKey[StockRepository] = RepositoryKey("stock")
#: Reservation records (shorthand ``tx.reservations``).
RESERVATIONS: RepositoryKey[ReservationRepository] = RepositoryKey("reservations")
#: Bundle definitions (shorthand ``tx.bundles``).
BUNDLES: RepositoryKey[BundleRepository] = RepositoryKey("bundles")
#: Stock policies and low-stock thresholds (shorthand ``tx.stock_policies``).
STOCK_POLICIES: RepositoryKey[StockPolicyRepository] = RepositoryKey("stock_policies")
