"""Planning a reservation: bundles expanded, expired holds found, locations allocated.

The plan comes from a plain read; the guarded statements that follow decide. When one of them
finds the stock moved since the read, :class:`Retry` makes the caller plan again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from commercekit.errors import InvalidQuantityError, InventoryError
from commercekit.inventory._base import reservations
from commercekit.inventory._checks import Row, row_order
from commercekit.inventory._records import Reservation, ReservationStatus, StockLevel
from commercekit.rules import MAX_QUANTITY

if TYPE_CHECKING:
    from commercekit.inventory._allocation import AllocationStrategy
    from commercekit.ports import PlanningRead, TransactionPort

__all__ = [
    "ACTIVE",
    "EXPIRED",
    "Draft",
    "Existing",
    "Retry",
    "draft",
    "expand",
    "PlainLine",
    "expire",
    "expired_holds",
    "plain_plan",
    "plan",
]

# One line of a plain plan: (sku, location, units, low-stock threshold of the row).
PlainLine = tuple[str, str, int, int | None]

ACTIVE = ReservationStatus.ACTIVE
COMMITTED = ReservationStatus.COMMITTED
EXPIRED = ReservationStatus.EXPIRED


class Retry(Exception):
    """The stock moved between the plan and the guarded statement: plan again."""


class Existing(Exception):
    """The key already names a reservation: roll back and replay it."""

    def __init__(self, reservation: Reservation) -> None:
        super().__init__(reservation.key)
        self.reservation = reservation


def expand(requested: dict[str, int], components: list[tuple[str, str, int]]) -> dict[str, int]:
    """Units per SKU with every bundle replaced by its components (summed with the rest)."""
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


def expire(tx: TransactionPort, skus: list[str], own: Reservation | None = None) -> dict[Row, int]:
    """Mark expired reservations on ``skus`` expired; return the holds to give back.

    Only statuses change here, on reservation rows locked in id order (the lock order:
    reservation rows by id, then stock rows by (SKU, location) bytes); the caller gives the
    holds back in its byte-ordered pass over stock rows. ``own``, a reservation being committed
    after its expiry, is moved to committed at its place in that order (its holds, if it still
    had them, are freed like the others'), so no transaction locks it out of order.
    """
    found = {expired.id: expired for expired in reservations(tx).expired(skus=skus)}
    if own is not None:
        found[own.id] = own
    freed: dict[Row, int] = {}
    for ident in sorted(found):
        reservation = found[ident]
        if own is not None and ident == own.id:
            if not reservations(tx).transition(ident, own.status, COMMITTED):
                raise Retry
            if own.status is not ACTIVE:
                continue  # its holds were given back when it was swept
        elif not reservations(tx).transition(ident, ACTIVE, EXPIRED):
            continue
        for line in reservation.lines:
            row = (line.sku, line.location)
            freed[row] = freed.get(row, 0) + line.quantity
    return freed


def expired_holds(tx: TransactionPort, skus: list[str]) -> dict[Row, int]:
    """The units expired reservations on ``skus`` still hold, per row; nothing is changed.

    What :func:`expire` would give back, read only: a preview counts them as free, as the
    reservation that follows will.
    """
    freed: dict[Row, int] = {}
    for reservation in reservations(tx).expired(skus=skus):
        for line in reservation.lines:
            row = (line.sku, line.location)
            freed[row] = freed.get(row, 0) + line.quantity
    return freed


def plan(
    strategy: AllocationStrategy,
    demand: dict[str, int],
    levels: list[StockLevel],
) -> tuple[dict[Row, int], dict[str, int]]:
    """Units per stock row as ``strategy`` allocates ``demand``, checked against ``levels``.

    Also returns the units planned per SKU (at most its demand; less where stock is short).
    """
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
    planned: dict[str, int] = dict.fromkeys(demand, 0)
    for (sku, _), units in plan.items():
        planned[sku] += units
    if any(units > demand[sku] for sku, units in planned.items()):
        raise InventoryError(f"allocation strategy {strategy!r} allocated more than asked")
    return plan, planned


class Draft:
    """A cart's plan: units per stock row, holds to give back, and what stops it.

    ``unknown`` names SKUs stocked nowhere and ``shortages`` the units missing per SKU; when
    either is set the plan cannot be taken.
    """

    __slots__ = ("freed", "plan", "shortages", "thresholds", "unknown")

    def __init__(
        self,
        plan: dict[Row, int],
        thresholds: dict[Row, int | None],
        freed: dict[Row, int],
        unknown: tuple[str, ...] = (),
        shortages: dict[str, int] | None = None,
    ) -> None:
        self.plan = plan
        self.thresholds = thresholds
        self.freed = freed
        self.unknown = unknown
        self.shortages = shortages or {}


def plain_plan(read: PlanningRead, demand: dict[str, int]) -> list[PlainLine] | None:
    """The plan of the most common cart, or ``None`` if the cart is not one.

    That cart holds no bundle and no SKU with an expired hold, and each of its SKUs has one
    stock row that covers it: a built-in strategy has no choice to make, so the plan is the
    demand itself, as :func:`draft` would find it. Lines come in (SKU, location) byte order.
    """
    components, snapshot, any_expired = read
    if components or any_expired or len(snapshot) != len(demand):
        return None
    lines: list[PlainLine] = []
    for sku, location, on_hand, reserved, floor, threshold in snapshot:
        units = demand.get(sku)
        if units is None or units > on_hand - reserved - floor:
            return None
        lines.append((sku, location, units, threshold))
    if len(lines) > 1:
        if len({line[0] for line in lines}) < len(lines):
            return None  # a SKU with two rows and one with none
        lines.sort(key=lambda line: row_order((line[0], line[1])))
    return lines


def draft(
    read: PlanningRead,
    requested: dict[str, int],
    strategy: AllocationStrategy,
    tx: TransactionPort | None,
    *,
    preview: bool = False,
) -> Draft:
    """Plan a cart from what :meth:`~commercekit.ports.StockRepository.planning_read` read.

    Expired holds on the cart's SKUs are marked expired in ``tx`` first (their units count as
    free in the plan and are given back while taking it); ``tx`` may be ``None`` only when the
    read found none, as in tests of the planning alone. With ``preview`` nothing is marked:
    the expired holds are only read (:func:`expired_holds`) and counted as free.
    """
    components, snapshot, any_expired = read
    demand = expand(requested, components)
    freed: dict[Row, int] = {}
    if any_expired:
        assert tx is not None, "expired holds are freed in the reservation's transaction"
        skus = sorted(demand, key=str.encode)
        freed = expired_holds(tx, skus) if preview else expire(tx, skus)
    levels: list[StockLevel] = []
    thresholds: dict[Row, int | None] = {}
    for sku, location, on_hand, reserved, floor, threshold in snapshot:
        if sku not in demand:
            continue  # a bundle SKU that also has a stock row of its own
        row = (sku, location)
        levels.append(StockLevel(sku, location, on_hand, reserved - freed.get(row, 0), floor))
        thresholds[row] = threshold
    stocked = {level.sku for level in levels}
    if len(stocked) < len(demand):
        unknown = tuple(sku for sku in sorted(demand, key=str.encode) if sku not in stocked)
        return Draft({}, thresholds, freed, unknown=unknown)
    rows, planned = plan(strategy, demand, levels)
    if planned == demand:
        return Draft(rows, thresholds, freed)
    shortages = {
        sku: demand[sku] - planned[sku]
        for sku in sorted(demand, key=str.encode)
        if planned[sku] < demand[sku]
    }
    return Draft(rows, thresholds, freed, shortages=shortages)
