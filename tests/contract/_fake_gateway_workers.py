"""Workers sharing one store-backed FakeGateway (importable by ``spawn`` children).

Each worker opens its own store on the shared database and its own ``FakeGateway`` on it, so
the only thing the processes share is the fake's state in the database: what a real provider
would be to several web servers.
"""

from __future__ import annotations

import os
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any

from commercekit import Money
from commercekit.errors import GatewayError
from commercekit.gateways.payments._fake import TOKEN_OK, TOKEN_SLOW, FakeGateway
from commercekit.payments import AuthorizeRequest
from tests.contract._storage_workers import BARRIER_TIMEOUT, _fatal, open_worker_store

__all__ = ["AMOUNT", "FIRST_CAPTURE", "authorize_then_hang", "race_worker", "request"]

#: What each payment is for, and what the first (shared-key) capture takes of it.
AMOUNT = Money("100.00", "EUR")
FIRST_CAPTURE = Money("40.00", "EUR")


def request(payment_id: str, token: str = TOKEN_OK) -> AuthorizeRequest:
    """The authorization every process of a test sends for ``payment_id``."""
    return AuthorizeRequest(payment_id, AMOUNT, token)


def race_worker(
    url: str,
    schema: str | None,
    payment_id: str,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Race the other workers three times on one payment, starting together each time.

    1. authorize it (a slow token, so the calls overlap) with the same key as everyone;
    2. capture 40.00 of it, not final, with the same key as everyone;
    3. capture the other 60.00, final, each with a key of its own: one may win.
    """
    try:
        with open_worker_store(url, schema) as store:
            fake = FakeGateway(store=store, slow_seconds=0.2)
            barrier.wait(BARRIER_TIMEOUT)
            held = fake.authorize(
                request(payment_id, TOKEN_SLOW), idempotency_key=f"{payment_id}:authorize:1"
            )
            barrier.wait(BARRIER_TIMEOUT)
            first = fake.capture(
                held.reference, FIRST_CAPTURE, final=False, idempotency_key=f"{payment_id}:cap:1"
            )
            barrier.wait(BARRIER_TIMEOUT)
            refused: str | None = None
            try:
                fake.capture(
                    held.reference,
                    AMOUNT - FIRST_CAPTURE,
                    final=True,
                    idempotency_key=f"{payment_id}:cap:{os.getpid()}",
                )
            except GatewayError as exc:
                refused = exc.code
        results.put(
            {
                "pid": os.getpid(),
                "reference": held.reference,
                "first": (first.reference, str(first.amount.amount)),
                "refused": refused,
                "unexpected": [],
            }
        )
    except BaseException as exc:
        _fatal(results, exc)


def authorize_then_hang(
    url: str, schema: str | None, payment_id: str, key: str, authorized: Event
) -> None:
    """Authorize, say so, then hang until killed: a host that died after the provider answered."""
    with open_worker_store(url, schema) as store:
        FakeGateway(store=store).authorize(request(payment_id), idempotency_key=key)
        authorized.set()
        time.sleep(600)
