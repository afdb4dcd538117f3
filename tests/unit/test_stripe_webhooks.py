"""Stripe webhook deliveries: the signature as Stripe signs it, then the event's meaning.

Signatures are made in the test with ``hmac`` over ``b"<t>." + body`` (Stripe's "Check the
webhook signatures" guide), never with the code under test. Events come from the simulator
(tests/stripe_server.py) after real calls, or are written out when the simulator makes none.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from commercekit.clock import ManualClock
from commercekit.errors import ConfigurationError, ValidationError, WebhookSignatureError
from commercekit.gateways.payments._stripe import StripeGateway
from commercekit.gateways.payments._stripe_webhooks import StripeWebhookVerifier
from commercekit.money import Money
from commercekit.payments import AuthorizeRequest, WebhookKind
from tests.stripe_server import StripeSimulator, signed_delivery

SECRET = "whsec_test_6f1c0e53b2d94a1b8b7d2c4e9f0a1b2c"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
T = int(NOW.timestamp())


def sign(payload: bytes, secret: str = SECRET, timestamp: int = T) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256)
    return digest.hexdigest()


def event(kind: str, obj: dict[str, Any], *, event_id: str = "evt_1Abc") -> bytes:
    body = {"id": event_id, "object": "event", "type": kind, "created": T, "data": {"object": obj}}
    return json.dumps(body).encode()


INTENT = {
    "id": "pi_3Abc",
    "object": "payment_intent",
    "amount": 5000,
    "amount_capturable": 5000,
    "amount_received": 0,
    "currency": "eur",
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def verifier(clock: ManualClock) -> StripeWebhookVerifier:
    return StripeWebhookVerifier(SECRET, tolerance=300, clock=clock)


def test_a_signed_delivery_is_an_event(verifier: StripeWebhookVerifier) -> None:
    payload = event("payment_intent.amount_capturable_updated", INTENT)
    found = verifier.parse(payload, {"Stripe-Signature": f"t={T},v1={sign(payload)}"})
    assert found.id == "evt_1Abc"
    assert found.provider == "stripe"
    assert found.kind is WebhookKind.AUTHORIZED
    assert found.reference == "pi_3Abc"
    assert found.amount == Money("50.00", "EUR")
    assert found.created == NOW
    assert found.provider_type == "payment_intent.amount_capturable_updated"


def test_the_gateway_parses_what_the_simulator_sends(clock: ManualClock) -> None:
    sim = StripeSimulator(now=lambda: T)
    gateway = StripeGateway(sim.api_key, client=sim.client(), webhook_secret=SECRET, clock=clock)
    request = AuthorizeRequest("pay_1", Money("80.00", "EUR"), "pm_card_visa")
    ref = gateway.authorize(request, idempotency_key="pay_1:authorize:1").reference
    gateway.capture(ref, Money("80.00", "EUR"), final=True, idempotency_key="pay_1:capture:1")
    gateway.refund(ref, Money("30.00", "EUR"), idempotency_key="pay_1:refund:1")
    seen = [gateway.parse_webhook(*signed_delivery(e, SECRET, T)) for e in sim.events]
    assert [(e.kind, e.reference, e.amount) for e in seen] == [
        (WebhookKind.AUTHORIZED, ref, Money("80.00", "EUR")),
        (WebhookKind.CAPTURED, ref, Money("80.00", "EUR")),
        (WebhookKind.REFUNDED, ref, None),  # refund.created: its own amount is no total
        (WebhookKind.REFUNDED, ref, Money("30.00", "EUR")),  # charge.refunded (total so far)
    ]
    assert len({e.id for e in seen}) == 4


@pytest.mark.parametrize(
    ("kind", "obj", "meaning", "amount"),
    [
        ("payment_intent.requires_action", INTENT, WebhookKind.REQUIRES_ACTION, "50.00"),
        ("payment_intent.payment_failed", INTENT, WebhookKind.FAILED, "50.00"),
        (
            "payment_intent.succeeded",
            {**INTENT, "amount_capturable": 0, "amount_received": 3000},
            WebhookKind.CAPTURED,
            "30.00",
        ),
        (
            # Released: what was held and never taken.
            "payment_intent.canceled",
            {**INTENT, "amount_capturable": 0, "amount_received": 1200},
            WebhookKind.VOIDED,
            "38.00",
        ),
        (
            "charge.refunded",
            {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": "pi_3Abc",
                "currency": "eur",
                "amount": 5000,
                "amount_refunded": 4500,
            },
            WebhookKind.REFUNDED,
            "45.00",
        ),
        (
            "refund.updated",
            {
                "id": "re_1",
                "object": "refund",
                "payment_intent": "pi_3Abc",
                "currency": "eur",
                "amount": 700,
                "status": "succeeded",
            },
            WebhookKind.REFUNDED,
            None,  # a refund's own amount is not the running total REFUNDED reports
        ),
        (
            "refund.failed",
            {
                "id": "re_1",
                "object": "refund",
                "payment_intent": "pi_3Abc",
                "currency": "eur",
                "amount": 700,
                "status": "failed",
            },
            WebhookKind.OTHER,
            None,
        ),
        ("payment_intent.created", INTENT, WebhookKind.OTHER, None),
        ("customer.created", {"id": "cus_1", "object": "customer"}, WebhookKind.OTHER, None),
    ],
)
def test_event_kinds(
    verifier: StripeWebhookVerifier,
    kind: str,
    obj: dict[str, Any],
    meaning: WebhookKind,
    amount: str | None,
) -> None:
    payload = event(kind, obj)
    found = verifier.parse(payload, {"stripe-signature": f"t={T},v1={sign(payload)}"})
    assert found.kind is meaning
    assert found.amount == (None if amount is None else Money(amount, "EUR"))
    assert found.reference == (None if kind == "customer.created" else "pi_3Abc")


def test_an_amount_in_a_currency_stripe_does_not_take_is_left_out(
    verifier: StripeWebhookVerifier,
) -> None:
    payload = event("payment_intent.succeeded", {**INTENT, "currency": "iqd"})
    found = verifier.parse(payload, {"Stripe-Signature": f"t={T},v1={sign(payload)}"})
    assert (found.kind, found.amount) == (WebhookKind.CAPTURED, None)


def test_several_v1_signatures_one_of_them_valid(verifier: StripeWebhookVerifier) -> None:
    # While a secret is rolled, Stripe signs with the old and the new one.
    payload = event("payment_intent.succeeded", INTENT)
    other = sign(payload, secret="whsec_old")
    header = f"t={T},v1={other},v1={sign(payload)},v0={'0' * 64}"
    assert verifier.parse(payload, httpx.Headers({"Stripe-Signature": header})).id == "evt_1Abc"


def test_the_tolerance_holds_in_both_directions(
    verifier: StripeWebhookVerifier, clock: ManualClock
) -> None:
    payload = event("payment_intent.succeeded", INTENT)
    header = {"Stripe-Signature": f"t={T},v1={sign(payload)}"}
    clock.set(NOW + timedelta(seconds=300))
    verifier.verify(payload, header)
    clock.set(NOW - timedelta(seconds=300))
    verifier.verify(payload, header)
    for moment in (NOW + timedelta(seconds=301), NOW - timedelta(seconds=301)):
        clock.set(moment)
        with pytest.raises(WebhookSignatureError, match="tolerance 300 s"):
            verifier.verify(payload, header)


PAYLOAD = event("payment_intent.succeeded", INTENT)
GOOD = sign(PAYLOAD)


@pytest.mark.parametrize(
    ("payload", "headers", "reason"),
    [
        (PAYLOAD, {"Stripe-Signature": f"t={T},v1={sign(PAYLOAD, 'whsec_wrong')}"}, "matches"),
        (PAYLOAD.replace(b"5000", b"9000"), {"Stripe-Signature": f"t={T},v1={GOOD}"}, "matches"),
        (PAYLOAD, {"Stripe-Signature": f"t={T + 1},v1={GOOD}"}, "matches"),
        (PAYLOAD, {"Stripe-Signature": f"t={T},v1={GOOD.upper()}"}, "matches"),
        (PAYLOAD, {"Stripe-Signature": f"t={T},v0={GOOD}"}, "no v1"),
        (PAYLOAD, {"Stripe-Signature": f"v1={GOOD}"}, "timestamp"),
        (PAYLOAD, {"Stripe-Signature": f"t={T},t={T},v1={GOOD}"}, "timestamp"),
        (PAYLOAD, {"Stripe-Signature": f"t=soon,v1={GOOD}"}, "timestamp"),
        (PAYLOAD, {"Stripe-Signature": "garbage"}, "malformed"),
        (PAYLOAD, {"Stripe-Signature": ""}, "malformed"),
        (PAYLOAD, {}, "no Stripe-Signature"),
    ],
)
def test_bad_signatures_are_refused(
    verifier: StripeWebhookVerifier, payload: bytes, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(WebhookSignatureError, match=reason) as caught:
        verifier.parse(payload, headers)
    assert isinstance(caught.value, ValueError)
    assert SECRET not in str(caught.value)


def test_a_signed_body_that_is_no_event_is_a_validation_error(
    verifier: StripeWebhookVerifier,
) -> None:
    for payload in (b"not json", b"[]", b'{"object": "charge"}', b'{"object": "event"}'):
        with pytest.raises(ValidationError):
            verifier.parse(payload, {"Stripe-Signature": f"t={T},v1={sign(payload)}"})
    with pytest.raises(ValidationError, match="bytes"):
        verifier.parse(PAYLOAD.decode(), {"Stripe-Signature": f"t={T},v1={GOOD}"})  # type: ignore[arg-type]


def test_the_secret_is_never_shown(verifier: StripeWebhookVerifier) -> None:
    assert SECRET not in repr(verifier)
    gateway = StripeGateway("sk_test_x", webhook_secret=SECRET)
    assert SECRET not in repr(gateway)
    with pytest.raises(WebhookSignatureError) as caught:
        gateway.parse_webhook(PAYLOAD, {"Stripe-Signature": f"t={T},v1={GOOD}"})
    assert SECRET not in str(caught.value) and "tolerance" in str(caught.value)


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError):
        StripeWebhookVerifier("whsec with spaces")
    with pytest.raises(ConfigurationError):
        StripeWebhookVerifier(SECRET, tolerance=-1)
    with pytest.raises(ConfigurationError, match="webhook_secret"):
        StripeGateway("sk_test_x").parse_webhook(PAYLOAD, {})
