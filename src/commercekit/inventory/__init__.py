"""Inventory: stock per SKU and location, its ledger, bundles and cart reservations.

>>> from commercekit import open_store
>>> from commercekit.inventory import InventoryService
>>> with open_store("memory://") as store:
...     inventory = InventoryService(store)
...     _ = inventory.receive("TEE-M", "paris", 3)
...     _ = inventory.receive("TEE-M", "lyon", 4)
...     held = inventory.reserve("cart-1", [("TEE-M", 2), ("TEE-M", 3)])
...     [(line.location, line.quantity) for line in held.lines]
...     inventory.commit(held).status.value
...     inventory.sellable("TEE-M")
[('lyon', 4), ('paris', 1)]
'committed'
2

A cart is reserved whole or not at all; a reservation expires after its TTL unless committed.
See the inventory guide for locations, bundles, backorders and low-stock events.
"""

from __future__ import annotations

from commercekit.inventory._allocation import (
    AllocationStrategy,
    FewestShipments,
    NearestLocation,
    PriorityOrder,
    fill,
)
from commercekit.inventory._demand import cart_demand, stock_sku, stock_units
from commercekit.inventory._locations import AllocationPreview, StockLocation
from commercekit.inventory._policy import LOW_STOCK_TOPIC, PolicyKind, StockPolicy
from commercekit.inventory._records import (
    MovementKind,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from commercekit.inventory._service import LOCATION_KIND, InventoryService, normalize_lines

# isort: split
# Last: the area wires this package to the ports, which re-export names bound above.
from commercekit.inventory._area import INVENTORY_AREA

__all__ = [
    "LOCATION_KIND",
    "AllocationPreview",
    "StockLocation",
    "INVENTORY_AREA",
    "LOW_STOCK_TOPIC",
    "AllocationStrategy",
    "FewestShipments",
    "InventoryService",
    "MovementKind",
    "NearestLocation",
    "PolicyKind",
    "PriorityOrder",
    "Reservation",
    "ReservationLine",
    "ReservationStatus",
    "StockLevel",
    "StockMovement",
    "StockPolicy",
    "cart_demand",
    "fill",
    "normalize_lines",
    "stock_sku",
    "stock_units",
]
