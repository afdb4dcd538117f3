"""Signed outgoing webhooks: signing, verifying, the sender over httpx, and a round trip.

Expected signatures are computed here with ``hmac`` over ``b"<t>." + body``, not with the code
under test. The sender talks to an ``httpx.MockTransport`` whose handler is the receiving side:
it verifies each delivery with :func:`verify_webhook_request`, as a host's endpoint would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commercekit.clock import ManualClock
from commercekit.errors import (
    ConfigurationError,
    EventSignatureError,
    GatewayError,
    ValidationError,
    WebhookDeliveryError,
)
from commercekit.events import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TOPIC_HEADER,
    Dispatcher,
    DispatchReport,
    sign_webhook,
    verify_webhook,
    verify_webhook_request,
    webhook_body,
    webhook_event_id,
)
from commercekit.gateways.webhooks import WebhookSender
from commercekit.ports import OUTBOX
from commercekit.records import OutboxEvent
from commercekit.storage import open_store

SECRET = "whsec_commercekit_5d1f0b7e9a"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T = int(NOW.timestamp())
URL = "https://hooks.example.com/commercekit"
SECOND = timedelta(seconds=1)


def expected(body: bytes, secret: str = SECRET, timestamp: int = T) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def event(
    event_id: int = 7, topic: str = "order.placed", payload: str = '{"order":"o-1"}'
) -> OutboxEvent:
    return OutboxEvent(event_id, topic, payload, NOW, NOW, 0, None, None)


# -- signing and verifying --------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_of_time_dot_body() -> None:
    body = b'{"id":7}'
    assert sign_webhook(SECRET, T, body) == expected(body)
    verify_webhook(SECRET, expected(body), body, now=NOW)


def test_rotation_accepts_any_current_secret() -> None:
    body = b'{"id":7}'
    old, new = expected(body, "old-secret"), expected(body, "new-secret")
    for header in (old, new, f"{old},v1={new.split('v1=')[1]}"):
        verify_webhook(["new-secret", "old-secret"], header, body, now=NOW)
    with pytest.raises(EventSignatureError, match="matches"):
        verify_webhook(("new-secret",), old, body, now=NOW)


@pytest.mark.parametrize(
    ("header", "body", "secret", "now", "reason"),
    [
        (expected(b"{}"), b"{} ", SECRET, NOW, "matches"),  # tampered body
        (expected(b"{}"), b"{}", "wrong", NOW, "matches"),  # wrong secret
        (expected(b"{}"), b"{}", SECRET, NOW + timedelta(seconds=301), "old"),  # stale
        (expected(b"{}"), b"{}", SECRET, NOW - timedelta(seconds=301), "future"),
        (None, b"{}", SECRET, NOW, "no Commercekit-Signature"),
        ("", b"{}", SECRET, NOW, "no Commercekit-Signature"),
        ("garbage", b"{}", SECRET, NOW, "malformed"),
        (f"v1={'0' * 64}", b"{}", SECRET, NOW, "single timestamp"),
        (f"t={T},t={T},v1={'0' * 64}", b"{}", SECRET, NOW, "single timestamp"),
        (f"t=-{T},v1={'0' * 64}", b"{}", SECRET, NOW, "single timestamp"),
        (f"t={T}", b"{}", SECRET, NOW, "no v1"),
        (f"t={T},v1=XYZ", b"{}", SECRET, NOW, "no v1"),
        (
            expected(b"{}").upper().replace("T=", "t=").replace("V1=", "v1="),
            b"{}",
            SECRET,
            NOW,
            "v1",
        ),
        (expected(b"{}").replace("v1=", "v0="), b"{}", SECRET, NOW, "no v1"),
    ],
)
def test_bad_deliveries_are_refused(
    header: str | None, body: bytes, secret: str, now: datetime, reason: str
) -> None:
    with pytest.raises(EventSignatureError, match=reason):
        verify_webhook(secret, header, body, now=now)


def test_the_tolerance_is_inclusive_and_configurable() -> None:
    body = b"{}"
    verify_webhook(SECRET, expected(body), body, now=NOW + timedelta(minutes=5))
    verify_webhook(SECRET, expected(body), body, now=NOW - timedelta(minutes=5))
    verify_webhook(
        SECRET, expected(body), body, now=NOW + timedelta(hours=1), tolerance=timedelta(hours=1)
    )
    with pytest.raises(EventSignatureError, match="too old"):
        verify_webhook(SECRET, expected(body), body, now=NOW + SECOND, tolerance=timedelta(0))


def test_bad_arguments_are_refused_before_any_check() -> None:
    body = b"{}"
    header = expected(body)
    with pytest.raises(ConfigurationError):
        verify_webhook([], header, body, now=NOW)
    with pytest.raises(ConfigurationError):
        verify_webhook("", header, body, now=NOW)
    with pytest.raises(ConfigurationError):
        verify_webhook(SECRET, header, body, now=NOW, tolerance=-SECOND)
    with pytest.raises(ValidationError, match="naive"):
        verify_webhook(SECRET, header, body, now=datetime(2026, 3, 1, 9))
    with pytest.raises(ValidationError):
        verify_webhook(SECRET, header, "{}", now=NOW)  # type: ignore[arg-type]
    for timestamp in (-1, True, 1.5):
        with pytest.raises(ValidationError):
            sign_webhook(SECRET, timestamp, body)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        sign_webhook("", T, body)
    with pytest.raises(ConfigurationError, match="surrogates"):
        verify_webhook(["ok", "\udfff"], header, body, now=NOW)


def test_the_event_id_must_agree_with_the_signed_body() -> None:
    body = webhook_body(event(42))
    assert webhook_event_id({"Commercekit-Event-Id": "42"}, body) == 42
    assert webhook_event_id({"COMMERCEKIT-EVENT-ID": "42"}, body) == 42
    for headers, reason in [
        ({}, "no Commercekit-Event-Id"),
        ({"Commercekit-Event-Id": "41"}, "does not match"),
        ({"Commercekit-Event-Id": "042"}, "not an event id"),
        ({"Commercekit-Event-Id": "x"}, "not an event id"),
        ({"Commercekit-Event-Id": str(2**63)}, "not an event id"),
        ({"commercekit-event-id": "42", "Commercekit-Event-Id": "42"}, "several"),
    ]:
        with pytest.raises(EventSignatureError, match=reason):
            webhook_event_id(headers, body)
    with pytest.raises(EventSignatureError, match="not JSON"):
        webhook_event_id({"Commercekit-Event-Id": "42"}, b"not json")
    with pytest.raises(EventSignatureError, match="does not match"):
        webhook_event_id({"Commercekit-Event-Id": "1"}, b'{"id":true}')


def test_the_body_is_the_event_with_its_payload_unchanged() -> None:
    body = webhook_body(event(7, "order.placed", '{"amount":"12.50","currency":"EUR"}'))
    assert json.loads(body) == {
        "id": 7,
        "topic": "order.placed",
        "created_at": "2026-03-01T09:00:00+00:00",
        "payload": {"amount": "12.50", "currency": "EUR"},
    }
    assert body.endswith(b',"payload":{"amount":"12.50","currency":"EUR"}}')


@given(secret=st.text(min_size=1), body=st.binary(), timestamp=st.integers(0, 10**11))
def test_sign_then_verify_accepts_any_body_and_secret(
    secret: str, body: bytes, timestamp: int
) -> None:
    header = sign_webhook(secret, timestamp, body)
    verify_webhook(secret, header, body, now=datetime.fromtimestamp(timestamp, UTC))


@given(
    secret=st.text(min_size=1),
    body=st.binary(min_size=1),
    index=st.integers(min_value=0),
    flip=st.integers(1, 255),
)
def test_any_single_byte_change_is_refused(secret: str, body: bytes, index: int, flip: int) -> None:
    header = sign_webhook(secret, T, body)
    changed = bytearray(body)
    changed[index % len(body)] ^= flip
    with pytest.raises(EventSignatureError):
        verify_webhook(secret, header, bytes(changed), now=NOW)
    # So is a change to any character of the signature itself.
    signature = header.index("v1=") + 3 + index % 64
    digit = "0" if header[signature] != "0" else "1"
    with pytest.raises(EventSignatureError):
        verify_webhook(secret, header[:signature] + digit + header[signature + 1 :], body, now=NOW)


# -- the sender -------------------------------------------------------------------------------


class Receiver:
    """The receiving endpoint: verifies every delivery, dedups on the event id, answers."""

    def __init__(self, clock: ManualClock, answers: list[int | Exception] | None = None) -> None:
        self.clock = clock
        self.answers = answers or []
        self.requests: list[httpx.Request] = []
        self.processed: dict[int, Any] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            if answer != 200:
                return httpx.Response(answer)
        try:
            event_id = verify_webhook_request(
                SECRET, request.headers, request.content, now=self.clock.now()
            )
        except EventSignatureError as exc:
            return httpx.Response(400, text=str(exc))
        self.processed.setdefault(event_id, json.loads(request.content))
        return httpx.Response(204)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def receiver(clock: ManualClock) -> Receiver:
    return Receiver(clock)


@pytest.fixture
def sender(receiver: Receiver, clock: ManualClock) -> Iterator[WebhookSender]:
    client = httpx.Client(transport=httpx.MockTransport(receiver))
    with client, WebhookSender(URL, SECRET, client=client, clock=clock, timeout=3.0) as sending:
        yield sending


def test_a_round_trip_is_verified_by_the_receiver(
    sender: WebhookSender, receiver: Receiver
) -> None:
    sender(event(7, "order.placed", '{"order":"o-1"}'))
    [request] = receiver.requests
    assert request.method == "POST" and str(request.url) == URL
    assert request.headers[SIGNATURE_HEADER] == expected(request.content)
    assert request.headers[EVENT_ID_HEADER] == "7"
    assert request.headers[TOPIC_HEADER] == "order.placed"
    assert request.headers["content-type"] == "application/json"
    assert request.content == webhook_body(event(7, "order.placed", '{"order":"o-1"}'))
    assert request.extensions["timeout"] == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0}
    assert receiver.processed == {
        7: {
            "id": 7,
            "topic": "order.placed",
            "created_at": "2026-03-01T09:00:00+00:00",
            "payload": {"order": "o-1"},
        }
    }


def test_a_topic_that_is_not_ascii_is_percent_encoded(
    sender: WebhookSender, receiver: Receiver
) -> None:
    sender(event(8, "commande.passée"))
    assert receiver.requests[0].headers[TOPIC_HEADER] == "commande.pass%C3%A9e"
    assert json.loads(receiver.requests[0].content)["topic"] == "commande.passée"


@pytest.mark.parametrize(
    ("answer", "status", "retryable"),
    [
        (500, 500, True),
        (503, 503, True),
        (429, 429, True),
        (400, 400, False),
        (410, 410, False),
        (301, 301, False),
    ],
)
def test_an_answer_other_than_2xx_is_a_delivery_error(
    sender: WebhookSender, receiver: Receiver, answer: int, status: int, retryable: bool
) -> None:
    receiver.answers = [answer]
    with pytest.raises(WebhookDeliveryError) as caught:
        sender(event())
    assert isinstance(caught.value, GatewayError)
    assert (caught.value.status, caught.value.retryable) == (status, retryable)
    assert str(status) in str(caught.value) and "hooks.example.com" in str(caught.value)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (httpx.ConnectError("connection refused"), "unreachable"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.RemoteProtocolError("peer closed"), "unreachable"),
    ],
)
def test_no_answer_is_a_retryable_delivery_error(
    sender: WebhookSender, receiver: Receiver, error: Exception, code: str
) -> None:
    receiver.answers = [error]
    with pytest.raises(WebhookDeliveryError) as caught:
        sender(event())
    assert (caught.value.status, caught.value.code, caught.value.retryable) == (None, code, True)
    assert caught.value.__cause__ is error


def test_the_secret_never_shows(clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    answers: list[int | Exception] = [500, httpx.ConnectError("refused")]
    receiver = Receiver(clock, answers)
    client = httpx.Client(transport=httpx.MockTransport(receiver))
    sending = WebhookSender(
        "https://user:pa55@hooks.example.com:8443/in?token=abc#frag",
        SECRET,
        client=client,
        clock=clock,
    )
    shown = [repr(sending), str(vars(sending).get("url"))]
    caplog.set_level(logging.DEBUG)
    with open_store("memory://", clock=clock) as store:
        with store.transaction() as tx:
            tx.repository(OUTBOX).append("order.placed", {"order": "o-1"})
        relay = Dispatcher(store, consumer="relay", handlers={"*": [sending]}, random=lambda: 0.0)
        assert relay.drain() == DispatchReport(claimed=3, failed=2, delivered=1)
        with store.transaction(readonly=True) as tx:
            stored = tx.repository(OUTBOX).get(1)
    # commercekit's own log lines (httpx logs each request's full URL itself, at INFO).
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("commercekit")]
    assert len(logged) == 3
    shown += [*logged, str(stored.last_error)]
    assert stored.last_error == (
        "WebhookDeliveryError: webhook https://hooks.example.com:8443/in could not be reached"
        " (ConnectError)"
    )
    assert shown[0] == "WebhookSender(url='https://hooks.example.com:8443/in', timeout=10.0)"
    for text in shown:
        assert SECRET not in text and "pa55" not in text and "token" not in text


def test_the_dispatcher_retries_a_failing_endpoint_until_it_answers(clock: ManualClock) -> None:
    receiver = Receiver(clock, [503, 503])
    client = httpx.Client(transport=httpx.MockTransport(receiver))
    sending = WebhookSender(URL, SECRET, client=client, clock=clock)
    with open_store("memory://", clock=clock) as store:
        with store.transaction() as tx:
            first = tx.repository(OUTBOX).append("order.placed", {"order": "o-1"})
        relay = Dispatcher(
            store, consumer="relay", handlers={"order.*": [sending]}, random=lambda: 1.0
        )
        assert relay.drain() == DispatchReport(claimed=1, failed=1)
        clock.advance(5 * SECOND)
        assert relay.drain() == DispatchReport(claimed=1, failed=1)
        clock.advance(10 * SECOND)
        assert relay.drain() == DispatchReport(claimed=1, delivered=1)
        with store.transaction(readonly=True) as tx:
            done = tx.repository(OUTBOX).get(first)
    assert done.attempts == 3 and done.last_error == (
        "WebhookDeliveryError: webhook https://hooks.example.com/commercekit answered 503"
        " Service Unavailable"
    )
    assert list(receiver.processed) == [first]
    # Each attempt is signed afresh, at the time it is sent.
    stamps = [r.headers[SIGNATURE_HEADER].split(",")[0] for r in receiver.requests]
    assert stamps == [f"t={T}", f"t={T + 5}", f"t={T + 15}"]


def test_the_receiver_refuses_a_replay_under_another_id(
    sender: WebhookSender, receiver: Receiver
) -> None:
    sender(event(7))
    [request] = receiver.requests
    headers = dict(request.headers) | {EVENT_ID_HEADER.lower(): "8"}
    with pytest.raises(EventSignatureError, match="does not match"):
        verify_webhook_request(SECRET, headers, request.content, now=NOW)
    with pytest.raises(EventSignatureError, match="no Commercekit-Signature"):
        verify_webhook_request(SECRET, {EVENT_ID_HEADER: "7"}, request.content, now=NOW)


@pytest.mark.parametrize(
    "make",
    [
        lambda: WebhookSender("ftp://hooks.example.com", SECRET),
        lambda: WebhookSender("https://", SECRET),
        lambda: WebhookSender("https://hooks.example.com:port/", SECRET),
        lambda: WebhookSender(URL, ""),
        lambda: WebhookSender(URL, "bad \ud800 secret"),
        lambda: WebhookSender(URL, SECRET, timeout=0),
        lambda: WebhookSender(URL, SECRET, client=object()),  # type: ignore[arg-type]
        lambda: WebhookSender(42, SECRET),  # type: ignore[arg-type]
    ],
)
def test_bad_sender_settings_are_configuration_errors(make: Callable[[], WebhookSender]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make()
    assert SECRET not in str(caught.value)


def test_a_sender_closes_only_the_client_it_made() -> None:
    own = WebhookSender(URL, SECRET)
    own.close()
    assert own._client.is_closed
    client = httpx.Client()
    with WebhookSender(URL, SECRET, client=client):
        pass
    assert not client.is_closed
    client.close()


def test_a_store_is_not_needed_to_sign(sender: WebhookSender, receiver: Receiver) -> None:
    # The sender is a plain event handler: any OutboxEvent will do, stored or not.
    sender(event(99, "stock.low", "{}"))
    assert list(receiver.processed) == [99]


def test_credentials_in_the_url_go_as_basic_auth_never_in_the_requested_url(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    caplog.set_level(logging.DEBUG)  # httpx's own logger included: it writes request URLs
    with httpx.Client(transport=httpx.MockTransport(receive)) as client:
        sending = WebhookSender(
            "https://hook%20user:pa55%2Fword@hooks.example.com/in",
            SECRET,
            client=client,
            clock=clock,
        )
        sending(OutboxEvent(1, "order.placed", "{}", clock.now(), clock.now(), 0, None, None))
    (request,) = seen
    assert str(request.url) == "https://hooks.example.com/in"
    expected = httpx.BasicAuth("hook user", "pa55/word")
    assert (
        request.headers["Authorization"]
        == next(expected.auth_flow(httpx.Request("POST", "https://x"))).headers["Authorization"]
    )
    assert all("pa55" not in record.getMessage() for record in caplog.records)
