"""The inventory service: its parts (ledger, bundles and policies, reservations) in one class."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from commercekit.errors import ValidationError
from commercekit.inventory._allocation import AllocationStrategy, PriorityOrder
from commercekit.inventory._bundles_policies import BundlesAndPolicies
from commercekit.inventory._checks import check_sku, check_ttl, normalize_lines
from commercekit.inventory._ledger import StockLedger
from commercekit.inventory._lifecycle import ReservationLifecycle
from commercekit.inventory._reservations import Reserving

if TYPE_CHECKING:
    from commercekit.ports import StorePort

__all__ = ["InventoryService", "check_sku", "normalize_lines"]


class InventoryService(StockLedger, BundlesAndPolicies, Reserving, ReservationLifecycle):
    """Stock per SKU and location, its ledger, bundles, policies and cart reservations.

    ``store`` is any store from :func:`commercekit.open_store`; expiry is judged by its clock.
    ``ttl`` is how long a reservation holds stock unless committed; ``strategy`` decides which
    locations serve a cart (:class:`PriorityOrder` by default: locations in byte order).
    ``max_attempts`` bounds how often a reservation plans again when concurrent buyers moved the
    stock between its read and its guarded update.

    Every method runs in one transaction of its own, or joins the caller's if one is open in
    this thread (``with store.transaction(): ...``), so a host can reserve stock and save its
    order atomically. Bad input raises a :class:`~commercekit.errors.CommerceError` subclass
    before anything is written, and a failed call changes nothing.
    """

    def __init__(
        self,
        store: StorePort,
        *,
        ttl: timedelta = timedelta(minutes=15),
        strategy: AllocationStrategy | None = None,
        max_attempts: int = 8,
    ) -> None:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationError(f"max_attempts must be an int >= 1, got {max_attempts!r}")
        self.store = store
        self.ttl = check_ttl(ttl)
        self.strategy: AllocationStrategy = strategy if strategy is not None else PriorityOrder()
        self.max_attempts = max_attempts
