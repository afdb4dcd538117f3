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

**The gateway.** :class:`StoreCreditGateway` implements
:class:`~commercekit.payments.PaymentGateway`: authorize holds the amount (a guarded statement
that refuses to take ``balance - held`` below zero), capture turns some or all of the hold into
a debit (several partial captures; a final one releases the rest), void releases the hold,
refund credits the card back (partial, several). A hold lapses after ``hold_for`` (7 days by
default) if nothing was captured: ``store.prune()`` releases it. Every call runs in one store
transaction and is idempotent on its key (scope ``"store_credit"``): the same key replays the
stored result (a decline too); other parameters under it raise
:class:`~commercekit.errors.IdempotencyConflictError`; an error that is not a decline stores
nothing. Store credit sends no webhooks: :meth:`~StoreCreditGateway.parse_webhook` raises.

**Split tender.** :func:`plan_split_tender` splits an order's total over the methods offered,
in the shop's order (gift cards first, then a card, say); :func:`plan_split_refund` splits a
refund over what each method paid, outside methods first and store credit last by default
(:class:`RefundOrder` says why and what else). Both are pure: each share is then one payment.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

import attrs

from commercekit.errors import (
    ConfigurationError,
    ConflictError,
    CurrencyMismatchError,
    GatewayError,
    InvalidAmountError,
    PaymentAmountError,
    PaymentDeclinedError,
    StateTransitionError,
    ValidationError,
)
from commercekit.money import (
    Currency,
    Money,
    from_minor_units,
    is_minor_unit_exact,
    to_minor_units,
)
from commercekit.payments._values import (
    AuthorizeRequest,
    GatewayResult,
    GatewayStatus,
    WebhookEvent,
    looks_like_card_number,
)
from commercekit.ports import (
    GIFT_CARDS,
    IDEMPOTENCY,
    CreditCardRow,
    CreditHoldRow,
    StorePort,
    TransactionPort,
)
from commercekit.ports import GiftCardRepository as Cards
from commercekit.rules import check_identifier

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CUSTOMER_CREDIT",
    "KEY_ENV",
    "PROVIDER",
    "GiftCard",
    "RefundOrder",
    "StoreCreditGateway",
    "Tender",
    "TenderShare",
    "issue_gift_card",
    "issue_store_credit",
    "plan_split_refund",
    "plan_split_tender",
]

#: The gateway's provider name, on payments and errors.
PROVIDER: Final = "store_credit"
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
_DECLINES = {
    "unknown_card": "This gift card code is not valid.",
    "insufficient_funds": "The gift card or store credit does not cover this amount.",
}


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


def _minor(amount: object, what: str) -> int:
    if not isinstance(amount, Money):
        raise InvalidAmountError(f"{what} must be Money, got {type(amount).__name__}")
    if amount.amount <= 0 or not is_minor_unit_exact(amount):
        raise PaymentAmountError(f"cannot {what} {amount}: positive whole minor units only")
    return to_minor_units(amount)


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


def _dump(outcome: GatewayResult | PaymentDeclinedError) -> str:
    if isinstance(outcome, PaymentDeclinedError):
        return json.dumps({"declined": outcome.code})
    until = outcome.authorized_until
    return json.dumps(
        {
            "status": outcome.status.value,
            "reference": outcome.reference,
            "amount": str(outcome.amount.amount),
            "currency": outcome.amount.currency.code,
            "operation_reference": outcome.operation_reference,
            "authorized_until": None if until is None else until.isoformat(),
        }
    )


def _decline(code: str) -> PaymentDeclinedError:
    return PaymentDeclinedError(_DECLINES[code], provider=PROVIDER, code=code)


def _load(text: str) -> GatewayResult | PaymentDeclinedError:
    data = json.loads(text)
    if "declined" in data:
        return _decline(data["declined"])
    until = data["authorized_until"]
    return GatewayResult(
        data["status"],
        data["reference"],
        Money(data["amount"], data["currency"]),
        operation_reference=data["operation_reference"],
        authorized_until=None if until is None else datetime.fromisoformat(until),
    )


_Work = Callable[[TransactionPort, Cards], "GatewayResult | PaymentDeclinedError"]


class StoreCreditGateway:
    """Gift cards and store credit as a :class:`~commercekit.payments.PaymentGateway`.

    The payment method token is a gift card code, or :data:`CUSTOMER_CREDIT` with the
    request's ``customer_id``. Declines: ``unknown_card`` (no such code, or no credit for the
    customer) and ``insufficient_funds`` (the available balance is short), stored and replayed
    under their key. An amount in another currency than the card's is a
    :class:`~commercekit.errors.CurrencyMismatchError`; an unknown reference a
    :class:`~commercekit.errors.GatewayError` (code ``resource_missing``). The code key (see
    the module) is read when a code is first used; store credit alone needs none.
    """

    __slots__ = ("_hold_for", "_key", "_store")

    #: The provider name recorded on payments.
    provider: str = PROVIDER

    def __init__(
        self,
        store: StorePort,
        *,
        key: bytes | str | None = None,
        hold_for: timedelta | None = timedelta(days=7),
    ) -> None:
        if hold_for is not None and (
            not isinstance(hold_for, timedelta) or hold_for <= timedelta(0)
        ):
            raise ConfigurationError(f"hold_for is a positive timedelta or None, got {hold_for!r}")
        self._store = store
        self._key = key
        self._hold_for = hold_for

    def __repr__(self) -> str:
        return f"<StoreCreditGateway {self._store!r}>"

    # -- reading ---------------------------------------------------------------------------------

    def gift_card(self, code: str) -> GiftCard | None:
        """The gift card with this code as it stands, or ``None`` (a balance check)."""
        normalized = _normalize(code) if isinstance(code, str) else None
        if normalized is None:
            return None
        digest = _digest(_code_key(self._key), normalized)
        with self._store.transaction(readonly=True) as tx:
            row = tx.repository(GIFT_CARDS).by_digest(digest)
        return None if row is None else _card(row)

    def customer_credit(self, customer_id: str) -> tuple[GiftCard, ...]:
        """The customer's store credit in each currency it has some (by currency code)."""
        customer_id = check_identifier(customer_id, name="customer_id")
        with self._store.transaction(readonly=True) as tx:
            return tuple(_card(row) for row in tx.repository(GIFT_CARDS).by_customer(customer_id))

    # -- the port --------------------------------------------------------------------------------

    def _run(self, idempotency_key: str, request: dict[str, object], work: _Work) -> GatewayResult:
        key = check_identifier(idempotency_key, name="idempotency key")
        with self._store.transaction() as tx:
            records = tx.repository(IDEMPOTENCY)
            record = records.begin(_SCOPE, key, _request_hash(request))
            if record.is_new:
                outcome = work(tx, tx.repository(GIFT_CARDS))
                records.complete(_SCOPE, key, _dump(outcome))
            elif record.response is None:
                raise ConflictError(f"idempotency key {key!r} is in use by an unfinished call")
            else:
                outcome = _load(record.response)
        # Raised once the transaction committed, so that the decline is stored for replays.
        if isinstance(outcome, PaymentDeclinedError):
            raise outcome
        return outcome

    def _card_for(self, cards: Cards, request: AuthorizeRequest, target: str) -> CreditCardRow:
        currency = request.amount.currency.code
        if request.payment_method == CUSTOMER_CREDIT:
            rows = cards.by_customer(target)
            mine = [row for row in rows if row.currency == currency]
            if rows and not mine:
                raise CurrencyMismatchError(
                    rows[0].currency, currency, message=f"the customer has no credit in {currency}"
                )
            row = mine[0] if mine else None
        else:
            row = cards.by_digest(target)
        if row is None:
            raise _decline("unknown_card")
        if row.currency != currency:
            raise CurrencyMismatchError(
                row.currency,
                currency,
                message=f"the gift card is in {row.currency}, not {currency}",
            )
        return row

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        """Hold ``request.amount`` on the card or the customer's credit (``AUTHORIZED``)."""
        if not isinstance(request, AuthorizeRequest):
            # The type only: the value may be a code, which no message repeats.
            raise ValidationError(f"authorize takes an AuthorizeRequest, not {type(request)}")
        if request.payment_method == CUSTOMER_CREDIT:
            if request.customer_id is None:
                raise ValidationError("paying with store credit needs the request's customer_id")
            target: str | None = request.customer_id
        else:
            normalized = _normalize(request.payment_method)
            target = None if normalized is None else _digest(_code_key(self._key), normalized)
        minor = _minor(request.amount, "authorize")

        def work(tx: TransactionPort, cards: Cards) -> GatewayResult | PaymentDeclinedError:
            try:
                if target is None:
                    raise _decline("unknown_card")
                row = self._card_for(cards, request, target)
            except PaymentDeclinedError as declined:
                return declined
            until = None if self._hold_for is None else tx.now() + self._hold_for
            hold_id = f"sch_{secrets.token_hex(12)}"
            hold = cards.place_hold(hold_id, row.id, request.payment_id, minor, expires_at=until)
            if hold is None:
                return _decline("insufficient_funds")
            return GatewayResult(
                GatewayStatus.AUTHORIZED, hold_id, request.amount, authorized_until=until
            )

        asked = {"op": "authorize", "payment": request.payment_id, "card": target, "minor": minor}
        return self._run(idempotency_key, {**asked, "currency": request.amount.currency.code}, work)

    def confirm(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        """The hold as it stands (store credit never asks the customer to act)."""
        check_identifier(idempotency_key, name="idempotency key")
        with self._store.transaction(readonly=True) as tx:
            hold = _hold(tx.repository(GIFT_CARDS), reference)
        status = {"held": GatewayStatus.AUTHORIZED, "captured": GatewayStatus.CAPTURED}
        minor = hold.captured if hold.status == "captured" else hold.authorized
        return GatewayResult(
            status.get(hold.status, GatewayStatus.VOIDED),
            hold.id,
            from_minor_units(minor, hold.currency),
            authorized_until=hold.expires_at,
        )

    def capture(
        self, reference: str, amount: Money, *, final: bool, idempotency_key: str
    ) -> GatewayResult:
        """Debit ``amount`` of the hold; ``final`` releases what is left of it."""
        minor = _minor(amount, "capture")
        if not isinstance(final, bool):
            raise ValidationError(f"final is a bool, got {final!r}")

        def work(tx: TransactionPort, cards: Cards) -> GatewayResult:
            _same_currency(_hold(cards, reference), amount)
            if cards.capture(reference, minor, final=final) is None:
                hold = _hold(cards, reference)
                lapsed = hold.expires_at is not None and hold.expires_at <= tx.now()
                if hold.status != "held" or (lapsed and not hold.captured):
                    raise StateTransitionError(
                        f"hold {reference!r} is {'expired' if lapsed else hold.status}:"
                        " it cannot be captured"
                    )
                raise PaymentAmountError(
                    f"cannot capture {amount}: hold {reference!r} holds"
                    f" {from_minor_units(hold.held, hold.currency)}"
                )
            return GatewayResult(GatewayStatus.CAPTURED, reference, amount)

        asked = {"op": "capture", "ref": reference, "minor": minor, "final": final}
        return self._run(idempotency_key, {**asked, "currency": amount.currency.code}, work)

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        """Release the hold (nothing captured); a lapsed hold is already released."""

        def work(tx: TransactionPort, cards: Cards) -> GatewayResult:
            hold = _hold(cards, reference)
            if hold.status != "expired" and cards.release(reference) is None:
                hold = _hold(cards, reference)
                raise StateTransitionError(
                    f"hold {reference!r} is {hold.status} with {hold.captured} minor units"
                    " captured: only an open hold with nothing captured can be voided (a final"
                    " capture releases the rest)"
                )
            released = from_minor_units(hold.authorized, hold.currency)
            return GatewayResult(GatewayStatus.VOIDED, reference, released)

        return self._run(idempotency_key, {"op": "void", "ref": reference}, work)

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayResult:
        """Credit ``amount`` of what was captured back to the card."""
        minor = _minor(amount, "refund")

        def work(tx: TransactionPort, cards: Cards) -> GatewayResult:
            _same_currency(_hold(cards, reference), amount)
            if cards.refund(reference, minor) is None:
                hold = _hold(cards, reference)
                left = from_minor_units(hold.captured - hold.refunded, hold.currency)
                raise PaymentAmountError(
                    f"cannot refund {amount}: hold {reference!r} has {left} captured and not"
                    " refunded"
                )
            return GatewayResult(
                GatewayStatus.REFUNDED,
                reference,
                amount,
                operation_reference=f"scr_{secrets.token_hex(12)}",
            )

        asked = {"op": "refund", "ref": reference, "minor": minor}
        return self._run(idempotency_key, {**asked, "currency": amount.currency.code}, work)

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Store credit sends no webhooks: every call is answered in full, so this raises."""
        raise GatewayError(
            "store credit sends no webhooks: its calls answer in full, so there is nothing to"
            " receive",
            provider=PROVIDER,
            code="no_webhooks",
            retryable=False,
        )


def _hold(cards: Cards, reference: str) -> CreditHoldRow:
    reference = check_identifier(reference, name="reference")
    hold = cards.get_hold(reference)
    if hold is None:
        raise GatewayError(
            f"store credit has no hold {reference!r}",
            provider=PROVIDER,
            code="resource_missing",
            retryable=False,
        )
    return hold


def _same_currency(hold: CreditHoldRow, amount: Money) -> None:
    if amount.currency.code != hold.currency:
        raise CurrencyMismatchError(
            hold.currency,
            amount.currency.code,
            message=f"hold {hold.id!r} is in {hold.currency}, not {amount.currency.code}",
        )


# -- split tender ---------------------------------------------------------------------------------


class RefundOrder(enum.StrEnum):
    """Which methods of a split tender get money back first (see :func:`plan_split_refund`)."""

    #: Cards and other outside methods first, store credit and gift cards last (the default).
    CREDIT_LAST = "credit_last"
    #: Store credit and gift cards first: the shop keeps the money, as credit.
    CREDIT_FIRST = "credit_first"
    #: The method paid last gets money back first.
    REVERSE = "reverse"


def _limit(_instance: object, attribute: attrs.Attribute[Money], value: Money | None) -> None:
    if value is None and attribute.name == "limit":
        return
    if not isinstance(value, Money) or value.amount < 0 or not is_minor_unit_exact(value):
        raise PaymentAmountError(
            f"a tender's {attribute.name} is Money of 0 or more in whole minor units, got {value!r}"
        )


def _tender_name(value: object) -> str:
    return check_identifier(value, name="tender name")


@attrs.frozen
class Tender:
    """One method offered to pay an order, with the most it can take (``None``: any amount)."""

    #: A label naming the method in the plan (``"gift:B2WC"``, ``"card"``); unique in a plan.
    name: str = attrs.field(converter=_tender_name)
    #: The most it can take (a gift card's available balance), or ``None`` for no limit.
    limit: Money | None = attrs.field(default=None, validator=_limit)
    #: Whether it is store credit or a gift card (refunds order methods by it).
    credit: bool = False


@attrs.frozen
class TenderShare:
    """The amount one method pays (or gets back) in a split tender."""

    #: The tender's name.
    name: str = attrs.field(converter=_tender_name)
    #: Its part, in the order's currency.
    amount: Money = attrs.field(validator=_limit)
    #: Whether it is store credit or a gift card.
    credit: bool = False


def plan_split_tender(total: Money, tenders: Sequence[Tender]) -> tuple[TenderShare, ...]:
    """How much each method pays of ``total``, taking them in the shop's order.

    Each tender takes what it can of what is left (its limit, or all of it); tenders left
    with nothing to pay are not in the plan. Methods that together cannot cover ``total`` are
    a :class:`~commercekit.errors.PaymentAmountError` naming the shortfall.

    >>> from commercekit.money import Money
    >>> plan = plan_split_tender(
    ...     Money("50.00", "EUR"),
    ...     [Tender("gift", Money("20.00", "EUR"), credit=True), Tender("card")],
    ... )
    >>> [(share.name, str(share.amount)) for share in plan]
    [('gift', '20.00 EUR'), ('card', '30.00 EUR')]
    """
    wanted = left = _minor(total, "pay")
    names = [tender.name for tender in tenders]
    if len(set(names)) != len(names):
        raise ValidationError(f"tender names must be unique in a plan, got {names}")
    shares: list[TenderShare] = []
    for tender in tenders:
        if tender.limit is not None and tender.limit.currency is not total.currency:
            raise CurrencyMismatchError(tender.limit.currency.code, total.currency.code)
        cap = left if tender.limit is None else min(left, to_minor_units(tender.limit))
        if cap > 0:
            shares.append(
                TenderShare(tender.name, from_minor_units(cap, total.currency), tender.credit)
            )
            left -= cap
    if left:
        raise PaymentAmountError(
            f"the methods offered cover {from_minor_units(wanted - left, total.currency)} of"
            f" {total}: {from_minor_units(left, total.currency)} is missing"
        )
    return tuple(shares)


def plan_split_refund(
    amount: Money, paid: Sequence[TenderShare], *, order: RefundOrder = RefundOrder.CREDIT_LAST
) -> tuple[TenderShare, ...]:
    """How ``amount`` goes back over the methods of a split tender.

    ``paid`` lists what each method can still give back, in the order they paid. By default
    (:attr:`RefundOrder.CREDIT_LAST`) cards and other outside methods are refunded first and
    store credit last: the customer's own money goes back where it came from before anything
    becomes credit only this shop accepts, as customers expect and as rules on refunding by
    the original means of payment ask. More than ``paid`` holds is a
    :class:`~commercekit.errors.PaymentAmountError`.

    >>> from commercekit.money import Money
    >>> paid = [
    ...     TenderShare("gift", Money("20.00", "EUR"), credit=True),
    ...     TenderShare("card", Money("30.00", "EUR")),
    ... ]
    >>> [(s.name, str(s.amount)) for s in plan_split_refund(Money("35.00", "EUR"), paid)]
    [('card', '30.00 EUR'), ('gift', '5.00 EUR')]
    """
    wanted = left = _minor(amount, "refund")
    if order not in tuple(RefundOrder):
        raise ValidationError(f"order is a RefundOrder ({', '.join(RefundOrder)}), got {order!r}")
    order = RefundOrder(order)
    ranked = list(reversed(paid)) if order is RefundOrder.REVERSE else list(paid)
    if order is not RefundOrder.REVERSE:
        # Stable: within each group, the order paid.
        credit_last = order is RefundOrder.CREDIT_LAST
        ranked.sort(key=lambda share: share.credit == credit_last)
    shares: list[TenderShare] = []
    for share in ranked:
        if share.amount.currency is not amount.currency:
            raise CurrencyMismatchError(share.amount.currency.code, amount.currency.code)
        back = min(left, to_minor_units(share.amount))
        if back > 0:
            money = from_minor_units(back, amount.currency)
            shares.append(TenderShare(share.name, money, share.credit))
            left -= back
    if left:
        raise PaymentAmountError(
            f"cannot refund {amount}: the methods paid can give back only"
            f" {from_minor_units(wanted - left, amount.currency)}"
        )
    return tuple(shares)
