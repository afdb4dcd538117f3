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


def checkout_worker(
    url: str,
    schema: str | None,
    checkouts: list[tuple[str | None, str | None]],
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Run each ``(customer_id, code)`` checkout once; report which were granted or refused."""
    try:
        unexpected: list[str] = []
        granted: list[tuple[str | None, str | None]] = []
        refused: list[tuple[str | None, str | None]] = []
        with open_worker_store(url, schema) as store:
            barrier.wait(BARRIER_TIMEOUT)
            for customer, code in checkouts:
                cart = Cart(currency="EUR", customer_id=customer).add("MUG")
                if code is not None:
                    cart = cart.apply_coupon(code)
                breakdown = price_cart(cart, _CATALOG, at=_AT, promotions=PROMOTIONS)
                refusal: CouponError | None = None
                try:
                    with store.transaction() as tx:
                        if (len(granted) + len(refused)) % 2:
                            # The refusal rolls the whole transaction back.
                            consume_promotions(tx, breakdown, PROMOTIONS, customer_id=customer)
                        else:
                            # The checkout catches it and commits: nothing may stay consumed.
                            try:
                                consume_promotions(tx, breakdown, PROMOTIONS, customer_id=customer)
                            except CouponError as exc:
                                refusal = exc
                                tx.outbox.append("checkout.refused", {"customer": customer})
                    if refusal is not None:
                        raise refusal
                    granted.append((customer, code))
                except CouponError as exc:
                    if exc.reason != "usage_exhausted":
                        unexpected.append(_describe(exc))
                    refused.append((customer, code))
                except Exception as exc:
                    unexpected.append(_describe(exc))
        results.put(
            {"pid": os.getpid(), "granted": granted, "refused": refused, "unexpected": unexpected}
        )
    except BaseException as exc:
        _fatal(results, exc)
