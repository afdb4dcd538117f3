"""Delivering the outbox: the dispatcher, its handlers, and signed webhooks.

Events are written to the store's outbox in the transaction of the change that caused them
(:class:`~commercekit.ports.OutboxRepository`). A :class:`Dispatcher` takes them from there
and calls the host's handlers, at least once, with retries, backoff and dead letters. The
signing functions are what :class:`commercekit.gateways.webhooks.WebhookSender` signs its
deliveries with and what a receiver verifies them with (see :doc:`/events`).

>>> from datetime import UTC, datetime
>>> header = sign_webhook("s3cret", 1772355600, b'{"id":1}')
>>> verify_webhook("s3cret", header, b'{"id":1}', now=datetime(2026, 3, 1, 9, tzinfo=UTC))
"""

from __future__ import annotations

from commercekit.events._dispatcher import Dispatcher
from commercekit.events._signing import (
    DEFAULT_TOLERANCE,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TOPIC_HEADER,
    sign_webhook,
    verify_webhook,
    verify_webhook_request,
    webhook_body,
    webhook_event_id,
)
from commercekit.events._values import (
    DispatchReport,
    EventHandler,
    check_topic_pattern,
    retry_delay,
    topic_matches,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TOPIC_HEADER",
    "DispatchReport",
    "Dispatcher",
    "EventHandler",
    "check_topic_pattern",
    "retry_delay",
    "sign_webhook",
    "topic_matches",
    "verify_webhook",
    "verify_webhook_request",
    "webhook_body",
    "webhook_event_id",
]
