"""The fake payment gateway: a test double that behaves like a real provider, with test tokens.

The payment method decides what happens (see :class:`FakeGateway`); amounts, states,
idempotency and webhooks follow Stripe's documented behaviour, so code that passes its tests
against the fake meets no surprise from a real provider's rules. The records of its intents
and their rules are in :mod:`~commercekit.gateways.payments._fake_rules`, the books keeping
them in :mod:`~commercekit.gateways.payments._fake_books`, what a call stores in
:mod:`~commercekit.gateways.payments._fake_state`, its webhooks in
:mod:`~commercekit.gateways.payments._fake_webhooks`, its test tokens and what authorizing with
each does in :mod:`~commercekit.gateways.payments._fake_tokens` (the tokens are importable from
here too).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from commercekit.clock import SystemClock
from commercekit.errors import (
    ConfigurationError,
    GatewayError,
    NotFoundError,
    StateTransitionError,
    ValidationError,
)
from commercekit.gateways.payments._fake_books import Book, Intents, MemoryBook, StoreBook
from commercekit.gateways.payments._fake_rules import (
    FakeCharge,
    FakeChargeStatus,
    authorized,
    captured,
    failed,
    lapse,
    refunded,
    voided,
)
from commercekit.gateways.payments._fake_state import (
    Outcome,
    answer,
    declined,
    dump,
    load,
    request_hash,
    result,
    wire_minor,
)
from commercekit.gateways.payments._fake_tokens import (
    TOKEN_DECLINE,
    TOKEN_INSUFFICIENT_FUNDS,
    TOKEN_NETWORK_FAILURE_AFTER_CHARGE,
    TOKEN_OK,
    TOKEN_REQUIRES_ACTION,
    TOKEN_SLOW,
    TOKEN_UNAVAILABLE,
    authorize_by_token,
    check_token,
    lost_answer,
)
from commercekit.gateways.payments._fake_webhooks import (
    FAKE_WEBHOOK_SECRET,
    SIGNATURE_HEADER,
    WEBHOOK_TOLERANCE_SECONDS,
    Delivery,
    delivery,
    event,
    signature,
    verified,
)
from commercekit.money import Money, to_minor_units
from commercekit.payments import (
    AuthorizeRequest,
    GatewayResult,
    GatewayStatus,
    WebhookEvent,
    WebhookKind,
)
from commercekit.ports import Clock, StorePort
from commercekit.rules import check_identifier

__all__ = [
    "FAKE_WEBHOOK_SECRET",
    "SIGNATURE_HEADER",
    "TOKEN_DECLINE",
    "TOKEN_INSUFFICIENT_FUNDS",
    "TOKEN_NETWORK_FAILURE_AFTER_CHARGE",
    "TOKEN_OK",
    "TOKEN_REQUIRES_ACTION",
    "TOKEN_SLOW",
    "TOKEN_UNAVAILABLE",
    "WEBHOOK_TOLERANCE_SECONDS",
    "FakeGateway",
]


class FakeGateway:
    """A :class:`~commercekit.ports.PaymentGateway` test double with documented test tokens.

    The payment method of an :class:`~commercekit.payments.AuthorizeRequest` says what happens:

    =====================================  ==============================================
    token                                  authorize
    =====================================  ==============================================
    ``fake_ok``                            ``AUTHORIZED``: the amount is held for 7 days
    ``fake_decline``                       PaymentDeclinedError, code ``card_declined``
    ``fake_insufficient_funds``            PaymentDeclinedError, code ``insufficient_funds``
    ``fake_requires_action``               ``REQUIRES_ACTION`` with a ``fake_3ds``
                                           NextAction; :meth:`complete_action` (or
                                           :meth:`fail_action`) plays the customer, then
                                           :meth:`confirm` answers ``AUTHORIZED`` (or the
                                           decline ``authentication_failed``)
    ``fake_network_failure_after_charge``  the amount is held, then OutcomeUnknownError; a
                                           retry with the same key answers ``AUTHORIZED``
    ``fake_slow``                          ``AUTHORIZED`` after ``slow_seconds`` (``sleep``)
    ``fake_unavailable``                   GatewayUnavailableError (503), nothing done
    =====================================  ==============================================

    Any other token is a GatewayError ``resource_missing``. As at a real provider: a capture
    (partial with ``final=False``, several allowed) takes at most what is held, a refund at most
    what was captured (several allowed; a refund ends the capturing), a void only an intact
    hold; asking more, or in the wrong state, is a GatewayError from the provider (HTTP 400,
    ``amount_too_large``, ``charge_already_refunded``, ``payment_intent_unexpected_state``)
    that changes nothing. A hold lapses 7 days after it was made (by ``clock``): capturing it
    then is ``charge_expired_for_capture``, and authorizing again makes a new intent.

    Idempotency keys (1-200 characters), as Stripe keeps them: the first response for a key
    is stored and replayed, a decline included; the same key with other parameters (or for
    another call) is an IdempotencyConflictError; a concurrent call with the key waits for
    the first and gets its answer; a call refused as invalid stores nothing. A confirm's answer
    is stored too: confirm again with a new key to learn a later state.

    State lives in this object, or with ``store=`` in that store (aggregates of the kind
    ``fake_gateway.<name>`` and idempotency records of that scope), so processes sharing the
    store share one fake, and :meth:`charges` says afterwards what was really authorized,
    captured and refunded. A store-backed fake refuses calls made inside one of that store's
    transactions: a provider's work is not rolled back with yours.

    >>> from commercekit import Money
    >>> from commercekit.testing import FAKE_TOKEN_OK
    >>> fake = FakeGateway()
    >>> request = AuthorizeRequest("pay-1", Money("25.00", "EUR"), FAKE_TOKEN_OK)
    >>> held = fake.authorize(request, idempotency_key="pay-1:authorize:1")
    >>> fake.capture(held.reference, Money("10.00", "EUR"), final=False,
    ...              idempotency_key="pay-1:capture:1").status.value
    'captured'
    >>> fake.payment(held.reference).captured, fake.payment(held.reference).capturable
    (Money('10.00', 'EUR'), Money('15.00', 'EUR'))
    """

    def __init__(
        self,
        *,
        store: StorePort | None = None,
        clock: Clock | None = None,
        name: str = "fake",
        slow_seconds: float = 1.0,
        sleep: Callable[[float], object] = time.sleep,
        webhook_secret: str = FAKE_WEBHOOK_SECRET,
    ) -> None:
        #: The provider's name, on every result, error and event.
        self.provider: str = check_identifier(name, name="gateway name")
        if clock is None:
            clock = store.clock if store is not None else SystemClock()
        self._clock = clock
        if (
            isinstance(slow_seconds, bool)
            or not isinstance(slow_seconds, int | float)
            or not 0 <= slow_seconds <= 3600
        ):
            raise ConfigurationError(f"slow_seconds is seconds in [0, 3600], got {slow_seconds!r}")
        self._slow_seconds = float(slow_seconds)
        self._sleep = sleep
        if not isinstance(webhook_secret, str) or not webhook_secret:
            raise ConfigurationError("webhook_secret must be non-empty text")
        self._secret = webhook_secret.encode()
        self._store = store
        self._book: Book = MemoryBook() if store is None else StoreBook(store, self.provider)

    def __repr__(self) -> str:
        where = "in memory" if self._store is None else f"in {self._store!r}"
        return f"<FakeGateway {self.provider!r} {where}>"

    # -- the port ------------------------------------------------------------------------------

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        """Hold ``request.amount``, or do what its test token says (see the class)."""
        if not isinstance(request, AuthorizeRequest):
            raise ValidationError(
                f"authorize takes an AuthorizeRequest, got {type(request).__name__}"
            )
        key = check_identifier(idempotency_key, name="idempotency key")
        token = request.payment_method
        check_token(token, self.provider)
        if token == TOKEN_SLOW:
            self._sleep(self._slow_seconds)
        params = {
            "payment_id": request.payment_id,
            "minor": to_minor_units(request.amount),
            "currency": request.amount.currency.code,
            "payment_method": token,
            "customer_id": request.customer_id,
            "description": request.description,
            "return_url": request.return_url,
            "metadata": dict(request.metadata),
        }

        def work(intents: Intents) -> str:
            now = self._clock.now()
            charge, outcome = authorize_by_token(request, now=now, key=key, provider=self.provider)
            intents.put(charge)
            return dump(outcome)

        outcome, fresh = self._run("authorize", key, params, work)
        if fresh and token == TOKEN_NETWORK_FAILURE_AFTER_CHARGE:
            raise lost_answer(token, self.provider)
        return answer(outcome)

    def confirm(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        """The intent's state now: ``AUTHORIZED`` once the customer's action completed.

        Still waiting: ``REQUIRES_ACTION``; the action failed: the decline
        ``authentication_failed``; captured: ``CAPTURED``; voided or lapsed: a GatewayError.
        """
        reference = check_identifier(reference, name="reference")
        key = check_identifier(idempotency_key, name="idempotency key")

        def work(intents: Intents) -> str:
            charge = self._intent(intents, reference)
            status = charge.status
            if status is FakeChargeStatus.FAILED:
                return dump(
                    declined(charge.failure_code or "card_declined", charge.id, self.provider)
                )
            if status is FakeChargeStatus.REQUIRES_ACTION:
                return dump(result(GatewayStatus.REQUIRES_ACTION, charge, charge.amount))
            if status is FakeChargeStatus.CAPTURED:
                return dump(result(GatewayStatus.CAPTURED, charge, charge.captured))
            if status in {FakeChargeStatus.AUTHORIZED, FakeChargeStatus.PARTIALLY_CAPTURED}:
                return dump(result(GatewayStatus.AUTHORIZED, charge, charge.authorized))
            raise GatewayError(
                f"{reference!r} is {status.value}: it cannot be confirmed",
                provider=self.provider,
                code="payment_intent_unexpected_state",
                status=400,
                retryable=False,
            )

        return answer(self._run("confirm", key, {"reference": reference}, work)[0])

    def capture(
        self, reference: str, amount: Money, *, final: bool, idempotency_key: str
    ) -> GatewayResult:
        """Take ``amount`` of the hold; ``final`` releases what is left of it."""
        reference = check_identifier(reference, name="reference")
        minor = wire_minor(amount, "capture")
        if not isinstance(final, bool):
            raise ValidationError(f"final must be True or False, got {final!r}")
        params = {"reference": reference, "minor": minor, "currency": amount.currency.code}
        key = check_identifier(idempotency_key, name="idempotency key")

        def work(intents: Intents) -> str:
            charge = captured(
                self._intent(intents, reference),
                minor,
                amount.currency,
                final=final,
                now=self._clock.now(),
                key=key,
                provider=self.provider,
            )
            intents.put(charge)
            return dump(result(GatewayStatus.CAPTURED, charge, amount))

        outcome = self._run("capture", key, {**params, "final": final}, work)[0]
        return answer(outcome)

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        """Release an intact hold (or abandon an intent waiting for its customer)."""
        reference = check_identifier(reference, name="reference")
        key = check_identifier(idempotency_key, name="idempotency key")

        def work(intents: Intents) -> str:
            charge = voided(
                self._intent(intents, reference),
                now=self._clock.now(),
                key=key,
                provider=self.provider,
            )
            intents.put(charge)
            released = charge.authorized if charge.authorized_minor else charge.amount
            return dump(result(GatewayStatus.VOIDED, charge, released))

        return answer(self._run("void", key, {"reference": reference}, work)[0])

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayResult:
        """Give ``amount`` of what was captured back; ``operation_reference`` is ``re_fake_...``."""
        reference = check_identifier(reference, name="reference")
        minor = wire_minor(amount, "refund")
        params = {"reference": reference, "minor": minor, "currency": amount.currency.code}
        key = check_identifier(idempotency_key, name="idempotency key")

        def work(intents: Intents) -> str:
            charge = refunded(
                self._intent(intents, reference),
                minor,
                amount.currency,
                now=self._clock.now(),
                key=key,
                provider=self.provider,
            )
            intents.put(charge)
            made = charge.operations[-1].reference
            return dump(result(GatewayStatus.REFUNDED, charge, amount, made))

        return answer(self._run("refund", key, params, work)[0])

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event of a delivery signed by this fake (:meth:`event_for`), once verified.

        The ``Fake-Signature`` header must hold a ``v1`` HMAC-SHA256 of ``"<t>.<payload>"``
        with the fake's secret, and ``t`` be at most 300 seconds old by the fake's clock; else
        WebhookSignatureError. The same delivery may be parsed again (deliveries are at least
        once): the event has the same :attr:`~commercekit.payments.WebhookEvent.id`.
        """
        payload = verified(payload, headers, clock=self._clock, secret=self._secret)
        return event(payload, self.provider)

    # -- playing the customer, the provider's dashboard and its webhooks ------------------------

    def complete_action(self, reference: str) -> Delivery:
        """The customer completes the action: the amount is held; the AUTHORIZED delivery."""
        self._act(reference, succeeded=True)
        return self.event_for(reference, WebhookKind.AUTHORIZED)

    def fail_action(self, reference: str) -> Delivery:
        """The customer fails the action (``authentication_failed``); the FAILED delivery."""
        self._act(reference, succeeded=False)
        return self.event_for(reference, WebhookKind.FAILED)

    def payment(self, reference: str) -> FakeCharge:
        """The intent as the provider holds it now (NotFoundError if there is none)."""
        reference = check_identifier(reference, name="reference")
        charge = self._book.find(reference)
        if charge is None:
            raise NotFoundError(f"the fake gateway {self.provider!r} has no intent {reference!r}")
        return lapse(charge, self._clock.now())

    def charges(self, *, payment_id: str | None = None) -> list[FakeCharge]:
        """Every intent (of ``payment_id`` if given), oldest first, as it stands now."""
        now = self._clock.now()
        return [
            lapse(charge, now)
            for charge in self._book.all()
            if payment_id is None or charge.payment_id == payment_id
        ]

    def event_for(self, reference: str, kind: WebhookKind | str) -> Delivery:
        """A signed delivery ``(payload, headers)`` of a ``kind`` event about the intent.

        Each call makes a new event (a new id), dated by the fake's clock; its amount is what
        the event concerns (held, captured or refunded so far, else the intent's amount).
        """
        return delivery(self.payment(reference), kind, clock=self._clock, secret=self._secret)

    # -- inside ----------------------------------------------------------------------------------

    def _run(
        self, operation: str, key: str, params: Mapping[str, object], work: Callable[[Intents], str]
    ) -> tuple[Outcome, bool]:
        response, fresh = self._book.run(key, request_hash(operation, params), work)
        return load(response, self.provider), fresh

    def _signature(self, payload: bytes, timestamp: int) -> str:
        return signature(self._secret, payload, timestamp)

    def _intent(self, intents: Intents, reference: str) -> FakeCharge:
        charge = intents.find(reference)
        if charge is None:
            raise GatewayError(
                f"no such payment intent: {reference!r}",
                provider=self.provider,
                code="resource_missing",
                status=404,
                retryable=False,
            )
        return lapse(charge, self._clock.now())

    def _act(self, reference: str, *, succeeded: bool) -> None:
        reference = check_identifier(reference, name="reference")

        def work(intents: Intents) -> str:
            charge = intents.find(reference)
            if charge is None:
                raise NotFoundError(f"the fake gateway has no intent {reference!r}")
            if charge.status is not FakeChargeStatus.REQUIRES_ACTION:
                raise StateTransitionError(
                    f"{reference!r} is {charge.status.value}: no customer action is pending"
                )
            now = self._clock.now()
            if succeeded:
                intents.put(authorized(charge, now, None))
            else:
                intents.put(failed(charge, now, None, "authentication_failed"))
            return ""

        self._book.run(None, "", work)
