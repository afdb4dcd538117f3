"""Store credit and gift cards: a built-in payment method whose balances live in the store.

**Cards.** A gift card has a code, one currency, a balance and the amounts held on it by
authorized payments; it can still pay ``balance - held`` (:attr:`GiftCard.available`).
:func:`issue_gift_card` makes one and returns its code, once. A customer's store credit is the
same record keyed by ``(customer_id, currency)`` instead of a code: :func:`issue_store_credit`
creates it or adds to it, and the customer pays with the token :data:`CUSTOMER_CREDIT`, the
customer being the request's ``customer_id`` (which the host takes from its signed-in session,
never from the client).

**Codes.** :data:`CODE_LENGTH` characters drawn with :mod:`secrets` from Crockford's base32
alphabet (:data:`CODE_ALPHABET`: digits and capitals without I, L, O, U), 80 random bits, shown
in groups of four (``K7QP-3MZD-9XRT-B2WC``). Entry is forgiving: case, spaces and dashes are
ignored, and I and L read as 1, O as 0. A code is stored only as its HMAC-SHA256 under the
shop's code key (``key=``, else the :data:`KEY_ENV` environment variable; 32 bytes or more),
beside its last four characters for display. Keyed, not salted: a per-card salt would make a
code impossible to find by its hash (every card would have to be hashed to find one), and the
slow hashes made for passwords answer low-entropy secrets, not 80 random bits. The key, kept
outside the database, makes a stolen database or backup useless for spending cards, even
shorter codes imported from a card printer. A new key makes every existing code unknown.

**Spending them.** :class:`~commercekit.payments.StoreCreditGateway`, the payment gateway that
holds, captures, voids and refunds on these cards, is in
:mod:`commercekit.payments._credit_gateway`; split tender (:func:`plan_split_tender`,
:func:`plan_split_refund`), in :mod:`commercekit.payments._tender`. Their names are importable
from here too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from typing import Final

import attrs

from commercekit.errors import ConfigurationError, ConflictError, ValidationError
from commercekit.money import Currency, Money, from_minor_units
from commercekit.payments._tender import (
    RefundOrder,
    Tender,
    TenderShare,
    _minor,
    plan_split_refund,
    plan_split_tender,
)
from commercekit.payments._values import looks_like_card_number
from commercekit.ports import GIFT_CARDS, IDEMPOTENCY, CreditCardRow, StorePort
from commercekit.rules import check_identifier

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CUSTOMER_CREDIT",
    "KEY_ENV",
    "GiftCard",
    "issue_gift_card",
    "issue_store_credit",
    # moved to _credit_gateway and _tender, importable from here as before
    "PROVIDER",
    "RefundOrder",
    "StoreCreditGateway",
    "Tender",
    "TenderShare",
    "plan_split_refund",
    "plan_split_tender",
]

#: Crockford's base32: no I, L, O or U, so a code read aloud or typed is not mistaken.
CODE_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Characters in a generated code: 16 x 5 = 80 random bits.
CODE_LENGTH: Final = 16
#: The environment variable holding the code key when none is passed.
KEY_ENV: Final = "COMMERCEKIT_GIFT_CARD_KEY"
#: The payment method token of a customer's own store credit (``customer_id`` says whose).
CUSTOMER_CREDIT: Final = "customer_credit"

_SCOPE = "store_credit"
_MIN_CODE, _MAX_CODE, _MIN_KEY = 12, 64, 32
_FOLD = str.maketrans({"I": "1", "L": "1", "O": "0", " ": None, "-": None})


def _normalize(code: str) -> str | None:
    """The code as hashed (upper case, no separators, I/L -> 1, O -> 0), or ``None``."""
    folded = code.upper().translate(_FOLD)
    valid = _MIN_CODE <= len(folded) <= _MAX_CODE and folded.isascii() and folded.isalnum()
    return folded if valid else None


def _grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _new_code() -> str:
    while True:
        code = _grouped("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
        # A code of digits alone may pass for a card number, which payment tokens refuse.
        if not looks_like_card_number(code):
            return code


def _code_key(key: bytes | str | None) -> bytes:
    value = os.environ.get(KEY_ENV) if key is None else key
    if value is None:
        raise ConfigurationError(
            f"gift card codes need the shop's code key: pass key= or set {KEY_ENV}"
        )
    raw = value.encode() if isinstance(value, str) else value
    if not isinstance(raw, bytes) or len(raw) < _MIN_KEY:
        raise ConfigurationError(f"the gift card code key must be {_MIN_KEY} bytes or more")
    return raw


def _digest(key: bytes, normalized: str) -> str:
    return hmac.new(
        key, b"commercekit-gift-card:" + normalized.encode(), hashlib.sha256
    ).hexdigest()


@attrs.frozen
class GiftCard:
    """A gift card or a customer's store credit as it stands now (its code is never kept)."""

    #: commercekit's id of the card (``gc_...``), safe to show and log.
    id: str
    #: What is on the card.
    balance: Money
    #: What authorized payments hold on it.
    held: Money
    #: The customer whose store credit it is, or ``None`` for a gift card.
    customer_id: str | None = None
    #: The last four characters of a gift card's code, for display (``None`` for credit).
    hint: str | None = None

    @property
    def currency(self) -> Currency:
        """The card's one currency."""
        return self.balance.currency

    @property
    def available(self) -> Money:
        """What it can still pay: balance less what is held."""
        return self.balance - self.held


def _card(row: CreditCardRow) -> GiftCard:
    return GiftCard(
        row.id,
        from_minor_units(row.balance, row.currency),
        from_minor_units(row.held, row.currency),
        row.customer_id,
        row.hint,
    )


def issue_gift_card(
    store: StorePort, amount: Money, *, code: str | None = None, key: bytes | str | None = None
) -> tuple[str, GiftCard]:
    """A new gift card worth ``amount``: its code (shown once, never stored) and the card.

    ``code`` imports a code made elsewhere (a card printer's): 12 to 64 letters and digits
    once separators are dropped, not a card number; by default one is drawn (see the module).
    Not idempotent, since the code cannot be shown again: issue it inside the transaction
    that records the sale, so that both happen or neither. A code already issued is a
    :class:`~commercekit.errors.ConflictError`.
    """
    minor = _minor(amount, "issue")
    if code is None:
        code = _new_code()
    elif not isinstance(code, str) or _normalize(code) is None:
        raise ValidationError(f"a gift card code is {_MIN_CODE} to {_MAX_CODE} letters and digits")
    normalized = _normalize(code)
    assert normalized is not None  # drawn from the alphabet, or checked above
    if looks_like_card_number(code) or looks_like_card_number(normalized):
        raise ValidationError("a gift card code must not look like a card number")
    digest = _digest(_code_key(key), normalized)
    with store.transaction() as tx:
        row = tx.repository(GIFT_CARDS).create(
            f"gc_{secrets.token_hex(10)}",
            amount.currency.code,
            minor,
            digest=digest,
            hint=normalized[-4:],
        )
    if row is None:
        raise ConflictError("a gift card with this code was already issued")
    return code, _card(row)


def issue_store_credit(
    store: StorePort, customer_id: str, amount: Money, *, idempotency_key: str | None = None
) -> GiftCard:
    """Add ``amount`` to the customer's store credit in its currency (created if none); the card.

    With ``idempotency_key`` (a refund given as credit, say), a retry under the same key adds
    nothing again and returns the card as it is now; another customer or amount under the key
    is an :class:`~commercekit.errors.IdempotencyConflictError`.
    """
    customer_id = check_identifier(customer_id, name="customer_id")
    minor = _minor(amount, "credit")
    currency = amount.currency.code
    with store.transaction() as tx:
        cards = tx.repository(GIFT_CARDS)
        if idempotency_key is not None:
            key = check_identifier(idempotency_key, name="idempotency key")
            asked = _request_hash({"customer": customer_id, "currency": currency, "minor": minor})
            record = tx.repository(IDEMPOTENCY).begin(f"{_SCOPE}.issue", key, asked)
            if not record.is_new:
                found = cards.by_customer(customer_id, currency)
                return _card(found[0])
        row = cards.credit_customer(f"gc_{secrets.token_hex(10)}", customer_id, currency, minor)
        if idempotency_key is not None:
            tx.repository(IDEMPOTENCY).complete(f"{_SCOPE}.issue", key, row.id)
        return _card(row)


def _request_hash(request: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


# Last: the gateway imports this module's codes and values, so it can be imported only once
# they are defined.
from commercekit.payments._credit_gateway import PROVIDER, StoreCreditGateway  # noqa: E402
