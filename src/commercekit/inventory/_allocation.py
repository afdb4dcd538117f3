"""Allocation strategies: which locations serve a cart, as pure functions over stock rows.

A strategy gets the demand (units per SKU, bundles already expanded and lines summed) and a
snapshot of the stock rows of those SKUs, and returns the lines to hold. The service checks the
plan and then takes the stock with guarded statements, so a strategy never needs locks and a
stale snapshot can never oversell: at worst the service plans again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from commercekit.inventory._records import ReservationLine, StockLevel

__all__ = [
    "ONE_ROW_NO_CHOICE",
    "AllocationStrategy",
    "FewestShipments",
    "NearestLocation",
    "PriorityOrder",
    "fill",
]


class AllocationStrategy(Protocol):
    """Decides which stock rows serve a demand; implement it to plug in your own rule.

    ``allocate`` returns :class:`~commercekit.storage.ReservationLine` values (SKU, location,
    units). Lines for a SKU may add up to less than its demand when stock does not cover it (the
    service then refuses the whole cart); they must never exceed the demand, nor a row's
    capacity (``available - floor``), nor name a row that is not in ``stock``.
    """

    def allocate(
        self, demand: Mapping[str, int], stock: Sequence[StockLevel]
    ) -> list[ReservationLine]:
        """Split ``demand`` over the rows of ``stock``."""
        ...


def _by_bytes(location: str) -> bytes:
    return location.encode()


def fill(sku: str, quantity: int, rows: Iterable[StockLevel]) -> list[ReservationLine]:
    """Take ``quantity`` of ``sku`` from ``rows`` in the order given, splitting as needed.

    Stock on hand is used first at every location; only then is backorder room (down to each
    row's floor) used, again in the given order. Returns fewer units than asked if the rows do
    not hold enough.

    >>> rows = [StockLevel("TEE", "paris", 2, 0, 0), StockLevel("TEE", "lyon", 5, 0, -3)]
    >>> [(ln.location, ln.quantity) for ln in fill("TEE", 9, rows)]
    [('paris', 2), ('lyon', 7)]
    """
    ordered = [row for row in rows if row.sku == sku]
    taken: dict[str, int] = {}
    remaining = quantity
    for on_hand_only in (True, False):
        for row in ordered:
            if remaining == 0:
                break
            limit = max(row.available, 0) if on_hand_only else row.available - row.floor
            room = limit - taken.get(row.location, 0)
            if room > 0:
                take = min(room, remaining)
                taken[row.location] = taken.get(row.location, 0) + take
                remaining -= take
    return [ReservationLine(sku, location, units) for location, units in taken.items()]


def _ordered(rows: Iterable[StockLevel], rank: Callable[[str], Any]) -> list[StockLevel]:
    return sorted(rows, key=lambda row: (rank(row.location), _by_bytes(row.location)))


class PriorityOrder:
    """Serve each SKU from locations in a fixed order, splitting across them when needed.

    Locations listed in ``locations`` come first, in that order; any other location follows in
    byte order of its name. With no list, locations are simply taken in byte order.

    >>> rows = [StockLevel("MUG", "berlin", 1, 0, 0), StockLevel("MUG", "oslo", 9, 0, 0)]
    >>> PriorityOrder(["oslo", "berlin"]).allocate({"MUG": 3}, rows)
    [ReservationLine(sku='MUG', location='oslo', quantity=3)]
    """

    def __init__(self, locations: Sequence[str] = ()) -> None:
        self.locations = tuple(locations)
        self._rank = {location: index for index, location in enumerate(self.locations)}

    def rank(self, location: str) -> int:
        """The position of ``location`` in the order (unlisted locations share the last)."""
        return self._rank.get(location, len(self._rank))

    def allocate(
        self, demand: Mapping[str, int], stock: Sequence[StockLevel]
    ) -> list[ReservationLine]:
        """Fill each SKU from its rows in priority order."""
        rows = _ordered(stock, self.rank)
        return [line for sku, units in demand.items() for line in fill(sku, units, rows)]


class NearestLocation:
    """Serve each SKU from the nearest location first, by a distance the host computes.

    ``distance`` maps a location name to any comparable number (kilometres to the shipping
    address, days of transit, a cost); ties go to byte order of the name. Build one per order:
    ``NearestLocation(lambda loc: km(warehouses[loc], address))``. When every SKU of a cart is
    stocked at a single location there is nothing to choose, and ``distance`` is not called.
    """

    def __init__(self, distance: Callable[[str], Any]) -> None:
        self.distance = distance

    def allocate(
        self, demand: Mapping[str, int], stock: Sequence[StockLevel]
    ) -> list[ReservationLine]:
        """Fill each SKU from its rows nearest first."""
        distances = {row.location: self.distance(row.location) for row in stock}
        rows = _ordered(stock, distances.__getitem__)
        return [line for sku, units in demand.items() for line in fill(sku, units, rows)]


class FewestShipments:
    """Ship from as few locations as possible: one location if any can serve the whole cart.

    A single location that holds every SKU on hand wins; failing that, one that can serve it
    all within its backorder room. Otherwise locations are chosen greedily, each time the one
    that covers most of the remaining units (ties by ``priority``, then byte order), on-hand
    stock before backorder room.
    """

    def __init__(self, priority: Sequence[str] = ()) -> None:
        self._order = PriorityOrder(priority)

    def allocate(
        self, demand: Mapping[str, int], stock: Sequence[StockLevel]
    ) -> list[ReservationLine]:
        """Prefer one location; else cover the demand greedily with as few as possible."""
        rows = _ordered(stock, self._order.rank)
        locations = list(dict.fromkeys(row.location for row in rows))
        by_row = {(row.sku, row.location): row for row in rows}

        def room(sku: str, location: str, on_hand_only: bool) -> int:
            row = by_row.get((sku, location))
            if row is None:
                return 0
            return max(row.available, 0) if on_hand_only else row.available - row.floor

        for on_hand_only in (True, False):
            for location in locations:
                if all(room(sku, location, on_hand_only) >= n for sku, n in demand.items()):
                    return [ReservationLine(sku, location, n) for sku, n in demand.items()]
        remaining = dict(demand)
        taken: dict[tuple[str, str], int] = {}
        for on_hand_only in (True, False):
            while any(remaining.values()):
                best, best_units = None, 0
                for location in locations:
                    units = sum(
                        min(n, room(sku, location, on_hand_only) - taken.get((sku, location), 0))
                        for sku, n in remaining.items()
                        if n
                    )
                    if units > best_units:
                        best, best_units = location, units
                if best is None:
                    break
                for sku, n in remaining.items():
                    take = min(n, room(sku, best, on_hand_only) - taken.get((sku, best), 0))
                    if n and take > 0:
                        taken[(sku, best)] = taken.get((sku, best), 0) + take
                        remaining[sku] = n - take
        return [ReservationLine(sku, location, n) for (sku, location), n in taken.items()]


# Strategies that, given a single stock row for a SKU, take the SKU's units from that row (up
# to its room): the service plans such carts without calling them. Exact types only, since a
# subclass may change ``allocate``.
ONE_ROW_NO_CHOICE: frozenset[type] = frozenset({PriorityOrder, NearestLocation, FewestShipments})
