"""Stock locations as shipping and tax see them: their addresses, and a cart's previewed split.

A location is named by the stock rows that hold its goods (``"paris"``); its address is where
its parcels leave from (a shipment's origin) and what origin-based sales tax needs. An
:class:`AllocationPreview` says how a cart would be split across locations, without holding
anything, so that shipping can be quoted per origin before checkout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from commercekit.address import Address
from commercekit.errors import ValidationError
from commercekit.inventory._records import ReservationLine
from commercekit.rules import check_identifier

__all__ = ["AllocationPreview", "StockLocation"]


def _location(value: str) -> str:
    return check_identifier(value, name="location")


def _address(_instance: object, _attribute: attrs.Attribute[Address], value: Address) -> None:
    if not isinstance(value, Address):
        raise ValidationError(
            f'a location address is an Address, such as Address("FR", city="Paris"); got'
            f" {value!r} ({type(value).__name__})"
        )


@attrs.frozen
class StockLocation:
    """A stock location and its address, as the store keeps it (a versioned aggregate).

    >>> StockLocation("paris", Address("FR", postal_code="75011", city="Paris")).address.country
    'FR'
    """

    #: The location's name, as stock rows name it.
    id: str = attrs.field(converter=_location)
    #: Where its parcels leave from.
    address: Address = attrs.field(validator=_address)
    #: The stored version (0: never stored).
    version: int = 0


def _lines(value: Iterable[ReservationLine]) -> tuple[ReservationLine, ...]:
    lines = tuple(value)
    for line in lines:
        if not isinstance(line, ReservationLine):
            raise ValidationError(f"allocation lines are ReservationLine values, got {line!r}")
    return tuple(sorted(lines, key=lambda ln: (ln.sku.encode(), ln.location.encode())))


def _counts(value: Mapping[str, int]) -> dict[str, int]:
    return dict(value)


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _bundles(value: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {bundle: dict(parts) for bundle, parts in value.items()}


@attrs.frozen
class AllocationPreview:
    """How a cart would be allocated across locations now; nothing is held.

    ``lines`` are stock rows and units in (SKU, location) byte order, bundles already replaced
    by their components, exactly as a reservation made now with the same strategy would hold
    them (the stock may move before the reservation: compare with
    :func:`commercekit.shipping.requote_needed`). ``demand`` is the units per stocked SKU after
    bundle expansion; ``bundles`` the components (and units per bundle) of each bundle SKU of
    the cart. ``unknown`` names SKUs stocked nowhere and ``shortages`` the units missing per
    SKU; when either is set, :attr:`complete` is false, ``lines`` show what could be held, and
    a reservation would be refused.
    """

    #: What would be held, per stock row.
    lines: tuple[ReservationLine, ...] = attrs.field(converter=_lines)
    #: Units per stocked SKU, bundles expanded.
    demand: dict[str, int] = attrs.field(factory=dict, converter=_counts)
    #: The components of each bundle of the cart: bundle SKU -> component SKU -> units.
    bundles: dict[str, dict[str, int]] = attrs.field(factory=dict, converter=_bundles)
    #: SKUs stocked nowhere.
    unknown: tuple[str, ...] = attrs.field(default=(), converter=_names)
    #: Units missing per SKU.
    shortages: dict[str, int] = attrs.field(factory=dict, converter=_counts)

    @property
    def complete(self) -> bool:
        """Whether a reservation made now would hold the whole cart."""
        return not self.unknown and not self.shortages

    @property
    def locations(self) -> tuple[str, ...]:
        """The locations the cart would ship from, in byte order."""
        return tuple(sorted({line.location for line in self.lines}, key=str.encode))
