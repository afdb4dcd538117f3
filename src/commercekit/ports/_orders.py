"""The orders area's repository port: order numbers, unique and gap-free per store."""

from __future__ import annotations

from typing import Protocol

from commercekit.ports._storage import RepositoryKey

__all__ = ["ORDER_NUMBERS", "OrderNumberRepository"]


class OrderNumberRepository(Protocol):
    """Numbered sequences that advance only with the transaction that uses the number.

    :meth:`next` runs inside the transaction that stores the order: if that transaction rolls
    back, so does the number, so the numbers of stored orders have no gaps. Concurrent
    transactions take turns on the sequence's row (PostgreSQL's row lock, SQLite's write
    lock), so no two get the same number.
    """

    def next(self, sequence: str, *, start: int = 1) -> int:
        """The next number of ``sequence`` (``start`` the first time)."""
        ...

    def current(self, sequence: str) -> int | None:
        """The last number given out, or ``None`` if none was."""
        ...


#: Order numbers (``tx.repository(ORDER_NUMBERS)``, shorthand ``tx.order_numbers``).
ORDER_NUMBERS: RepositoryKey[OrderNumberRepository] = RepositoryKey("order_numbers")
