"""StripeGateway against the Stripe simulator (tests/stripe_server.py) over httpx.MockTransport.

The requests are checked byte for byte (Stripe's form encoding, headers); answers and errors
follow Stripe's API reference; retries follow stripe-python's policy (REFERENCES.md). Amounts in
Stripe's units are derived in each test from the Money asked.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from commercekit.errors import (
    CommerceError,
    ConfigurationError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    OutcomeUnknownError,
    PaymentAmountError,
    PaymentDeclinedError,
    ValidationError,
)
from commercekit.gateways.payments._stripe import StripeGateway
from commercekit.gateways.payments._stripe_http import STRIPE_API_VERSION
from commercekit.money import Money
from commercekit.payments import AuthorizeRequest, GatewayStatus, PaymentGateway
from tests.stripe_server import DECLINES, Recorded, StripeSimulator

T0 = 1_780_000_000
KEY = "sk_test_51SimulatorKeyDoNotLeak0000000000000000"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sim() -> StripeSimulator:
    return StripeSimulator(KEY, now=lambda: T0)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def gateway(sim: StripeSimulator, sleeps: Sleeps) -> Iterator[StripeGateway]:
    with sim.client() as client:
        yield StripeGateway(KEY, client=client, sleep=sleeps, random=lambda: 0.0)


def request(
    amount: str = "25.00", code: str = "EUR", pm: str = "pm_card_visa", **kw: Any
) -> AuthorizeRequest:
    return AuthorizeRequest("pay_1", Money(amount, code), pm, **kw)


def authorized(gateway: StripeGateway, amount: str = "100.00", **kw: Any) -> str:
    result = gateway.authorize(request(amount, **kw), idempotency_key="pay_1:authorize:1")
    assert result.status is GatewayStatus.AUTHORIZED
    return result.reference


def last(sim: StripeSimulator) -> Recorded:
    return sim.requests[-1]


# -- requests on the wire --------------------------------------------------------------------------


def test_authorize_sends_stripes_form_and_headers(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    result = gateway.authorize(
        request("25.00", metadata={"order": "A-1 & co"}, description="Two tees"),
        idempotency_key="pay_1:authorize:1",
    )
    sent = last(sim)
    assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
    assert sent.body == (
        b"amount=2500&currency=eur&payment_method=pm_card_visa&confirm=true"
        b"&capture_method=manual&metadata[order]=A-1+%26+co&metadata[payment_id]=pay_1"
        b"&expand[]=latest_charge&automatic_payment_methods[enabled]=true"
        b"&automatic_payment_methods[allow_redirects]=never&description=Two+tees"
    )
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["stripe-version"] == STRIPE_API_VERSION == "2024-06-20"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.headers["idempotency-key"] == "pay_1:authorize:1"
    assert sim.intent(result.reference)["metadata"] == {"order": "A-1 & co", "payment_id": "pay_1"}


def test_authorize_with_a_return_url_a_customer_and_multicapture(
    sim: StripeSimulator, sleeps: Sleeps
) -> None:
    gateway = StripeGateway(KEY, client=sim.client(), sleep=sleeps, request_multicapture=True)
    gateway.authorize(
        request(return_url="https://shop.example/back?x=1", customer_id="cus_Q1"),
        idempotency_key="k",
    )
    form = dict(parse_qsl(last(sim).body.decode()))
    assert form["return_url"] == "https://shop.example/back?x=1"
    assert form["customer"] == "cus_Q1"
    assert form["payment_method_options[card][request_multicapture]"] == "if_available"
    assert "automatic_payment_methods[allow_redirects]" not in form
    # A customer id that is not Stripe's goes in the metadata, not in ``customer``.
    gateway.authorize(request(customer_id="shopper-7"), idempotency_key="k2")
    form = dict(parse_qsl(last(sim).body.decode()))
    assert "customer" not in form and form["metadata[customer_id]"] == "shopper-7"


def test_void_sends_the_content_type_on_an_empty_body(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    ref = authorized(gateway, "40.00")
    result = gateway.void(ref, idempotency_key="pay_1:void:1")
    sent = last(sim)
    assert (sent.method, sent.path, sent.body) == ("POST", f"/v1/payment_intents/{ref}/cancel", b"")
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.headers["idempotency-key"] == "pay_1:void:1"
    assert (result.status, result.amount) == (GatewayStatus.VOIDED, Money("40.00", "EUR"))
    assert sim.stats(ref).canceled


def test_every_call_has_the_timeout_and_goes_to_the_base_url(sim: StripeSimulator) -> None:
    seen: list[httpx.Request] = []

    def spy(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return sim(req)

    host = httpx.Client(transport=httpx.MockTransport(spy), base_url="https://elsewhere.example")
    gateway = StripeGateway(KEY, client=host, base_url="https://stripe.test", timeout=7.5)
    ref = gateway.authorize(request(), idempotency_key="k").reference
    gateway.confirm(ref, idempotency_key="k2")
    assert [r.url.host for r in seen] == ["stripe.test", "stripe.test"]
    assert all(
        r.extensions["timeout"] == dict.fromkeys(("connect", "read", "write", "pool"), 7.5)
        for r in seen
    )
    gateway.close()
    assert not host.is_closed  # the host's client is the host's to close


def test_idempotency_keys_a_header_cannot_carry_are_hashed(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    for _ in range(2):
        gateway.authorize(request(), idempotency_key="pay_é:authorize:1")
    first, second = (r.headers["idempotency-key"] for r in sim.requests)
    assert first == second == "sha256:" + hashlib.sha256("pay_é:authorize:1".encode()).hexdigest()
    assert len(sim.intent_ids()) == 1
    with pytest.raises(ValidationError):
        gateway.authorize(request(), idempotency_key="k" * 300)


# -- answers mapped --------------------------------------------------------------------------------


def test_an_authorization_says_what_is_held_and_until_when(gateway: StripeGateway) -> None:
    result = gateway.authorize(request("1000", "JPY"), idempotency_key="k")
    assert (result.status, result.amount) == (GatewayStatus.AUTHORIZED, Money("1000", "JPY"))
    # The simulator's card holds for 7 days from the intent's creation.
    assert result.authorized_until is not None
    assert result.authorized_until.timestamp() == T0 + 7 * 86400


def test_three_d_secure_then_confirm(gateway: StripeGateway, sim: StripeSimulator) -> None:
    first = gateway.authorize(request(pm="pm_card_threeDSecure2Required"), idempotency_key="k")
    assert first.status is GatewayStatus.REQUIRES_ACTION
    assert first.next_action is not None
    assert (first.next_action.kind, first.next_action.url) == ("use_stripe_sdk", None)
    secret = sim.intent(first.reference)["client_secret"]
    assert first.next_action.client_secret == secret
    assert secret not in repr(first)
    sim.complete_action(first.reference)
    done = gateway.confirm(first.reference, idempotency_key="pay_1:action:1")
    assert (done.status, done.amount) == (GatewayStatus.AUTHORIZED, Money("25.00", "EUR"))
    # Nothing needed confirming: the confirm was one GET, without an idempotency key.
    sent = last(sim)
    assert (sent.method, sent.path) == ("GET", f"/v1/payment_intents/{first.reference}")
    assert "idempotency-key" not in sent.headers
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.form == {"expand": ["latest_charge"]}


def test_a_redirect_and_a_manual_confirmation(gateway: StripeGateway, sim: StripeSimulator) -> None:
    first = gateway.authorize(
        request(pm="pm_card_authenticationRequired", return_url="https://shop.example/r"),
        idempotency_key="k",
    )
    assert first.next_action is not None and first.next_action.kind == "redirect_to_url"
    assert first.next_action.url == (
        f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={first.reference}"
    )
    sim.complete_action(first.reference, manual=True)
    done = gateway.confirm(first.reference, idempotency_key="pay_1:action:1")
    assert done.status is GatewayStatus.AUTHORIZED
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in sim.requests[-2:]] == [
        ("GET", first.reference),
        ("POST", "confirm"),
    ]
    assert last(sim).headers["idempotency-key"] == "pay_1:action:1"


def test_a_failed_authentication_is_a_decline(gateway: StripeGateway, sim: StripeSimulator) -> None:
    first = gateway.authorize(request(pm="pm_card_threeDSecure2Required"), idempotency_key="k")
    sim.complete_action(first.reference, succeed=False)
    with pytest.raises(PaymentDeclinedError) as caught:
        gateway.confirm(first.reference, idempotency_key="pay_1:action:1")
    assert caught.value.code == "payment_intent_authentication_failure"
    assert caught.value.reference == first.reference


def _intent(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": "pi_3Crafted",
        "object": "payment_intent",
        "amount": 5000,
        "amount_capturable": 0,
        "amount_received": 0,
        "currency": "usd",
        "status": status,
        **fields,
    }


@pytest.mark.parametrize(
    ("intent", "status", "amount"),
    [
        (_intent("processing"), GatewayStatus.PROCESSING, "50.00"),
        (_intent("requires_capture", amount_capturable=4000), GatewayStatus.AUTHORIZED, "40.00"),
        (_intent("succeeded", amount_received=5000), GatewayStatus.CAPTURED, "50.00"),
        (_intent("canceled", amount_received=1500), GatewayStatus.VOIDED, "35.00"),
    ],
)
def test_payment_intent_statuses(
    intent: dict[str, Any], status: GatewayStatus, amount: str
) -> None:
    gateway = _answering(lambda _req: httpx.Response(200, json=intent))
    result = gateway.confirm("pi_3Crafted", idempotency_key="k")
    assert (result.status, result.reference, result.amount) == (
        status,
        "pi_3Crafted",
        Money(amount, "USD"),
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>", "not a JSON object"),
        (json.dumps(_intent("succeeded", id="pi_3Other")).encode(), "not the one asked"),
        (json.dumps(_intent("requires_confirmation_later")).encode(), "unexpected"),
        (json.dumps(_intent("succeeded", currency="xyz")).encode(), "currency"),
        (json.dumps(_intent("succeeded", amount_received=-5)).encode(), "amount_received"),
        (json.dumps(_intent("requires_action")).encode(), "next_action"),
    ],
)
def test_answers_of_another_shape_are_gateway_errors(body: bytes, problem: str) -> None:
    gateway = _answering(lambda _req: httpx.Response(200, content=body))
    with pytest.raises(GatewayError, match=problem) as caught:
        gateway.confirm("pi_3Crafted", idempotency_key="k")
    assert caught.value.code == "malformed_response" and caught.value.provider == "stripe"


def _answering(handler: Callable[[httpx.Request], httpx.Response]) -> StripeGateway:
    return StripeGateway(
        KEY, client=httpx.Client(transport=httpx.MockTransport(handler)), sleep=Sleeps()
    )


# -- captures and refunds --------------------------------------------------------------------------


def test_several_partial_captures_with_multicapture(sim: StripeSimulator) -> None:
    gateway = StripeGateway(KEY, client=sim.client(), request_multicapture=True)
    ref = authorized(gateway, "100.00")
    parts = [("30.00", False), ("20.00", False), ("50.00", True)]
    for n, (amount, final) in enumerate(parts, 1):
        result = gateway.capture(ref, Money(amount, "EUR"), final=final, idempotency_key=f"c{n}")
        assert (result.status, result.amount) == (GatewayStatus.CAPTURED, Money(amount, "EUR"))
    bodies = [r.body for r in sim.posts() if r.path.endswith("/capture")]
    assert bodies == [
        b"amount_to_capture=3000&final_capture=false",
        b"amount_to_capture=2000&final_capture=false",
        b"amount_to_capture=5000",
    ]
    assert sim.stats(ref).captures == (3000, 2000, 5000)
    assert sim.intent(ref)["status"] == "succeeded"


def test_a_final_partial_capture_releases_the_rest(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    ref = authorized(gateway, "100.00")
    gateway.capture(ref, Money("60.00", "EUR"), final=True, idempotency_key="c1")
    intent = sim.intent(ref)
    assert (intent["amount_received"], intent["amount_capturable"]) == (6000, 0)


def test_a_non_final_capture_without_multicapture_is_stripes_refusal(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    ref = authorized(gateway, "100.00")
    with pytest.raises(GatewayError) as caught:
        gateway.capture(ref, Money("30.00", "EUR"), final=False, idempotency_key="c1")
    assert (caught.value.status, caught.value.code) == (400, "invalid_request_error")
    assert "final_capture" in str(caught.value)
    assert sim.stats(ref).captures == ()


def test_several_partial_refunds(gateway: StripeGateway, sim: StripeSimulator) -> None:
    ref = authorized(gateway, "100.00")
    gateway.capture(ref, Money("100.00", "EUR"), final=True, idempotency_key="c1")
    refunds = [
        gateway.refund(ref, Money(a, "EUR"), idempotency_key=f"r{a}")
        for a in ("10.00", "25.50", "4.50")
    ]
    assert [r.status for r in refunds] == [GatewayStatus.REFUNDED] * 3
    assert len({r.operation_reference for r in refunds}) == 3
    assert all(r.operation_reference and r.operation_reference.startswith("re_") for r in refunds)
    assert sim.stats(ref).refunds == (1000, 2550, 450)
    assert next(r.body for r in sim.posts() if r.path == "/v1/refunds") == (
        f"payment_intent={ref}&amount=1000".encode()
    )
    # 100.00 - 40.00 is left; Stripe refuses more.
    with pytest.raises(GatewayError) as caught:
        gateway.refund(ref, Money("60.01", "EUR"), idempotency_key="r-too-much")
    assert (caught.value.code, caught.value.status) == ("amount_too_large", 400)


# -- declines and idempotency ----------------------------------------------------------------------


@pytest.mark.parametrize("pm", sorted(DECLINES))
def test_declines_carry_the_decline_code(
    gateway: StripeGateway, sim: StripeSimulator, pm: str
) -> None:
    _, decline_code, message = DECLINES[pm]
    with pytest.raises(PaymentDeclinedError) as caught:
        gateway.authorize(request(pm=pm), idempotency_key="k")
    (ref,) = sim.intent_ids()
    assert (caught.value.code, caught.value.reference) == (decline_code, ref)
    assert (str(caught.value), caught.value.provider) == (message, "stripe")
    assert not caught.value.retryable
    # A retry with the same key replays the stored decline: no second attempt at the card.
    with pytest.raises(PaymentDeclinedError):
        gateway.authorize(request(pm=pm), idempotency_key="k")
    assert sim.intent_ids() == [ref]
    assert (sim.stats(ref).declines, sim.stats(ref).authorizations) == (1, 0)


def test_a_key_reused_with_other_parameters(gateway: StripeGateway, sim: StripeSimulator) -> None:
    gateway.authorize(request("25.00"), idempotency_key="k")
    with pytest.raises(IdempotencyConflictError, match="other parameters"):
        gateway.authorize(request("26.00"), idempotency_key="k")
    assert len(sim.intent_ids()) == 1


def test_a_retry_after_a_lost_answer_replays_it(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    sim.drop_next()
    result = gateway.authorize(request(), idempotency_key="k")
    (ref,) = sim.intent_ids()
    assert result.reference == ref and sim.stats(ref).authorizations == 1
    assert len(sim.requests) == 2


def test_a_concurrent_request_with_the_key_then_success(
    gateway: StripeGateway, sim: StripeSimulator, sleeps: Sleeps
) -> None:
    sim.hold_key("k", times=2)
    assert gateway.authorize(request(), idempotency_key="k").status is GatewayStatus.AUTHORIZED
    assert sleeps == [0.5, 0.5]  # random() = 0: max(0.5, 0.5 x 1/2), max(0.5, 1.0 x 1/2)
    assert len(sim.intent_ids()) == 1


# -- retries ---------------------------------------------------------------------------------------


def test_429_honours_retry_after(
    gateway: StripeGateway, sim: StripeSimulator, sleeps: Sleeps
) -> None:
    sim.fail_next(429, retry_after=2)
    sim.fail_next(429, retry_after=120)  # past stripe-python's 60 s: backoff instead
    gateway.authorize(request(), idempotency_key="k")
    assert sleeps == [2.0, 0.5]


def test_backoff_doubles_up_to_five_seconds(sim: StripeSimulator) -> None:
    # min(0.5 x 2 ** (n - 1), 5) x (1 + random()) / 2, never under 0.5.
    for jitter, expected in ((1.0, [0.5, 1.0, 2.0, 4.0, 5.0]), (0.0, [0.5, 0.5, 1.0, 2.0, 2.5])):
        sleeps = Sleeps()
        gateway = StripeGateway(
            KEY,
            client=sim.client(),
            max_attempts=6,
            sleep=sleeps,
            random=functools.partial(float, jitter),
        )
        sim.fail_next(503, times=5)
        gateway.authorize(request(), idempotency_key=f"k{jitter}")
        assert sleeps == expected


def test_stripe_should_retry_false_is_not_retried(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    sim.fail_next(429, should_retry=False)
    with pytest.raises(GatewayUnavailableError) as caught:
        gateway.authorize(request(), idempotency_key="k")
    assert (caught.value.status, caught.value.retryable, len(sim.requests)) == (429, True, 1)
    sim.fail_next(503, should_retry=False)
    with pytest.raises(OutcomeUnknownError):
        gateway.authorize(request(), idempotency_key="k2")
    assert len(sim.requests) == 2 and sim.intent_ids() == []


def test_stripe_should_retry_true_retries_a_refusal(
    gateway: StripeGateway, sim: StripeSimulator, sleeps: Sleeps
) -> None:
    sim.fail_next(400, should_retry=True)
    assert gateway.authorize(request(), idempotency_key="k").status is GatewayStatus.AUTHORIZED
    assert len(sleeps) == 1
    sim.fail_next(400, times=3, should_retry=True)
    with pytest.raises(GatewayError) as caught:
        gateway.authorize(request(), idempotency_key="k2")
    assert type(caught.value) is GatewayError and caught.value.status == 400


def test_rate_limits_that_never_end_are_unavailable(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    sim.fail_next(429, times=3)
    with pytest.raises(GatewayUnavailableError, match="3 attempts") as caught:
        gateway.authorize(request(), idempotency_key="k")
    assert (caught.value.provider, caught.value.code) == ("stripe", "rate_limit")
    assert sim.intent_ids() == []


def test_no_connection_is_unavailable(gateway: StripeGateway, sim: StripeSimulator) -> None:
    sim.refuse_next(times=3)
    with pytest.raises(GatewayUnavailableError) as caught:
        gateway.capture("pi_3Nothing", Money("1.00", "EUR"), final=True, idempotency_key="k")
    assert caught.value.status is None and caught.value.code == "connection_error"


def test_a_timeout_after_sending_is_an_unknown_outcome(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    sim.time_out_next(times=3)
    with pytest.raises(OutcomeUnknownError) as caught:
        gateway.authorize(request(), idempotency_key="k")
    assert (caught.value.provider, caught.value.code, caught.value.retryable) == (
        "stripe",
        "timeout",
        True,
    )
    # Stripe did it on the first attempt; the retries were replays. Retrying learns the outcome.
    (ref,) = sim.intent_ids()
    assert gateway.authorize(request(), idempotency_key="k").reference == ref
    assert sim.stats(ref).authorizations == 1


def test_a_timeout_before_acting_is_still_unknown_to_the_caller(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    sim.time_out_next(times=3, after_acting=False)
    with pytest.raises(OutcomeUnknownError):
        gateway.authorize(request(), idempotency_key="k")
    assert sim.intent_ids() == []


def test_a_stored_500_is_an_unknown_outcome_each_time(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    sim.crash_next()
    for _ in range(2):
        with pytest.raises(OutcomeUnknownError, match="500"):
            gateway.authorize(request(), idempotency_key="k")
    (ref,) = sim.intent_ids()
    assert sim.stats(ref).authorizations == 1
    assert len(sim.requests) == 2  # Stripe-Should-Retry: false, so no retry within a call


def test_a_read_that_keeps_failing_is_unavailable(
    gateway: StripeGateway, sim: StripeSimulator
) -> None:
    ref = authorized(gateway)
    sim.fail_next(500, times=3)
    with pytest.raises(GatewayUnavailableError):
        gateway.confirm(ref, idempotency_key="k")


# -- bad input, refused before any call ------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            lambda g: g.capture(
                "4242 4242 4242 4242", Money("1.00", "EUR"), final=True, idempotency_key="k"
            ),
            ValidationError,
        ),
        (lambda g: g.void("pi_1/../../v1/refunds", idempotency_key="k"), ValidationError),
        (lambda g: g.refund("ch_123", Money("1.00", "EUR"), idempotency_key="k"), ValidationError),
        (
            lambda g: g.capture("pi_3A", Money("1.234", "KWD"), final=True, idempotency_key="k"),
            PaymentAmountError,
        ),
        (
            lambda g: g.refund("pi_3A", Money("0.00", "EUR"), idempotency_key="k"),
            PaymentAmountError,
        ),
        (
            lambda g: g.capture("pi_3A", Money("1.000", "IQD"), final=True, idempotency_key="k"),
            PaymentAmountError,
        ),
        (
            lambda g: g.capture("pi_3A", Money("1.00", "EUR"), final=1, idempotency_key="k"),
            ValidationError,
        ),
        (lambda g: g.void("pi_3A", idempotency_key=""), ValidationError),
        (
            lambda g: g.authorize(request(metadata={"a[b]": "x"}), idempotency_key="k"),
            ValidationError,
        ),
        (
            lambda g: g.authorize(request(metadata={"4242424242424242": "x"}), idempotency_key="k"),
            ValidationError,
        ),
        (
            lambda g: g.authorize(request(metadata={"k" * 41: "x"}), idempotency_key="k"),
            ValidationError,
        ),
        (
            lambda g: g.authorize(request(metadata={"payment_id": "other"}), idempotency_key="k"),
            ValidationError,
        ),
        (
            lambda g: g.authorize(
                request(metadata={f"k{i}": "x" for i in range(50)}), idempotency_key="k"
            ),
            ValidationError,
        ),
        (lambda g: g.authorize("pay_1", idempotency_key="k"), ValidationError),
    ],
)
def test_bad_input_is_refused_before_any_call(
    gateway: StripeGateway,
    sim: StripeSimulator,
    call: Callable[[StripeGateway], object],
    error: type[Exception],
) -> None:
    with pytest.raises(error) as caught:
        call(gateway)
    assert isinstance(caught.value, ValueError)
    assert "4242" not in str(caught.value)
    assert sim.requests == []


@pytest.mark.parametrize(
    "settings",
    [
        {"api_key": "sk test"},
        {"api_key": ""},
        {"max_attempts": 0},
        {"timeout": 0},
        {"timeout": float("inf")},
        {"base_url": "api.stripe.com"},
        {"base_url": "https://api.stripe.com/v1"},
        {"client": object()},
        {"stripe_version": "2024-06-20; drop"},
        {"request_multicapture": "yes"},
    ],
)
def test_settings_are_checked(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        StripeGateway(**{"api_key": KEY, **settings})


# -- the port, and the key kept secret -------------------------------------------------------------


def test_it_is_a_payment_gateway(gateway: StripeGateway) -> None:
    assert isinstance(gateway, PaymentGateway)
    assert gateway.provider == "stripe"


def test_a_gateway_that_made_its_client_closes_it() -> None:
    gateway = StripeGateway(KEY)
    with gateway:
        pass
    assert gateway._http._client.is_closed


def test_the_api_key_is_never_shown(sim: StripeSimulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = StripeSimulator("sk_test_TheRightKeyIsAnother0000", now=lambda: T0)
    shown: list[str] = []
    gateway = StripeGateway(KEY, client=sim.client(), sleep=Sleeps())
    shown.append(repr(gateway))
    failures: list[tuple[Callable[[], object], Callable[[], object]]] = [
        (
            lambda: None,
            lambda: StripeGateway(KEY, client=wrong.client()).authorize(
                request(), idempotency_key="k"
            ),
        ),
        (
            lambda: sim.fail_next(429, times=3),
            lambda: gateway.authorize(request(), idempotency_key="a"),
        ),
        (
            lambda: sim.time_out_next(times=3),
            lambda: gateway.authorize(request(), idempotency_key="b"),
        ),
        (lambda: sim.crash_next(), lambda: gateway.authorize(request(), idempotency_key="c")),
        (
            lambda: None,
            lambda: gateway.authorize(
                request(pm="pm_card_visa_chargeDeclined"), idempotency_key="d"
            ),
        ),
        (lambda: None, lambda: gateway.authorize(request("9.00"), idempotency_key="d")),
        (
            lambda: None,
            lambda: gateway.capture(
                "pi_3Missing", Money("1.00", "EUR"), final=True, idempotency_key="e"
            ),
        ),
    ]
    errors: list[CommerceError] = []
    for arrange, act in failures:
        arrange()
        with pytest.raises(CommerceError) as caught:
            act()
        errors.append(caught.value)
    assert [type(e).__name__ for e in errors] == [
        "GatewayError",
        "GatewayUnavailableError",
        "OutcomeUnknownError",
        "OutcomeUnknownError",
        "PaymentDeclinedError",
        "IdempotencyConflictError",
        "GatewayError",
    ]
    assert errors[0].status == 401  # type: ignore[attr-defined]
    shown += [str(e) for e in errors] + [repr(e) for e in errors] + [repr(vars(e)) for e in errors]
    shown += [r.getMessage() for r in caplog.records]
    assert caplog.records  # the retries were logged
    for text in shown:
        assert KEY not in text
        assert "sk_test_" not in text and "DoNotLeak" not in text
