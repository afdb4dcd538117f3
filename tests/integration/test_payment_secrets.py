"""API keys and webhook secrets never reach logs, errors, reprs or stored records.

A whole payment life runs through PaymentService and StripeGateway over the Stripe simulator,
with the failures that make adapters talk the most (a decline, a server failing past the
retries, timeouts, a wrong API key, a forged and a good webhook), every log record captured at
DEBUG, every error and repr kept, and the SQLite file dumped; then each is searched for the key
and the secret (log records with :func:`tests.integration.test_log_secrets.leaks`: message,
arguments and ``extra`` values). The other adapters, PostgreSQL, gift cards and webhooks are
searched in :mod:`tests.integration.test_log_secrets`.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commercekit import Money, errors
from commercekit.clock import ManualClock
from commercekit.gateways.payments import StripeGateway
from commercekit.payments import PaymentService
from commercekit.storage import open_store
from tests.integration.test_log_secrets import leaks
from tests.integration.test_log_secrets import logged as logged_events
from tests.stripe_server import API_KEY, StripeSimulator, signed_delivery

SECRET = "whsec_test_DoNotLeakThisWebhookSecret42"
WRONG_KEY = "sk_test_51WrongKeyThatMustNotLeakEither000000000000"
T = 1_780_000_000


def test_keys_and_secrets_never_reach_logs_errors_reprs_or_the_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = ManualClock(datetime.fromtimestamp(T, UTC))
    sim = StripeSimulator(now=lambda: T)
    gateway = StripeGateway(
        API_KEY, client=sim.client(), webhook_secret=SECRET, sleep=lambda _: None, clock=clock
    )
    wrong = StripeGateway(WRONG_KEY, client=sim.client(), sleep=lambda _: None)
    path = tmp_path / "shop.db"
    seen: list[BaseException] = []
    with open_store(f"sqlite:///{path}", clock=clock) as store:
        service = PaymentService(store, {"card": gateway, "wrong": wrong})
        paid = service.authorize("p1", "card", Money("20.00", "EUR"), "pm_card_visa")
        service.capture("p1", Money("15.00", "EUR"))
        refunded = service.refund("p1", Money("5.00", "EUR"))
        assert refunded.refunded == Money("5.00", "EUR")
        with pytest.raises(errors.PaymentDeclinedError) as declined:
            service.authorize("p2", "card", Money("9.00", "EUR"), "pm_card_visa_chargeDeclined")
        seen.append(declined.value)
        with pytest.raises(errors.GatewayError) as refused:
            service.authorize("p4", "wrong", Money("9.00", "EUR"), "pm_card_visa")
        seen.append(refused.value)
        sim.time_out_next(times=3)  # every attempt
        with pytest.raises(errors.OutcomeUnknownError) as timed_out:
            service.authorize("p5", "card", Money("9.00", "EUR"), "pm_card_visa")
        seen.append(timed_out.value)
        sim.fail_next(500, times=30)
        with pytest.raises(errors.CommerceError) as failing:
            service.authorize("p3", "card", Money("9.00", "EUR"), "pm_card_visa")
        seen.append(failing.value)
        payload, headers = signed_delivery(sim.events[0], "whsec_forged", T)
        with pytest.raises(errors.WebhookSignatureError) as forged:
            service.handle_webhook("card", payload, headers)
        seen.append(forged.value)
        for event in sim.events:
            service.handle_webhook("card", *signed_delivery(event, SECRET, T))
        reprs = [repr(gateway), repr(wrong), repr(service), repr(paid), repr(store)]
    dump = "\n".join(sqlite3.connect(path).iterdump())
    logged = [f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records]
    raised = [f"{e} {e!r} {vars(e)!r} {e.__cause__!r} {e.__context__!r}" for e in seen]
    assert caplog.records, "the failures were logged"
    assert not leaks(caplog.records, [API_KEY, WRONG_KEY, SECRET])
    failures = {
        r.payment_id: r for r in logged_events(caplog, "gateway_failure") if r.area == "payments"
    }
    assert {p: (r.outcome, r.provider) for p, r in failures.items()} == {
        "p2": ("declined", "stripe"),
        "p4": ("error", "stripe"),
        "p3": ("outcome_unknown", "stripe"),
        "p5": ("outcome_unknown", "stripe"),
    }
    assert "p1" in dump  # the payments were stored (the dump is not empty of them)
    for where, texts in [("logs", logged), ("errors", raised), ("reprs", reprs), ("store", [dump])]:
        for text in texts:
            for secret in (API_KEY, WRONG_KEY, SECRET):
                assert secret not in text, f"{secret[:12]}... found in {where}: {text[:200]}"
