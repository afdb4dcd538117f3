"""Worker for the gift card race (importable by ``spawn`` children): hold, then capture or void.

Every worker spends the same gift card through its own :class:`StoreCreditGateway`. Phase one,
all at once: :data:`ATTEMPTS` holds of :data:`HOLD` each under keys of its own, one under a key
it shares with its neighbour (two processes sending the same request), and a retry of its first
key. Then it waits for every worker (the shared barrier, used twice) and settles its holds:
a full final capture, a partial capture and a final one that releases the rest, or a void, by
turn. A decline must be ``insufficient_funds``; anything else is reported as unexpected.
"""

from __future__ import annotations

import os
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from commercekit import Money
from commercekit.areas import BUILTIN_AREAS
from commercekit.errors import PaymentDeclinedError
from commercekit.payments import AuthorizeRequest
from commercekit.payments._area import PAYMENTS_AREA
from commercekit.payments._credit import StoreCreditGateway
from commercekit.storage import open_store
from tests.contract._storage_workers import BARRIER_TIMEOUT, _describe, _fatal

__all__ = ["AREAS", "ATTEMPTS", "HOLD", "KEY", "spend_worker"]

AREAS = BUILTIN_AREAS if PAYMENTS_AREA in BUILTIN_AREAS else (*BUILTIN_AREAS, PAYMENTS_AREA)
KEY = b"race-gift-card-key-0123456789abcdef"
#: Holds each worker asks under keys of its own.
ATTEMPTS = 4
#: The amount of every hold, in EUR.
HOLD = Money("5.00", "EUR")
_PARTIAL, _LAST = Money("2.00", "EUR"), Money("1.00", "EUR")


def _hold(gateway: StoreCreditGateway, code: str, key: str) -> str:
    """The reference of the hold made under ``key``, or ``"declined"``."""
    try:
        return gateway.authorize(AuthorizeRequest(key, HOLD, code), idempotency_key=key).reference
    except PaymentDeclinedError as exc:
        if exc.code != "insufficient_funds":
            raise
        return "declined"


def _settle(gateway: StoreCreditGateway, turn: int, reference: str) -> int:
    """Capture all, part then the last of it, or void: by ``turn``. The minor units taken."""
    if turn % 3 == 0:
        gateway.capture(reference, HOLD, final=True, idempotency_key=f"{reference}:c")
        return 500
    if turn % 3 == 1:
        gateway.capture(reference, _PARTIAL, final=False, idempotency_key=f"{reference}:c1")
        gateway.capture(reference, _LAST, final=True, idempotency_key=f"{reference}:c2")
        return 300
    gateway.void(reference, idempotency_key=f"{reference}:v")
    return 0


def spend_worker(
    url: str,
    schema: str | None,
    code: str,
    index: int,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Race the other workers for holds on ``code``, then settle the holds this worker owns."""
    try:
        report: dict[str, Any] = {"pid": os.getpid(), "index": index, "unexpected": []}
        with open_store(url, schema=schema, migrate=False, areas=AREAS) as store:
            gateway = StoreCreditGateway(store, key=KEY)
            own = [f"w{index}-a{attempt}" for attempt in range(ATTEMPTS)]
            shared = f"shared-{index // 2}"
            barrier.wait(BARRIER_TIMEOUT)
            outcomes: dict[str, str] = {}
            for key in (own[0], shared, *own[1:]):
                try:
                    outcomes[key] = _hold(gateway, code, key)
                except Exception as exc:
                    report["unexpected"].append(_describe(exc))
            retried = _hold(gateway, code, own[0])
            barrier.wait(BARRIER_TIMEOUT)
            # The even worker of a pair settles the shared hold; both saw the same outcome.
            mine = [k for k in own if outcomes.get(k, "declined") != "declined"]
            if index % 2 == 0 and outcomes.get(shared, "declined") != "declined":
                mine.append(shared)
            captured = 0
            for turn, key in enumerate(mine):
                try:
                    captured += _settle(gateway, turn + index, outcomes[key])
                except Exception as exc:
                    report["unexpected"].append(_describe(exc))
        results.put({**report, "outcomes": outcomes, "retried": retried, "captured": captured})
    except BaseException as exc:
        _fatal(results, exc)
