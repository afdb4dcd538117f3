"""Stock levels and their ledger: receipts, adjustments, returns, sales and transfers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from commercekit.errors import InsufficientStockError, UnknownSkuError, ValidationError
from commercekit.inventory._base import ServiceParts, bundles, policies, stock
from commercekit.inventory._checks import check_sku, check_text
from commercekit.inventory._events import low_stock
from commercekit.inventory._records import MovementKind, StockLevel, StockMovement
from commercekit.rules import check_count

if TYPE_CHECKING:
    from commercekit.ports import TransactionPort

__all__ = ["StockLedger"]


class StockLedger(ServiceParts):
    """Stock per SKU and location and its movements (part of ``InventoryService``)."""

    def _ensure(self, tx: TransactionPort, sku: str, location: str) -> StockLevel:
        level = stock(tx).level(sku, location)
        if level is None:
            level = stock(tx).ensure(sku, location, floor=policies(tx).policy(sku).floor)
        return level

    def _require(self, tx: TransactionPort, sku: str, location: str) -> StockLevel:
        level = stock(tx).level(sku, location)
        if level is None:
            raise UnknownSkuError(f"{sku!r} is not stocked at {location!r}", (sku,))
        return level

    def _move(
        self,
        tx: TransactionPort,
        sku: str,
        location: str,
        quantity: int,
        kind: MovementKind,
        reason: str | None,
        reference: str | None,
    ) -> StockLevel:
        if quantity > 0:
            self._ensure(tx, sku, location)
        else:
            self._require(tx, sku, location)
        try:
            level = stock(tx).move(
                sku, location, quantity, kind, reason=reason, reference=reference
            )
        except InsufficientStockError as exc:
            current = self._require(tx, sku, location)
            short = -quantity - (current.available - current.floor)
            raise InsufficientStockError(str(exc), {sku: short}) from None
        if quantity < 0:
            low_stock(tx, level, level.available - quantity)
        return level

    def _record(
        self,
        sku: str,
        location: str,
        quantity: int,
        kind: MovementKind,
        reason: str | None,
        reference: str | None,
    ) -> StockLevel:
        """Check the input of a one-row movement and make it in a transaction of its own.

        ``quantity`` is signed for an adjustment and a count of units otherwise (a sale
        removes them).
        """
        sku = check_sku(sku)
        location = check_sku(location, name="location")
        check_count(quantity, allow_negative=kind is MovementKind.ADJUST)
        check_text(reason, name="reason")
        check_text(reference, name="reference")
        signed = -quantity if kind is MovementKind.SALE else quantity
        with self.store.transaction() as tx:
            return self._move(tx, sku, location, signed, kind, reason, reference)

    def receive(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> StockLevel:
        """Add ``quantity`` units received at ``location`` (a ``receive`` movement).

        The stock row is created on first receipt, with the floor of the SKU's policy.
        """
        return self._record(sku, location, quantity, MovementKind.RECEIVE, reason, reference)

    def adjust(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str,
        reference: str | None = None,
    ) -> StockLevel:
        """Correct on hand by a signed ``quantity`` (a stock count, damage); a reason is required.

        A negative adjustment that would take available stock below the floor raises
        :class:`~commercekit.errors.InsufficientStockError`.
        """
        check_text(reason, name="reason", required=True)
        return self._record(sku, location, quantity, MovementKind.ADJUST, reason, reference)

    def record_return(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> StockLevel:
        """Put ``quantity`` returned units back on hand at ``location`` (a ``return`` movement)."""
        return self._record(sku, location, quantity, MovementKind.RETURN, reason, reference)

    def sell(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> StockLevel:
        """Sell ``quantity`` units straight from available stock (a till sale, no reservation)."""
        return self._record(sku, location, quantity, MovementKind.SALE, reason, reference)

    def transfer(
        self,
        sku: str,
        source: str,
        destination: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> tuple[StockLevel, StockLevel]:
        """Move ``quantity`` units from ``source`` to ``destination`` in one transaction.

        Records a ``transfer_out`` and a ``transfer_in`` movement; returns the (source,
        destination) levels. Refused with :class:`~commercekit.errors.InsufficientStockError`
        if ``source`` cannot spare the units.
        """
        sku = check_sku(sku)
        source = check_sku(source, name="source")
        destination = check_sku(destination, name="destination")
        check_count(quantity)
        check_text(reason, name="reason")
        check_text(reference, name="reference")
        if source == destination:
            raise ValidationError(f"a transfer needs two different locations, got {source!r}")
        moves = sorted(
            [
                (source, -quantity, MovementKind.TRANSFER_OUT),
                (destination, quantity, MovementKind.TRANSFER_IN),
            ],
            key=lambda move: move[0].encode(),
        )
        with self.store.transaction() as tx:
            self._require(tx, sku, source)
            levels = {
                location: self._move(tx, sku, location, units, kind, reason, reference)
                for location, units, kind in moves
            }
        return levels[source], levels[destination]

    def level(self, sku: str, location: str) -> StockLevel | None:
        """The stock of ``sku`` at ``location``, or ``None`` if it was never stocked there."""
        sku = check_sku(sku)
        location = check_sku(location, name="location")
        with self.store.transaction(readonly=True) as tx:
            return stock(tx).level(sku, location)

    def stock(self, sku: str) -> list[StockLevel]:
        """The stock rows of ``sku`` at every location, in location order."""
        sku = check_sku(sku)
        with self.store.transaction(readonly=True) as tx:
            return stock(tx).levels([sku])

    def sellable(self, sku: str) -> int:
        """Units of ``sku`` a reservation could still take across all locations.

        That is available stock plus the backorder room of each row (``available - floor``).
        A bundle's sellable count is how many whole bundles its components allow.
        """
        sku = check_sku(sku)
        with self.store.transaction(readonly=True) as tx:
            components = bundles(tx).get(sku) or {sku: 1}
            rows = stock(tx).with_thresholds(list(components))
        room: dict[str, int] = dict.fromkeys(components, 0)
        for sku_, _, on_hand, reserved, floor, _ in rows:
            room[sku_] += on_hand - reserved - floor
        return min(room[c] // units for c, units in components.items())

    def movements(self, sku: str, location: str) -> list[StockMovement]:
        """The ledger of ``sku`` at ``location``, oldest first; it sums to on hand."""
        sku = check_sku(sku)
        location = check_sku(location, name="location")
        with self.store.transaction(readonly=True) as tx:
            return stock(tx).movements(sku, location)

    # -- bundles, policies, thresholds ------------------------------------------------------
