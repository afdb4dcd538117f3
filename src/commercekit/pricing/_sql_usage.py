"""Promotion usage counters, moved by guarded upserts: a limit of N is never passed.

No method here reads a value and writes it back: each change is one upsert whose guard the
database evaluates against the current row, so concurrent processes can never push a counter
past its limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from commercekit.errors import ValidationError
from commercekit.pricing._usage import UsageCount
from commercekit.rules import check_count, check_identifier

if TYPE_CHECKING:
    from commercekit.ports import SqlTransaction

__all__ = ["SqlPromotionUsageRepository"]


_ALL = ""  # customer_key of the promotion-wide counter


class SqlPromotionUsageRepository:
    """How often each promotion was used, with a consume that never passes its limits."""

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def count(self, promotion_id: str, customer_id: str | None = None) -> UsageCount:
        """Uses of ``promotion_id`` in all and by ``customer_id`` (0 for a guest)."""
        total = self._read(promotion_id, _ALL)
        mine = self._read(promotion_id, customer_id) if customer_id else 0
        return UsageCount(promotion_id, total, mine)

    def _read(self, promotion_id: str, customer_key: str) -> int:
        row = self._tx.execute(
            "SELECT used FROM ck_promotion_usage WHERE promotion_id = ? AND customer_key = ?",
            (promotion_id, customer_key),
        ).fetchone()
        return 0 if row is None else int(row[0])

    def _bump(self, promotion_id: str, customer_key: str, n: int, limit: int | None) -> bool:
        if limit is not None and n > limit:
            return False
        sql = (
            "INSERT INTO ck_promotion_usage (promotion_id, customer_key, used) VALUES (?, ?, ?)"
            " ON CONFLICT (promotion_id, customer_key)"
            " DO UPDATE SET used = ck_promotion_usage.used + excluded.used"
        )
        params: list[Any] = [promotion_id, customer_key, n]
        if limit is not None:
            sql += " WHERE ck_promotion_usage.used + excluded.used <= ?"
            params.append(limit)
        return self._tx.execute(sql + " RETURNING used", params).fetchone() is not None

    def consume(
        self,
        promotion_id: str,
        *,
        customer_id: str | None = None,
        limit: int | None = None,
        per_customer_limit: int | None = None,
        quantity: int = 1,
    ) -> bool:
        """Count ``quantity`` uses if that keeps within both limits; ``False`` changes nothing.

        Atomic across processes: each counter moves by one guarded upsert, so N concurrent
        consumers of a promotion limited to N uses succeed exactly N times.
        """
        promotion_id = check_identifier(promotion_id, name="promotion_id")
        check_count(quantity)
        for bound in (limit, per_customer_limit):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int) or bound < 0
            ):
                raise ValidationError(f"a usage limit is an int >= 0 or None, got {bound!r}")
        if customer_id is not None:
            customer_id = check_identifier(customer_id, name="customer_id")
            if not self._bump(promotion_id, customer_id, quantity, per_customer_limit):
                return False
        if not self._bump(promotion_id, _ALL, quantity, limit):
            if customer_id is not None:
                self._drop(promotion_id, customer_id, quantity)
            return False
        return True

    def _drop(self, promotion_id: str, customer_key: str, n: int) -> None:
        self._tx.execute(
            "UPDATE ck_promotion_usage SET used = used - ?"
            " WHERE promotion_id = ? AND customer_key = ? AND used >= ?",
            (n, promotion_id, customer_key, n),
        )

    def release(
        self, promotion_id: str, *, customer_id: str | None = None, quantity: int = 1
    ) -> None:
        """Give back uses counted by :meth:`consume` (an order cancelled before it completed)."""
        check_count(quantity)
        self._drop(promotion_id, _ALL, quantity)
        if customer_id is not None:
            self._drop(promotion_id, customer_id, quantity)
