"""Planning a reservation: bundles expanded, expired holds found, locations allocated.

The plan comes from a plain read; the guarded statements that follow decide. When one of them
finds the stock moved since the read, :class:`Retry` makes the caller plan again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from commercekit.errors import InvalidQuantityError, InventoryError
from commercekit.inventory._checks import Row
from commercekit.storage import Reservation, ReservationStatus
from commercekit.storage._checks import MAX_QUANTITY

if TYPE_CHECKING:
    from commercekit.inventory._allocation import AllocationStrategy
    from commercekit.storage import StockLevel, Transaction

__all__ = ["ACTIVE", "EXPIRED", "Existing", "Retry", "expand", "expire", "plan"]

ACTIVE = ReservationStatus.ACTIVE
EXPIRED = ReservationStatus.EXPIRED


class Retry(Exception):
    """The stock moved between the plan and the guarded statement: plan again."""


class Existing(Exception):
    """The key already names a reservation: roll back and replay it."""

    def __init__(self, reservation: Reservation) -> None:
        super().__init__(reservation.key)
        self.reservation = reservation


def expand(requested: dict[str, int], components: list[tuple[str, str, int]]) -> dict[str, int]:
    if not components:
        return requested
    bundles: dict[str, list[tuple[str, int]]] = {}
    for bundle_sku, component, units in components:
        bundles.setdefault(bundle_sku, []).append((component, units))
    demand: dict[str, int] = {}
    for sku, units in requested.items():
        for part, each in bundles.get(sku, [(sku, 1)]):
            demand[part] = demand.get(part, 0) + units * each
    too_many = [sku for sku, units in demand.items() if units > MAX_QUANTITY]
    if too_many:
        raise InvalidQuantityError(f"the cart needs more than {MAX_QUANTITY} of {too_many}")
    return demand


def expire(tx: Transaction, skus: list[str]) -> dict[Row, int]:
    """Mark expired reservations on ``skus`` expired; return the holds to give back.

    Only the status flips here (reservation rows, in the storage's expiry order); the
    holds are given back by the caller in its byte-ordered pass over stock rows, so no
    transaction ever locks stock rows out of order.
    """
    freed: dict[Row, int] = {}
    for expired in tx.reservations.expired(skus=skus):
        if tx.reservations.transition(expired.id, ACTIVE, EXPIRED):
            for line in expired.lines:
                row = (line.sku, line.location)
                freed[row] = freed.get(row, 0) + line.quantity
    return freed


def plan(
    strategy: AllocationStrategy,
    demand: dict[str, int],
    levels: list[StockLevel],
) -> dict[Row, int]:
    by_row = {(level.sku, level.location): level for level in levels}
    plan: dict[Row, int] = {}
    for line in strategy.allocate(dict(demand), list(levels)):
        row = (line.sku, line.location)
        level = by_row.get(row)
        units = line.quantity
        if level is None or isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise InventoryError(f"allocation strategy {strategy!r} returned a bad line {line}")
        plan[row] = plan.get(row, 0) + units
        if plan[row] > level.available - level.floor:
            raise InventoryError(f"allocation strategy {strategy!r} overfilled {row}")
    planned: dict[str, int] = {}
    for (sku, _), units in plan.items():
        planned[sku] = planned.get(sku, 0) + units
    if any(units > demand[sku] for sku, units in planned.items()):
        raise InventoryError(f"allocation strategy {strategy!r} allocated more than asked")
    return plan
