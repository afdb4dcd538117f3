"""Parcels: one per shipment, weighing the sum of its items, in a box they surely fit in.

:func:`build_parcel` makes the parcel a quote lists; :func:`parcel_parts` is its weight and
box, which a method prices (see :mod:`commercekit.shipping._methods`).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from commercekit.shipping._values import Parcel, Shipment
from commercekit.units import GRAMS, Dimensions, Weight, WeightUnit, convert_exactly

__all__ = ["build_parcel", "parcel_parts", "parcel_quantity"]

_ZERO = Decimal(0)
#: Parts of the shipments seen last: every method of a table prices the same parcels.
_RECENT: dict[int, tuple[Shipment, tuple[Weight | None, Dimensions | None]]] = {}
_PARCELS: dict[int, tuple[Shipment, Parcel | None]] = {}
_QUANTITIES: dict[int, tuple[Shipment, int]] = {}
_KEEP = 64


def _stack(boxes: list[tuple[Dimensions, int]]) -> Dimensions:
    unit = boxes[0][0].unit
    length = width = height = Decimal(0)
    for box, quantity in boxes:
        sides = sorted((box.to(unit).length, box.to(unit).width, box.to(unit).height))
        length, width = max(length, sides[2]), max(width, sides[1])
        height += sides[0] * quantity
    return Dimensions(length, width, height, unit)


def parcel_parts(shipment: Shipment) -> tuple[Weight | None, Dimensions | None]:
    """A shipment's weight and box (see :func:`build_parcel`); each ``None`` when unknown."""
    found = _RECENT.get(id(shipment))
    if found is not None and found[0] is shipment:
        return found[1]
    parts = _parts(shipment)
    if len(_RECENT) >= _KEEP:
        _RECENT.pop(next(iter(_RECENT)))
    # The shipment itself is kept with its parts, so its id cannot be reused meanwhile.
    _RECENT[id(shipment)] = (shipment, parts)
    return parts


def parcel_quantity(shipment: Shipment) -> int:
    """How many units a shipment's parcel holds."""
    found = _QUANTITIES.get(id(shipment))
    if found is not None and found[0] is shipment:
        return found[1]
    quantity = sum(item.quantity for item in shipment.items)
    if len(_QUANTITIES) >= _KEEP:
        _QUANTITIES.pop(next(iter(_QUANTITIES)))
    _QUANTITIES[id(shipment)] = (shipment, quantity)
    return quantity


def _parts(shipment: Shipment) -> tuple[Weight | None, Dimensions | None]:
    items = shipment.items
    totals: dict[WeightUnit, Decimal] = {}
    for item in items:
        weight = item.weight
        if weight is None:
            break
        totals[weight.unit] = totals.get(weight.unit, _ZERO) + weight.value * item.quantity
    else:
        totals = totals if items else {}
    weight_out = None
    if totals and all(item.weight is not None for item in items):
        unit = items[0].weight.unit  # type: ignore[union-attr]
        # Exact: Decimal sums per unit, one ratio per unit, one rounding up at the end.
        grams = sum((Fraction(total) * GRAMS[each] for each, total in totals.items()), Fraction(0))
        weight_out = Weight(convert_exactly(Decimal(1), grams / GRAMS[unit]), unit)
    boxes = [(item.dimensions, item.quantity) for item in items if item.dimensions]
    whole = boxes and len(boxes) == len(items)
    return weight_out, _stack(boxes) if whole else None


def build_parcel(shipment: Shipment) -> Parcel | None:
    """The one parcel of a shipment, or ``None`` when an item's weight is unknown.

    Its weight is the exact sum of the items' weights times their quantities, in the first
    item's unit, rounded up once to :data:`~commercekit.shipping.PLACES` places. Its box, when
    every item has one, is the items' boxes stacked: each unit lies on its smallest side, the
    parcel is as long and as wide as the longest and widest of them and as high as their
    heights added up (a box they surely fit in, not the tightest one), in the first item's
    unit.
    """
    found = _PARCELS.get(id(shipment))
    if found is not None and found[0] is shipment:
        return found[1]
    weight, dimensions = parcel_parts(shipment)
    parcel = None
    if weight is not None:
        contents = tuple((item.sku, item.quantity) for item in shipment.items)
        parcel = Parcel(
            weight=weight, dimensions=dimensions, location=shipment.location, contents=contents
        )
    if len(_PARCELS) >= _KEEP:
        _PARCELS.pop(next(iter(_PARCELS)))
    _PARCELS[id(shipment)] = (shipment, parcel)
    return parcel
