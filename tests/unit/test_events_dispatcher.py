"""The outbox dispatcher on a memory store with a manual clock.

Delivery and its report, the retry schedule (capped exponential backoff with full jitter,
``random`` injected), dead letters after the last allowed attempt and their revival, topic
patterns, a lease that runs out mid-batch, the worker loop, logging and bad settings.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commercekit.clock import ManualClock
from commercekit.errors import ConfigurationError, InvalidIdentifierError, StorageBusyError
from commercekit.events import Dispatcher, DispatchReport, retry_delay, topic_matches
from commercekit.ports import OUTBOX
from commercekit.records import OutboxEvent
from commercekit.storage import Store, open_store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def store(clock: ManualClock) -> Iterator[Store]:
    with open_store("memory://", clock=clock) as opened:
        yield opened


def append(store: Store, *events: tuple[str, dict[str, Any]]) -> list[int]:
    with store.transaction() as tx:
        return [tx.repository(OUTBOX).append(topic, payload) for topic, payload in events]


def get(store: Store, event_id: int) -> OutboxEvent:
    with store.transaction(readonly=True) as tx:
        return tx.repository(OUTBOX).get(event_id)


class Recorder:
    """A handler that records what it was given and fails while ``failures`` lasts."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.seen: list[tuple[int, str, int]] = []
        self.failures = failures
        self.error = error or ConnectionError("receiver down")

    def __call__(self, event: OutboxEvent) -> None:
        self.seen.append((event.id, event.topic, event.attempts))
        if self.failures > 0:
            self.failures -= 1
            raise self.error


def dispatcher(store: Store, **kw: Any) -> Dispatcher:
    return Dispatcher(store, **{"consumer": "relay-a", "random": lambda: 1.0, **kw})


# -- delivering ---------------------------------------------------------------------------------


def test_events_are_delivered_and_marked(store: Store) -> None:
    ids = append(store, ("order.placed", {"order": "o-1"}), ("order.placed", {"order": "o-2"}))
    handler = Recorder()
    report = dispatcher(store, handlers={"order.placed": [handler]}).run_once()
    assert report == DispatchReport(claimed=2, delivered=2)
    assert handler.seen == [(ids[0], "order.placed", 0), (ids[1], "order.placed", 0)]
    done = get(store, ids[0])
    assert (done.delivered_at, done.attempts, done.claimed_by) == (T0, 1, None)
    assert json.loads(done.payload) == {"order": "o-1"}


def test_run_once_takes_one_batch_and_drain_takes_them_all(store: Store) -> None:
    append(store, *[("order.placed", {"n": n}) for n in range(7)])
    handler = Recorder()
    relay = dispatcher(store, handlers={"*": [handler]}, batch=3)
    assert relay.run_once() == DispatchReport(claimed=3, delivered=3)
    assert relay.drain() == DispatchReport(claimed=4, delivered=4)
    assert relay.drain() == DispatchReport()
    assert len(handler.seen) == 7


def test_topic_patterns_choose_the_handlers(store: Store) -> None:
    placed, shipped, low, other = append(
        store,
        ("order.placed", {}),
        ("order.shipped", {}),
        ("stock.low", {}),
        ("orders.placed", {}),
    )
    exact, prefix, everything = Recorder(), Recorder(), Recorder()
    relay = dispatcher(store, handlers={"order.placed": [exact], "order.*": [prefix]})
    relay.register("*", everything)
    assert relay.drain().delivered == 4
    assert [e[0] for e in exact.seen] == [placed]
    assert [e[0] for e in prefix.seen] == [placed, shipped]
    assert [e[0] for e in everything.seen] == [placed, shipped, low, other]
    assert relay.handlers_for("order.placed") == [exact, prefix, everything]
    assert topic_matches("order.*", "order.placed.eu")
    assert not topic_matches("order.*", "order")


def test_an_event_no_handler_wants_is_marked_delivered(store: Store) -> None:
    [event] = append(store, ("refund.issued", {}))
    handler = Recorder()
    report = dispatcher(store, handlers={"order.*": [handler]}).run_once()
    assert report == DispatchReport(claimed=1, delivered=1)
    assert handler.seen == []
    assert get(store, event).delivered_at == T0


def test_the_first_failing_handler_ends_the_attempt(store: Store, clock: ManualClock) -> None:
    [event] = append(store, ("order.placed", {}))
    first, failing, last = Recorder(), Recorder(failures=1), Recorder()
    relay = dispatcher(store, handlers={"*": [first, failing, last]})
    assert relay.run_once() == DispatchReport(claimed=1, failed=1)
    assert (len(first.seen), len(failing.seen), len(last.seen)) == (1, 1, 0)
    assert relay.run_once() == DispatchReport()  # not due before its retry time
    clock.advance(5 * SECOND)
    assert relay.run_once() == DispatchReport(claimed=1, delivered=1)
    assert (len(first.seen), len(failing.seen), len(last.seen)) == (2, 2, 1)
    assert get(store, event).attempts == 2


# -- retries, backoff, dead letters -----------------------------------------------------------


def test_failures_are_retried_on_a_doubling_schedule(store: Store, clock: ManualClock) -> None:
    [event] = append(store, ("order.placed", {"card": "tok_secret"}))
    handler = Recorder(failures=4, error=TimeoutError("webhook timed out"))
    relay = dispatcher(store, handlers={"*": [handler]})
    waits = []
    for _ in range(4):
        assert relay.run_once() == DispatchReport(claimed=1, failed=1)
        failed = get(store, event)
        waits.append(failed.available_at - clock.now())
        clock.set(failed.available_at)
    assert waits == [5 * SECOND, 10 * SECOND, 20 * SECOND, 40 * SECOND]
    assert failed.last_error == "TimeoutError: webhook timed out"  # type and message only
    assert failed.claimed_by is None and failed.attempts == 4
    assert relay.run_once() == DispatchReport(claimed=1, delivered=1)
    assert [seen[2] for seen in handler.seen] == [0, 1, 2, 3, 4]


def test_the_backoff_is_capped_and_jittered(store: Store, clock: ManualClock) -> None:
    [event] = append(store, ("order.placed", {}))
    draws = iter([1.0] * 12 + [0.25])
    relay = dispatcher(
        store,
        handlers={"*": [Recorder(failures=100)]},
        max_attempts=50,
        random=lambda: next(draws),
    )
    waits = []
    for _ in range(13):
        relay.run_once()
        failed = get(store, event)
        waits.append(failed.available_at - clock.now())
        clock.set(failed.available_at)
    # 5 s doubling: 5, 10, ..., 2560 s, then the one-hour cap; the last draw is a quarter of it.
    assert waits[:10] == [5 * SECOND * 2**n for n in range(10)]
    assert waits[10:] == [timedelta(hours=1), timedelta(hours=1), timedelta(minutes=15)]
    base, cap = timedelta(seconds=5), timedelta(hours=1)
    assert retry_delay(10**6, base=base, cap=cap, random=lambda: 0.999) < cap
    assert retry_delay(1, base=base, cap=cap, random=lambda: 0.0) == timedelta(0)


def test_an_event_is_dead_after_its_last_attempt_and_can_be_revived(
    store: Store, clock: ManualClock
) -> None:
    doomed, fine = append(store, ("webhook.test", {}), ("order.placed", {}))
    broken = Recorder(failures=3, error=RuntimeError("410 Gone"))
    relay = dispatcher(store, handlers={"webhook.*": [broken], "order.*": [Recorder()]})
    relay.max_attempts = 3
    total = DispatchReport()
    for _ in range(3):
        total += relay.drain()
        clock.advance(timedelta(hours=1))
    assert total == DispatchReport(claimed=4, delivered=1, failed=2, dead=1)
    dead = get(store, doomed)
    assert (dead.dead_at, dead.attempts, dead.last_error) == (
        T0 + timedelta(hours=2),
        3,
        "RuntimeError: 410 Gone",
    )
    assert relay.drain() == DispatchReport()  # dead events are not claimed
    with store.transaction() as tx:
        assert [e.id for e in tx.repository(OUTBOX).dead()] == [doomed]
        revived = tx.repository(OUTBOX).revive(doomed)
    assert (revived.attempts, revived.dead_at, revived.available_at) == (3, None, clock.now())
    # The receiver is fixed: the revived event is delivered on the next run.
    assert relay.run_once() == DispatchReport(claimed=1, delivered=1)
    assert [seen[2] for seen in broken.seen] == [0, 1, 2, 3]
    assert get(store, fine).delivered_at == T0


def test_a_revived_event_that_fails_again_goes_back_to_the_dead_letters(store: Store) -> None:
    [event] = append(store, ("order.placed", {}))
    relay = dispatcher(store, handlers={"*": [Recorder(failures=5)]}, max_attempts=1)
    assert relay.run_once() == DispatchReport(claimed=1, dead=1)
    with store.transaction() as tx:
        tx.repository(OUTBOX).revive(event)
    assert relay.run_once() == DispatchReport(claimed=1, dead=1)
    assert get(store, event).attempts == 2


def test_a_report_after_another_consumer_took_over_is_counted_not_raised(
    store: Store, clock: ManualClock
) -> None:
    slow, quick = append(store, ("order.placed", {"n": 1}), ("order.placed", {"n": 2}))
    taken: list[int] = []

    def stalls(event: OutboxEvent) -> None:
        if event.id == slow:
            clock.advance(2 * timedelta(minutes=1))  # relay-a's lease runs out meanwhile
            with store.transaction() as tx:  # and relay-b claims the event
                claimed = tx.repository(OUTBOX).claim("relay-b", limit=1, lease=timedelta(hours=1))
            taken.extend(e.id for e in claimed)

    relay = dispatcher(store, handlers={"*": [stalls]}, lease=timedelta(minutes=1))
    report = relay.run_once()
    assert taken == [slow]
    # relay-b owns the slow one now and reports it; the quick one nobody took: relay-a's mark.
    assert report == DispatchReport(claimed=2, taken_over=1, delivered=1)
    assert get(store, slow).claimed_by == "relay-b" and get(store, slow).attempts == 0
    assert get(store, quick).delivered_at == T0 + timedelta(minutes=2)


# -- running ------------------------------------------------------------------------------------


def test_run_stops_on_an_event_and_on_a_callable(store: Store) -> None:
    append(store, ("order.placed", {}), ("order.placed", {}))
    stop = threading.Event()
    seen: list[int] = []

    def handler(event: OutboxEvent) -> None:
        seen.append(event.id)
        if len(seen) == 2:
            stop.set()

    relay = dispatcher(store, handlers={"*": [handler]}, batch=1)
    assert relay.run(stop, idle_sleep=0.01) == DispatchReport(claimed=2, delivered=2)
    sleeps: list[float] = []
    idle = dispatcher(store, sleep=sleeps.append)
    assert idle.run(lambda: len(sleeps) >= 3, idle_sleep=0.5) == DispatchReport()
    assert sleeps == [0.5, 0.5, 0.5]


def test_run_waits_out_a_storage_error(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps: list[float] = []
    relay = dispatcher(store, sleep=sleeps.append)
    outcomes: list[DispatchReport | Exception] = [
        StorageBusyError("database is locked"),
        DispatchReport(claimed=1, delivered=1),
    ]

    def run_once() -> DispatchReport:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(relay, "run_once", run_once)
    with caplog.at_level(logging.WARNING, logger="commercekit.events"):
        report = relay.run(lambda: not outcomes, idle_sleep=2.0)
    assert report == DispatchReport(claimed=1, delivered=1)
    assert sleeps == [2.0]  # once, after the error; not after the busy round
    assert "database is locked" in caplog.text


def test_run_once_refuses_to_run_inside_a_transaction(store: Store) -> None:
    relay = dispatcher(store)
    with store.transaction(), pytest.raises(ConfigurationError, match="outside"):
        relay.run_once()


def test_logs_carry_the_event_context_and_never_the_payload(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    [event] = append(store, ("order.placed", {"card": "tok_very_secret"}))
    relay = dispatcher(store, handlers={"*": [Recorder(failures=1)]})
    with caplog.at_level(logging.DEBUG, logger="commercekit.events"):
        relay.run_once()
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert (record.event_id, record.topic, record.attempts) == (event, "order.placed", 0)  # type: ignore[attr-defined]
    assert record.consumer == "relay-a"  # type: ignore[attr-defined]
    assert "ConnectionError: receiver down" in record.getMessage()
    assert "tok_very_secret" not in caplog.text


def test_a_long_error_message_is_cut(store: Store) -> None:
    [event] = append(store, ("order.placed", {}))
    relay = dispatcher(store, handlers={"*": [Recorder(failures=1, error=ValueError("x" * 9000))]})
    relay.run_once()
    error = get(store, event).last_error
    assert error is not None and error.startswith("ValueError: xxx") and len(error) < 600


@pytest.mark.parametrize(
    "settings",
    [
        {"lease": timedelta(0)},
        {"lease": 60},
        {"batch": 0},
        {"batch": True},
        {"max_attempts": 0},
        {"backoff": timedelta(seconds=-1)},
        {"max_backoff": timedelta(seconds=1)},
        {"random": 0.5},
        {"handlers": {"order.*": Recorder()}},
        {"handlers": {"order*": [Recorder()]}},
        {"handlers": {"*.placed": [Recorder()]}},
        {"handlers": {"": [Recorder()]}},
        {"handlers": {"order.placed": ["not callable"]}},
    ],
)
def test_bad_settings_are_configuration_errors(store: Store, settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        dispatcher(store, **settings)


def test_bad_consumers_and_loop_arguments_are_refused(store: Store) -> None:
    with pytest.raises(InvalidIdentifierError):
        dispatcher(store, consumer=" relay")
    relay = dispatcher(store)
    with pytest.raises(ConfigurationError):
        relay.run(lambda: True, idle_sleep=-1)
    with pytest.raises(ConfigurationError):
        relay.run("stop")  # type: ignore[arg-type]
    assert "relay-a" in repr(relay)
