"""Payments: the Stripe adapter's overhead over raw httpx, and payments persisted per second.

Target (issue 14): an authorization through :class:`~commercekit.gateways.payments.StripeGateway`
takes at most 1.3x the time of the same HTTP exchange written with raw httpx: the same form body
posted to the same ``httpx.MockTransport`` (which answers a canned PaymentIntent, so the server
costs next to nothing), with the same headers, and the JSON answer parsed. The adapter's extra
work is what is measured: building and checking the request, the idempotency key, reading and
checking the PaymentIntent into a ``GatewayResult``.

Payments persisted per second (reported, no target): :class:`~commercekit.payments.PaymentService`
authorizing and capturing one payment (with an in-memory fake gateway, so the store is what is
measured) on SQLite and, when ``COMMERCEKIT_TEST_POSTGRES_URL`` is set, PostgreSQL, against
hand-written SQL doing the same four transactions a claimed-then-recorded state machine needs
(claim the authorization, record it, claim the capture, record it), each one write of a small
document with the same driver and connection setup (``benchmarks.bench_storage``).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from tests.stripe_server import API_KEY, StripeSimulator

from benchmarks._harness import Ratio, compare, report
from benchmarks.bench_storage import POSTGRES_ENV, Workload, postgres_workload, sqlite_workload
from commercekit import Money
from commercekit.gateways.payments import FAKE_TOKEN_OK, FakeGateway, StripeGateway
from commercekit.payments import AuthorizeRequest, PaymentService

HEADERS = {
    "Authorization": f"Bearer {API_KEY}",
    "Content-Type": "application/x-www-form-urlencoded",
    "Stripe-Version": "2024-06-20",
}


def canned_intent() -> bytes:
    """A real-shaped PaymentIntent answer, taken once from the Stripe simulator."""
    simulator = StripeSimulator()
    with simulator.client() as client:
        gateway = StripeGateway(API_KEY, client=client)
        result = gateway.authorize(
            AuthorizeRequest("bench", Money("10.00", "EUR"), "pm_card_visa"),
            idempotency_key="bench-0",
        )
        return json.dumps(simulator.intent(result.reference)).encode()


def _runner() -> tuple[Callable[[], object], Callable[[], object]]:
    body = canned_intent()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    client = httpx.Client(transport=httpx.MockTransport(answer), base_url="https://api.stripe.com")
    gateway = StripeGateway(API_KEY, client=client)
    request = AuthorizeRequest("bench", Money("10.00", "EUR"), "pm_card_visa")
    keys = itertools.count()

    def candidate() -> object:
        return gateway.authorize(request, idempotency_key=f"pay-{next(keys)}")

    def baseline() -> object:
        form = urlencode(
            [
                ("amount", "1000"),
                ("currency", "eur"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("capture_method", "manual"),
                ("metadata[payment_id]", "bench"),
                ("expand[]", "latest_charge"),
                ("automatic_payment_methods[enabled]", "true"),
                ("automatic_payment_methods[allow_redirects]", "never"),
            ]
        )
        headers = {**HEADERS, "Idempotency-Key": f"raw-{next(keys)}"}
        response = client.post("/v1/payment_intents", content=form, headers=headers, timeout=30)
        data: Any = response.json()
        return data["id"], data["status"], data["amount_capturable"]

    assert candidate() is not None and baseline() is not None
    return candidate, baseline


def _persisted(backend: str, work: Workload, rounds: int, number: int) -> Ratio:
    service = PaymentService(work.store, {"card": FakeGateway()})
    ids = itertools.count()

    def candidate() -> Any:
        payment = service.authorize(f"p{next(ids)}", "card", Money("10.00", "EUR"), FAKE_TOKEN_OK)
        return service.capture(payment.id)

    def baseline() -> None:
        for _ in range(4):  # claim + record, twice
            work.hand_add()

    assert candidate().status.value == "captured"
    return compare(
        f"payment authorized+captured, {backend} vs hand SQL",
        candidate,
        baseline,
        rounds=rounds,
        number=number,
    )


def run(rounds: int = 9, number: int = 300) -> list[tuple[Ratio, str]]:
    """Measure and return (ratio, target) pairs."""
    candidate, baseline = _runner()
    results = [
        (
            compare(
                "Stripe authorize vs raw httpx, same transport",
                candidate,
                baseline,
                rounds=rounds,
                number=number,
            ),
            "<= 1.3x",
        )
    ]
    with sqlite_workload() as work:
        results.append((_persisted("SQLite", work, max(3, rounds // 3), 50), "reported"))
    url = os.environ.get(POSTGRES_ENV)
    if url:
        with postgres_workload(url) as work:
            results.append((_persisted("PostgreSQL", work, max(3, rounds // 3), 50), "reported"))
    return results


def main() -> None:
    """Print the payments benchmark."""
    print("payments (median ratio, candidate / baseline)")
    results = run()
    print(report(results))
    for ratio, _ in results[1:]:
        print(
            f"  {ratio.name.split(',')[1].split(' vs')[0].strip()}: "
            f"{1 / ratio.candidate_seconds:,.0f} payments authorized and captured per second"
        )


if __name__ == "__main__":
    main()
