"""The fake gateway's webhooks: its signature constants, signing deliveries and checking them.

A delivery is Stripe's shape: a JSON event signed in the ``Fake-Signature`` header as
``t=<unix time>,v1=<HMAC-SHA256 of "<t>.<payload>">``.
:meth:`~commercekit.gateways.payments._fake.FakeGateway.event_for` makes one and
:meth:`~commercekit.gateways.payments._fake.FakeGateway.parse_webhook` checks and reads it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from commercekit.errors import GatewayError, ValidationError, WebhookSignatureError
from commercekit.gateways.payments._fake_rules import FakeCharge, new_reference
from commercekit.gateways.payments._fake_state import canonical
from commercekit.money import from_minor_units, to_minor_units
from commercekit.payments import WebhookEvent, WebhookKind
from commercekit.ports import Clock
from commercekit.rules import check_identifier

__all__ = [
    "FAKE_WEBHOOK_SECRET",
    "SIGNATURE_HEADER",
    "WEBHOOK_TOLERANCE_SECONDS",
    "Delivery",
    "delivery",
    "event",
    "signature",
    "verified",
]

#: The webhook signing secret every fake uses unless given another (a test value, no secret).
FAKE_WEBHOOK_SECRET: Final = "whsec_fake_commercekit"
#: The header a fake webhook delivery is signed in, Stripe's shape: ``t=<unix>,v1=<hex>``.
SIGNATURE_HEADER: Final = "Fake-Signature"
#: How old a signed delivery may be, judged by the fake's clock (Stripe's default).
WEBHOOK_TOLERANCE_SECONDS: Final = 300

_EVENT_TYPES: Final = {
    WebhookKind.REQUIRES_ACTION: "payment_intent.requires_action",
    WebhookKind.AUTHORIZED: "payment_intent.amount_capturable_updated",
    WebhookKind.CAPTURED: "payment_intent.succeeded",
    WebhookKind.FAILED: "payment_intent.payment_failed",
    WebhookKind.VOIDED: "payment_intent.canceled",
    WebhookKind.REFUNDED: "charge.refunded",
    WebhookKind.OTHER: "payment_intent.created",
}
_KINDS: Final = {value: kind for kind, value in _EVENT_TYPES.items()}

#: A webhook delivery: ``(payload, headers)``.
Delivery = tuple[bytes, dict[str, str]]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value
    return None


def _signature_parts(header: object) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(",") if isinstance(header, str) else ():
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookSignatureError(
            f"the {SIGNATURE_HEADER} header is not t=<unix time>,v1=<signature>"
        )
    return timestamp, signatures


def signature(secret: bytes, payload: bytes, timestamp: int) -> str:
    """The ``v1`` signature of ``payload`` sent at ``timestamp``: HMAC-SHA256, hex."""
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret, signed, hashlib.sha256).hexdigest()


def delivery(
    charge: FakeCharge, kind: WebhookKind | str, *, clock: Clock, secret: bytes
) -> Delivery:
    """A signed delivery of a new ``kind`` event about ``charge``, dated by ``clock``.

    See :meth:`~commercekit.gateways.payments._fake.FakeGateway.event_for`.
    """
    try:
        kind = WebhookKind(kind)
    except ValueError:
        raise ValidationError(f"not a webhook kind: {kind!r}") from None
    minor = {
        WebhookKind.AUTHORIZED: charge.authorized_minor,
        WebhookKind.CAPTURED: charge.captured_minor,
        WebhookKind.REFUNDED: charge.refunded_minor,
    }.get(kind) or to_minor_units(charge.amount)
    created = int(clock.now().timestamp())
    body = {
        "id": new_reference("evt"),
        "type": _EVENT_TYPES[kind],
        "created": created,
        "data": {
            "object": {
                "payment_intent": charge.id,
                "payment_id": charge.payment_id,
                "status": charge.status.value,
                "amount": None if kind is WebhookKind.OTHER else minor,
                "currency": charge.currency.code.lower(),
            }
        },
    }
    payload = canonical(body).encode()
    return payload, {SIGNATURE_HEADER: f"t={created},v1={signature(secret, payload, created)}"}


def verified(payload: object, headers: Mapping[str, str], *, clock: Clock, secret: bytes) -> bytes:
    """``payload`` once its signature and age are checked, else WebhookSignatureError.

    See :meth:`~commercekit.gateways.payments._fake.FakeGateway.parse_webhook`.
    """
    if not isinstance(payload, bytes | bytearray):
        raise WebhookSignatureError("a webhook payload is the raw request body, as bytes")
    header = _header(headers, SIGNATURE_HEADER)
    if header is None:
        raise WebhookSignatureError(f"the delivery has no {SIGNATURE_HEADER} header")
    timestamp, signatures = _signature_parts(header)
    age = int(clock.now().timestamp()) - timestamp
    if age > WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookSignatureError(
            f"the delivery was signed {age} seconds ago, more than the"
            f" {WEBHOOK_TOLERANCE_SECONDS} allowed: a replay is refused"
        )
    expected = signature(secret, bytes(payload), timestamp)
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise WebhookSignatureError("the delivery's signature does not match its payload")
    return bytes(payload)


def event(payload: bytes, provider: str) -> WebhookEvent:
    """The event a verified delivery of ``provider`` carries (a GatewayError if it is none)."""
    try:
        body = json.loads(payload, parse_float=Decimal)
        found = body["data"]["object"]
        minor, currency = found["amount"], found["currency"]
        return WebhookEvent(
            id=check_identifier(body["id"], name="event id"),
            provider=provider,
            kind=_KINDS.get(body["type"], WebhookKind.OTHER),
            reference=found.get("payment_intent"),
            amount=None if minor is None else from_minor_units(minor, currency.upper()),
            created=datetime.fromtimestamp(body["created"], UTC),
            provider_type=body["type"],
        )
    except (ValueError, LookupError, TypeError, AttributeError, OverflowError) as exc:
        raise GatewayError(
            f"a signed delivery of the fake gateway is not an event: {exc}",
            provider=provider,
            code="malformed_event",
            retryable=False,
        ) from exc
