"""Order number sequences in SQL both backends run: one upsert per number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from commercekit.errors import ValidationError
from commercekit.rules import check_identifier

if TYPE_CHECKING:
    from commercekit.ports import SqlTransaction

__all__ = ["SqlOrderNumbers"]


class SqlOrderNumbers:
    """:class:`~commercekit.ports.OrderNumberRepository` over ``ck_order_sequences``.

    ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` moves the counter and reads it in one
    statement: PostgreSQL locks the row until the transaction ends, so a concurrent checkout
    waits for this one's commit or rollback; SQLite's writer already holds the database lock.
    """

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def next(self, sequence: str, *, start: int = 1) -> int:
        """The next number of ``sequence`` (``start`` the first time)."""
        sequence = check_identifier(sequence, name="order number sequence")
        if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start < 2**62:
            raise ValidationError(f"an order number starts at a positive int, got {start!r}")
        row = self._tx.execute(
            "INSERT INTO ck_order_sequences (name, last_number) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET last_number = ck_order_sequences.last_number + 1"
            " RETURNING last_number",
            (sequence, start),
        ).fetchone()
        return int(row[0])

    def current(self, sequence: str) -> int | None:
        """The last number given out, or ``None`` if none was."""
        sequence = check_identifier(sequence, name="order number sequence")
        row = self._tx.execute(
            "SELECT last_number FROM ck_order_sequences WHERE name = ?", (sequence,)
        ).fetchone()
        return None if row is None else int(row[0])
