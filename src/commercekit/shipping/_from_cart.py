"""From a cart and its allocation to the request a rate provider quotes, and the re-quote check.

A cart split across stock locations ships as several shipments, one per location, each from
that location's address. :func:`shipping_request` builds them from the allocation a
reservation would make (:meth:`InventoryService.preview_allocation
<commercekit.inventory.InventoryService.preview_allocation>`) or made (a reservation), with
the weights and boxes of the catalog. The reservation at checkout may split the cart
differently from the preview the quote used (the stock moved in between): build the request
again from the reservation and ask :func:`requote_needed`; when it says so, the shipping is
quoted again and the change is reported to the customer before payment.

Pure: no store, no network. Cart, catalog and inventory types are named for type checking
only, so this module can be imported from :mod:`commercekit.shipping` without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol

import attrs

from commercekit.address import Address
from commercekit.errors import PriceNotFoundError, ValidationError
from commercekit.money import allocate_minor
from commercekit.shipping._values import Shipment, ShippableItem, ShippingRequest
from commercekit.units import Weight, convert_exactly

if TYPE_CHECKING:
    from commercekit.cart import Breakdown, Cart
    from commercekit.pricing import Catalog, CatalogEntry

__all__ = ["AllocatedLine", "RequoteCheck", "requote_needed", "shipping_request"]

# Units still to assign per stocked SKU, per location.
_Pool = dict[str, dict[str, int]]


class AllocatedLine(Protocol):
    """One line of an allocation: units of a stocked SKU at a location (a ``ReservationLine``)."""

    @property
    def sku(self) -> str:
        """The stocked SKU."""
        ...

    @property
    def location(self) -> str:
        """The location."""
        ...

    @property
    def quantity(self) -> int:
        """Whole stock units."""
        ...


def _entries(
    skus: Iterable[str], catalog: Catalog | Mapping[str, CatalogEntry]
) -> dict[str, CatalogEntry]:
    wanted = sorted(set(skus))
    if isinstance(catalog, Mapping):
        missing = [sku for sku in wanted if sku not in catalog]
        if missing:
            raise ValidationError(f"not in the catalog: {missing}")
        return {sku: catalog[sku] for sku in wanted}
    return dict(catalog.get_entries(wanted))


def _pool(allocation: Iterable[AllocatedLine]) -> _Pool:
    pool: _Pool = {}
    for line in allocation:
        at = pool.setdefault(line.sku, {})
        at[line.location] = at.get(line.location, 0) + line.quantity
    return pool


def _places(pool: _Pool, sku: str) -> list[str]:
    return sorted(pool.get(sku, {}), key=str.encode)


def _take(pool: _Pool, sku: str, units: int) -> dict[str, int]:
    """Take ``units`` of ``sku`` from the pool, locations in byte order."""
    taken: dict[str, int] = {}
    for location in _places(pool, sku):
        if units == 0:
            break
        n = min(units, pool[sku][location])
        if n:
            pool[sku][location] -= n
            taken[location] = n
            units -= n
    if units:
        raise ValidationError(
            f"the allocation does not cover the cart: {sku} short by {units} stock units"
        )
    return taken


def _take_bundles(
    pool: _Pool, parts: Mapping[str, int], units: int
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Whole bundles per location where every component is there, then loose components."""
    whole: dict[str, int] = {}
    locations = sorted({loc for part in parts for loc in pool.get(part, {})}, key=str.encode)
    for location in locations:
        fits = min(pool.get(part, {}).get(location, 0) // each for part, each in parts.items())
        n = min(fits, units)
        if n:
            for part, each in parts.items():
                pool[part][location] -= n * each
            whole[location] = n
            units -= n
    loose: dict[tuple[str, str], int] = {}
    if units:
        for part, each in sorted(parts.items()):
            for location, n in _take(pool, part, units * each).items():
                loose[(part, location)] = n
    return whole, loose


def _item(sku: str, entry: CatalogEntry | None, units: int, amount: int) -> ShippableItem:
    """``units`` stock units of ``sku`` as one item line: whole units sold, else one piece."""
    per = 1 if entry is None else entry.stock_units
    weight = None if entry is None else entry.shipping_weight
    tags = frozenset() if entry is None else entry.tags
    if units % per == 0:
        box = None if entry is None else entry.dimensions
        return ShippableItem(sku, units // per, weight, box, tags, amount)
    # A measured quantity (0.25 kg) or a part of a pack: one piece of its exact share of the
    # unit's weight, rounded up; its box is unknown.
    if weight is not None:
        weight = Weight(convert_exactly(weight.value, Fraction(units, per)), weight.unit)
    return ShippableItem(sku, 1, weight, None, tags, amount)


def _amounts(total: int, keys: list[tuple[str, str]], units: list[int]) -> list[int]:
    return allocate_minor(total, units, keys=keys) if keys else []


def shipping_request(
    cart: Cart,
    catalog: Catalog | Mapping[str, CatalogEntry],
    allocation: Iterable[AllocatedLine],
    *,
    destination: Address | None = None,
    locations: Mapping[str, Address] | None = None,
    breakdown: Breakdown | None = None,
    bundles: Mapping[str, Mapping[str, int]] | None = None,
    subtotal_minor: int | None = None,
    at: datetime | None = None,
) -> ShippingRequest:
    """The :class:`ShippingRequest` of ``cart`` as ``allocation`` splits it, by location.

    ``allocation`` is an allocation's lines (``preview.lines`` or ``reservation.lines``: units
    of stocked SKUs per location, bundles as their components); ``bundles`` the components of
    the cart's bundles (``preview.bundles``). Each cart line goes to its stocked SKU (its
    variant) and its stock units, as :func:`~commercekit.inventory.cart_demand` does, and
    takes its units from the allocation, locations in byte order. A whole number of units sold
    at a location is an item of that many units with the catalog's ``shipping_weight``,
    ``dimensions`` and tags; a measure (0.25 kg) or part of a pack is one piece weighing its
    exact share, rounded up, with no box. A bundle ships whole from a location holding all of
    its components, else as its components (each with its own catalog entry, if any).

    Items carry the line's amount after discounts (from ``breakdown``; 0 without one), split
    across locations by units with :func:`~commercekit.money.allocate_minor`, so they sum to
    the line's. ``subtotal_minor`` defaults to the breakdown's lines after discounts.
    ``destination`` defaults to the cart's ``shipping_address``; ``locations`` maps a location
    to its address (:meth:`~commercekit.inventory.InventoryService.location_addresses`), a
    location without one ships with ``origin=None``.

    A cart with no shipping address and no ``destination``, an allocation that does not cover
    the cart (or holds more than it needs) and a breakdown of another cart are each a
    :class:`~commercekit.errors.ValidationError` saying which.
    """
    where = cart.shipping_address if destination is None else destination
    if where is None:
        raise ValidationError(
            "shipping_address: the cart has no shipping address; set it or pass destination="
        )
    if not isinstance(where, Address):
        raise ValidationError(f"destination must be an Address, got {type(where).__name__}")
    if not cart.lines:
        raise ValidationError("nothing to ship: the cart has no lines")
    line_amounts = _line_amounts(cart, breakdown)
    parts = dict(bundles or {})
    entries = _entries([line.sku for line in cart.lines], catalog)
    from commercekit.inventory import stock_sku, stock_units  # at call time: no import cycle

    pool = _pool(allocation)
    per_location: dict[str, list[ShippableItem]] = {}
    for line in cart.lines:
        entry = entries[line.sku]
        sku, units = stock_sku(line, entry), stock_units(line, entry)
        if sku in parts:
            whole, loose = _take_bundles(pool, parts[sku], units)
        else:
            whole, loose = _take(pool, sku, units), {}
        keys = [(sku, loc) for loc in whole] + list(loose)
        counts = list(whole.values()) + list(loose.values())
        shares = iter(_amounts(line_amounts.get(line.id, 0), keys, counts))
        for location, n in whole.items():
            per_location.setdefault(location, []).append(_item(sku, entry, n, next(shares)))
        if loose:
            found = _loose_entries(list(loose), catalog)
            for (part, location), n in loose.items():
                item = _item(part, found.get(part), n, next(shares))
                per_location.setdefault(location, []).append(item)
    left = {sku: n for sku, at_ in pool.items() if (n := sum(at_.values()))}
    if left:
        raise ValidationError(f"the allocation holds stock units the cart does not need: {left}")
    origins = locations or {}
    shipments = [
        Shipment(location, origins.get(location), per_location[location])
        for location in sorted(per_location, key=str.encode)
    ]
    if subtotal_minor is None:
        subtotal_minor = sum(line_amounts.values())
    return ShippingRequest(cart.currency, where, shipments, subtotal_minor, at)


def _line_amounts(cart: Cart, breakdown: Breakdown | None) -> dict[str, int]:
    if breakdown is None:
        return {}
    if breakdown.cart_id != cart.id or breakdown.currency is not cart.currency:
        raise ValidationError(
            f"breakdown: it prices cart {breakdown.cart_id!r} in {breakdown.currency.code},"
            f" not cart {cart.id!r} in {cart.currency.code}"
        )
    return {
        line.line_id: line.subtotal_minor - line.discount_total_minor for line in breakdown.lines
    }


def _loose_entries(
    rows: list[tuple[str, str]], catalog: Catalog | Mapping[str, CatalogEntry]
) -> dict[str, CatalogEntry]:
    """The catalog entries of bundle components shipped loose (a component may have none)."""
    skus = sorted({part for part, _ in rows})
    if isinstance(catalog, Mapping):
        return {sku: catalog[sku] for sku in skus if sku in catalog}
    found: dict[str, CatalogEntry] = {}
    for sku in skus:
        try:
            found.update(catalog.get_entries([sku]))
        except PriceNotFoundError:
            continue
    return found


def _content(shipment: Shipment) -> list[tuple[str, int, object, object]]:
    return sorted(((i.sku, i.quantity, i.weight, i.dimensions) for i in shipment.items), key=repr)


@attrs.frozen
class RequoteCheck:
    """How a reservation's shipments differ from the quoted ones; true when they do.

    ``added`` and ``removed`` name the locations that now ship or no longer ship; ``changed``
    those shipping other items (or amounts of them); ``destination_changed`` whether the
    address differs.
    """

    #: Locations shipping now that the quote did not include.
    added: tuple[str | None, ...] = ()
    #: Locations the quote included that no longer ship.
    removed: tuple[str | None, ...] = ()
    #: Locations shipping other items than quoted.
    changed: tuple[str | None, ...] = ()
    #: Whether the destination differs from the quoted one.
    destination_changed: bool = False
    #: Whether the discounted subtotal differs (price bands and free-over thresholds judge it).
    subtotal_changed: bool = False

    @property
    def needed(self) -> bool:
        """Whether the shipping must be quoted again."""
        return bool(
            self.added
            or self.removed
            or self.changed
            or self.destination_changed
            or self.subtotal_changed
        )

    def __bool__(self) -> bool:
        return self.needed


def requote_needed(quoted: ShippingRequest, reserved: ShippingRequest) -> RequoteCheck:
    """Whether the shipments of ``reserved`` differ from those ``quoted`` (and where).

    ``quoted`` is the request the shipping quote was made for (from the preview);
    ``reserved`` the same cart's request built from the reservation checkout made. Items are
    compared by SKU, quantity, weight and box per location, in any order, and the discounted
    subtotal too (price bands and free-over thresholds judge it). When the check is true,
    the checkout quotes the shipping again and reports the change (another price or delivery
    estimate) before taking payment.
    """
    before = {s.location: _content(s) for s in quoted.shipments}
    after = {s.location: _content(s) for s in reserved.shipments}

    def order(names: Iterable[str | None]) -> tuple[str | None, ...]:
        return tuple(sorted(names, key=lambda n: b"" if n is None else n.encode()))

    return RequoteCheck(
        added=order(after.keys() - before.keys()),
        removed=order(before.keys() - after.keys()),
        changed=order(loc for loc in before.keys() & after.keys() if before[loc] != after[loc]),
        destination_changed=quoted.destination != reserved.destination,
        subtotal_changed=quoted.subtotal_minor != reserved.subtotal_minor,
    )
