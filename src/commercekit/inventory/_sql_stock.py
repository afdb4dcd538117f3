"""Stock counters per (SKU, location) and their ledger, in SQL both backends run.

No method here reads a value and writes it back: each change is one ``UPDATE ... WHERE
<guard>`` (or an upsert) whose guard the database evaluates against the current row, so
concurrent processes can never push a counter past its limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from commercekit.errors import (
    InsufficientStockError,
    NotFoundError,
    ReservationError,
    ValidationError,
)
from commercekit.inventory._records import MovementKind, StockLevel, StockMovement
from commercekit.inventory._sql_planning import in_set, planning_read, with_thresholds
from commercekit.rules import check_count, check_identifier

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from commercekit.ports import PlanningRead, SqlTransaction, StockRow

__all__ = ["SqlStockRepository"]

_LEVEL = "sku, location, on_hand, reserved, stock_floor"
_MOVEMENT = "id, sku, location, kind, quantity, reason, reference, created_at, movement_key"


# Beyond this many rows, PostgreSQL gets one set-based statement instead of one per row: any
# set of two rows or more, so that the round trips of a reservation, a commit, a release or a
# sweep do not grow with its rows (issue 16). A single row is one plain guarded statement. (The
# reservation lines' INSERT shares this threshold; SQLite, in-process, always runs one per row.)
_FEW_ROWS = 1

# The rows of ``unnest(skus, locations, quantities)`` as ``v(sku, location, n)``, their stock
# rows locked in (SKU, location) byte order (``COLLATE "C"``) before any of them changes: the
# lock order of every inventory path (see LOCK_ORDER in commercekit.inventory._base). The
# subquery is never flattened into the statement around it (it sorts and locks); its LockRows
# node takes each row's lock as the sorted rows come out of its Sort, and the statement around
# it can change a row only after it came out, so every lock is taken in that order. One
# statement instead of a ``SELECT ... FOR NO KEY UPDATE`` and then the change.
_LOCKED = (
    "(SELECT l.sku, l.location, u.n FROM ck_stock_levels l"
    " JOIN unnest(?::text[], ?::text[], ?::bigint[]) AS u(sku, location, n)"
    " ON l.sku = u.sku AND l.location = u.location"
    ' ORDER BY l.sku COLLATE "C", l.location COLLATE "C" FOR NO KEY UPDATE OF l) AS v'
)
_RETURNING = f"RETURNING {', '.join('s.' + c for c in _LEVEL.split(', '))}"


def _columns(rows: Sequence[tuple[str, str, int]]) -> tuple[list[str], list[str], list[int]]:
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _key(sku: str, location: str) -> tuple[str, str]:
    """The (SKU, location) of a stock row as stored: checked, NFC (see commercekit.rules)."""
    return check_identifier(sku, name="sku"), check_identifier(location, name="location")


def _level(row: Any) -> StockLevel:
    return StockLevel(str(row[0]), str(row[1]), int(row[2]), int(row[3]), int(row[4]))


class SqlStockRepository:
    """Stock per (SKU, location) and its ledger of movements.

    Quantities are whole units (sell goods measured by weight in grams, say). ``reserve`` and
    negative movements are guarded so that available stock never passes the row's floor.
    """

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def level(self, sku: str, location: str) -> StockLevel | None:
        """The stock of ``sku`` at ``location``, or ``None`` if it was never stocked there."""
        sku, location = _key(sku, location)
        row = self._tx.execute(
            f"SELECT {_LEVEL} FROM ck_stock_levels WHERE sku = ? AND location = ?",
            (sku, location),
        ).fetchone()
        return None if row is None else _level(row)

    def levels(self, skus: Iterable[str] | None = None) -> list[StockLevel]:
        """Stock rows (of ``skus``, or all), ordered by SKU then location."""
        if skus is None:
            rows = self._tx.execute(
                f"SELECT {_LEVEL} FROM ck_stock_levels ORDER BY sku, location"
            ).fetchall()
            return [_level(row) for row in rows]
        wanted, params = in_set(self._tx, sorted(set(skus)))
        rows = self._tx.execute(
            f"SELECT {_LEVEL} FROM ck_stock_levels WHERE sku {wanted}", params
        ).fetchall()
        # Sorted here, not by the database: SKU then location, whatever its collation.
        return sorted((_level(row) for row in rows), key=lambda lv: (lv.sku, lv.location))

    def ensure(self, sku: str, location: str, *, floor: int = 0) -> StockLevel:
        """Create the row with nothing on hand if it does not exist; return the current row."""
        sku = check_identifier(sku, name="sku")
        location = check_identifier(location, name="location")
        if floor != 0:
            check_count(floor, name="floor", allow_negative=True)
            if floor > 0:
                raise ValidationError(f"a stock floor is 0 or negative, got {floor}")
        self._tx.execute(
            "INSERT INTO ck_stock_levels (sku, location, on_hand, reserved, stock_floor,"
            " updated_at) VALUES (?, ?, 0, 0, ?, ?) ON CONFLICT (sku, location) DO NOTHING",
            (sku, location, floor, self._tx.db_now()),
        )
        level = self.level(sku, location)
        assert level is not None  # inserted or already there, inside this transaction
        return level

    def set_floor(self, sku: str, location: str, floor: int) -> StockLevel:
        """Set the floor (``-n`` allows ``n`` units of backorder); refused if stock is below it."""
        sku, location = _key(sku, location)
        if isinstance(floor, bool) or not isinstance(floor, int) or floor > 0:
            raise ValidationError(f"a stock floor is an int of 0 or less, got {floor!r}")
        if floor:
            check_count(floor, name="floor", allow_negative=True)
        row = self._tx.execute(
            "UPDATE ck_stock_levels SET stock_floor = ?, updated_at = ?"
            " WHERE sku = ? AND location = ? AND on_hand - reserved >= ?"
            f" RETURNING {_LEVEL}",
            (floor, self._tx.db_now(), sku, location, floor),
        ).fetchone()
        if row is None:
            current = self._require(sku, location)
            raise InsufficientStockError(
                f"{sku} at {location} has {current.available} available, below floor {floor}"
            )
        return _level(row)

    def _require(self, sku: str, location: str) -> StockLevel:
        level = self.level(sku, location)
        if level is None:
            raise NotFoundError(f"no stock row for {sku!r} at {location!r}")
        return level

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
        """Change on hand by a signed ``quantity`` and record the movement in the ledger.

        A positive movement creates the row if needed. A negative one is refused with
        :class:`~commercekit.errors.InsufficientStockError` if it would take available stock
        below the floor. ``key`` (unique per movement) is stored with it: a second movement
        under the same key is refused by the database (see :meth:`movement_by_key`).
        """
        sku, location = _key(sku, location)
        check_count(quantity, allow_negative=True)
        kind = MovementKind(kind)
        if quantity > 0:
            self.ensure(sku, location)
        row = self._tx.execute(
            "UPDATE ck_stock_levels SET on_hand = on_hand + ?, updated_at = ?"
            " WHERE sku = ? AND location = ? AND on_hand + ? - reserved >= stock_floor"
            f" RETURNING {_LEVEL}",
            (quantity, self._tx.db_now(), sku, location, quantity),
        ).fetchone()
        if row is None:
            current = self._require(sku, location)
            raise InsufficientStockError(
                f"cannot remove {-quantity} of {sku} at {location}: {current.available} "
                f"available, floor {current.floor}"
            )
        self._record(sku, location, kind, quantity, reason, reference, key)
        return _level(row)

    def _record(
        self,
        sku: str,
        location: str,
        kind: MovementKind,
        quantity: int,
        reason: str | None,
        reference: str | None,
        key: str | None = None,
    ) -> None:
        self._tx.execute(
            "INSERT INTO ck_stock_movements (sku, location, kind, quantity, reason, reference,"
            " movement_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sku,
                location,
                kind.value,
                quantity,
                reason,
                reference,
                key,
                self._tx.db_now(),
            ),
        )

    def reserve(self, sku: str, location: str, quantity: int) -> bool:
        """Hold ``quantity`` if available stock stays at or above the floor; ``False`` if not.

        ``sku`` and ``location`` are taken as stored (this runs once per row of every
        reservation): a row spelled another way is simply not found.
        """
        check_count(quantity)
        updated = self._tx.execute(
            "UPDATE ck_stock_levels SET reserved = reserved + ?, updated_at = ?"
            " WHERE sku = ? AND location = ? AND on_hand - reserved - ? >= stock_floor",
            (quantity, self._tx.db_now(), sku, location, quantity),
        ).rowcount
        return updated == 1

    def unreserve(self, sku: str, location: str, quantity: int) -> None:
        """Give back ``quantity`` held by :meth:`reserve`."""
        check_count(quantity)
        updated = self._tx.execute(
            "UPDATE ck_stock_levels SET reserved = reserved - ?, updated_at = ?"
            " WHERE sku = ? AND location = ? AND reserved >= ?",
            (quantity, self._tx.db_now(), sku, location, quantity),
        ).rowcount
        if updated != 1:
            raise ReservationError(f"{sku} at {location} does not hold {quantity} reserved")

    def sell_reserved(
        self, sku: str, location: str, quantity: int, *, reference: str | None = None
    ) -> StockLevel:
        """Turn ``quantity`` held by :meth:`reserve` into a sale: on hand and reserved both drop."""
        check_count(quantity)
        if self._tx.dialect == "postgresql":
            # The change and its ledger entry in one statement: one round trip, not two.
            now = self._tx.db_now()
            row = self._tx.execute(
                "WITH sold AS (UPDATE ck_stock_levels SET on_hand = on_hand - ?,"
                " reserved = reserved - ?, updated_at = ? WHERE sku = ? AND location = ?"
                f" AND reserved >= ? RETURNING {_LEVEL}),"
                " entered AS (INSERT INTO ck_stock_movements"
                " (sku, location, kind, quantity, reference, created_at)"
                " SELECT sku, location, 'sale', ?, ?, ? FROM sold)"
                f" SELECT {_LEVEL} FROM sold",
                (quantity, quantity, now, sku, location, quantity, -quantity, reference, now),
            ).fetchone()
            if row is None:
                raise ReservationError(f"{sku} at {location} does not hold {quantity} reserved")
            return _level(row)
        row = self._tx.execute(
            "UPDATE ck_stock_levels SET on_hand = on_hand - ?, reserved = reserved - ?,"
            " updated_at = ? WHERE sku = ? AND location = ? AND reserved >= ?"
            f" RETURNING {_LEVEL}",
            (quantity, quantity, self._tx.db_now(), sku, location, quantity),
        ).fetchone()
        if row is None:
            raise ReservationError(f"{sku} at {location} does not hold {quantity} reserved")
        self._record(sku, location, MovementKind.SALE, -quantity, None, reference)
        return _level(row)

    # -- many rows at once: one statement each on PostgreSQL, whatever the cart's size ---------

    def _set_based(self, rows: Sequence[tuple[str, str, int]]) -> bool:
        for sku, location, quantity in rows:
            _key(sku, location)
            check_count(quantity)
        return self._tx.dialect == "postgresql" and len(rows) > _FEW_ROWS

    def _reserve_one(self, sku: str, location: str, quantity: int) -> StockLevel | None:
        """:meth:`reserve`, returning the row after the change (``None`` if the guard failed)."""
        row = self._tx.execute(
            "UPDATE ck_stock_levels SET reserved = reserved + ?, updated_at = ?"
            " WHERE sku = ? AND location = ? AND on_hand - reserved - ? >= stock_floor"
            f" RETURNING {_LEVEL}",
            (quantity, self._tx.db_now(), sku, location, quantity),
        ).fetchone()
        return None if row is None else _level(row)

    def reserve_many(self, rows: Sequence[tuple[str, str, int]]) -> list[StockLevel] | None:
        """Hold each ``(sku, location, quantity)`` (distinct rows) if every guard holds.

        Returns the rows after the change (in no particular order), or ``None`` if some row
        lacked the stock: then some holds may already be taken, and the caller must roll the
        transaction back. On PostgreSQL two rows or more are locked in byte order and updated
        in one statement, rather than one round trip per row; elsewhere each row is one
        statement (in the order given), which returns the row as well.
        """
        if not self._set_based(rows):
            levels: list[StockLevel] = []
            for sku, location, quantity in rows:
                level = self._reserve_one(sku, location, quantity)
                if level is None:
                    return None
                levels.append(level)
            return levels
        found = self._tx.execute(
            "UPDATE ck_stock_levels s SET reserved = s.reserved + v.n, updated_at = ?"
            f" FROM {_LOCKED}"
            " WHERE s.sku = v.sku AND s.location = v.location"
            f" AND s.on_hand - s.reserved - v.n >= s.stock_floor {_RETURNING}",
            (self._tx.db_now(), *_columns(rows)),
        ).fetchall()
        return [_level(row) for row in found] if len(found) == len(rows) else None

    def unreserve_many(self, rows: Sequence[tuple[str, str, int]]) -> None:
        """Give back each ``(sku, location, quantity)`` held (distinct rows)."""
        if not self._set_based(rows):
            for sku, location, quantity in rows:
                self.unreserve(sku, location, quantity)
            return
        updated = self._tx.execute(
            "UPDATE ck_stock_levels s SET reserved = s.reserved - v.n, updated_at = ?"
            f" FROM {_LOCKED}"
            " WHERE s.sku = v.sku AND s.location = v.location AND s.reserved >= v.n",
            (self._tx.db_now(), *_columns(rows)),
        ).rowcount
        if updated != len(rows):
            raise ReservationError(f"{len(rows) - updated} of the rows do not hold what was held")

    def sell_reserved_many(
        self, rows: Sequence[tuple[str, str, int]], *, reference: str | None = None
    ) -> list[StockLevel]:
        """Turn each held ``(sku, location, quantity)`` into a sale, with its ledger entry.

        On PostgreSQL, two rows or more are locked in byte order, updated and entered in the
        ledger (in byte order) by one statement. Returns the rows after the change (in no
        particular order).
        """
        if not self._set_based(rows):
            return [self.sell_reserved(s, loc, n, reference=reference) for s, loc, n in rows]
        now = self._tx.db_now()
        found = self._tx.execute(
            "WITH sold AS (UPDATE ck_stock_levels s"
            " SET on_hand = s.on_hand - v.n, reserved = s.reserved - v.n, updated_at = ?"
            f" FROM {_LOCKED}"
            " WHERE s.sku = v.sku AND s.location = v.location AND s.reserved >= v.n"
            f" {_RETURNING}, v.n),"
            " entered AS (INSERT INTO ck_stock_movements"
            " (sku, location, kind, quantity, reference, created_at)"
            " SELECT sku, location, 'sale', -n, ?, ? FROM sold"
            ' ORDER BY sku COLLATE "C", location COLLATE "C")'
            f" SELECT {_LEVEL} FROM sold",
            (now, *_columns(rows), reference, now),
        ).fetchall()
        if len(found) != len(rows):
            raise ReservationError(f"{len(rows) - len(found)} of the rows do not hold their units")
        return [_level(row) for row in found]

    def movements(self, sku: str, location: str) -> list[StockMovement]:
        """The ledger of ``sku`` at ``location``, oldest first."""
        sku, location = _key(sku, location)
        rows = self._tx.execute(
            f"SELECT {_MOVEMENT} FROM ck_stock_movements WHERE sku = ? AND location = ?"
            " ORDER BY id",
            (sku, location),
        ).fetchall()
        return [self._movement(r) for r in rows]

    def movement_by_key(self, key: str) -> StockMovement | None:
        """The movement recorded under idempotency ``key``, or ``None``."""
        row = self._tx.execute(
            f"SELECT {_MOVEMENT} FROM ck_stock_movements WHERE movement_key = ?", (key,)
        ).fetchone()
        return None if row is None else self._movement(row)

    def _movement(self, r: Any) -> StockMovement:
        return StockMovement(
            int(r[0]),
            r[1],
            r[2],
            MovementKind(r[3]),
            int(r[4]),
            r[5],
            r[6],
            self._tx.py_time(r[7]),
            r[8],
        )

    def with_thresholds(self, skus: Sequence[str]) -> list[StockRow]:
        """Every row of ``skus`` with its low-stock threshold, in one statement."""
        return with_thresholds(self._tx, skus)

    def planning_read(self, skus: Sequence[str]) -> PlanningRead:
        """What a reservation of ``skus`` plans from (see :func:`planning_read`)."""
        return planning_read(self._tx, skus)
