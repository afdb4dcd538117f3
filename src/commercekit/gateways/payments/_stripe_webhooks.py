"""Stripe webhooks: the signature checked as Stripe signs, then the event in commercekit's terms.

Stripe signs each delivery with the endpoint's secret (``whsec_...``) and sends
``Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...]``: ``v1`` is HMAC-SHA256 of
``b"<t>." + raw body``, and there is one ``v1`` per active secret while a secret is being
rolled (Stripe's "Check the webhook signatures" guide, and stripe-python's
``WebhookSignature``). A delivery is accepted when one ``v1`` matches (compared in constant
time) and ``t`` is within the tolerance of the clock, in either direction (Stripe's libraries
only refuse old ones; a time far in the future is no more trustworthy). Anything else is a
:class:`~commercekit.errors.WebhookSignatureError` and nothing in the body is read.

Deliveries are at least once, unordered, and retried for days: the same event can arrive
twice, or after a later one. Deduplicating on :attr:`WebhookEvent.id` is the caller's job (the
payment service keeps the ids it has seen); this module only verifies and translates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, NoReturn

from commercekit.clock import SystemClock
from commercekit.errors import ConfigurationError, ValidationError, WebhookSignatureError
from commercekit.gateways.payments._stripe_currencies import from_stripe_amount, stripe_currency
from commercekit.money import Money
from commercekit.payments import WebhookEvent, WebhookKind
from commercekit.ports import Clock
from commercekit.rules import check_identifier

__all__ = ["DEFAULT_TOLERANCE", "StripeWebhookVerifier", "stripe_signature"]

#: Stripe's default tolerance between the signature's time and now, in seconds.
DEFAULT_TOLERANCE: Final = 300
_HEX: Final = re.compile(r"[0-9a-f]{64}")
_TIME: Final = re.compile(r"\d{1,12}")

# The PaymentIntent events, by what they say happened to the payment.
_INTENT_KINDS: Final = {
    "payment_intent.amount_capturable_updated": WebhookKind.AUTHORIZED,
    "payment_intent.requires_action": WebhookKind.REQUIRES_ACTION,
    "payment_intent.succeeded": WebhookKind.CAPTURED,
    "payment_intent.payment_failed": WebhookKind.FAILED,
    "payment_intent.canceled": WebhookKind.VOIDED,
}
_REFUND_EVENTS: Final = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)


def stripe_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload`` (for tests and tools).

    >>> stripe_signature(b"{}", "whsec_test", 1700000000)[:40]
    't=1700000000,v1=35495024f4ef3f94e5a93e22'
    """
    signed = str(timestamp).encode("ascii") + b"." + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _refuse(reason: str) -> NoReturn:
    raise WebhookSignatureError(f"Stripe webhook refused: {reason}")


def _header(headers: Mapping[str, str]) -> str:
    found = [
        v for k, v in headers.items() if isinstance(k, str) and k.lower() == "stripe-signature"
    ]
    if len(found) != 1 or not isinstance(found[0], str):
        _refuse("no Stripe-Signature header" if not found else "several Stripe-Signature headers")
    return found[0]


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


class StripeWebhookVerifier:
    """Verifies Stripe deliveries for one endpoint secret and reads their events.

    ``tolerance`` is in seconds; ``clock`` tells the time (the system clock by default).
    The secret appears in no message and no ``repr``.
    """

    def __init__(
        self, secret: str, *, tolerance: int = DEFAULT_TOLERANCE, clock: Clock | None = None
    ) -> None:
        if not isinstance(secret, str) or not re.fullmatch(r"[\x21-\x7e]+", secret):
            raise ConfigurationError("the webhook secret is printable ASCII without spaces")
        if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
            raise ConfigurationError(f"tolerance is whole seconds >= 0, got {tolerance!r}")
        self._secret = secret.encode("ascii")
        self.tolerance = tolerance
        self._clock: Clock = SystemClock() if clock is None else clock

    def __repr__(self) -> str:
        return f"StripeWebhookVerifier(tolerance={self.tolerance})"

    def verify(self, payload: bytes, headers: Mapping[str, str]) -> None:
        """Return if ``payload`` is signed with the secret within the tolerance; else raise."""
        if not isinstance(payload, bytes):
            raise ValidationError("a webhook payload is the raw body, as bytes")
        stamps: list[str] = []
        signatures: list[str] = []
        for item in _header(headers).split(","):
            name, sep, value = item.strip().partition("=")
            if not sep:
                _refuse("the Stripe-Signature header is malformed")
            if name == "t":
                stamps.append(value)
            elif name == "v1":
                signatures.append(value)
        if len(stamps) != 1 or not _TIME.fullmatch(stamps[0]):
            _refuse("the Stripe-Signature header has no single timestamp")
        if not signatures:
            _refuse("the Stripe-Signature header has no v1 signature")
        signed = stamps[0].encode("ascii") + b"." + payload
        expected = hmac.new(self._secret, signed, hashlib.sha256).hexdigest()
        # Every candidate is compared in full, so timing tells nothing about which one is close.
        matched = [hmac.compare_digest(expected, s) for s in signatures if _HEX.fullmatch(s)]
        if not any(matched):
            _refuse("no v1 signature matches the endpoint secret")
        age = self._clock.now().timestamp() - int(stamps[0])
        if not math.isfinite(age) or abs(age) > self.tolerance:
            _refuse(f"the signature's time is {int(age)} s from now (tolerance {self.tolerance} s)")

    def parse(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event of a verified delivery (see the module docs for the kinds)."""
        self.verify(payload, headers)
        try:
            event = json.loads(payload, parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise ValidationError("the webhook body is not JSON") from None
        if not isinstance(event, dict) or event.get("object") != "event":
            raise ValidationError("the webhook body is not a Stripe event")
        return _event(event)


def _event(event: Mapping[str, Any]) -> WebhookEvent:
    event_id = event.get("id")
    kind_text = event.get("type")
    created = event.get("created")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if (
        not isinstance(event_id, str)
        or not event_id.startswith("evt_")
        or not isinstance(kind_text, str)
        or created.__class__ is not int
        or not isinstance(obj, dict)
    ):
        raise ValidationError("the webhook body lacks the event's id, type, created or object")
    kind, reference, amount = _meaning(kind_text, obj)
    return WebhookEvent(
        id=check_identifier(event_id, name="event id"),
        provider="stripe",
        kind=kind,
        reference=reference,
        amount=amount,
        created=datetime.fromtimestamp(created, UTC),
        provider_type=kind_text,
    )


def _money(obj: Mapping[str, Any], field: str) -> Money | None:
    units, currency = obj.get(field), obj.get("currency")
    if units.__class__ is not int or not isinstance(currency, str):
        return None
    try:
        stripe_currency(currency)
        return from_stripe_amount(units, currency)
    except ValidationError:
        return None


def _id(value: object, prefix: str) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and value.startswith(prefix) and value.isascii():
        return check_identifier(value, name="reference")
    return None


def _meaning(kind: str, obj: Mapping[str, Any]) -> tuple[WebhookKind, str | None, Money | None]:
    if kind in _INTENT_KINDS and obj.get("object") == "payment_intent":
        reference = _id(obj, "pi_")
        meaning = _INTENT_KINDS[kind]
        if meaning is WebhookKind.AUTHORIZED:
            return meaning, reference, _money(obj, "amount_capturable")
        if meaning is WebhookKind.CAPTURED:
            return meaning, reference, _money(obj, "amount_received")
        if meaning is WebhookKind.VOIDED:
            amount, received = _money(obj, "amount"), _money(obj, "amount_received")
            released = None if amount is None or received is None else amount - received
            return meaning, reference, released
        return meaning, reference, _money(obj, "amount")
    if kind == "charge.refunded" and obj.get("object") == "charge":
        # The charge's total refunded so far, not this one refund's amount.
        return (
            WebhookKind.REFUNDED,
            _id(obj.get("payment_intent"), "pi_"),
            _money(obj, "amount_refunded"),
        )
    if kind in _REFUND_EVENTS and obj.get("object") == "refund":
        reference = _id(obj.get("payment_intent"), "pi_")
        # A refund that failed or is still pending gave nothing back (yet). A refund object
        # carries its own amount, not the running total a REFUNDED event reports: no amount,
        # so the service waits for charge.refunded (or reads the refund it made itself).
        done = obj.get("status") == "succeeded"
        return (WebhookKind.REFUNDED if done else WebhookKind.OTHER), reference, None
    reference = _id(obj, "pi_") or _id(obj.get("payment_intent"), "pi_")
    return WebhookKind.OTHER, reference, None
