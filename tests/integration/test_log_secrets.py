"""Logs a host can route, and no secret in them (issue 18, point 5).

Every record of the ``commercekit`` loggers is captured at DEBUG while adapters and stores fail
in the ways that make them talk the most: Stripe, EasyPost and TaxJar answering 4xx (their body
echoing the key), 5xx and timeouts over :class:`httpx.MockTransport`; PostgreSQL at a closed
port and a pool in trouble, both with a password in the URL; gift card payments (a card's code
is a secret); a webhook sender failing with its signing secret and credentials in its URL.
Each record's message, arguments and ``extra`` values are searched for every secret, and the
events a host routes on (a slow transaction, retries, gateway failures, pool trouble) are
checked to be there with their ``extra`` keys.

:mod:`tests.integration.test_payment_secrets` runs a whole Stripe payment life through the
payment service and searches the logs with :func:`leaks` as well.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from commercekit import Money, errors
from commercekit.address import Address
from commercekit.areas import BUILTIN_AREAS
from commercekit.clock import ManualClock
from commercekit.events import Dispatcher
from commercekit.gateways.payments import StripeGateway
from commercekit.gateways.shipping import EasyPost
from commercekit.gateways.webhooks import WebhookSender
from commercekit.inventory import InventoryService
from commercekit.money import get_currency
from commercekit.payments import PAYMENTS_AREA, AuthorizeRequest, PaymentService
from commercekit.payments._credit import StoreCreditGateway, issue_gift_card
from commercekit.ports import OUTBOX
from commercekit.storage import open_store
from commercekit.tax import TaxableItem, TaxBuyer, TaxJar, TaxRequest

STRIPE_KEY = "sk_test_SECRETstripe51KeyThatMustNeverBeLogged0000"
EASYPOST_KEY = "EZTKSECRETeasypostKeyThatMustNeverBeLogged"
TAXJAR_TOKEN = "SECRETtaxjarTokenThatMustNeverBeLogged"
PG_PASSWORD = "hunter2-SECRET"
WEBHOOK_SECRET = "whsec_SECRETwebhookSigningSecret0123"
URL_PASSWORD = "pw-SECRET-in-url"
URL_TOKEN = "tok-SECRET-in-query"
GIFT_KEY = b"SECRET-gift-card-code-key-0123456789"
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
AREAS = BUILTIN_AREAS if PAYMENTS_AREA in BUILTIN_AREAS else (*BUILTIN_AREAS, PAYMENTS_AREA)

#: What every LogRecord has; anything else on a record came in through ``extra=``.
_STANDARD = set(logging.LogRecord("x", logging.INFO, "x", 1, "x", None, None).__dict__) | {
    "message",
    "asctime",
}


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra`` fields of ``record``."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


def leaks(records: Iterable[logging.LogRecord], secrets: Iterable[str]) -> list[str]:
    """Where a secret shows in a record: its message, template, arguments or extra values."""
    secrets = [s for s in secrets if s]
    found: list[str] = []
    for record in records:
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        texts = [record.getMessage(), str(record.msg), *(f"{a} {a!r}" for a in args)]
        texts += [f"{k}={v} {v!r}" for k, v in extras(record).items()]
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(logging.Formatter().formatException(record.exc_info))
        texts += [record.exc_text or "", record.stack_info or ""]
        found += [
            f"{secret[:10]}... in {record.name}: {text[:200]}"
            for text in texts
            for secret in secrets
            if secret in text
        ]
    return found


def logged(caplog: pytest.LogCaptureFixture, event: str) -> list[Any]:
    """The captured records of log event ``event`` (their ``extra`` ``event`` field).

    Typed ``Any``: their ``extra`` fields are attributes a type checker cannot know.
    """
    return [r for r in caplog.records if getattr(r, "event", None) == event]


def has_keys(record: logging.LogRecord, *keys: str) -> bool:
    return {"area", "event", *keys} <= set(extras(record))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="commercekit")
    yield caplog
    assert caplog.get_records("call"), "the failures were logged"


def _answers(*answers: httpx.Response | type[Exception]) -> Callable[[httpx.Request], Any]:
    """A MockTransport handler giving ``answers`` in turn, the last one from then on."""
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, type):
            raise answer("simulated", request=request)  # type: ignore[call-arg]
        return answer

    return handle


def _client(*answers: httpx.Response | type[Exception]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(_answers(*answers)))


def _echo(status: int, key: str, **error: object) -> httpx.Response:
    """An error answer whose body repeats ``key`` (a provider echoing what it was sent)."""
    body = {"error": {"message": f"Invalid API Key provided: {key}", **error}}
    return httpx.Response(status, json=body, headers={"Request-Id": "req_1"})


def test_the_search_finds_a_secret_wherever_a_record_holds_it() -> None:
    def record(msg: str, args: tuple[object, ...] = (), **extra: object) -> logging.LogRecord:
        made = logging.LogRecord("commercekit.x", logging.INFO, __file__, 1, msg, args, None)
        made.__dict__.update(extra)
        return made

    secret = "s3cret-value"
    assert leaks([record(f"key {secret}")], [secret])
    assert leaks([record("key %s", (secret,))], [secret])
    assert leaks([record("key %r", ({"nested": secret},))], [secret])
    assert leaks([record("plain", url=f"postgresql://u:{secret}@h/db")], [secret])
    assert not leaks([record("plain", url="postgresql://u:***@h/db")], [secret])


# -- (a) HTTP adapters ---------------------------------------------------------------------------


def test_a_failing_stripe_run_logs_retries_and_failures_without_its_key(
    logs: pytest.LogCaptureFixture,
) -> None:
    def gateway(*answers: httpx.Response | type[Exception]) -> StripeGateway:
        client = _client(*answers)
        return StripeGateway(
            STRIPE_KEY, client=client, max_attempts=3, sleep=lambda _: None, random=lambda: 0.0
        )

    def authorize(stripe: StripeGateway, n: int) -> None:
        request = AuthorizeRequest(f"pay_{n}", Money("25.00", "EUR"), "pm_card_visa")
        stripe.authorize(request, idempotency_key=f"pay_{n}:authorize:1")

    declined = _echo(402, STRIPE_KEY, type="card_error", code="card_declined")
    cases: list[tuple[StripeGateway, type[Exception]]] = [
        (gateway(_echo(401, STRIPE_KEY, type="invalid_request_error")), errors.GatewayError),
        (gateway(declined), errors.PaymentDeclinedError),
        (gateway(_echo(500, STRIPE_KEY, type="api_error")), errors.OutcomeUnknownError),
        (gateway(httpx.ReadTimeout), errors.OutcomeUnknownError),
        (gateway(httpx.ConnectError), errors.GatewayUnavailableError),
        (gateway(_echo(429, STRIPE_KEY, type="rate_limit_error")), errors.GatewayUnavailableError),
    ]
    for n, (stripe, expected) in enumerate(cases):
        with pytest.raises(expected):
            authorize(stripe, n)

    assert not leaks(logs.records, [STRIPE_KEY])
    failures = logged(logs, "gateway_failure")
    assert [(r.outcome, r.status, r.levelno) for r in failures] == [
        ("error", 401, logging.WARNING),
        ("declined", None, logging.INFO),
        ("outcome_unknown", None, logging.WARNING),
        ("outcome_unknown", None, logging.WARNING),
        ("unavailable", None, logging.WARNING),
        ("unavailable", 429, logging.WARNING),
    ]
    assert all(r.name == "commercekit.gateways.stripe" and r.provider == "stripe" for r in failures)
    assert all(has_keys(r, "provider", "operation", "status", "code", "attempt") for r in failures)
    assert failures[1].code == "card_declined"
    retries = logged(logs, "retry")
    assert len(retries) == 4 * 3  # 500, timeout, refused connection, 429: three attempts each
    assert all(has_keys(r, "provider", "attempt", "max_attempts", "delay_ms") for r in retries)
    assert [r.attempt for r in retries[:3]] == [1, 2, 3]
    assert retries[0].status == 500 and retries[2].delay_ms is None  # no pause after the last
    assert retries[3].code == "timeout" and retries[3].operation == "POST /v1/payment_intents"


def test_failing_easypost_and_taxjar_runs_log_without_their_keys(
    logs: pytest.LogCaptureFixture,
) -> None:
    def easypost(*answers: httpx.Response | type[Exception]) -> EasyPost:
        client = _client(*answers)
        return EasyPost(
            EASYPOST_KEY, client=client, max_attempts=2, sleep=lambda _: None, random=lambda: 0.5
        )

    with pytest.raises(errors.GatewayError) as refused:
        easypost(_echo(401, EASYPOST_KEY, code="APIKEY.INACTIVE")).track("EZ1000000001")
    assert refused.value.status == 401
    with pytest.raises(errors.GatewayUnavailableError):
        easypost(_echo(503, EASYPOST_KEY, code="SERVICE.UNAVAILABLE")).track("EZ1000000001")
    with pytest.raises(errors.GatewayUnavailableError):
        easypost(httpx.ConnectTimeout).track("EZ1000000001")

    def taxjar(*answers: httpx.Response | type[Exception]) -> TaxJar:
        transport = httpx.MockTransport(_answers(*answers))
        return TaxJar(TAXJAR_TOKEN, transport=transport, sleep=lambda _: None, random=lambda: 0.5)

    los_angeles = Address("US", "CA", "90002", "Los Angeles", ("1335 E 103rd St",))
    request = TaxRequest(
        currency=get_currency("USD"),
        at=T0,
        items=(TaxableItem("1", "SKU-1", None, 1, 1500, 0),),
        shipping=None,
        ship_to=los_angeles,
        ship_from=los_angeles,
        buyer=TaxBuyer(),
        prices_include_tax=False,
    )
    unauthorized = httpx.Response(
        401, json={"error": "Unauthorized", "detail": f"Bad token {TAXJAR_TOKEN}", "status": 401}
    )
    with pytest.raises(errors.TaxServiceError):
        taxjar(unauthorized).calculate(request)
    with pytest.raises(errors.TaxUnavailableError):
        taxjar(httpx.Response(500), httpx.ReadTimeout).calculate(request)

    assert not leaks(logs.records, [EASYPOST_KEY, TAXJAR_TOKEN])
    failures = logged(logs, "gateway_failure")
    assert [(r.name, r.provider, r.outcome, r.status) for r in failures] == [
        ("commercekit.gateways.easypost", "easypost", "error", 401),
        ("commercekit.gateways.easypost", "easypost", "unavailable", 503),
        ("commercekit.gateways.easypost", "easypost", "unavailable", None),
        ("commercekit.tax", "taxjar", "error", 401),
        ("commercekit.tax", "taxjar", "unavailable", None),
    ]
    assert failures[0].code == "APIKEY.INACTIVE" and failures[3].code == "Unauthorized"
    assert all(has_keys(r, "provider", "operation", "status", "code") for r in failures)
    retries = logged(logs, "retry")
    assert [(r.provider, r.attempt, r.status) for r in retries] == [
        ("easypost", 1, 503),
        ("easypost", 2, 503),
        ("easypost", 1, None),
        ("easypost", 2, None),
        ("taxjar", 1, 500),
        ("taxjar", 2, None),
        ("taxjar", 3, None),
    ]
    assert [r.delay_ms for r in retries[-3:]] == [125.0, 250.0, None]  # 0.5 x 0.25 x 2**n s


# -- (b) PostgreSQL ------------------------------------------------------------------------------


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_postgres_is_logged_without_its_password(
    logs: pytest.LogCaptureFixture,
) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{_closed_port()}/test"
    with pytest.raises(errors.StorageUnavailableError):
        open_store(url, connect_timeout=2)
    assert not leaks(logs.records, [PG_PASSWORD])
    [record] = logged(logs, "server_unreachable")
    assert record.name == "commercekit.storage" and record.levelno == logging.WARNING
    assert has_keys(record, "backend", "url", "pool_size")
    assert record.url.startswith("postgresql://postgres:***@127.0.0.1:")
    assert "refused" in record.getMessage().lower()


def test_pool_trouble_and_a_slow_transaction_are_logged_without_the_password(
    postgres_url: str, postgres_schema: str, logs: pytest.LogCaptureFixture
) -> None:
    from tests.integration.test_postgres_connections import _terminate

    app = f"ck_test_{uuid.uuid4().hex[:12]}"
    url = postgres_url.replace("postgres@", f"postgres:{PG_PASSWORD}@", 1)
    url += f"{'&' if '?' in url else '?'}application_name={app}"
    with open_store(
        url, schema=postgres_schema, migrate=True, pool_size=1, busy_timeout=0.5
    ) as store:
        # Pool exhausted: one transaction holds the only connection while another asks.
        inside, done = threading.Event(), threading.Event()

        def hold() -> None:
            with store.transaction(readonly=True):
                inside.set()
                done.wait(5)

        holder = threading.Thread(target=hold)
        holder.start()
        assert inside.wait(5)
        with pytest.raises(errors.StorageBusyError), store.transaction(readonly=True):
            pass
        done.set()
        holder.join()

        # The server drops the pooled connection: BEGIN is retried on a fresh one.
        assert _terminate(postgres_url, app) == 1
        with store.transaction(readonly=True) as tx:
            tx.execute("SELECT 1")

        # A slow transaction, with a threshold every transaction passes.
        store.slow_transaction = timedelta(0)
        with store.transaction() as tx:
            tx.execute("SELECT 1")
    assert not leaks(logs.records, [PG_PASSWORD])
    [exhausted] = logged(logs, "pool_exhausted")
    assert exhausted.levelno == logging.WARNING and exhausted.pool_size == 1
    assert has_keys(exhausted, "backend", "url", "timeout_s")
    [retried] = logged(logs, "connection_retry")
    assert (retried.operation, retried.attempt, retried.backend) == ("begin", 2, "postgresql")
    assert f":{PG_PASSWORD}@" not in retried.url and ":***@" in retried.url
    [slow] = logged(logs, "slow_transaction")
    assert slow.backend == "postgresql" and slow.outcome == "commit"
    # The record names the code that opened the transaction, not the store's internals.
    assert slow.funcName.startswith("test_pool_trouble_and_a_slow_transaction")


# -- (c) gift cards, the slow transaction and store retries --------------------------------------


def test_gift_card_payments_log_without_the_card_code(logs: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(T0)
    with open_store("memory://", clock=clock, areas=AREAS, slow_transaction=None) as store:
        gift = StoreCreditGateway(store, key=GIFT_KEY)
        service = PaymentService(store, {"gift": gift})
        code, _ = issue_gift_card(store, Money("10.00", "EUR"), key=GIFT_KEY)
        other, _ = issue_gift_card(store, Money("10.00", "EUR"), key=GIFT_KEY)
        service.authorize("p1", "gift", Money("4.00", "EUR"), code)
        with pytest.raises(errors.PaymentDeclinedError):
            service.authorize("p2", "gift", Money("50.00", "EUR"), code)
        with pytest.raises(errors.PaymentDeclinedError):
            service.authorize("p3", "gift", Money("1.00", "EUR"), code[:-2] + "ZZ")
        with pytest.raises(errors.PaymentDeclinedError):
            service.authorize("p4", "gift", Money("90.00", "EUR"), gift.card_token(other))
        store.slow_transaction = timedelta(0)
        service.capture("p1", Money("4.00", "EUR"))

    normalized = [c.replace("-", "").replace(" ", "") for c in (code, other)]
    assert not leaks(logs.records, [code, other, *normalized, GIFT_KEY.decode()])
    declines = logged(logs, "gateway_failure")
    assert [(r.payment_id, r.code, r.levelno) for r in declines] == [
        ("p2", "insufficient_funds", logging.INFO),
        ("p3", "unknown_card", logging.INFO),
        ("p4", "insufficient_funds", logging.INFO),
    ]
    assert all(r.name == "commercekit.payments" and r.provider == "store_credit" for r in declines)
    assert all(has_keys(r, "payment_id", "operation", "provider", "code") for r in declines)
    slow = logged(logs, "slow_transaction")
    assert slow and all(r.name == "commercekit.storage" for r in slow)
    assert all(has_keys(r, "elapsed_ms", "wait_ms", "threshold_ms", "backend") for r in slow)
    assert slow[0].threshold_ms == 0 and slow[0].backend == "sqlite"


def test_a_deadlock_retry_is_logged(logs: pytest.LogCaptureFixture) -> None:
    with open_store("memory://", slow_transaction=None) as store:
        service = InventoryService(store)
        calls: list[int] = []

        def flaky(tx: object) -> str:
            calls.append(1)
            if len(calls) == 1:
                raise errors.RetryableConflictError("deadlock detected (simulated)")
            return "done"

        assert service._transact(flaky) == "done"
    [retry] = logged(logs, "retry")
    assert retry.name == "commercekit.inventory" and retry.levelno == logging.INFO
    assert has_keys(retry, "operation", "attempt", "delay_ms") and retry.attempt == 1


def test_the_slow_transaction_threshold_is_checked() -> None:
    with pytest.raises(errors.ConfigurationError):
        open_store("memory://", slow_transaction=timedelta(seconds=-1))
    with open_store("memory://") as store:
        assert store.slow_transaction == timedelta(seconds=1)
        with pytest.raises(errors.ConfigurationError):
            store.slow_transaction = 1  # type: ignore[assignment]
        store.slow_transaction = None
        assert store.slow_transaction is None


# -- (d) webhooks ---------------------------------------------------------------------------------


def test_a_failing_webhook_sender_logs_without_its_secret(logs: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(T0)
    client = _client(httpx.Response(500), httpx.ReadTimeout)
    url = f"https://hooks:{URL_PASSWORD}@shop.example/in?token={URL_TOKEN}"
    with open_store("memory://", clock=clock) as store:
        with store.transaction() as tx:
            tx.repository(OUTBOX).append("order.placed", {"order": "o-1", "total": "1.00"})
        send = WebhookSender(url, WEBHOOK_SECRET, client=client, clock=clock)
        dispatcher = Dispatcher(
            store, consumer="worker-1", handlers={"*": [send]}, max_attempts=2, random=lambda: 1
        )
        assert dispatcher.run_once().failed == 1
        clock.advance(timedelta(hours=2))
        assert dispatcher.run_once().dead == 1

    assert not leaks(logs.records, [WEBHOOK_SECRET, URL_PASSWORD, URL_TOKEN])
    [failed] = logged(logs, "delivery_failed")
    assert (failed.provider, failed.status, failed.code) == ("webhook", 500, "500")
    assert has_keys(failed, "event_id", "topic", "attempts", "consumer")
    [dead] = logged(logs, "dead_letter")
    assert dead.levelno == logging.ERROR and dead.code == "timeout"
    assert "https://shop.example/in" in dead.getMessage()
