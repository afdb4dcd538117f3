"""Workers for the payment races (importable by ``spawn`` children), and their gateway double.

:class:`RecordedGateway` writes every call it receives into the shared store (one aggregate
per call, in a transaction of its own), so the parent counts the calls of every process. A
worker opens its own store and service, waits at the barrier so that all start together, then
either captures the payment or, playing the provider, waits until a capture call has reached
the "provider" and delivers the webhook announcing it. Anything but the outcomes a racing
caller may meet is reported under ``"unexpected"``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

import attrs

from commercekit.errors import StateTransitionError, WebhookSignatureError
from commercekit.money import Money, to_minor_units
from commercekit.payments import (
    AuthorizeRequest,
    GatewayResult,
    GatewayStatus,
    WebhookEvent,
    WebhookKind,
)
from commercekit.payments._service import PaymentService
from commercekit.storage import AggregateKind, Store
from tests.contract._storage_workers import (
    BARRIER_TIMEOUT,
    _describe,
    _fatal,
    open_worker_store,
)

__all__ = ["CALL_KIND", "REFERENCE", "GatewayCall", "RecordedGateway", "payment_worker"]

#: The reference the double gives every authorization.
REFERENCE = "pi_race"
_WEBHOOK_TOKEN = "signed-by-the-test"


@attrs.frozen
class GatewayCall:
    """One call the double received, as stored."""

    id: str
    operation: str
    key: str
    amount_minor: int
    version: int = 0


CALL_KIND: AggregateKind[GatewayCall] = AggregateKind("test_gateway_call", GatewayCall)


class RecordedGateway:
    """A provider double that stores each call in the shared store before answering.

    ``delay`` seconds pass between receiving a capture and answering it (the provider at
    work), which keeps the call in flight while the other processes arrive.
    """

    provider = "recorded"

    def __init__(self, store: Store, *, delay: float = 0.0) -> None:
        self.store = store
        self.delay = delay
        self._count = 0

    def _record(self, operation: str, key: str, amount: Money | None) -> None:
        self._count += 1
        call = GatewayCall(
            f"{os.getpid()}-{self._count}",
            operation,
            key,
            0 if amount is None else to_minor_units(amount),
        )
        with self.store.transaction() as tx:
            tx.aggregates(CALL_KIND).add(call)

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        self._record("authorize", idempotency_key, request.amount)
        return GatewayResult(GatewayStatus.AUTHORIZED, REFERENCE, request.amount)

    def confirm(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        raise AssertionError("no confirmation in these races")

    def capture(
        self, reference: str, amount: Money, *, final: bool, idempotency_key: str
    ) -> GatewayResult:
        self._record("capture", idempotency_key, amount)
        time.sleep(self.delay)
        return GatewayResult(GatewayStatus.CAPTURED, reference, amount)

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        raise AssertionError("no void in these races")

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayResult:
        raise AssertionError("no refund in these races")

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        if headers.get("x-test-signature") != _WEBHOOK_TOKEN:
            raise WebhookSignatureError("unsigned test webhook")
        body = json.loads(payload)
        amount = Money(body["amount"], body["currency"])
        kind = WebhookKind(body["kind"])
        created = datetime.fromisoformat(body["at"])
        return WebhookEvent(body["id"], self.provider, kind, body["reference"], amount, created)


def capture_calls(store: Store) -> list[GatewayCall]:
    """Every capture call any process made, as the store holds them."""
    with store.transaction(readonly=True) as tx:
        calls = tx.aggregates(CALL_KIND).list(limit=1000)
    return [call for call in calls if call.operation == "capture"]


def _deliver_webhook(store: Store, service: PaymentService, amount: Money) -> str:
    deadline = time.monotonic() + BARRIER_TIMEOUT
    while not capture_calls(store):  # the provider announces a capture once it has one
        if time.monotonic() > deadline:
            return "no capture reached the provider"
        time.sleep(0.005)
    payload = json.dumps(
        {
            "id": "evt_captured",
            "kind": "captured",
            "reference": REFERENCE,
            "amount": str(amount.amount),
            "currency": amount.currency.code,
            "at": "2026-03-01T12:00:00+00:00",
        }
    ).encode()
    payment = service.handle_webhook("card", payload, {"x-test-signature": _WEBHOOK_TOKEN})
    return "unknown" if payment is None else f"webhook:{payment.status.value}"


def payment_worker(
    url: str,
    schema: str | None,
    role: str,
    payment_id: str,
    delay: float,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Capture ``payment_id`` (``role="capture"``) or deliver the provider's webhook."""
    try:
        unexpected: list[str] = []
        outcome = ""
        with open_worker_store(url, schema) as store:
            gateway = RecordedGateway(store, delay=delay)
            service = PaymentService(store, {"card": gateway}, wait=30.0)
            amount = service.get(payment_id).amount
            barrier.wait(BARRIER_TIMEOUT)
            try:
                if role == "capture":
                    payment = service.capture(payment_id)
                    outcome = payment.status.value
                else:
                    outcome = _deliver_webhook(store, service, amount)
            except StateTransitionError:
                outcome = "refused"  # read only after the winner recorded: already captured
            except Exception as exc:
                unexpected.append(_describe(exc))
        results.put({"pid": os.getpid(), "outcome": outcome, "unexpected": unexpected})
    except BaseException as exc:
        _fatal(results, exc)
