"""Outgoing webhooks over httpx: an event handler that POSTs signed events to a URL.

A :class:`WebhookSender` is an :class:`~commercekit.events.EventHandler`: register it with a
:class:`~commercekit.events.Dispatcher` and each event it is given is POSTed as JSON
(:func:`~commercekit.events.webhook_body`) with the headers ``Commercekit-Signature``,
``Commercekit-Event-Id`` and ``Commercekit-Topic``. A 2xx answer is a delivery; anything else,
a timeout or a network error is a :class:`~commercekit.errors.WebhookDeliveryError`, which
the dispatcher records and retries. The receiver verifies with
:func:`~commercekit.events.verify_webhook_request`.

>>> import httpx
>>> from datetime import UTC, datetime
>>> from commercekit.clock import ManualClock
>>> from commercekit.events import verify_webhook_request
>>> from commercekit.records import OutboxEvent
>>> t0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
>>> def receiver(request):
...     event_id = verify_webhook_request("s3cret", request.headers, request.content, now=t0)
...     return httpx.Response(204 if event_id == 7 else 400)
>>> client = httpx.Client(transport=httpx.MockTransport(receiver))
>>> send = WebhookSender("https://shop.example/hooks", "s3cret", client=client,
...                      clock=ManualClock(t0))
>>> send(OutboxEvent(7, "order.placed", '{"order":"o-1"}', t0, t0, 0, None, None))
>>> send
WebhookSender(url='https://shop.example/hooks', timeout=10.0)
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Final

import httpx

from commercekit.clock import SystemClock
from commercekit.errors import ConfigurationError, WebhookDeliveryError
from commercekit.events import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TOPIC_HEADER,
    sign_webhook,
    webhook_body,
)
from commercekit.gateways.http import seconds
from commercekit.ports import Clock
from commercekit.records import OutboxEvent

__all__ = ["DEFAULT_TIMEOUT", "WebhookSender"]

#: Seconds each POST may take, connecting included, unless the sender is told otherwise.
DEFAULT_TIMEOUT: Final = 10.0
_RETRYABLE: Final = frozenset({408, 409, 425, 429})
_PRINTABLE: Final = re.compile(r"[\x20-\x7e]*")


def _endpoint(url: object) -> tuple[str, str, httpx.BasicAuth | None]:
    """The URL to POST to, how it is shown, and the credentials it carried.

    User and password move out of the URL into HTTP basic auth (what they meant), so that no
    logger that writes request URLs (httpx's does, at INFO) ever sees them; the shown URL has
    no credentials, query or fragment.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"a webhook URL is a str, got {type(url).__name__}")
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        raise ConfigurationError("the webhook URL cannot be parsed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("a webhook URL is http:// or https:// with a host")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}{'' if parts.port is None else f':{parts.port}'}"
    shown = f"{parts.scheme}://{netloc}"
    auth = None
    if parts.username is not None or parts.password is not None:
        auth = httpx.BasicAuth(
            urllib.parse.unquote(parts.username or ""), urllib.parse.unquote(parts.password or "")
        )
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url, shown + (parts.path or "/"), auth


def _topic_header(topic: str) -> str:
    """The topic as a header value: itself when it is printable ASCII, else percent-encoded."""
    if _PRINTABLE.fullmatch(topic) and "%" not in topic:
        return topic
    return urllib.parse.quote(topic, safe="!#$&'()*+,./:;=?@[]^_`{|}~ ")


class WebhookSender:
    """POSTs each event it is called with to ``url``, signed with ``secret``.

    ``client`` is the :class:`httpx.Client` to send with (tests pass one over an
    :class:`httpx.MockTransport`); without one the sender makes its own, which
    :meth:`close` closes. Every POST has ``timeout`` seconds. ``clock`` gives the signature's
    time (the system clock by default). Redirects are not followed: a 3xx is a failed
    delivery. The secret appears in no ``repr``, message or log line, and the URL is shown
    without its credentials and query.
    """

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        client: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
    ) -> None:
        self._url, self.url, self._auth = _endpoint(url)
        sign_webhook(secret, 0, b"")  # a secret that cannot sign is refused now, not per event
        self._secret = secret
        self.timeout = seconds(timeout, "timeout", positive=True)
        if client is not None and not isinstance(client, httpx.Client):
            raise ConfigurationError("client is an httpx.Client")
        self._owned = client is None
        self._client = httpx.Client(timeout=self.timeout) if client is None else client
        self._clock: Clock = SystemClock() if clock is None else clock

    def __repr__(self) -> str:
        return f"WebhookSender(url={self.url!r}, timeout={self.timeout})"

    def close(self) -> None:
        """Close the HTTP client if the sender made it (a client passed in is left open)."""
        if self._owned:
            self._client.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __call__(self, event: OutboxEvent) -> None:
        """POST ``event``; return on a 2xx answer, else raise ``WebhookDeliveryError``."""
        body = webhook_body(event)
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_webhook(self._secret, timestamp, body),
            EVENT_ID_HEADER: str(event.id),
            TOPIC_HEADER: _topic_header(event.topic),
        }
        try:
            response = self._client.post(
                self._url,
                content=body,
                headers=headers,
                auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as exc:
            raise WebhookDeliveryError(
                f"webhook {self.url} did not answer within {self.timeout} s",
                provider="webhook",
                code="timeout",
                retryable=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise WebhookDeliveryError(
                f"webhook {self.url} could not be reached ({type(exc).__name__})",
                provider="webhook",
                code="unreachable",
                retryable=True,
            ) from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        raise WebhookDeliveryError(
            f"webhook {self.url} answered {status} {response.reason_phrase}".rstrip(),
            provider="webhook",
            code=str(status),
            status=status,
            retryable=status >= 500 or status in _RETRYABLE,
        )
