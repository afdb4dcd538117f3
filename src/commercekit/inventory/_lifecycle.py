"""A reservation after it is made: read, committed, released, extended or swept."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from commercekit.errors import InsufficientStockError, NotFoundError, ReservationError
from commercekit.inventory._base import ServiceParts, reservations, stock
from commercekit.inventory._checks import check_sku, check_text, check_ttl, row_order
from commercekit.inventory._events import low_stock
from commercekit.inventory._planning import ACTIVE, Retry, expire
from commercekit.inventory._records import MovementKind, Reservation, ReservationStatus
from commercekit.inventory._reservations import MANY
from commercekit.rules import check_identifier

if TYPE_CHECKING:
    from commercekit.ports import TransactionPort

__all__ = ["ReservationLifecycle"]


class ReservationLifecycle(ServiceParts):
    """Reading and ending reservations (part of ``InventoryService``)."""

    @staticmethod
    def _get(tx: TransactionPort, reservation: Reservation | str) -> Reservation:
        ident = reservation.id if isinstance(reservation, Reservation) else reservation
        ident = check_identifier(ident, name="reservation id")
        try:
            return reservations(tx).get(ident)
        except NotFoundError:
            raise ReservationError(f"no reservation with id {ident!r}") from None

    def get(self, reservation: Reservation | str) -> Reservation:
        """The current state of a reservation (by value or id).

        Raises :class:`~commercekit.errors.ReservationError` if there is none.
        """
        with self.store.transaction(readonly=True) as tx:
            return self._get(tx, reservation)

    def by_key(self, key: str) -> Reservation | None:
        """The reservation made under ``key``, or ``None``."""
        key = check_sku(key, name="reservation key")
        with self.store.transaction(readonly=True) as tx:
            return reservations(tx).by_key(key)

    def commit(
        self, reservation: Reservation | str, *, reference: str | None = None
    ) -> Reservation:
        """Turn the held stock into sales (``sale`` movements, ``reference`` or the key).

        Committing twice returns the committed reservation. A reservation past its expiry is
        committed only if its stock can be taken again (expired holds freed first); otherwise
        :class:`~commercekit.errors.ReservationError` says which SKUs are gone, and nothing
        changes. A released reservation cannot be committed.
        """
        check_text(reference, name="reference")
        for _ in range(self.max_attempts):
            try:
                return self._transact(lambda tx: self._commit(tx, reservation, reference))
            except Retry:
                continue
        raise ReservationError(f"reservation {reservation!r} kept changing while committing")

    def _commit(
        self, tx: TransactionPort, reservation: Reservation | str, reference: str | None
    ) -> Reservation:
        current = self._get(tx, reservation)
        if current.status is ReservationStatus.COMMITTED:
            return current
        if current.status is ReservationStatus.RELEASED:
            raise ReservationError(f"reservation {current.key!r} was released; reserve again")
        reference = reference or current.key
        lines = sorted(current.lines, key=lambda ln: row_order((ln.sku, ln.location)))
        if current.status is ACTIVE and current.expires_at > tx.now():
            if not reservations(tx).transition(current.id, ACTIVE, ReservationStatus.COMMITTED):
                raise Retry
            if len(lines) > MANY:
                stock(tx).sell_reserved_many(
                    [(ln.sku, ln.location, ln.quantity) for ln in lines], reference=reference
                )
            else:
                for line in lines:
                    stock(tx).sell_reserved(
                        line.sku, line.location, line.quantity, reference=reference
                    )
            return reservations(tx).get(current.id)
        # Expired (swept or not): free the expired holds on its SKUs, itself included (moved to
        # committed in the same id-ordered pass), then sell its lines again from available
        # stock, guarded like any reservation.
        freed = expire(tx, sorted({ln.sku for ln in lines}, key=str.encode), own=current)
        wanted = {(ln.sku, ln.location): ln.quantity for ln in lines}
        for row in sorted(wanted.keys() | freed.keys(), key=row_order):
            if row in freed:
                stock(tx).unreserve(row[0], row[1], freed[row])
            if row not in wanted:
                continue
            try:
                level = stock(tx).move(
                    row[0],
                    row[1],
                    -wanted[row],
                    MovementKind.SALE,
                    reason="expired reservation committed",
                    reference=reference,
                )
            except InsufficientStockError:
                raise ReservationError(
                    f"reservation {current.key!r} expired at {current.expires_at.isoformat()} "
                    f"and {row[0]} at {row[1]} no longer has {wanted[row]} available; "
                    "reserve again"
                ) from None
            low_stock(tx, level, level.available + wanted[row] - freed.get(row, 0))
        return reservations(tx).get(current.id)

    def release(self, reservation: Reservation | str) -> Reservation:
        """Give the held stock back (a cancelled checkout). Releasing twice is harmless.

        An expired reservation is returned as it is (its stock is already free); a committed
        one raises :class:`~commercekit.errors.ReservationError`.
        """
        for _ in range(self.max_attempts):
            try:
                return self._transact(lambda tx: self._release(tx, reservation))
            except Retry:
                continue
        raise ReservationError(f"reservation {reservation!r} kept changing while releasing")

    def _release(self, tx: TransactionPort, reservation: Reservation | str) -> Reservation:
        current = self._get(tx, reservation)
        if current.status is ReservationStatus.COMMITTED:
            raise ReservationError(
                f"reservation {current.key!r} was committed; record a return instead"
            )
        if current.status is not ACTIVE:
            return current
        if not reservations(tx).transition(current.id, ACTIVE, ReservationStatus.RELEASED):
            raise Retry
        lines = sorted(current.lines, key=lambda ln: row_order((ln.sku, ln.location)))
        if len(lines) > MANY:
            stock(tx).unreserve_many([(ln.sku, ln.location, ln.quantity) for ln in lines])
        else:
            for line in lines:
                stock(tx).unreserve(line.sku, line.location, line.quantity)
        return reservations(tx).get(current.id)

    def extend(self, reservation: Reservation | str, ttl: timedelta | None = None) -> Reservation:
        """Hold an active reservation for ``ttl`` (default: the service's) from now.

        An expired, committed or released reservation raises
        :class:`~commercekit.errors.ReservationError`: reserve again instead.
        """
        ttl = self.ttl if ttl is None else check_ttl(ttl)
        return self._transact(lambda tx: self._extend(tx, reservation, ttl))

    def _extend(
        self, tx: TransactionPort, reservation: Reservation | str, ttl: timedelta
    ) -> Reservation:
        current = self._get(tx, reservation)
        if current.status is not ACTIVE or current.expires_at <= tx.now():
            raise ReservationError(
                f"reservation {current.key!r} is {current.status.value}"
                f"{' (expired)' if current.status is ACTIVE else ''}; reserve again"
            )
        if not reservations(tx).extend(current.id, tx.now() + ttl):
            raise ReservationError(f"reservation {current.key!r} changed; reserve again")
        return reservations(tx).get(current.id)

    def sweep(self) -> list[Reservation]:
        """Free the stock of every expired reservation (judged by the store's clock).

        Reservations free expired holds on the SKUs they touch by themselves; run a sweep
        now and then (a cron job, a worker) for the rest. Returns what it released.
        """
        return self._transact(lambda tx: reservations(tx).release_expired())
