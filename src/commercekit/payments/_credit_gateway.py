"""The store credit gateway: gift cards and store credit spent as a payment method.

:class:`StoreCreditGateway` implements :class:`~commercekit.payments.PaymentGateway`: authorize
holds the amount (a guarded statement that refuses to take ``balance - held`` below zero),
capture turns some or all of the hold into a debit (several partial captures; a final one
releases the rest), void releases the hold, refund credits the card back (partial, several). A
hold lapses after ``hold_for`` (7 days by default) if nothing was captured: ``store.prune()``
releases it. Every call runs in one store transaction and is idempotent on its key (scope
``"store_credit"``): the same key replays the stored result (a decline too); other parameters
under it raise :class:`~commercekit.errors.IdempotencyConflictError`; an error that is not a
decline stores nothing. Store credit sends no webhooks:
:meth:`~StoreCreditGateway.parse_webhook` raises.

The cards, their codes and the code key, and issuing, are in
:mod:`commercekit.payments._credit`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Final

from commercekit.errors import (
    ConfigurationError,
    ConflictError,
    CurrencyMismatchError,
    GatewayError,
    PaymentAmountError,
    PaymentDeclinedError,
    StateTransitionError,
    ValidationError,
)
from commercekit.money import Money, from_minor_units
from commercekit.payments._credit import (
    _SCOPE,
    CUSTOMER_CREDIT,
    GiftCard,
    _card,
    _code_key,
    _digest,
    _normalize,
    _request_hash,
)
from commercekit.payments._tender import _minor
from commercekit.payments._values import (
    AuthorizeRequest,
    GatewayResult,
    GatewayStatus,
    WebhookEvent,
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

__all__ = ["CARD_TOKEN_PREFIX", "PROVIDER", "StoreCreditGateway"]

#: The gateway's provider name, on payments and errors.
PROVIDER: Final = "store_credit"
_DECLINES = {
    "unknown_card": "This gift card code is not valid.",
    "insufficient_funds": "The gift card or store credit does not cover this amount.",
}


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


#: The start of a gift card token (:meth:`StoreCreditGateway.card_token`).
CARD_TOKEN_PREFIX: Final = "gct_"


def _token_tag(key: bytes, digest: str) -> str:
    mac = hmac.new(key, b"commercekit-card-token:" + digest.encode(), hashlib.sha256)
    return _letters(mac.digest()[:20])


def _letters(raw: bytes) -> str:
    # Base32, not hex: no long runs of digits that could read as a card number.
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _hex_of(letters: str) -> str | None:
    try:
        return base64.b32decode(letters + "=" * (-len(letters) % 8)).hex()
    except ValueError:
        return None


class StoreCreditGateway:
    """Gift cards and store credit as a :class:`~commercekit.payments.PaymentGateway`.

    The payment method token is a gift card code, or :data:`CUSTOMER_CREDIT` with the
    request's ``customer_id``. Declines: ``unknown_card`` (no such code, or no credit for the
    customer) and ``insufficient_funds`` (the available balance is short), stored and replayed
    under their key. An amount in another currency than the card's is a
    :class:`~commercekit.errors.CurrencyMismatchError`; an unknown reference a
    :class:`~commercekit.errors.GatewayError` (code ``resource_missing``). The code key (see
    :mod:`commercekit.payments._credit`) is read when a code is first used; store credit alone
    needs none.
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
        elif request.payment_method.startswith(CARD_TOKEN_PREFIX):
            target = self._token_target(request.payment_method)
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

    def card_token(self, code: str) -> str:
        """A token that pays with the gift card ``code`` without holding the code.

        Pass it, not the code, to :meth:`PaymentService.authorize
        <commercekit.payments.PaymentService.authorize>`: the service keeps each payment's
        request in the store (to replay and recover it), and a token keeps the code out of
        it. The token is the card's keyed digest (what the store already holds) with a tag
        under the shop's key, so none can be made from a stolen database. An unknown or
        malformed code gives a token that is declined as ``unknown_card`` when used.

        >>> import secrets
        >>> from commercekit.storage import open_store
        >>> with open_store("memory://") as store:
        ...     gateway = StoreCreditGateway(store, key=secrets.token_bytes(32))
        ...     gateway.card_token("ABCD-EFGH-JKMN-PQRS").startswith(CARD_TOKEN_PREFIX)
        True
        """
        key = _code_key(self._key)
        normalized = _normalize(code) if isinstance(code, str) else None
        digest = _digest(key, normalized) if normalized is not None else "0" * 64
        return f"{CARD_TOKEN_PREFIX}{_letters(bytes.fromhex(digest))}.{_token_tag(key, digest)}"

    def _token_target(self, token: str) -> str | None:
        """The card digest a token stands for, or ``None`` when its tag is not this shop's."""
        letters, _, tag = token[len(CARD_TOKEN_PREFIX) :].partition(".")
        digest = _hex_of(letters)
        key = _code_key(self._key)
        if digest is None or not hmac.compare_digest(tag, _token_tag(key, digest)):
            return None
        return digest

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
