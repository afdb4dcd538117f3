"""The gift card port: store credit balances and the holds on them, moved by guarded statements.

Rows cross this port as plain named tuples of integer minor units (like :data:`StockRow`), so
the port imports nothing of the payments area; :mod:`commercekit.payments` turns them into its
values. No method reads a balance and writes it back: each change is one ``UPDATE ... WHERE
<guard>`` the database evaluates against the current row, so no interleaving of processes can
take a card's available balance (``balance - held``) below zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol

from commercekit.ports._storage import RepositoryKey

__all__ = ["GIFT_CARDS", "CreditCardRow", "CreditHoldRow", "GiftCardRepository"]


class CreditCardRow(NamedTuple):
    """A gift card or a customer's store credit, as stored (amounts in minor units)."""

    id: str
    currency: str
    balance: int
    held: int
    customer_id: str | None
    hint: str | None


class CreditHoldRow(NamedTuple):
    """A hold on a card for one payment: what was authorized, is still held, taken, given back.

    ``status`` is ``"held"`` (open: it may be captured), ``"captured"`` (closed by a final
    capture or a refund), ``"voided"`` or ``"expired"``.
    """

    id: str
    card_id: str
    payment_id: str
    currency: str
    authorized: int
    held: int
    captured: int
    refunded: int
    status: str
    expires_at: datetime | None


class GiftCardRepository(Protocol):
    """Gift card and store credit balances, and the holds payments put on them."""

    def create(
        self, card_id: str, currency: str, amount: int, *, digest: str, hint: str
    ) -> CreditCardRow | None:
        """A new gift card with ``amount``; ``None`` if a card has the same code digest."""
        ...

    def credit_customer(
        self, card_id: str, customer_id: str, currency: str, amount: int
    ) -> CreditCardRow:
        """Add ``amount`` to the customer's credit in ``currency`` (created as ``card_id``)."""
        ...

    def card(self, card_id: str) -> CreditCardRow | None:
        """The card with this id, or ``None``."""
        ...

    def by_digest(self, digest: str) -> CreditCardRow | None:
        """The gift card whose code has this digest, or ``None``."""
        ...

    def by_customer(self, customer_id: str, currency: str | None = None) -> list[CreditCardRow]:
        """The customer's store credit (in ``currency``, or in every currency)."""
        ...

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
        ...

    def get_hold(self, hold_id: str) -> CreditHoldRow | None:
        """The hold with this id, or ``None``."""
        ...

    def capture(self, hold_id: str, amount: int, *, final: bool) -> CreditHoldRow | None:
        """Debit ``amount`` of an open, unexpired hold; ``final`` releases the rest.

        ``None`` (nothing changed) when the hold is not open, has lapsed with nothing
        captured, or holds less than ``amount``.
        """
        ...

    def release(self, hold_id: str) -> CreditHoldRow | None:
        """Release an open hold with nothing captured (a void); ``None`` if there is none."""
        ...

    def refund(self, hold_id: str, amount: int) -> CreditHoldRow | None:
        """Credit ``amount`` of what was captured back to the card and release any rest held.

        ``None`` (nothing changed) when less than ``amount`` is captured and not refunded.
        """
        ...

    def release_expired(self) -> int:
        """Release every open hold with nothing captured whose time has passed; how many."""
        ...


#: Gift cards and store credit (``tx.repository(GIFT_CARDS)``, shorthand ``tx.gift_cards``).
GIFT_CARDS: RepositoryKey[GiftCardRepository] = RepositoryKey("gift_cards")
