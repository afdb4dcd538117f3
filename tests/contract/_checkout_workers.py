"""Worker for the checkout race (importable by ``spawn`` children): price, then consume usage.

Each checkout prices its cart with no usage counts (a quote taken before any limit ran out,
the worst case) and then consumes the uses in its own write transaction with
:func:`~commercekit.cart.consume_promotions`. A refusal must be a ``CouponError`` with reason
``usage_exhausted``; anything else is reported as unexpected. Every other checkout catches the
refusal inside its transaction and commits, so the all-or-nothing give-back is exercised too.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from commercekit import Money
from commercekit.cart import Cart, consume_promotions, price_cart
from commercekit.errors import CouponError
from commercekit.pricing import (
    AmountOffOrder,
    CatalogEntry,
    CouponCode,
    Lane,
    PercentOffItems,
    Promotion,
)
from commercekit.storage import Store
from tests.contract._storage_workers import BARRIER_TIMEOUT, _describe, _fatal, open_worker_store

__all__ = ["CODES", "LIMIT", "PROMOTIONS", "checkout_worker"]

#: Uses of the automatic promotion allowed over all customers.
LIMIT = 12
#: Single-use codes of the coupon promotion.
CODES = tuple(f"ONCE-{index}" for index in range(8))
PROMOTIONS = (
    Promotion(
        "limited",
        "5% for the first customers",
        [PercentOffItems(5)],
        usage_limit=LIMIT,
        usage_limit_per_customer=1,
    ),
    Promotion(
        "single-use",
        "1 off with a single-use code",
        [AmountOffOrder(Money("1", "EUR"))],
        [CouponCode(set(CODES))],
        lane=Lane.ORDER,
        usage_limit_per_code=1,
    ),
)
_CATALOG = {"MUG": CatalogEntry("MUG", price=Money("10.00", "EUR"))}
_AT = datetime(2026, 5, 1, tzinfo=UTC)


def _checkout(store: Store, customer: str | None, code: str | None, catch: bool) -> str:
    """One checkout: ``"granted"``, ``"refused"``, or the text of an unexpected error.

    With ``catch`` the refusal is caught inside the transaction, which then commits (an order
    that goes on without the promotion): nothing may stay consumed. Without it the refusal
    rolls the whole transaction back.
    """
    cart = Cart(currency="EUR", customer_id=customer).add("MUG")
    if code is not None:
        cart = cart.apply_coupon(code)
    breakdown = price_cart(cart, _CATALOG, at=_AT, promotions=PROMOTIONS)
    refusal: CouponError | None = None
    try:
        with store.transaction() as tx:
            try:
                consume_promotions(tx, breakdown, PROMOTIONS, customer_id=customer)
            except CouponError as exc:
                if not catch:
                    raise
                refusal = exc
                tx.outbox.append("checkout.refused", {"customer": customer})
    except CouponError as exc:
        refusal = exc
    except Exception as exc:
        return _describe(exc)
    if refusal is None:
        return "granted"
    return "refused" if refusal.reason == "usage_exhausted" else _describe(refusal)


def checkout_worker(
    url: str,
    schema: str | None,
    checkouts: list[tuple[str | None, str | None]],
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Run each ``(customer_id, code)`` checkout once; report which were granted or refused."""
    try:
        report: dict[str, Any] = {"pid": os.getpid(), "granted": [], "refused": []}
        unexpected: list[str] = []
        with open_worker_store(url, schema) as store:
            barrier.wait(BARRIER_TIMEOUT)
            for index, (customer, code) in enumerate(checkouts):
                verdict = _checkout(store, customer, code, catch=index % 2 == 0)
                if verdict in report:
                    report[verdict].append((customer, code))
                else:
                    unexpected.append(verdict)
        results.put({**report, "unexpected": unexpected})
    except BaseException as exc:
        _fatal(results, exc)
