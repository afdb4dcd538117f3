"""What every part of the inventory service shares: the store and the service's settings."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from commercekit.errors import RetryableConflictError
from commercekit.ports import BUNDLES, RESERVATIONS, STOCK, STOCK_POLICIES

if TYPE_CHECKING:
    from commercekit.inventory._allocation import AllocationStrategy
    from commercekit.ports import (
        BundleRepository,
        ReservationRepository,
        StockPolicyRepository,
        StockRepository,
        StorePort,
        TransactionPort,
    )

__all__ = [
    "LOCK_ORDER",
    "ServiceParts",
    "bundles",
    "pause",
    "policies",
    "reservations",
    "stock",
]

T = TypeVar("T")

#: The one order every inventory transaction takes its row locks in, on every path (reserve,
#: commit, release, extend, sweep): reservation rows by id, then stock rows by (SKU, location)
#: as bytes, then new rows (the reservation and its lines, ledger entries, outbox events).
LOCK_ORDER = "reservations by id, then stock rows by (sku, location) bytes, then inserts"

_LOG = logging.getLogger("commercekit.inventory")


def pause(attempt: int, operation: str = "transaction") -> None:
    """Wait before running a transaction again: capped exponential backoff with full jitter.

    Logs the retry at INFO (``event="retry"``), naming the caller's function.
    """
    delay = random.uniform(0, min(0.05, 0.002 * 2**attempt))
    _LOG.info(
        "lost a deadlock or serialization race; retrying",
        stacklevel=2,
        extra={
            "area": "inventory",
            "event": "retry",
            "operation": operation,
            "attempt": attempt,
            "delay_ms": round(delay * 1000, 1),
        },
    )
    time.sleep(delay)


class ServiceParts:
    """The attributes :class:`~commercekit.inventory.InventoryService` sets, for its parts."""

    store: StorePort
    ttl: timedelta
    strategy: AllocationStrategy
    max_attempts: int

    def _transact(self, work: Callable[[TransactionPort], T]) -> T:
        """Run ``work`` in a write transaction, again after a lost deadlock if the service owns it.

        A transaction the service opened itself that loses a deadlock or serialization race
        (:class:`~commercekit.errors.RetryableConflictError`) rolled back whole, so it is run
        again, up to ``max_attempts`` times. Inside a caller's transaction the error goes to
        the caller, who owns the whole unit of work and must run it again.
        """
        owned = not self.store.in_transaction()
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self.store.transaction() as tx:
                    return work(tx)
            except RetryableConflictError:
                if not owned or attempt == self.max_attempts:
                    raise
                pause(attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def stock(tx: TransactionPort) -> StockRepository:
    """The stock repository of ``tx``."""
    return tx.repository(STOCK)


def reservations(tx: TransactionPort) -> ReservationRepository:
    """The reservation repository of ``tx``."""
    return tx.repository(RESERVATIONS)


def bundles(tx: TransactionPort) -> BundleRepository:
    """The bundle repository of ``tx``."""
    return tx.repository(BUNDLES)


def policies(tx: TransactionPort) -> StockPolicyRepository:
    """The stock policy and threshold repository of ``tx``."""
    return tx.repository(STOCK_POLICIES)
