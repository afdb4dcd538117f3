"""What every part of the inventory service shares: the store and the service's settings."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

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

__all__ = ["ServiceParts", "bundles", "policies", "reservations", "stock"]


class ServiceParts:
    """The attributes :class:`~commercekit.inventory.InventoryService` sets, for its parts."""

    store: StorePort
    ttl: timedelta
    strategy: AllocationStrategy
    max_attempts: int


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
