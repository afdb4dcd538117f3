"""What the dispatcher works with: handlers, topic patterns, its report and its backoff.

Pure: no I/O and no clock. The dispatcher (:mod:`commercekit.events._dispatcher`) composes
these with the store.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

import attrs

from commercekit.errors import ConfigurationError
from commercekit.records import OutboxEvent

__all__ = ["DispatchReport", "EventHandler", "check_topic_pattern", "retry_delay", "topic_matches"]


class EventHandler(Protocol):
    """Something that delivers one outbox event: a function, or an object with ``__call__``.

    Returning means delivered; raising any :class:`Exception` means the delivery failed and
    the dispatcher retries it later. Delivery is at least once: a handler may see the same
    event (the same :attr:`~commercekit.records.OutboxEvent.id`) again, and should ignore a
    repeat. The event's ``payload`` is its JSON text.
    """

    def __call__(self, event: OutboxEvent) -> None:
        """Deliver ``event``; raise if it could not be delivered."""
        ...


def check_topic_pattern(pattern: object) -> str:
    """Return ``pattern`` if it is a topic pattern, else raise ``ConfigurationError``.

    A pattern is an exact topic (``"order.placed"``), a prefix ending in ``.*``
    (``"order.*"``: every topic that starts with ``"order."``), or ``"*"`` (every topic).
    ``*`` anywhere else is refused.

    >>> check_topic_pattern("order.*")
    'order.*'
    """
    if not isinstance(pattern, str) or not pattern or pattern != pattern.strip():
        raise ConfigurationError(f"a topic pattern is a non-empty topic, got {pattern!r}")
    body = pattern[:-2] if pattern.endswith(".*") else pattern
    if pattern != "*" and (not body or "*" in body):
        raise ConfigurationError(
            f"a topic pattern is a topic, a prefix ending in '.*' or '*', got {pattern!r}"
        )
    return pattern


def topic_matches(pattern: str, topic: str) -> bool:
    """Whether ``topic`` is one that ``pattern`` (see :func:`check_topic_pattern`) names.

    >>> topic_matches("order.*", "order.placed"), topic_matches("order.*", "orders.placed")
    (True, False)
    >>> topic_matches("*", "stock.low"), topic_matches("stock.low", "stock.low")
    (True, True)
    """
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return topic.startswith(pattern[:-1])
    return topic == pattern


def retry_delay(
    attempts: int, *, base: timedelta, cap: timedelta, random: Callable[[], float]
) -> timedelta:
    """The wait before retrying an event whose ``attempts``-th delivery (1-based) just failed.

    Capped exponential backoff with full jitter: ``random() x min(cap, base x 2 ** (attempts -
    1))``, so that many events failing together (a receiver that was down) do not all come
    back at the same moment. ``random`` returns a float in ``[0, 1)``.

    >>> retry_delay(3, base=timedelta(seconds=5), cap=timedelta(hours=1), random=lambda: 1.0)
    datetime.timedelta(seconds=20)
    >>> retry_delay(30, base=timedelta(seconds=5), cap=timedelta(hours=1), random=lambda: 0.5)
    datetime.timedelta(seconds=1800)
    """
    # The exponent is capped so that no attempt count overflows.
    ceiling = min(cap.total_seconds(), math.ldexp(base.total_seconds(), min(attempts - 1, 64)))
    fraction = min(max(float(random()), 0.0), 1.0)
    return timedelta(seconds=round(fraction * ceiling, 6))


@attrs.frozen
class DispatchReport:
    """What one or more dispatcher runs did, as counts of events.

    ``claimed``: events taken under a lease; ``delivered``: marked delivered (events no
    handler wants included); ``failed``: failed and scheduled for a retry; ``dead``: failed
    for the last allowed time and moved to the dead letters; ``taken_over``: events whose
    report was refused because this dispatcher's lease had run out and another consumer had
    claimed them (that consumer reports them). Reports add up with ``+``.

    >>> DispatchReport(claimed=2, delivered=2) + DispatchReport(claimed=1, failed=1)
    DispatchReport(claimed=3, delivered=2, failed=1, dead=0, taken_over=0)
    """

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    taken_over: int = 0

    def __add__(self, other: DispatchReport) -> DispatchReport:
        if not isinstance(other, DispatchReport):
            return NotImplemented
        return DispatchReport(
            claimed=self.claimed + other.claimed,
            delivered=self.delivered + other.delivered,
            failed=self.failed + other.failed,
            dead=self.dead + other.dead,
            taken_over=self.taken_over + other.taken_over,
        )
