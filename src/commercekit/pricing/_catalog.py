"""What pricing knows of products and customers: entries, the Catalog port, the customer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from commercekit.errors import (
    InvalidAmountError,
    InvalidQuantityError,
    PriceNotFoundError,
    ValidationError,
)
from commercekit.money import Money, to_decimal
from commercekit.rules import (
    MAX_QUANTITY,
    check_customer_id,
    check_identifier,
    check_sku,
    check_text,
)
from commercekit.units import Dimensions, Weight

__all__ = ["Catalog", "CatalogEntry", "Customer", "InMemoryCatalog", "Variant"]


def _names(values: Iterable[str], what: str = "name") -> frozenset[str]:
    """A set of names (tags, collections, groups, SKUs), each checked as an identifier."""
    if isinstance(values, str | bytes):
        raise ValidationError(
            f"expected a collection of names, got the {type(values).__name__} {_shown(values)}"
        )
    try:
        given = list(values)
    except TypeError:
        raise ValidationError(
            f"expected a collection of names, got {_shown(values)} ({type(values).__name__})"
        ) from None
    return frozenset(check_identifier(value, name=what) for value in given)


def _tags(values: Iterable[str]) -> frozenset[str]:
    return _names(values, "tag")


def _collections(values: Iterable[str]) -> frozenset[str]:
    return _names(values, "collection")


def _sku(value: str) -> str:
    return check_sku(value)


def _optional_identifier(value: str | None, what: str) -> str | None:
    """``None``, or an identifier checked by :mod:`commercekit.rules`."""
    return None if value is None else check_identifier(value, name=what)


def _price_list_key(value: str | None) -> str | None:
    return _optional_identifier(value, "price_list_key")


def _tax_category(value: str | None) -> str | None:
    return _optional_identifier(value, "tax_category")


def _customer_group(value: str | None) -> str | None:
    return _optional_identifier(value, "customer group")


def _optional_customer_id(value: str | None) -> str | None:
    return None if value is None else check_customer_id(value)


def _display_name(value: str | None) -> str | None:
    return check_text(value, name="name")


def _flag(value: object, what: str) -> bool:
    """Only ``True`` and ``False`` (not ``1``, ``"no"`` or ``None``)."""
    if not isinstance(value, bool):
        raise ValidationError(f"{what} must be True or False, got {_shown(value)}")
    return value


def _sold_by_measure(value: bool) -> bool:
    return _flag(value, "sold_by_measure")


def _first_order(value: bool) -> bool:
    return _flag(value, "first_order")


def _tax_exempt(value: bool) -> bool:
    return _flag(value, "tax_exempt")


def _certificate(value: str | None) -> str | None:
    return _optional_identifier(value, "exemption_certificate")


def _vat_id(value: str | None) -> str | None:
    if value is None:
        return None
    checked = _optional_identifier(value, "vat_id")
    assert checked is not None
    return "".join(checked.split()).upper()


def _vat_id_validated(value: bool | None) -> bool | None:
    return None if value is None else _flag(value, "vat_id_validated")


def _shown(value: object) -> str:
    """A short ``repr`` of ``value`` for a message, that always encodes to UTF-8."""
    shown = repr(value).encode("utf-8", "backslashreplace").decode("utf-8")
    return shown if len(shown) <= 60 else f"{shown[:60]}..."


def _check_price(
    _instance: object, _attribute: attrs.Attribute[Money | None], value: Money | None
) -> None:
    """A price is ``None`` or :class:`~commercekit.money.Money` that is not negative."""
    if value is None:
        return
    if not isinstance(value, Money):
        raise InvalidAmountError(
            f'price must be Money, such as Money("12.10", "EUR"), or None; got'
            f" {_shown(value)} ({type(value).__name__})"
        )
    if value.amount < 0:
        raise ValidationError(f"price must not be negative, got {value}")


def _optional_weight(value: Decimal | int | str | None) -> Decimal | None:
    if value is None:
        return None
    weight = to_decimal(value)
    if weight < 0:
        raise ValidationError(f"weight must not be negative, got {weight}")
    return weight


def _shipping_weight(value: Weight | None) -> Weight | None:
    if value is not None and not isinstance(value, Weight):
        raise ValidationError(
            f'shipping_weight must be a Weight, such as Weight("0.35", "kg"), or None; got'
            f" {_shown(value)} ({type(value).__name__})"
        )
    return value


def _dimensions(value: Dimensions | None) -> Dimensions | None:
    if value is not None and not isinstance(value, Dimensions):
        raise ValidationError(
            f'dimensions must be Dimensions, such as Dimensions("30", "20", "10", "cm"), or'
            f" None; got {_shown(value)} ({type(value).__name__})"
        )
    return value


def _options(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    result: dict[str, str] = {}
    for name, choice in pairs:
        result[check_identifier(name, name="option name")] = (
            check_text(choice, name=f"option {name!r}", required=True) or ""
        )
    if not result:
        raise ValidationError("a variant is chosen by at least one option")
    return tuple(sorted(result.items()))


@attrs.frozen
class Variant:
    """The SKU inventory stocks for one choice of a product's options.

    A cart line of the product whose options include all of these (``{"size": "M"}``) is held
    as ``sku`` (see :func:`commercekit.inventory.cart_demand`).

    >>> Variant("TEE-M", {"size": "M"}).options
    (('size', 'M'),)
    """

    #: The stocked SKU.
    sku: str = attrs.field(converter=_sku)
    #: The options that choose it, as sorted (name, value) pairs.
    options: tuple[tuple[str, str], ...] = attrs.field(converter=_options)


def _variants(value: Iterable[Variant]) -> tuple[Variant, ...]:
    variants = tuple(value)
    for variant in variants:
        if not isinstance(variant, Variant):
            raise ValidationError(f"variants are Variant values, got {variant!r}")
    if len({v.sku for v in variants}) != len(variants):
        raise ValidationError(f"two variants with one SKU: {[v.sku for v in variants]}")
    return variants


def _stock_units(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise InvalidQuantityError(
            f"stock_units is a whole number from 1 to {MAX_QUANTITY}, got {value!r}"
        )
    return value


@attrs.frozen
class CatalogEntry:
    """What pricing needs to know about one SKU, as the host's catalog tells it.

    ``price`` is the default unit price (it may be finer than the minor unit, e.g. a price
    per gram); price lists can replace it per currency, channel, customer group, date and
    quantity. ``price_list_key`` lets several SKUs share price-list entries (all sizes of a
    shirt); when unset, price lists are looked up by SKU. ``sold_by_measure`` products take
    decimal quantities (kilograms, metres) and are never counted by buy-X-get-Y or unit
    thresholds. ``name`` is what a receipt or an order confirmation shows for the SKU.
    ``shipping_weight`` and ``dimensions`` are what shipping weighs and boxes for one unit
    sold (see :func:`commercekit.shipping.shipping_request`); a weight or box that is not
    positive, or in an unknown unit, is refused when the :class:`~commercekit.units.Weight`
    or :class:`~commercekit.units.Dimensions` is built, and anything else is a
    :class:`~commercekit.errors.ValidationError` naming the field.

    Every field is checked when the entry is built: the SKU, ``price_list_key``,
    ``tax_category`` and each tag and collection follow the identifier rules of
    :mod:`commercekit.rules` (:class:`~commercekit.errors.InvalidIdentifierError`), ``name`` the
    free-text rule; a price that is not :class:`~commercekit.money.Money` (a float, a string) is
    an :class:`~commercekit.errors.InvalidAmountError` and a negative one a
    :class:`~commercekit.errors.ValidationError`.

    >>> entry = CatalogEntry("TEA-1KG", price=Money("12.50", "EUR"), tags={"tea"},
    ...                      name="Assam tea, 1 kg")
    >>> entry.pricing_key, "tea" in entry.tags, entry.name
    ('TEA-1KG', True, 'Assam tea, 1 kg')
    >>> CatalogEntry("TEA-1KG", price=12.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    commercekit.errors.InvalidAmountError: price must be Money, such as Money("12.10", "EUR"), ...
    """

    #: The stock-keeping unit.
    sku: str = attrs.field(converter=_sku)
    #: Default unit price (not negative), or ``None`` when only price lists price this SKU.
    price: Money | None = attrs.field(default=None, validator=_check_price)
    #: Key under which price lists price this SKU (defaults to the SKU).
    price_list_key: str | None = attrs.field(default=None, converter=_price_list_key)
    #: Free-form tags promotions can match (``"sale"``, ``"fragile"``).
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tags)
    #: Collections (categories) promotions can match.
    collections: frozenset[str] = attrs.field(default=frozenset(), converter=_collections)
    #: The tax category the tax calculator looks up (``None``: the calculator's default).
    tax_category: str | None = attrs.field(default=None, converter=_tax_category)
    #: Weight of one unit as a bare number in the host's own unit (kept for compatibility;
    #: shipping reads ``shipping_weight``, which carries its unit).
    weight: Decimal | None = attrs.field(default=None, converter=_optional_weight)
    #: Whether quantities are measured (decimal) rather than counted.
    sold_by_measure: bool = attrs.field(default=False, converter=_sold_by_measure)
    #: The name a receipt shows (``"Assam tea, 1 kg"``), or ``None``; one line of free text.
    name: str | None = attrs.field(default=None, converter=_display_name)
    #: How many stock units one unit sold is: 1000 for beans sold by the kilogram and
    #: stocked in grams, 6 for a six-pack stocked as bottles (see
    #: :func:`commercekit.inventory.cart_demand`).
    stock_units: int = attrs.field(default=1, converter=_stock_units)
    #: The SKUs stocked for each choice of options (sizes, colours), if the product has any.
    variants: tuple[Variant, ...] = attrs.field(default=(), converter=_variants)
    #: The weight of one unit sold, with its unit (``Weight("0.35", "kg")``), or ``None``.
    shipping_weight: Weight | None = attrs.field(default=None, converter=_shipping_weight)
    #: The box of one unit sold (``Dimensions("12", "9", "9", "cm")``), or ``None``.
    dimensions: Dimensions | None = attrs.field(default=None, converter=_dimensions)

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
    is treated as a first order by default); ``tax_exempt`` removes tax lines everywhere
    (with tax-inclusive prices the buyer pays the net price). ``exemption_certificate`` is the
    reference of a certificate a tax calculator checks (per US state, for instance);
    ``vat_id`` is an EU VAT id with its country prefix (spaces removed, upper case) and
    ``vat_id_validated`` what an online check (VIES) said of it: ``True``, ``False``, or
    ``None`` when not checked online. The id and the group follow the identifier rules of
    :mod:`commercekit.rules`.

    >>> Customer.guest().is_guest
    True
    """

    #: The customer's id, or ``None`` for a guest.
    id: str | None = attrs.field(default=None, converter=_optional_customer_id)
    #: The customer group, or ``None``.
    group: str | None = attrs.field(default=None, converter=_customer_group)
    #: Whether this will be the customer's first order.
    first_order: bool = attrs.field(default=True, converter=_first_order)
    #: Whether the customer is exempt from tax.
    tax_exempt: bool = attrs.field(default=False, converter=_tax_exempt)
    #: The reference of the customer's tax exemption certificate, or ``None``.
    exemption_certificate: str | None = attrs.field(default=None, converter=_certificate)
    #: The customer's VAT id (``"DE123456789"``), or ``None``.
    vat_id: str | None = attrs.field(default=None, converter=_vat_id)
    #: What an online check said of ``vat_id`` (``None``: not checked online).
    vat_id_validated: bool | None = attrs.field(default=None, converter=_vat_id_validated)

    @classmethod
    def guest(cls) -> Customer:
        """An anonymous buyer with no group."""
        return cls()

    @property
    def is_guest(self) -> bool:
        """Whether this is an anonymous buyer."""
        return self.id is None
