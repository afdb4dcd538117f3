"""Gift card and store credit balances and their holds, in SQL both backends run.

No method here reads a balance and writes it back: each change is one ``UPDATE ... WHERE
<guard> RETURNING`` the database evaluates against the current row (PostgreSQL re-checks the
guard after a competing writer commits; SQLite writers hold the lock from ``BEGIN
IMMEDIATE``), so concurrent processes never take ``balance - held`` below zero, and CHECK
constraints back every guard. Rows are locked in one order on every path, the hold before its
card, so two operations never deadlock.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from commercekit.errors import ConstraintError, ValidationError
from commercekit.ports import CreditCardRow, CreditHoldRow

if TYPE_CHECKING:
    from commercekit.ports import SqlTransaction

__all__ = ["SqlGiftCardRepository"]

_CARD = "id, currency, balance, held, customer_id, code_hint"
_HOLD = (
    "id, card_id, payment_id, currency, authorized, held, captured, refunded, status, expires_at"
)
# A hold may be captured while open, unless it lapsed with nothing taken yet.
_CAPTURABLE = "status = 'held' AND (captured > 0 OR expires_at IS NULL OR expires_at > ?)"


def _positive(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(f"a credit amount is a positive int of minor units, got {amount!r}")
    return amount


def _card(row: Any) -> CreditCardRow:
    return CreditCardRow(str(row[0]), str(row[1]), int(row[2]), int(row[3]), row[4], row[5])


class SqlGiftCardRepository:
    """Gift cards, store credit and holds (see :class:`~commercekit.ports.GiftCardRepository`)."""

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def _hold(self, row: Any) -> CreditHoldRow:
        expires = None if row[9] is None else self._tx.py_time(row[9])
        return CreditHoldRow(
            str(row[0]),
            str(row[1]),
            str(row[2]),
            str(row[3]),
            int(row[4]),
            int(row[5]),
            int(row[6]),
            int(row[7]),
            str(row[8]),
            expires,
        )

    # -- cards ----------------------------------------------------------------------------------

    def create(
        self, card_id: str, currency: str, amount: int, *, digest: str, hint: str
    ) -> CreditCardRow | None:
        """A new gift card with ``amount``; ``None`` if a card has the same code digest."""
        now = self._tx.db_now()
        row = self._tx.execute(
            "INSERT INTO ck_gift_cards (id, code_digest, code_hint, currency, balance, held,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"
            f" ON CONFLICT (code_digest) DO NOTHING RETURNING {_CARD}",
            (card_id, digest, hint, currency, _positive(amount), now, now),
        ).fetchone()
        return None if row is None else _card(row)

    def credit_customer(
        self, card_id: str, customer_id: str, currency: str, amount: int
    ) -> CreditCardRow:
        """Add ``amount`` to the customer's credit in ``currency`` (created as ``card_id``)."""
        now = self._tx.db_now()
        row = self._tx.execute(
            "INSERT INTO ck_gift_cards (id, customer_id, currency, balance, held, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (customer_id, currency)"
            " DO UPDATE SET balance = ck_gift_cards.balance + excluded.balance,"
            f" updated_at = excluded.updated_at RETURNING {_CARD}",
            (card_id, customer_id, currency, _positive(amount), now, now),
        ).fetchone()
        return _card(row)

    def card(self, card_id: str) -> CreditCardRow | None:
        """The card with this id, or ``None``."""
        row = self._tx.execute(
            f"SELECT {_CARD} FROM ck_gift_cards WHERE id = ?", (card_id,)
        ).fetchone()
        return None if row is None else _card(row)

    def by_digest(self, digest: str) -> CreditCardRow | None:
        """The gift card whose code has this digest, or ``None``."""
        row = self._tx.execute(
            f"SELECT {_CARD} FROM ck_gift_cards WHERE code_digest = ?", (digest,)
        ).fetchone()
        return None if row is None else _card(row)

    def by_customer(self, customer_id: str, currency: str | None = None) -> list[CreditCardRow]:
        """The customer's store credit (in ``currency``, or in every currency by code)."""
        sql = f"SELECT {_CARD} FROM ck_gift_cards WHERE customer_id = ?"
        params: list[Any] = [customer_id]
        if currency is not None:
            sql += " AND currency = ?"
            params.append(currency)
        rows = self._tx.execute(sql, params).fetchall()
        return sorted((_card(row) for row in rows), key=lambda card: card.currency)

    def _move_card(self, card_id: str, balance_change: int, release: int) -> None:
        """Add ``balance_change`` to the balance and release ``release`` of what it holds."""
        row = self._tx.execute(
            "UPDATE ck_gift_cards SET balance = balance + ?, held = held - ?, updated_at = ?"
            " WHERE id = ? AND held >= ? AND balance + ? >= held - ? RETURNING id",
            (balance_change, release, self._tx.db_now(), card_id, release, balance_change, release),
        ).fetchone()
        if row is None:
            # The hold row said the card holds this much: only a change made behind the
            # library's back (or a bug) gets here, and the transaction must not commit.
            raise ConstraintError(f"gift card {card_id!r} does not hold what its holds say")

    # -- holds ----------------------------------------------------------------------------------

    def place_hold(
        self,
        hold_id: str,
        card_id: str,
        payment_id: str,
        amount: int,
        *,
        expires_at: datetime | None,
    ) -> CreditHoldRow | None:
        """Hold ``amount`` of the card if its available balance covers it, else ``None``."""
        amount = _positive(amount)
        now = self._tx.db_now()
        card = self._tx.execute(
            "UPDATE ck_gift_cards SET held = held + ?, updated_at = ?"
            " WHERE id = ? AND balance - held >= ? RETURNING currency",
            (amount, now, card_id, amount),
        ).fetchone()
        if card is None:
            return None
        expires = None if expires_at is None else self._tx.db_time(expires_at)
        row = self._tx.execute(
            "INSERT INTO ck_credit_holds (id, card_id, payment_id, currency, authorized, held,"
            " status, expires_at, created_at, updated_at)"
            f" VALUES (?, ?, ?, ?, ?, ?, 'held', ?, ?, ?) RETURNING {_HOLD}",
            (hold_id, card_id, payment_id, card[0], amount, amount, expires, now, now),
        ).fetchone()
        return self._hold(row)

    def get_hold(self, hold_id: str) -> CreditHoldRow | None:
        """The hold with this id, or ``None``."""
        row = self._tx.execute(
            f"SELECT {_HOLD} FROM ck_credit_holds WHERE id = ?", (hold_id,)
        ).fetchone()
        return None if row is None else self._hold(row)

    def _close(self, hold_id: str) -> CreditHoldRow:
        # The row is ours (the statement before this one locked it): no guard is needed.
        row = self._tx.execute(
            "UPDATE ck_credit_holds SET held = 0, status = 'captured', updated_at = ?"
            f" WHERE id = ? RETURNING {_HOLD}",
            (self._tx.db_now(), hold_id),
        ).fetchone()
        return self._hold(row)

    def capture(self, hold_id: str, amount: int, *, final: bool) -> CreditHoldRow | None:
        """Debit ``amount`` of an open, unexpired hold; ``final`` releases the rest.

        ``None`` (nothing changed) when the hold is not open, has lapsed with nothing
        captured, or holds less than ``amount``.
        """
        amount = _positive(amount)
        now = self._tx.db_now()
        row = self._tx.execute(
            "UPDATE ck_credit_holds SET held = held - ?, captured = captured + ?, updated_at = ?"
            f" WHERE id = ? AND held >= ? AND {_CAPTURABLE} RETURNING {_HOLD}",
            (amount, amount, now, hold_id, amount, now),
        ).fetchone()
        if row is None:
            return None
        hold = self._hold(row)
        rest = hold.held
        if final or rest == 0:
            hold = self._close(hold_id)
        self._move_card(hold.card_id, -amount, amount + (rest if final else 0))
        return hold

    def release(self, hold_id: str) -> CreditHoldRow | None:
        """Release an open hold with nothing captured (a void); ``None`` if there is none."""
        row = self._tx.execute(
            "UPDATE ck_credit_holds SET held = 0, status = 'voided', updated_at = ?"
            f" WHERE id = ? AND status = 'held' AND captured = 0 RETURNING {_HOLD}",
            (self._tx.db_now(), hold_id),
        ).fetchone()
        if row is None:
            return None
        hold = self._hold(row)
        # Nothing was captured, so the whole authorization was still held.
        self._move_card(hold.card_id, 0, hold.authorized)
        return hold

    def refund(self, hold_id: str, amount: int) -> CreditHoldRow | None:
        """Credit ``amount`` of what was captured back to the card and release any rest held.

        ``None`` (nothing changed) when less than ``amount`` is captured and not refunded.
        """
        amount = _positive(amount)
        row = self._tx.execute(
            "UPDATE ck_credit_holds SET refunded = refunded + ?, updated_at = ?"
            " WHERE id = ? AND status IN ('held', 'captured') AND captured - refunded >= ?"
            f" RETURNING {_HOLD}",
            (amount, self._tx.db_now(), hold_id, amount),
        ).fetchone()
        if row is None:
            return None
        hold = self._hold(row)
        rest = hold.held
        if hold.status == "held":
            # A refund ends the capturing (as the payment's state machine says).
            hold = self._close(hold_id)
        self._move_card(hold.card_id, amount, rest)
        return hold

    def release_expired(self) -> int:
        """Release every open hold with nothing captured whose time has passed; how many."""
        now = self._tx.db_now()
        lapsed = "status = 'held' AND captured = 0 AND expires_at <= ?"
        ids = self._tx.execute(
            f"SELECT id FROM ck_credit_holds WHERE {lapsed} ORDER BY id", (now,)
        ).fetchall()
        released = 0
        for (hold_id,) in ids:
            # One hold at a time, by id, each guarded again: a capture or void racing the sweep
            # wins or loses cleanly, and two sweeps never lock the same rows in two orders.
            row = self._tx.execute(
                "UPDATE ck_credit_holds SET held = 0, status = 'expired', updated_at = ?"
                f" WHERE id = ? AND {lapsed} RETURNING card_id, authorized",
                (now, hold_id, now),
            ).fetchone()
            if row is not None:
                self._move_card(str(row[0]), 0, int(row[1]))
                released += 1
        return released
