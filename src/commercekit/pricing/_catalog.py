"""What pricing knows of products and customers: entries, the Catalog port, the customer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from commercekit.errors import PriceNotFoundError, ValidationError
from commercekit.money import Money, to_decimal
from commercekit.rules import check_sku

__all__ = ["Catalog", "CatalogEntry", "Customer", "InMemoryCatalog"]


def _names(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        raise ValidationError(f"expected a collection of names, got the string {values!r}")
    result = frozenset(values)
    for value in result:
        if not isinstance(value, str) or not value:
            raise ValidationError(f"names must be non-empty strings, got {value!r}")
    return result


def _sku(value: str) -> str:
    return check_sku(value)


def _optional_weight(value: Decimal | int | str | None) -> Decimal | None:
    if value is None:
        return None
    weight = to_decimal(value)
    if weight < 0:
        raise ValidationError(f"weight must not be negative, got {weight}")
    return weight


@attrs.frozen
class CatalogEntry:
    """What pricing needs to know about one SKU, as the host's catalog tells it.

    ``price`` is the default unit price (it may be finer than the minor unit, e.g. a price
    per gram); price lists can replace it per currency, channel, customer group, date and
    quantity. ``price_list_key`` lets several SKUs share price-list entries (all sizes of a
    shirt); when unset, price lists are looked up by SKU. ``sold_by_measure`` products take
    decimal quantities (kilograms, metres) and are never counted by buy-X-get-Y or unit
    thresholds.

    >>> entry = CatalogEntry("TEA-1KG", price=Money("12.50", "EUR"), tags={"tea"})
    >>> entry.pricing_key, "tea" in entry.tags
    ('TEA-1KG', True)
    """

    #: The stock-keeping unit.
    sku: str = attrs.field(converter=_sku)
    #: Default unit price, or ``None`` when only price lists price this SKU.
    price: Money | None = None
    #: Key under which price lists price this SKU (defaults to the SKU).
    price_list_key: str | None = None
    #: Free-form tags promotions can match (``"sale"``, ``"fragile"``).
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    #: Collections (categories) promotions can match.
    collections: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    #: The tax category the tax calculator looks up (``None``: the calculator's default).
    tax_category: str | None = None
    #: Weight of one unit (in the host's unit, e.g. kilograms), for shipping calculators.
    weight: Decimal | None = attrs.field(default=None, converter=_optional_weight)
    #: Whether quantities are measured (decimal) rather than counted.
    sold_by_measure: bool = False

    @property
    def pricing_key(self) -> str:
        """The key price lists use for this entry: ``price_list_key`` or else the SKU."""
        return self.price_list_key or self.sku


@runtime_checkable
class Catalog(Protocol):
    """What the host knows about its products, as pricing needs it (a port).

    Also importable from :mod:`commercekit.ports`, with every other port. The reference
    adapter is :class:`commercekit.pricing.InMemoryCatalog`.
    """

    def get_entries(self, skus: Iterable[str]) -> Mapping[str, CatalogEntry]:
        """The entries for ``skus``, keyed by SKU.

        An unknown SKU is a :class:`~commercekit.errors.PriceNotFoundError`.
        """
        ...


class InMemoryCatalog:
    """The reference :class:`~commercekit.ports.Catalog`: entries held in a dict.

    >>> catalog = InMemoryCatalog([CatalogEntry("MUG", price=Money("8.00", "USD"))])
    >>> sorted(catalog.get_entries(["MUG"]))
    ['MUG']
    >>> catalog.get_entries(["NOPE"])
    Traceback (most recent call last):
    ...
    commercekit.errors.PriceNotFoundError: unknown SKU(s): NOPE
    """

    def __init__(self, entries: Iterable[CatalogEntry] = ()) -> None:
        self._entries: dict[str, CatalogEntry] = {}
        for entry in entries:
            self.put(entry)

    def put(self, entry: CatalogEntry) -> None:
        """Add or replace ``entry``."""
        if not isinstance(entry, CatalogEntry):
            raise ValidationError(f"expected a CatalogEntry, got {entry!r}")
        self._entries[entry.sku] = entry

    def get_entries(self, skus: Iterable[str]) -> Mapping[str, CatalogEntry]:
        """The entries for ``skus``; an unknown SKU is a :class:`PriceNotFoundError`."""
        wanted = sorted(set(skus))
        missing = [sku for sku in wanted if sku not in self._entries]
        if missing:
            raise PriceNotFoundError(f"unknown SKU(s): {', '.join(missing)}")
        return {sku: self._entries[sku] for sku in wanted}


@attrs.frozen
class Customer:
    """What pricing needs to know about the buyer; ``id=None`` is a guest.

    ``group`` selects price lists and promotion conditions (``"wholesale"``, ``"vip"``);
    ``first_order`` is whether the customer has never ordered before (the host knows; a guest
    is treated as a first order by default); ``tax_exempt`` removes tax lines.

    >>> Customer.guest().is_guest
    True
    """

    #: The customer's id, or ``None`` for a guest.
    id: str | None = None
    #: The customer group, or ``None``.
    group: str | None = None
    #: Whether this will be the customer's first order.
    first_order: bool = True
    #: Whether the customer is exempt from tax.
    tax_exempt: bool = False

    @classmethod
    def guest(cls) -> Customer:
        """An anonymous buyer with no group."""
        return cls()

    @property
    def is_guest(self) -> bool:
        """Whether this is an anonymous buyer."""
        return self.id is None
