"""Reservation records: which stock is held for whom, until when."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from commercekit.errors import ConflictError, NotFoundError
from commercekit.inventory import _sql_stock
from commercekit.inventory._records import Reservation, ReservationLine, ReservationStatus
from commercekit.inventory._sql_planning import in_set
from commercekit.ports import STOCK
from commercekit.rules import check_count, check_identifier

if TYPE_CHECKING:
    from commercekit.ports import SqlTransaction

__all__ = ["SqlReservationRepository"]

_ACTIVE = ReservationStatus.ACTIVE
_COLUMNS = "id, reservation_key, status, request_hash, expires_at, created_at"


def _ordered(lines: Iterable[ReservationLine]) -> tuple[ReservationLine, ...]:
    """Lines in (SKU, location) byte order, whatever the database's collation."""
    return tuple(sorted(lines, key=lambda ln: (ln.sku.encode(), ln.location.encode())))


class SqlReservationRepository:
    """Reservation rows and their lines. Stock itself moves through ``tx.stock``.

    The inventory service reserves the stock and records the reservation in one transaction;
    :meth:`release_expired` frees the holds of expired reservations, judged by the store's clock.
    """

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def _build(self, row: Any) -> Reservation:
        lines = self._tx.execute(
            "SELECT sku, location, quantity FROM ck_reservation_lines"
            " WHERE reservation_id = ? ORDER BY sku, location",
            (row[0],),
        ).fetchall()
        return Reservation(
            id=row[0],
            key=row[1],
            status=ReservationStatus(row[2]),
            lines=_ordered(ReservationLine(r[0], r[1], int(r[2])) for r in lines),
            request_hash=row[3],
            expires_at=self._tx.py_time(row[4]),
            created_at=self._tx.py_time(row[5]),
        )

    def create(
        self,
        key: str,
        lines: Sequence[ReservationLine],
        *,
        expires_at: datetime,
        request_hash: str,
    ) -> Reservation:
        """Record an active reservation of ``lines`` (one per SKU and location) under ``key``.

        Its id is 32 random hex digits (128 bits).
        """
        key = check_identifier(key, name="reservation key")
        for line in lines:
            check_count(line.quantity)
        # os.urandom is a fifth of what uuid4() costs, and this runs for every reservation.
        ident = os.urandom(16).hex()
        ordered = _ordered(lines) if len(lines) > 1 else tuple(lines)
        tx = self._tx
        now = tx.db_now()
        inserted = tx.execute(
            "INSERT INTO ck_reservations (id, reservation_key, status, request_hash, expires_at,"
            " created_at, updated_at) VALUES (?, ?, 'active', ?, ?, ?, ?)"
            " ON CONFLICT (reservation_key) DO NOTHING",
            (ident, key, request_hash, tx.db_time(expires_at), now, now),
        ).rowcount
        if inserted != 1:
            raise ConflictError(f"a reservation with key {key!r} already exists")
        if tx.dialect == "postgresql" and len(ordered) > _sql_stock._FEW_ROWS:
            # One statement for the lines instead of a round trip per line (the threshold of
            # the stock rows' set-based statements, read here so that both move together).
            tx.execute(
                "INSERT INTO ck_reservation_lines (reservation_id, sku, location, quantity)"
                " SELECT ?, v.sku, v.location, v.n"
                " FROM unnest(?::text[], ?::text[], ?::bigint[]) AS v(sku, location, n)",
                (
                    ident,
                    [line.sku for line in ordered],
                    [line.location for line in ordered],
                    [line.quantity for line in ordered],
                ),
            )
        else:
            for line in ordered:
                tx.execute(
                    "INSERT INTO ck_reservation_lines (reservation_id, sku, location, quantity)"
                    " VALUES (?, ?, ?, ?)",
                    (ident, line.sku, line.location, line.quantity),
                )
        # Built from what was written rather than read back: two fewer statements on the hot
        # path of every reservation (see the inventory benchmark).
        created_at = tx.now()
        if expires_at.tzinfo is not UTC:
            expires_at = expires_at.astimezone(UTC)
        if created_at.tzinfo is not UTC:
            created_at = created_at.astimezone(UTC)
        # Positional: id, key, status, lines, request_hash, expires_at, created_at.
        return Reservation(ident, key, _ACTIVE, ordered, request_hash, expires_at, created_at)

    def get(self, ident: str) -> Reservation:
        """The reservation with this id; :class:`~commercekit.errors.NotFoundError` if none."""
        row = self._tx.execute(
            f"SELECT {_COLUMNS} FROM ck_reservations WHERE id = ?", (ident,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no reservation with id {ident!r}")
        return self._build(row)

    def by_key(self, key: str) -> Reservation | None:
        """The reservation made under ``key``, or ``None``."""
        row = self._tx.execute(
            f"SELECT {_COLUMNS} FROM ck_reservations WHERE reservation_key = ?", (key,)
        ).fetchone()
        return None if row is None else self._build(row)

    def transition(
        self, ident: str, from_status: ReservationStatus, to_status: ReservationStatus
    ) -> bool:
        """Move from ``from_status`` to ``to_status`` if still there; ``False`` if it had moved."""
        return (
            self._tx.execute(
                "UPDATE ck_reservations SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                (
                    ReservationStatus(to_status).value,
                    self._tx.db_now(),
                    ident,
                    ReservationStatus(from_status).value,
                ),
            ).rowcount
            == 1
        )

    def extend(self, ident: str, expires_at: datetime) -> bool:
        """Move the expiry of an active reservation; ``False`` if it is no longer active."""
        return (
            self._tx.execute(
                "UPDATE ck_reservations SET expires_at = ?, updated_at = ?"
                " WHERE id = ? AND status = 'active'",
                (self._tx.db_time(expires_at), self._tx.db_now(), ident),
            ).rowcount
            == 1
        )

    def expired(self, *, skus: Iterable[str] | None = None) -> list[Reservation]:
        """Active reservations past their expiry (of any of ``skus``, or all), in id order.

        Id order is the order reservation rows are locked in on every path (see the inventory
        guide), so two transactions freeing the same holds never wait on each other in a cycle.
        """
        now = self._tx.db_now()
        if skus is None:
            rows = self._tx.execute(
                f"SELECT {_COLUMNS} FROM ck_reservations"
                " WHERE status = 'active' AND expires_at <= ? ORDER BY id",
                (now,),
            ).fetchall()
        else:
            wanted, params = in_set(self._tx, sorted(set(skus)))
            rows = self._tx.execute(
                f"SELECT {', '.join('r.' + c for c in _COLUMNS.split(', '))}"
                " FROM ck_reservations r WHERE r.status = 'active' AND r.expires_at <= ?"
                " AND EXISTS (SELECT 1 FROM ck_reservation_lines l"
                f" WHERE l.reservation_id = r.id AND l.sku {wanted})",
                (now, *params),
            ).fetchall()
            rows.sort(key=lambda r: str(r[0]))
        return [self._build(row) for row in rows]

    def release_expired(self, *, skus: Iterable[str] | None = None) -> list[Reservation]:
        """Mark expired reservations ``expired`` and give their stock back; return them.

        Each reservation flips status with a guarded update first, so two sweepers never
        release the same hold twice.
        """
        released: list[Reservation] = []
        holds: dict[tuple[str, str], int] = {}
        for reservation in self.expired(skus=skus):
            if self.transition(reservation.id, ReservationStatus.ACTIVE, ReservationStatus.EXPIRED):
                for line in reservation.lines:
                    key = (line.sku, line.location)
                    holds[key] = holds.get(key, 0) + line.quantity
                released.append(reservation)
        # Stock rows in (SKU, location) byte order like every reserver (one set-based statement
        # on PostgreSQL, which locks them in that order), so a sweep never deadlocks against a
        # reservation in flight.
        if holds:
            self._tx.repository(STOCK).unreserve_many(
                [
                    (sku, location, quantity)
                    for (sku, location), quantity in sorted(
                        holds.items(), key=lambda item: (item[0][0].encode(), item[0][1].encode())
                    )
                ]
            )
        return released

    def delete_closed(self, *, before: datetime) -> int:
        """Delete committed, released and expired reservations last changed before ``before``."""
        return self._tx.execute(
            "DELETE FROM ck_reservations WHERE status <> 'active' AND updated_at < ?",
            (self._tx.db_time(before),),
        ).rowcount
