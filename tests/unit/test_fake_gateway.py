"""FakeGateway: every test token, amounts and states, idempotency, expiry and webhooks.

Most tests run four times: state in the fake's memory, and in a store on ``memory://``, a
SQLite file and a fresh PostgreSQL schema (the contract suites' three stores).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from commercekit import Money, open_store
from commercekit.clock import ManualClock
from commercekit.errors import (
    CommerceError,
    ConfigurationError,
    CurrencyMismatchError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    InvalidAmountError,
    InvalidIdentifierError,
    NotFoundError,
    OutcomeUnknownError,
    PaymentAmountError,
    PaymentDeclinedError,
    StateTransitionError,
    ValidationError,
    WebhookSignatureError,
)
from commercekit.gateways.payments._fake import (
    FAKE_WEBHOOK_SECRET,
    SIGNATURE_HEADER,
    TOKEN_DECLINE,
    TOKEN_INSUFFICIENT_FUNDS,
    TOKEN_NETWORK_FAILURE_AFTER_CHARGE,
    TOKEN_OK,
    TOKEN_REQUIRES_ACTION,
    TOKEN_SLOW,
    TOKEN_UNAVAILABLE,
    WEBHOOK_TOLERANCE_SECONDS,
    FakeGateway,
)
from commercekit.gateways.payments._fake_state import FakeChargeStatus, FakeOperationKind
from commercekit.payments import (
    AuthorizeRequest,
    GatewayStatus,
    Payment,
    PaymentGateway,
    PaymentOperation,
    PaymentStatus,
    WebhookKind,
)
from commercekit.storage import Store
from tests.contract._backends import T0

EUR = "EUR"
HOLD = timedelta(days=7)


def eur(amount: str) -> Money:
    return Money(amount, EUR)


@attrs.define
class Rig:
    """A fake on one backend, the clock it reads and the delays it was asked to sleep."""

    fake: FakeGateway
    clock: ManualClock
    naps: list[float]
    store: Store | None


def _fake(store: Store | None, clock: ManualClock, naps: list[float]) -> FakeGateway:
    # A store-backed fake reads the store's clock: the default a host gets.
    if store is None:
        return FakeGateway(clock=clock, slow_seconds=2.5, sleep=naps.append)
    return FakeGateway(store=store, slow_seconds=2.5, sleep=naps.append)


@pytest.fixture(params=["no store", "memory", "sqlite", "postgres"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    clock = ManualClock(T0)
    naps: list[float] = []
    if request.param == "no store":
        yield Rig(_fake(None, clock, naps), clock, naps, None)
        return
    if request.param == "memory":
        store = open_store("memory://", clock=clock)
    elif request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock)
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        store = open_store(url, schema=schema, clock=clock, migrate=True)
    with store:
        yield Rig(_fake(store, clock, naps), clock, naps, store)


@pytest.fixture
def fake(rig: Rig) -> FakeGateway:
    return rig.fake


@pytest.fixture
def mem() -> FakeGateway:
    """A fake in memory, for what does not depend on where the state lives."""
    return FakeGateway(clock=ManualClock(T0))


def ask(token: str, amount: str = "100.00", payment_id: str = "pay-1") -> AuthorizeRequest:
    return AuthorizeRequest(payment_id, eur(amount), token)


def held(fake: FakeGateway, amount: str = "100.00", key: str = "pay-1:authorize:1") -> str:
    return fake.authorize(ask(TOKEN_OK, amount), idempotency_key=key).reference


# -- the test tokens -------------------------------------------------------------------------


def test_the_fake_is_a_payment_gateway(fake: FakeGateway) -> None:
    assert isinstance(fake, PaymentGateway)
    assert fake.provider == "fake"


def test_ok_holds_the_amount_for_seven_days(rig: Rig) -> None:
    result = rig.fake.authorize(ask(TOKEN_OK, "25.50"), idempotency_key="k-auth")
    assert result.status is GatewayStatus.AUTHORIZED
    assert result.amount == eur("25.50")
    assert result.reference.startswith("pi_fake_")
    assert result.authorized_until == T0 + HOLD
    charge = rig.fake.payment(result.reference)
    assert charge.status is FakeChargeStatus.AUTHORIZED
    assert (charge.authorized, charge.captured, charge.refunded) == (
        eur("25.50"),
        eur("0"),
        eur("0"),
    )
    assert charge.capturable == eur("25.50")
    assert [(op.kind, op.amount_minor, op.key) for op in charge.operations] == [
        (FakeOperationKind.AUTHORIZE, 2550, "k-auth")
    ]
    assert rig.naps == []


@pytest.mark.parametrize(
    ("token", "code"),
    [(TOKEN_DECLINE, "card_declined"), (TOKEN_INSUFFICIENT_FUNDS, "insufficient_funds")],
)
def test_a_decline_is_recorded_and_replayed_for_its_key(
    fake: FakeGateway, token: str, code: str
) -> None:
    with pytest.raises(PaymentDeclinedError) as first:
        fake.authorize(ask(token), idempotency_key="k-declined")
    assert (first.value.code, first.value.provider) == (code, "fake")
    assert not first.value.retryable
    assert "pi_fake" not in str(first.value)  # the customer sees no provider internals
    with pytest.raises(PaymentDeclinedError) as again:
        fake.authorize(ask(token), idempotency_key="k-declined")
    assert (again.value.code, again.value.reference) == (code, first.value.reference)
    [charge] = fake.charges()
    assert charge.id == first.value.reference
    assert (charge.status, charge.failure_code) == (FakeChargeStatus.FAILED, code)
    assert charge.count("decline") == 1
    assert charge.authorized_minor == 0


def test_unavailable_does_nothing_and_keeps_the_key_free(fake: FakeGateway) -> None:
    with pytest.raises(GatewayUnavailableError) as caught:
        fake.authorize(ask(TOKEN_UNAVAILABLE), idempotency_key="k-1")
    assert (caught.value.status, caught.value.retryable) == (503, True)
    assert fake.charges() == []
    # Nothing was stored under the key: another request may use it.
    assert fake.authorize(ask(TOKEN_OK), idempotency_key="k-1").status is GatewayStatus.AUTHORIZED


def test_an_unknown_token_is_the_providers_refusal(fake: FakeGateway) -> None:
    with pytest.raises(GatewayError) as caught:
        fake.authorize(ask("pm_card_visa"), idempotency_key="k-1")
    assert (caught.value.code, caught.value.status, caught.value.retryable) == (
        "resource_missing",
        400,
        False,
    )
    assert TOKEN_OK in str(caught.value)  # the message lists the tokens it knows
    assert fake.charges() == []


def test_slow_sleeps_the_injected_delay_then_authorizes(rig: Rig) -> None:
    result = rig.fake.authorize(ask(TOKEN_SLOW), idempotency_key="k-slow")
    assert result.status is GatewayStatus.AUTHORIZED
    assert rig.naps == [2.5]


def test_network_failure_after_charge_then_a_retry_learns_the_one_authorization(
    fake: FakeGateway,
) -> None:
    request = ask(TOKEN_NETWORK_FAILURE_AFTER_CHARGE, "80.00")
    with pytest.raises(OutcomeUnknownError) as caught:
        fake.authorize(request, idempotency_key="pay-1:authorize:1")
    assert caught.value.retryable
    assert caught.value.provider == "fake"
    [charge] = fake.charges(payment_id="pay-1")
    assert charge.authorized == eur("80.00")  # the provider did it: only the answer was lost
    retried = fake.authorize(request, idempotency_key="pay-1:authorize:1")
    assert retried.status is GatewayStatus.AUTHORIZED
    assert retried.reference == charge.id
    [after] = fake.charges(payment_id="pay-1")
    assert after.count("authorize") == 1
    # A new key is a new request: the token answers the same way again.
    with pytest.raises(OutcomeUnknownError):
        fake.authorize(request, idempotency_key="pay-1:authorize:2")
    assert len(fake.charges(payment_id="pay-1")) == 2


def test_requires_action_then_the_customer_completes_it(fake: FakeGateway) -> None:
    first = fake.authorize(ask(TOKEN_REQUIRES_ACTION), idempotency_key="k-auth")
    assert first.status is GatewayStatus.REQUIRES_ACTION
    assert first.next_action is not None
    assert first.next_action.kind == "fake_3ds"
    assert first.next_action.url is not None
    assert first.reference in first.next_action.url
    assert first.next_action.client_secret is not None
    assert first.next_action.client_secret not in repr(first)
    assert fake.payment(first.reference).authorized_minor == 0
    early = fake.confirm(first.reference, idempotency_key="k-confirm-1")
    assert early.status is GatewayStatus.REQUIRES_ACTION

    payload, headers = fake.complete_action(first.reference)
    event = fake.parse_webhook(payload, headers)
    assert (event.kind, event.reference, event.amount) == (
        WebhookKind.AUTHORIZED,
        first.reference,
        eur("100.00"),
    )
    confirmed = fake.confirm(first.reference, idempotency_key="k-confirm-2")
    assert confirmed.status is GatewayStatus.AUTHORIZED
    assert confirmed.authorized_until == T0 + HOLD
    # The first confirm's answer is stored under its key, as Stripe stores every answer.
    replayed = fake.confirm(first.reference, idempotency_key="k-confirm-1")
    assert replayed.status is GatewayStatus.REQUIRES_ACTION
    taken = fake.capture(first.reference, eur("100.00"), final=True, idempotency_key="k-cap")
    assert taken.status is GatewayStatus.CAPTURED
    charge = fake.payment(first.reference)
    assert [op.kind.value for op in charge.operations] == ["require_action", "authorize", "capture"]
    assert fake.confirm(first.reference, idempotency_key="k-confirm-3").amount == eur("100.00")


def test_a_failed_action_declines_on_confirm(fake: FakeGateway) -> None:
    reference = fake.authorize(ask(TOKEN_REQUIRES_ACTION), idempotency_key="k-auth").reference
    payload, headers = fake.fail_action(reference)
    assert fake.parse_webhook(payload, headers).kind is WebhookKind.FAILED
    with pytest.raises(PaymentDeclinedError) as caught:
        fake.confirm(reference, idempotency_key="k-confirm")
    assert caught.value.code == "authentication_failed"
    assert caught.value.reference == reference
    with pytest.raises(GatewayError, match="failed"):
        fake.capture(reference, eur("1.00"), final=True, idempotency_key="k-cap")
    assert fake.payment(reference).status is FakeChargeStatus.FAILED


def test_customer_actions_need_a_waiting_intent(fake: FakeGateway) -> None:
    reference = held(fake)
    with pytest.raises(StateTransitionError):
        fake.complete_action(reference)
    with pytest.raises(StateTransitionError):
        fake.fail_action(reference)
    with pytest.raises(NotFoundError):
        fake.complete_action("pi_fake_nothing")
    assert fake.payment(reference).count("authorize") == 1


# -- captures, voids, refunds and their limits -------------------------------------------------


def _code(error: pytest.ExceptionInfo[GatewayError]) -> tuple[str | None, int | None, bool]:
    return error.value.code, error.value.status, error.value.retryable


def test_several_partial_captures_up_to_the_hold(fake: FakeGateway) -> None:
    reference = held(fake, "100.00")
    fake.capture(reference, eur("30.00"), final=False, idempotency_key="c-1")
    second = fake.capture(reference, eur("50.00"), final=False, idempotency_key="c-2")
    assert (second.status, second.amount) == (GatewayStatus.CAPTURED, eur("50.00"))
    charge = fake.payment(reference)
    assert charge.status is FakeChargeStatus.PARTIALLY_CAPTURED
    assert charge.capturable == eur("100.00") - eur("30.00") - eur("50.00")
    with pytest.raises(GatewayError) as too_much:
        fake.capture(reference, eur("20.01"), final=False, idempotency_key="c-3")
    assert _code(too_much) == ("amount_too_large", 400, False)
    assert fake.payment(reference) == charge  # the refusal changed nothing
    fake.capture(reference, eur("20.00"), final=False, idempotency_key="c-4")
    done = fake.payment(reference)
    assert done.status is FakeChargeStatus.CAPTURED  # all of the hold is taken
    assert (done.captured, done.capturable, done.count("capture")) == (eur("100.00"), eur("0"), 3)
    with pytest.raises(GatewayError) as again:
        fake.capture(reference, eur("0.01"), final=True, idempotency_key="c-5")
    assert _code(again) == ("payment_intent_unexpected_state", 400, False)


def test_a_final_capture_releases_the_rest(fake: FakeGateway) -> None:
    reference = held(fake, "100.00")
    fake.capture(reference, eur("40.00"), final=True, idempotency_key="c-1")
    charge = fake.payment(reference)
    assert charge.status is FakeChargeStatus.CAPTURED
    assert (charge.authorized, charge.captured, charge.capturable) == (
        eur("100.00"),
        eur("40.00"),
        eur("0"),
    )
    with pytest.raises(GatewayError, match="cannot be captured"):
        fake.capture(reference, eur("10.00"), final=True, idempotency_key="c-2")


def test_several_refunds_up_to_what_was_captured(fake: FakeGateway) -> None:
    reference = held(fake, "100.00")
    fake.capture(reference, eur("60.00"), final=True, idempotency_key="c-1")
    first = fake.refund(reference, eur("25.00"), idempotency_key="r-1")
    assert (first.status, first.amount, first.reference) == (
        GatewayStatus.REFUNDED,
        eur("25.00"),
        reference,
    )
    assert first.operation_reference is not None
    assert first.operation_reference.startswith("re_fake_")
    with pytest.raises(GatewayError) as too_much:
        fake.refund(reference, eur("35.01"), idempotency_key="r-2")
    assert _code(too_much) == ("amount_too_large", 400, False)
    second = fake.refund(reference, eur("35.00"), idempotency_key="r-3")
    assert second.operation_reference != first.operation_reference
    charge = fake.payment(reference)
    assert (charge.captured, charge.refunded, charge.refundable) == (
        eur("60.00"),
        eur("25.00") + eur("35.00"),
        eur("0"),
    )
    with pytest.raises(GatewayError) as empty:
        fake.refund(reference, eur("0.01"), idempotency_key="r-4")
    assert _code(empty) == ("charge_already_refunded", 400, False)
    assert [op.reference for op in charge.operations if op.kind is FakeOperationKind.REFUND] == [
        first.operation_reference,
        second.operation_reference,
    ]


def test_a_refund_needs_a_capture_and_ends_the_capturing(fake: FakeGateway) -> None:
    reference = held(fake, "100.00")
    with pytest.raises(GatewayError) as nothing:
        fake.refund(reference, eur("1.00"), idempotency_key="r-1")
    assert _code(nothing) == ("payment_intent_unexpected_state", 400, False)
    fake.capture(reference, eur("30.00"), final=False, idempotency_key="c-1")
    fake.refund(reference, eur("10.00"), idempotency_key="r-2")
    charge = fake.payment(reference)
    assert (charge.status, charge.capturable) == (FakeChargeStatus.CAPTURED, eur("0"))
    with pytest.raises(GatewayError):
        fake.capture(reference, eur("10.00"), final=False, idempotency_key="c-2")


def test_a_void_releases_an_intact_hold_only(fake: FakeGateway) -> None:
    reference = held(fake, "100.00")
    voided = fake.void(reference, idempotency_key="v-1")
    assert (voided.status, voided.amount) == (GatewayStatus.VOIDED, eur("100.00"))
    charge = fake.payment(reference)
    assert (charge.status, charge.capturable) == (FakeChargeStatus.VOIDED, eur("0"))
    with pytest.raises(GatewayError) as capture:
        fake.capture(reference, eur("1.00"), final=True, idempotency_key="c-1")
    assert _code(capture) == ("payment_intent_unexpected_state", 400, False)

    taken = held(fake, "50.00", key="pay-1:authorize:2")
    fake.capture(taken, eur("10.00"), final=False, idempotency_key="c-2")
    with pytest.raises(GatewayError, match="cannot be voided"):
        fake.void(taken, idempotency_key="v-2")

    waiting = fake.authorize(ask(TOKEN_REQUIRES_ACTION), idempotency_key="k-3ds").reference
    assert fake.void(waiting, idempotency_key="v-3").status is GatewayStatus.VOIDED
    with pytest.raises(StateTransitionError):
        fake.complete_action(waiting)


def test_bad_amounts_and_references_are_refused_and_change_nothing(fake: FakeGateway) -> None:
    reference = held(fake, "100.00")
    before = fake.payment(reference)
    with pytest.raises(InvalidAmountError):
        fake.capture(reference, "10.00", final=True, idempotency_key="c-1")  # type: ignore[arg-type]
    with pytest.raises(PaymentAmountError):
        fake.capture(reference, eur("-1.00"), final=True, idempotency_key="c-1")
    with pytest.raises(PaymentAmountError):
        fake.refund(reference, eur("0.001"), idempotency_key="c-1")
    with pytest.raises(CurrencyMismatchError):
        fake.capture(reference, Money("10.00", "USD"), final=True, idempotency_key="c-1")
    with pytest.raises(ValidationError):
        fake.capture(reference, eur("1.00"), final=1, idempotency_key="c-1")  # type: ignore[arg-type]
    with pytest.raises(GatewayError) as missing:
        fake.capture("pi_fake_nothing", eur("1.00"), final=True, idempotency_key="c-1")
    assert _code(missing) == ("resource_missing", 404, False)
    with pytest.raises(InvalidIdentifierError):
        fake.void(reference, idempotency_key="k" * 201)
    with pytest.raises(InvalidIdentifierError):
        fake.void(" pi_fake", idempotency_key="v-1")
    with pytest.raises(ValidationError):
        fake.authorize("fake_ok", idempotency_key="a-1")  # type: ignore[arg-type]
    assert fake.payment(reference) == before
    # None of the refusals stored anything under "c-1".
    fake.capture(reference, eur("10.00"), final=True, idempotency_key="c-1")
    assert fake.payment(reference).captured == eur("10.00")


# -- idempotency -----------------------------------------------------------------------------


def test_a_key_replays_its_first_answer_and_does_the_work_once(fake: FakeGateway) -> None:
    request = ask(TOKEN_OK, "70.00")
    first = fake.authorize(request, idempotency_key="a-1")
    assert fake.authorize(request, idempotency_key="a-1") == first
    taken = fake.capture(first.reference, eur("20.00"), final=False, idempotency_key="c-1")
    assert fake.capture(first.reference, eur("20.00"), final=False, idempotency_key="c-1") == taken
    refund = fake.refund(first.reference, eur("5.00"), idempotency_key="r-1")
    assert fake.refund(first.reference, eur("5.00"), idempotency_key="r-1") == refund
    [charge] = fake.charges()
    assert (charge.count("authorize"), charge.count("capture"), charge.count("refund")) == (1, 1, 1)
    assert (charge.captured, charge.refunded) == (eur("20.00"), eur("5.00"))


def test_a_key_reused_for_another_request_is_a_conflict(fake: FakeGateway) -> None:
    reference = fake.authorize(ask(TOKEN_OK, "70.00"), idempotency_key="a-1").reference
    with pytest.raises(IdempotencyConflictError):
        fake.authorize(ask(TOKEN_OK, "70.01"), idempotency_key="a-1")
    fake.capture(reference, eur("20.00"), final=False, idempotency_key="c-1")
    with pytest.raises(IdempotencyConflictError):
        fake.capture(reference, eur("20.00"), final=True, idempotency_key="c-1")
    with pytest.raises(IdempotencyConflictError):
        fake.refund(reference, eur("20.00"), idempotency_key="c-1")  # another call, same key
    with pytest.raises(IdempotencyConflictError):
        fake.void(reference, idempotency_key="a-1")
    [charge] = fake.charges()
    assert (charge.count("authorize"), charge.count("capture"), charge.captured) == (
        1,
        1,
        eur("20.00"),
    )


def test_a_replayed_answer_is_the_first_one_even_after_changes(fake: FakeGateway) -> None:
    reference = held(fake, "100.00", key="a-1")
    fake.capture(reference, eur("100.00"), final=True, idempotency_key="c-1")
    replay = fake.authorize(ask(TOKEN_OK, "100.00"), idempotency_key="a-1")
    assert replay.status is GatewayStatus.AUTHORIZED  # as first answered, like Stripe
    assert fake.payment(reference).status is FakeChargeStatus.CAPTURED


def test_concurrent_calls_with_one_key_do_the_work_once(rig: Rig) -> None:
    if rig.store is None:
        fake = FakeGateway(clock=rig.clock, slow_seconds=0.05)
    else:
        fake = FakeGateway(store=rig.store, slow_seconds=0.05)
    start = threading.Barrier(4)
    answers: list[str] = []
    errors: list[BaseException] = []

    def authorize() -> None:
        try:
            start.wait(10)
            result = fake.authorize(ask(TOKEN_SLOW), idempotency_key="same-key")
            answers.append(result.reference)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=authorize) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(answers) == 4
    assert len(set(answers)) == 1
    [charge] = fake.charges()
    assert charge.count("authorize") == 1


# -- expiry ----------------------------------------------------------------------------------


def test_a_hold_lapses_after_seven_days_and_a_new_authorization_is_a_new_intent(
    rig: Rig,
) -> None:
    fake = rig.fake
    reference = held(fake, "100.00", key="pay-1:authorize:1")
    rig.clock.advance(HOLD - timedelta(seconds=1))
    assert fake.payment(reference).capturable == eur("100.00")
    rig.clock.advance(timedelta(seconds=1))
    lapsed = fake.payment(reference)
    assert (lapsed.status, lapsed.capturable) == (FakeChargeStatus.EXPIRED, eur("0"))
    assert lapsed.authorized == eur("100.00")  # it was authorized, once
    with pytest.raises(GatewayError) as caught:
        fake.capture(reference, eur("10.00"), final=True, idempotency_key="c-1")
    assert _code(caught) == ("charge_expired_for_capture", 400, False)
    with pytest.raises(GatewayError):
        fake.void(reference, idempotency_key="v-1")
    again = fake.authorize(ask(TOKEN_OK, "100.00"), idempotency_key="pay-1:authorize:2")
    assert again.reference != reference
    assert again.authorized_until == rig.clock.now() + HOLD
    fake.capture(again.reference, eur("100.00"), final=True, idempotency_key="c-2")
    assert [c.status for c in fake.charges(payment_id="pay-1")] == [
        FakeChargeStatus.EXPIRED,
        FakeChargeStatus.CAPTURED,
    ]


def test_a_partly_captured_hold_lapses_into_captured(rig: Rig) -> None:
    fake = rig.fake
    reference = held(fake, "100.00")
    fake.capture(reference, eur("30.00"), final=False, idempotency_key="c-1")
    rig.clock.advance(HOLD)
    charge = fake.payment(reference)
    assert (charge.status, charge.captured, charge.capturable) == (
        FakeChargeStatus.CAPTURED,
        eur("30.00"),
        eur("0"),
    )
    assert charge.operations[-1].amount_minor == 7000  # what was released
    with pytest.raises(GatewayError):
        fake.capture(reference, eur("10.00"), final=True, idempotency_key="c-2")
    assert fake.refund(reference, eur("30.00"), idempotency_key="r-1").amount == eur("30.00")


# -- webhooks --------------------------------------------------------------------------------


def test_a_signed_delivery_parses_and_may_come_twice(rig: Rig) -> None:
    fake = rig.fake
    reference = held(fake, "100.00")
    fake.capture(reference, eur("60.00"), final=True, idempotency_key="c-1")
    payload, headers = fake.event_for(reference, WebhookKind.CAPTURED)
    assert set(headers) == {SIGNATURE_HEADER}
    assert headers[SIGNATURE_HEADER].startswith(f"t={int(T0.timestamp())},v1=")
    event = fake.parse_webhook(payload, headers)
    assert (event.kind, event.reference, event.amount, event.provider) == (
        WebhookKind.CAPTURED,
        reference,
        eur("60.00"),
        "fake",
    )
    assert event.created == T0
    assert event.provider_type == "payment_intent.succeeded"
    assert event.id.startswith("evt_fake_")
    assert fake.parse_webhook(payload, headers) == event  # at least once: deduplicate on id
    lower = {SIGNATURE_HEADER.lower(): headers[SIGNATURE_HEADER]}
    assert fake.parse_webhook(payload, lower).id == event.id
    assert fake.event_for(reference, "captured")[0] != payload  # a new event, a new id


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        (WebhookKind.AUTHORIZED, "100.00"),
        (WebhookKind.REFUNDED, "15.00"),
        (WebhookKind.VOIDED, "100.00"),
        (WebhookKind.OTHER, None),
    ],
)
def test_each_kind_says_its_amount(mem: FakeGateway, kind: WebhookKind, amount: str | None) -> None:
    reference = held(mem, "100.00")
    mem.capture(reference, eur("40.00"), final=True, idempotency_key="c-1")
    mem.refund(reference, eur("15.00"), idempotency_key="r-1")
    event = mem.parse_webhook(*mem.event_for(reference, kind))
    assert event.kind is kind
    assert event.amount == (None if amount is None else eur(amount))


def test_a_tampered_or_foreign_delivery_is_refused(mem: FakeGateway) -> None:
    reference = held(mem)
    payload, headers = mem.event_for(reference, WebhookKind.CAPTURED)
    signature = headers[SIGNATURE_HEADER]
    tampered = payload.replace(b'"amount":10000', b'"amount":99999')
    assert tampered != payload
    other = FakeGateway(clock=ManualClock(T0), webhook_secret="whsec_another")
    refused = [
        (tampered, headers),
        (payload, {SIGNATURE_HEADER: signature[:-1] + ("0" if signature[-1] != "0" else "1")}),
        (payload, {}),
        (payload, {SIGNATURE_HEADER: "v1=abc"}),
        (payload, {SIGNATURE_HEADER: "t=12x,v1=abc"}),
        (payload, {SIGNATURE_HEADER: signature.split(",")[0]}),
        (payload.decode(), headers),
    ]
    for body, given in refused:
        with pytest.raises(WebhookSignatureError):
            mem.parse_webhook(body, given)  # type: ignore[arg-type]
    with pytest.raises(WebhookSignatureError) as foreign:
        other.parse_webhook(payload, headers)
    assert "whsec" not in str(foreign.value)
    assert FAKE_WEBHOOK_SECRET not in repr(mem)


def test_a_delivery_older_than_the_tolerance_is_refused(rig: Rig) -> None:
    reference = held(rig.fake)
    payload, headers = rig.fake.event_for(reference, WebhookKind.AUTHORIZED)
    rig.clock.advance(timedelta(seconds=WEBHOOK_TOLERANCE_SECONDS))
    assert rig.fake.parse_webhook(payload, headers).reference == reference
    rig.clock.advance(timedelta(seconds=1))
    with pytest.raises(WebhookSignatureError, match="301 seconds"):
        rig.fake.parse_webhook(payload, headers)


def test_a_signed_delivery_that_is_no_event_is_a_gateway_error(mem: FakeGateway) -> None:
    garbage = b'{"id": "evt_1"}'
    timestamp = int(T0.timestamp())
    signature = mem._signature(garbage, timestamp)
    with pytest.raises(GatewayError) as caught:
        mem.parse_webhook(garbage, {SIGNATURE_HEADER: f"t={timestamp},v1={signature}"})
    assert caught.value.code == "malformed_event"
    with pytest.raises(NotFoundError):
        mem.event_for("pi_fake_nothing", WebhookKind.CAPTURED)
    reference = held(mem)
    with pytest.raises(ValidationError):
        mem.event_for(reference, "charged")


# -- reading the provider's records, stores, configuration -----------------------------------


def test_charges_are_frozen_records_oldest_first(rig: Rig) -> None:
    fake = rig.fake
    first = held(fake, "10.00", key="a-1")
    rig.clock.advance(timedelta(minutes=1))
    other = fake.authorize(ask(TOKEN_OK, "20.00", "pay-2"), idempotency_key="a-2").reference
    rig.clock.advance(timedelta(minutes=1))
    third = held(fake, "30.00", key="a-3")
    assert [c.id for c in fake.charges()] == [first, other, third]
    assert [c.id for c in fake.charges(payment_id="pay-1")] == [first, third]
    charge = fake.payment(other)
    assert (charge.payment_id, charge.payment_method, charge.created) == (
        "pay-2",
        TOKEN_OK,
        T0 + timedelta(minutes=1),
    )
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        charge.captured_minor = 1  # type: ignore[misc]
    with pytest.raises(NotFoundError):
        fake.payment("pi_fake_nothing")


def test_the_answers_drive_the_payment_state_machine(fake: FakeGateway) -> None:
    payment = Payment("pay-1", "fake", eur("100.00"))
    key = payment.next_key(PaymentOperation.AUTHORIZE)
    payment = payment.begin(PaymentOperation.AUTHORIZE, key, 10000, T0)
    result = fake.authorize(ask(TOKEN_OK, "100.00"), idempotency_key=key)
    payment = payment.record_authorization(result, T0, key=key)
    key = payment.next_key(PaymentOperation.CAPTURE)
    amount = eur("60.00")
    payment.check_capture(amount)
    taken = fake.capture(payment.reference or "", amount, final=False, idempotency_key=key)
    payment = payment.record_capture(taken, T0, key=key, final=False)
    key = payment.next_key(PaymentOperation.REFUND)
    given = fake.refund(payment.reference or "", eur("10.00"), idempotency_key=key)
    payment = payment.record_refund(given, T0, key=key)
    charge = fake.payment(result.reference)
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert (payment.authorized_minor, payment.captured_minor, payment.refunded_minor) == (
        6000,
        charge.captured_minor,
        charge.refunded_minor,
    )
    assert charge.status is FakeChargeStatus.CAPTURED  # both released the rest of the hold


def test_a_store_backed_fake_refuses_a_call_inside_a_store_transaction(rig: Rig) -> None:
    if rig.store is None:
        pytest.skip("only a store-backed fake shares transactions")
    reference = held(rig.fake)
    with rig.store.transaction(), pytest.raises(ConfigurationError, match="after committing"):
        rig.fake.void(reference, idempotency_key="v-1")
    assert rig.fake.payment(reference).status is FakeChargeStatus.AUTHORIZED
    # Reading joins the transaction harmlessly.
    with rig.store.transaction():
        assert rig.fake.payment(reference).status is FakeChargeStatus.AUTHORIZED


def test_two_fakes_sharing_a_store_keep_apart(rig: Rig) -> None:
    if rig.store is None:
        pytest.skip("only store-backed fakes share a store")
    other = FakeGateway(store=rig.store, name="other")
    mine = held(rig.fake, "10.00", key="a-1")
    theirs = other.authorize(ask(TOKEN_OK, "99.00"), idempotency_key="a-1").reference
    assert [c.id for c in rig.fake.charges()] == [mine]
    assert [c.id for c in other.charges()] == [theirs]
    with pytest.raises(GatewayError):
        other.void(mine, idempotency_key="v-1")


def test_nothing_stored_or_said_holds_the_webhook_secret(rig: Rig) -> None:
    secret = "whsec_do_not_leak_4f1c"
    fake = FakeGateway(store=rig.store, clock=rig.clock, webhook_secret=secret)
    reference = fake.authorize(ask(TOKEN_REQUIRES_ACTION), idempotency_key="a-1").reference
    payload, headers = fake.complete_action(reference)
    seen = [repr(fake), payload.decode(), repr(headers), repr(fake.charges())]
    for bad in ((b"{}", headers), (payload, {SIGNATURE_HEADER: "t=1,v1=00"})):
        with pytest.raises(CommerceError) as caught:
            fake.parse_webhook(*bad)
        seen.append(str(caught.value))
    if rig.store is not None:
        with rig.store.transaction(readonly=True) as tx:
            for table in ("ck_aggregates", "ck_idempotency"):
                seen += [repr(row) for row in tx.execute(f"SELECT * FROM {table}").fetchall()]
    assert len(seen) >= (6 if rig.store is None else 8)  # the store's rows were read
    assert not [text for text in seen if secret in text]


@pytest.mark.parametrize(
    "options",
    [
        {"slow_seconds": -1},
        {"slow_seconds": True},
        {"slow_seconds": "1"},
        {"webhook_secret": ""},
    ],
)
def test_bad_settings_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        FakeGateway(**options)  # type: ignore[arg-type]


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(InvalidIdentifierError):
        FakeGateway(name="")
    assert FakeGateway(name="fake-eu").provider == "fake-eu"


def test_the_default_sleep_really_waits() -> None:
    fake = FakeGateway(slow_seconds=0.05)
    started = time.monotonic()
    fake.authorize(ask(TOKEN_SLOW), idempotency_key="a-1")
    assert time.monotonic() - started >= 0.05
