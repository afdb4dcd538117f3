"""Stock levels and their ledger: receipts, adjustments, returns, sales and transfers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from commercekit.errors import (
    ConflictError,
    IdempotencyConflictError,
    InsufficientStockError,
    RetryableConflictError,
    UnknownSkuError,
    ValidationError,
)
from commercekit.inventory._base import ServiceParts, bundles, policies, stock
from commercekit.inventory._checks import check_sku, check_text
from commercekit.inventory._events import low_stock
from commercekit.inventory._records import MovementKind, StockLevel, StockMovement
from commercekit.rules import check_count, check_identifier

if TYPE_CHECKING:
    from commercekit.ports import TransactionPort

__all__ = ["StockLedger"]


def _movement_key(key: str | None) -> str | None:
    return None if key is None else check_identifier(key, name="movement key")


def _replayed(
    tx: TransactionPort, key: str, sku: str, location: str, quantity: int, kind: MovementKind
) -> bool:
    """Whether ``key`` already recorded this movement (a different one under it is refused)."""
    done = stock(tx).movement_by_key(key)
    if done is None:
        return False
    if (done.sku, done.location, done.quantity, done.kind) != (sku, location, quantity, kind):
        raise IdempotencyConflictError(
            f"movement key {key!r} was first used for {done.kind.value} of {done.quantity} "
            f"{done.sku} at {done.location}"
        )
    return True


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
        key: str | None = None,
    ) -> StockLevel:
        if quantity > 0:
            self._ensure(tx, sku, location)
        else:
            self._require(tx, sku, location)
        try:
            level = stock(tx).move(
                sku, location, quantity, kind, reason=reason, reference=reference, key=key
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
        key: str | None,
    ) -> StockLevel:
        """Check the input of a one-row movement and make it in a transaction of its own.

        ``quantity`` is signed for an adjustment and a count of units otherwise (a sale
        removes them). Under a ``key`` already used, nothing moves: the same movement returns
        the row as it is now, a different one is an
        :class:`~commercekit.errors.IdempotencyConflictError`.
        """
        sku = check_sku(sku)
        location = check_sku(location, name="location")
        check_count(quantity, allow_negative=kind is MovementKind.ADJUST)
        check_text(reason, name="reason")
        check_text(reference, name="reference")
        key = _movement_key(key)
        signed = -quantity if kind is MovementKind.SALE else quantity
        owned = not self.store.in_transaction()

        def work(tx: TransactionPort) -> StockLevel:
            if key is not None and _replayed(tx, key, sku, location, signed, kind):
                return self._require(tx, sku, location)
            return self._move(tx, sku, location, signed, kind, reason, reference, key)

        for attempt in (1, 2):
            try:
                return self._transact(work)
            except (IdempotencyConflictError, RetryableConflictError):
                raise
            except ConflictError:
                # Another process recorded the same key first (the unique index refused ours and
                # the transaction rolled back): run once more, which replays it.
                if key is None or not owned or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def receive(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
        key: str | None = None,
    ) -> StockLevel:
        """Add ``quantity`` units received at ``location`` (a ``receive`` movement).

        The stock row is created on first receipt, with the floor of the SKU's policy.
        ``key`` (optional, unique per movement, e.g. ``"PO-7/line-2"``) makes the call safe to
        retry: under a key already used nothing moves again. The same holds for
        :meth:`adjust`, :meth:`record_return`, :meth:`sell` and :meth:`transfer`.
        """
        return self._record(sku, location, quantity, MovementKind.RECEIVE, reason, reference, key)

    def adjust(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str,
        reference: str | None = None,
        key: str | None = None,
    ) -> StockLevel:
        """Correct on hand by a signed ``quantity`` (a stock count, damage); a reason is required.

        A negative adjustment that would take available stock below the floor raises
        :class:`~commercekit.errors.InsufficientStockError`.
        """
        check_text(reason, name="reason", required=True)
        return self._record(sku, location, quantity, MovementKind.ADJUST, reason, reference, key)

    def record_return(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
        key: str | None = None,
    ) -> StockLevel:
        """Put ``quantity`` returned units back on hand at ``location`` (a ``return`` movement)."""
        return self._record(sku, location, quantity, MovementKind.RETURN, reason, reference, key)

    def sell(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
        key: str | None = None,
    ) -> StockLevel:
        """Sell ``quantity`` units straight from available stock (a till sale, no reservation)."""
        return self._record(sku, location, quantity, MovementKind.SALE, reason, reference, key)

    def transfer(
        self,
        sku: str,
        source: str,
        destination: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
        key: str | None = None,
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
        key = _movement_key(key)
        moves = sorted(
            [
                (source, -quantity, MovementKind.TRANSFER_OUT),
                (destination, quantity, MovementKind.TRANSFER_IN),
            ],
            key=lambda move: move[0].encode(),
        )
        with self.store.transaction() as tx:
            if key is not None and _replayed(
                tx, key, sku, source, -quantity, MovementKind.TRANSFER_OUT
            ):
                return self._require(tx, sku, source), self._require(tx, sku, destination)
            self._require(tx, sku, source)
            levels = {
                location: self._move(
                    tx,
                    sku,
                    location,
                    units,
                    kind,
                    reason,
                    reference,
                    key if kind is MovementKind.TRANSFER_OUT else None,
                )
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
