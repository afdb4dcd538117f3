"""Signed webhooks: the body commercekit sends, its signature, and the receiver's checks.

Pure functions, no I/O: the sender (:class:`commercekit.gateways.webhooks.WebhookSender`)
and any receiver (commercekit or not) share them. The scheme is Stripe's: the header
``Commercekit-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is HMAC-SHA256, keyed with
the endpoint's secret, of ``b"<t>." + body``. A receiver accepts a delivery when one ``v1``
matches one of its secrets (compared in constant time) and ``t`` is within the tolerance of
its clock, in either direction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final, NoReturn

from commercekit.clock import ensure_utc
from commercekit.errors import ConfigurationError, EventSignatureError, ValidationError
from commercekit.records import OutboxEvent

__all__ = [
    "DEFAULT_TOLERANCE",
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TOPIC_HEADER",
    "sign_webhook",
    "verify_webhook",
    "verify_webhook_request",
    "webhook_body",
    "webhook_event_id",
]

#: The header that carries the signature, ``t=<unix seconds>,v1=<hex HMAC-SHA256>``.
SIGNATURE_HEADER: Final = "Commercekit-Signature"
#: The header that carries the outbox event's id (decimal): the key a receiver dedups on.
EVENT_ID_HEADER: Final = "Commercekit-Event-Id"
#: The header that carries the event's topic (percent-encoded where it is not plain ASCII).
TOPIC_HEADER: Final = "Commercekit-Topic"
#: How far the signature's time may be from the receiver's clock, either way.
DEFAULT_TOLERANCE: Final = timedelta(minutes=5)

_HEX: Final = re.compile(r"[0-9a-f]{64}")
_TIME: Final = re.compile(r"[0-9]{1,12}")
_ID: Final = re.compile(r"[1-9][0-9]{0,18}")
_MAX_ID: Final = 2**63 - 1


def _key(secret: object) -> bytes:
    """The HMAC key of ``secret``: its UTF-8 bytes (the secret itself is never shown)."""
    if not isinstance(secret, str) or not secret:
        raise ConfigurationError("a webhook secret is a non-empty str")
    try:
        return secret.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigurationError("a webhook secret is text without lone surrogates") from None


def _digest(key: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """The :data:`SIGNATURE_HEADER` value for ``body`` sent at ``timestamp`` (unix seconds).

    >>> sign_webhook("s3cret", 1772355600, b'{"id":1}')
    't=1772355600,v1=b7729b22d313a874f577b36cea379bfbfc4ad1e46a95d553d81aa27a6321c83a'
    """
    key = _key(secret)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValidationError(f"a webhook timestamp is whole unix seconds >= 0, got {timestamp!r}")
    if not isinstance(body, bytes):
        raise ValidationError("a webhook body is the raw bytes sent")
    return f"t={timestamp},v1={_digest(key, str(timestamp), body)}"


def _refuse(reason: str) -> NoReturn:
    raise EventSignatureError(f"webhook refused: {reason}")


def verify_webhook(
    secret: str | Sequence[str],
    header: str | None,
    body: bytes,
    *,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Return if ``header`` signs ``body`` with ``secret`` within ``tolerance`` of ``now``.

    ``secret`` is one secret or several (while rotating: accept the new one and the old one
    until every sender uses the new one). ``header`` is the :data:`SIGNATURE_HEADER` value as
    received (``None`` when there was none) and ``body`` the raw bytes, before any parsing.
    A missing or malformed header, no matching signature, or a time more than ``tolerance``
    before or after ``now`` is an :class:`~commercekit.errors.EventSignatureError`; nothing
    in the body should then be acted on. Signatures are compared in constant time.

    >>> from datetime import UTC, datetime
    >>> body = b'{"id":1}'
    >>> header = sign_webhook("s3cret", 1772355600, body)
    >>> now = datetime(2026, 3, 1, 9, 1, tzinfo=UTC)
    >>> verify_webhook(["n3w", "s3cret"], header, body, now=now)
    >>> verify_webhook("s3cret", header, b'{"id":2}', now=now)
    Traceback (most recent call last):
    ...
    commercekit.errors.EventSignatureError: webhook refused: no v1 signature matches the secret
    """
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise ConfigurationError("verify a webhook with at least one secret")
    keys = [_key(item) for item in secrets]
    if not isinstance(tolerance, timedelta) or tolerance < timedelta(0):
        raise ConfigurationError(f"tolerance is a timedelta >= 0, got {tolerance!r}")
    if not isinstance(now, datetime):
        raise ValidationError(f"now is a datetime, got {now!r}")
    moment = ensure_utc(now)
    if not isinstance(body, bytes):
        raise ValidationError("a webhook body is the raw bytes received")
    if header is None or not isinstance(header, str) or not header.strip():
        _refuse(f"no {SIGNATURE_HEADER} header")
    stamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            _refuse(f"the {SIGNATURE_HEADER} header is malformed")
        if name == "t":
            stamps.append(value)
        elif name == "v1":
            signatures.append(value)
    if len(stamps) != 1 or not _TIME.fullmatch(stamps[0]):
        _refuse(f"the {SIGNATURE_HEADER} header has no single timestamp")
    candidates = [s for s in signatures if _HEX.fullmatch(s)]
    if not candidates:
        _refuse(f"the {SIGNATURE_HEADER} header has no v1 signature")
    # Every pair is compared in full: the time taken tells nothing about which one is close.
    matched = False
    for key in keys:
        expected = _digest(key, stamps[0], body)
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        _refuse("no v1 signature matches the secret")
    age = moment.timestamp() - int(stamps[0])
    if abs(age) > tolerance.total_seconds():
        when = "old" if age > 0 else "in the future"
        _refuse(
            f"the signature was made {abs(int(age))} s {'ago' if age > 0 else 'from now'}"
            f" (too {when}; tolerance {int(tolerance.total_seconds())} s)"
        )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """The one value of header ``name`` in ``headers``, matched without regard to case."""
    lowered = name.lower()
    found = [v for k, v in headers.items() if isinstance(k, str) and k.lower() == lowered]
    if len(found) > 1:
        _refuse(f"several {name} headers")
    if not found:
        return None
    if not isinstance(found[0], str):
        _refuse(f"the {name} header is not text")
    return found[0]


def webhook_event_id(headers: Mapping[str, str], body: bytes) -> int:
    """The event id of a delivery, from :data:`EVENT_ID_HEADER`, checked against the body.

    Call it after :func:`verify_webhook` and keep the ids you have processed: delivery is at
    least once, so the same event may arrive again (after a timeout, or a lease that ran
    out), and its id is the same each time. The header is not signed, so it must agree with
    the ``id`` of the signed ``body``; a missing, malformed or disagreeing id is an
    :class:`~commercekit.errors.EventSignatureError`.

    >>> webhook_event_id({"commercekit-event-id": "7"}, b'{"id":7,"topic":"order.placed"}')
    7
    """
    text = _header(headers, EVENT_ID_HEADER)
    if text is None:
        _refuse(f"no {EVENT_ID_HEADER} header")
    if not _ID.fullmatch(text.strip()) or int(text) > _MAX_ID:
        _refuse(f"the {EVENT_ID_HEADER} header is not an event id")
    event_id = int(text)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        _refuse("the body is not JSON")
    signed = document.get("id") if isinstance(document, dict) else None
    if signed.__class__ is not int or signed != event_id:
        _refuse(f"the {EVENT_ID_HEADER} header does not match the body's id")
    return event_id


def verify_webhook_request(
    secret: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> int:
    """:func:`verify_webhook` on the request's headers, then :func:`webhook_event_id`.

    One call for a receiver: ``headers`` is any mapping of the request's headers (names in
    any case), ``body`` the raw bytes. Returns the verified event id to dedup on.

    >>> from datetime import UTC, datetime
    >>> body = b'{"id":7}'
    >>> headers = {"Commercekit-Signature": sign_webhook("s3cret", 1772355600, body),
    ...            "Commercekit-Event-Id": "7"}
    >>> verify_webhook_request("s3cret", headers, body, now=datetime(2026, 3, 1, 9, tzinfo=UTC))
    7
    """
    verify_webhook(secret, _header(headers, SIGNATURE_HEADER), body, now=now, tolerance=tolerance)
    return webhook_event_id(headers, body)


def webhook_body(event: OutboxEvent) -> bytes:
    r"""The JSON body commercekit sends for ``event``: the exact bytes that are signed.

    ``{"id": ..., "topic": ..., "created_at": ISO 8601 in UTC, "payload": ...}``, where the
    payload is the event's stored JSON, unchanged.

    >>> from datetime import UTC, datetime
    >>> from commercekit.records import OutboxEvent
    >>> event = OutboxEvent(7, "order.placed", '{"order":"o-1"}',
    ...     datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 3, 1, 9, tzinfo=UTC), 0, None, None)
    >>> body = webhook_body(event)
    >>> print(body.decode().replace(',"', ',\n"'))
    {"id":7,
    "topic":"order.placed",
    "created_at":"2026-03-01T09:00:00+00:00",
    "payload":{"order":"o-1"}}
    """
    head = json.dumps(
        {
            "id": event.id,
            "topic": event.topic,
            "created_at": ensure_utc(event.created_at).isoformat(),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return f'{head[:-1]},"payload":{event.payload}}}'.encode()
