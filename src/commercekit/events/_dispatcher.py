"""The outbox dispatcher: claim, deliver outside any transaction, report; retry, then give up."""

from __future__ import annotations

import logging
import random as _random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from commercekit.errors import ConfigurationError, ConflictError, StorageError
from commercekit.events._values import (
    DispatchReport,
    EventHandler,
    check_topic_pattern,
    retry_delay,
    topic_matches,
)
from commercekit.ports import OUTBOX, StorePort
from commercekit.records import OutboxEvent
from commercekit.rules import check_identifier

__all__ = ["Dispatcher"]

_LOG = logging.getLogger("commercekit.events")
_MAX_ERROR = 500  # characters of a handler's error message that are recorded


def _error_text(exc: BaseException) -> str:
    """What is recorded of a handler's failure: the exception's type and its message."""
    message = str(exc)
    if len(message) > _MAX_ERROR:
        message = message[:_MAX_ERROR] + "..."
    name = type(exc).__qualname__
    return f"{name}: {message}" if message else name


def _positive(value: object, name: str) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ConfigurationError(f"{name} is a positive timedelta, got {value!r}")
    return value


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} is a whole number >= 1, got {value!r}")
    return value


class Dispatcher:
    """Delivers the store's outbox events to handlers, at least once, with retries.

    ``consumer`` names this dispatcher in the outbox (an identifier: the host and process id,
    say); every dispatcher sharing a store needs its own name. Handlers are registered per
    topic pattern (an exact topic, a prefix ending in ``.*``, or ``*``), in ``handlers`` or
    with :meth:`register`; an event goes to every matching handler, in registration order.

    Each :meth:`run_once` claims up to ``batch`` due events under ``lease`` in a short
    transaction, then delivers each one **outside** any transaction and reports it in a short
    transaction of its own: delivered; or failed, to be retried after a capped exponential
    backoff with full jitter (``backoff`` doubling per attempt up to ``max_backoff``, times
    ``random()``); or, when its ``max_attempts``-th attempt fails, dead (see
    :meth:`OutboxRepository.mark_dead <commercekit.ports.OutboxRepository.mark_dead>`). The
    first handler that raises ends the event's attempt: the handlers after it are not called,
    and all of them are called again on the retry. An event that no handler wants is marked
    delivered, so that it does not wait in the outbox forever. Times come from the store's
    clock.

    A handler's error is recorded and logged as its type and message, never with the event's
    payload; the dispatcher logs to ``commercekit.events`` with ``extra`` fields ``area``,
    ``event`` (what happened: ``delivered``, ``delivery_failed``, ``dead_letter``, ...),
    ``event_id``, ``topic``, ``attempts`` and ``consumer``, and a failed webhook's
    ``provider``, ``status`` and ``code``.
    """

    def __init__(
        self,
        store: StorePort,
        *,
        consumer: str,
        handlers: Mapping[str, Sequence[EventHandler]] | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 100,
        max_attempts: int = 8,
        backoff: timedelta = timedelta(seconds=5),
        max_backoff: timedelta = timedelta(hours=1),
        random: Callable[[], float] = _random.random,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.consumer = check_identifier(consumer, name="outbox consumer")
        self.lease = _positive(lease, "lease")
        self.batch = _whole(batch, "batch")
        self.max_attempts = _whole(max_attempts, "max_attempts")
        self.backoff = _positive(backoff, "backoff")
        self.max_backoff = _positive(max_backoff, "max_backoff")
        if self.max_backoff < self.backoff:
            raise ConfigurationError(
                f"max_backoff ({max_backoff}) must not be shorter than backoff ({backoff})"
            )
        if not callable(random) or not callable(sleep):
            raise ConfigurationError("random and sleep must be callables")
        self._random = random
        self._sleep = sleep
        self._handlers: list[tuple[str, EventHandler]] = []
        for pattern, registered in (handlers or {}).items():
            if callable(registered):
                raise ConfigurationError(
                    f"handlers maps each topic pattern to a sequence of handlers; "
                    f"wrap the one for {pattern!r} in a list"
                )
            for handler in registered:
                self.register(pattern, handler)

    def __repr__(self) -> str:
        return (
            f"Dispatcher(consumer={self.consumer!r}, handlers={len(self._handlers)}, "
            f"batch={self.batch}, max_attempts={self.max_attempts})"
        )

    def register(self, topic_pattern: str, handler: EventHandler) -> None:
        """Send the events whose topic ``topic_pattern`` matches to ``handler`` too.

        ``"order.placed"`` matches that topic only, ``"order.*"`` every topic that starts
        with ``"order."``, ``"*"`` every topic. A bad pattern or a handler that is not
        callable is a :class:`~commercekit.errors.ConfigurationError`.
        """
        pattern = check_topic_pattern(topic_pattern)
        if not callable(handler):
            raise ConfigurationError(f"a handler is a callable, got {handler!r}")
        self._handlers.append((pattern, handler))

    def handlers_for(self, topic: str) -> list[EventHandler]:
        """The handlers an event of ``topic`` goes to, in registration order."""
        return [handler for pattern, handler in self._handlers if topic_matches(pattern, topic)]

    # -- running -----------------------------------------------------------------------------

    def run_once(self) -> DispatchReport:
        """Claim one batch, deliver each event and report it; return what happened.

        Must be called outside any store transaction
        (:class:`~commercekit.errors.ConfigurationError` otherwise): handlers make network
        calls, which must not hold the store's locks.
        """
        if self.store.in_transaction():
            raise ConfigurationError(
                "the dispatcher delivers events outside transactions: call it outside any"
                " store transaction"
            )
        with self.store.transaction() as tx:
            events = tx.repository(OUTBOX).claim(self.consumer, limit=self.batch, lease=self.lease)
        report = DispatchReport(claimed=len(events))
        for event in events:
            report += self._dispatch(event)
        return report

    def drain(self) -> DispatchReport:
        """:meth:`run_once` until a claim finds nothing due; return the totals.

        For a cron job, a management command or a test. Events that failed and are not due
        yet, or that another consumer holds, are left for a later call.
        """
        total = DispatchReport()
        while True:
            report = self.run_once()
            total += report
            if report.claimed == 0:
                return total

    def run(
        self, stop: Callable[[], bool] | threading.Event, idle_sleep: float = 1.0
    ) -> DispatchReport:
        """Dispatch until ``stop`` says so; return the totals. The loop of a worker process.

        ``stop`` is a :class:`threading.Event` (set it to stop; the idle wait ends at once)
        or a callable returning true to stop. When a claim finds nothing due, the loop waits
        ``idle_sleep`` seconds. A :class:`~commercekit.errors.StorageError` (the database is
        down or busy) is logged and the loop waits and tries again; anything else propagates.
        """
        if isinstance(idle_sleep, bool) or not isinstance(idle_sleep, int | float):
            raise ConfigurationError(f"idle_sleep is a number of seconds, got {idle_sleep!r}")
        if not idle_sleep >= 0:
            raise ConfigurationError(f"idle_sleep must be >= 0, got {idle_sleep!r}")
        stopped: Callable[[], bool]
        wait: Callable[[float], object]
        if isinstance(stop, threading.Event):
            stopped, wait = stop.is_set, stop.wait  # setting the event ends the wait at once
        elif callable(stop):
            stopped, wait = stop, self._sleep
        else:
            raise ConfigurationError(f"stop is a threading.Event or a callable, got {stop!r}")
        total = DispatchReport()
        while not stopped():
            try:
                report = self.run_once()
            except StorageError as exc:
                _LOG.warning(
                    "outbox dispatch failed, retrying in %s s: %s",
                    idle_sleep,
                    _error_text(exc),
                    extra={"area": "events", "event": "dispatch_failed", "consumer": self.consumer},
                )
                report = DispatchReport()
            total += report
            if report.claimed == 0 and not stopped():
                wait(float(idle_sleep))
        return total

    # -- one event ---------------------------------------------------------------------------

    def _dispatch(self, event: OutboxEvent) -> DispatchReport:
        context: dict[str, object] = {
            "area": "events",
            "event_id": event.id,
            "topic": event.topic,
            "attempts": event.attempts,
            "consumer": self.consumer,
        }
        handlers = self.handlers_for(event.topic)
        if not handlers:
            _LOG.debug(
                "no handler for outbox event %s (%s)",
                event.id,
                event.topic,
                extra={**context, "event": "no_handler"},
            )
        try:
            for handler in handlers:
                handler(event)
        except Exception as exc:
            for name in ("provider", "status", "code"):  # a webhook's (a GatewayError's)
                context[name] = getattr(exc, name, None)
            return self._failed(event, _error_text(exc), context)
        try:
            with self.store.transaction() as tx:
                tx.repository(OUTBOX).mark_delivered(event.id, consumer=self.consumer)
        except ConflictError:
            return self._taken_over(event, context)
        _LOG.debug(
            "delivered outbox event %s (%s)",
            event.id,
            event.topic,
            extra={**context, "event": "delivered"},
        )
        return DispatchReport(delivered=1)

    def _failed(self, event: OutboxEvent, error: str, context: dict[str, object]) -> DispatchReport:
        attempts = event.attempts + 1
        try:
            if attempts >= self.max_attempts:
                with self.store.transaction() as tx:
                    tx.repository(OUTBOX).mark_dead(event.id, error, consumer=self.consumer)
                _LOG.error(
                    "outbox event %s (%s) is dead after %s failed attempts: %s",
                    event.id,
                    event.topic,
                    attempts,
                    error,
                    extra={**context, "event": "dead_letter"},
                )
                return DispatchReport(dead=1)
            delay = retry_delay(
                attempts, base=self.backoff, cap=self.max_backoff, random=self._random
            )
            retry_at = self.store.clock.now() + delay
            with self.store.transaction() as tx:
                tx.repository(OUTBOX).mark_failed(
                    event.id, error, retry_at=retry_at, consumer=self.consumer
                )
        except ConflictError:
            return self._taken_over(event, context)
        _LOG.warning(
            "outbox event %s (%s) failed (attempt %s of %s), retrying at %s: %s",
            event.id,
            event.topic,
            attempts,
            self.max_attempts,
            retry_at.isoformat(),
            error,
            extra={**context, "event": "delivery_failed"},
        )
        return DispatchReport(failed=1)

    def _taken_over(self, event: OutboxEvent, context: dict[str, object]) -> DispatchReport:
        _LOG.warning(
            "outbox event %s (%s): the lease ran out and another consumer took it over",
            event.id,
            event.topic,
            extra={**context, "event": "taken_over"},
        )
        return DispatchReport(taken_over=1)
