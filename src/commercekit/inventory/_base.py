"""What every part of the inventory service shares: the store and the service's settings."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from commercekit.inventory._allocation import AllocationStrategy
    from commercekit.storage import Store

__all__ = ["ServiceParts"]


class ServiceParts:
    """The attributes :class:`~commercekit.inventory.InventoryService` sets, for its parts."""

    store: Store
    ttl: timedelta
    strategy: AllocationStrategy
    max_attempts: int
