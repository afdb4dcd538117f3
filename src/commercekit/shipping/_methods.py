"""Shipping methods: where and for what carts they apply, and why they refuse one.

A :class:`ShippingMethod` names a way to ship (carrier and service), the zones it serves, a
rate calculator (see :mod:`commercekit.shipping._calculators`) and its eligibility rules. It
prices a request parcel by parcel: one parcel per shipment (per origin location), weighing the
sum of its items (:func:`build_parcel`). A method that does not apply says why in a
:class:`Refusal` with a stable :class:`RefusalReason`.

Weight and item-count limits apply to each parcel (for a cart shipped from one location, the
whole cart); subtotal limits apply to the cart's subtotal after discounts. Zones are tax zones
(:class:`~commercekit.tax.TaxZone`): the same geography, by country, subdivision and postal code.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from commercekit.address import Address
from commercekit.errors import CurrencyMismatchError, ValidationError
from commercekit.money import Currency, Money, from_minor_units, to_minor_units
from commercekit.rules import check_identifier, check_text
from commercekit.shipping._parcels import build_parcel, parcel_parts, parcel_quantity
from commercekit.shipping._rate_basis import (
    NoRate,
    RateBasis,
    RateCalculator,
    RefusalReason,
    minor_units_of,
)
from commercekit.shipping._rate_basis import same_currency as same_currency  # for _tables
from commercekit.shipping._values import (
    DeliveryEstimate,
    Shipment,
    ShippingQuote,
    ShippingRequest,
)
from commercekit.tax import TaxZone
from commercekit.units import Weight

__all__ = [
    "NoRate",
    "RateBasis",
    "RateCalculator",
    "Refusal",
    "RefusalReason",
    "ShippingMethod",
    "build_parcel",
]


@attrs.frozen
class Refusal:
    """Why a method does not apply to a request: a stable ``reason`` and a message."""

    #: The method's id.
    method: str
    #: Why, as a stable word.
    reason: RefusalReason
    #: What to tell a person (names the field and the limit).
    message: str
    #: The SKU at fault (``excluded_item``, ``missing_weight``), or ``None``.
    sku: str | None = None
    #: The location whose parcel is at fault (weight and count limits), or ``None``.
    location: str | None = None


def _zones(value: Iterable[TaxZone]) -> tuple[TaxZone, ...]:
    zones = tuple(value)
    for index, zone in enumerate(zones):
        if not isinstance(zone, TaxZone):
            raise ValidationError(f"zones[{index}] must be a TaxZone, got {zone!r}")
    return zones


def _skus(value: Iterable[str]) -> frozenset[str]:
    return frozenset(check_identifier(sku, name="excluded_skus") for sku in value)


def _tags(value: Iterable[str]) -> frozenset[str]:
    return frozenset(check_identifier(tag, name="excluded_tags") for tag in value)


def _label(value: str) -> str:
    return "" if value == "" else str(check_text(value, name="carrier or service", required=True))


def _method_id(value: str) -> str:
    return check_identifier(value, name="method id")


def _name(value: str) -> str:
    return str(check_text(value, name="name", required=True))


def _max_quantity(value: int | None) -> int | None:
    if value is not None and (value.__class__ is not int or value <= 0):
        raise ValidationError(f"max_quantity is a positive whole number or None, not {value!r}")
    return value


def _weight(_instance: object, attribute: attrs.Attribute[Weight | None], value: object) -> None:
    if value is not None and not isinstance(value, Weight):
        raise ValidationError(f"{attribute.name} must be a Weight or None, got {value!r}")


def _money(_instance: object, attribute: attrs.Attribute[Money | None], value: object) -> None:
    if value is not None:
        minor_units_of(value, attribute.name)


def _calculator(
    _instance: object, attribute: attrs.Attribute[RateCalculator], value: object
) -> None:
    if not isinstance(value, RateCalculator):
        raise ValidationError(f"calculator must be a rate calculator, got {value!r}")


def _check(request: object) -> ShippingRequest:
    if not isinstance(request, ShippingRequest):
        raise ValidationError(f"request must be a ShippingRequest, got {type(request).__name__}")
    if not isinstance(request.destination, Address):
        raise ValidationError(
            "request.destination must be an Address (with a country), got"
            f" {type(request.destination).__name__}"
        )
    if not any(shipment.items for shipment in request.shipments):
        raise ValidationError("request.shipments: nothing to ship (no shipment has an item)")
    return request


def _show(weight: Weight) -> str:
    return f"{weight.value} {weight.unit}"


@attrs.frozen
class ShippingMethod:
    """A way to ship, where it applies, what it costs, and for which carts.

    Limits are inclusive: a parcel of exactly ``max_weight`` may go; so may a cart whose
    discounted subtotal is exactly ``min_subtotal``. A method with no zones ships everywhere.
    A method that needs weights (:attr:`needs_weights`) refuses a cart with an item whose
    weight is unknown (``missing_weight``) rather than guess.
    """

    #: The shop's id of the method (each quote's ``method``).
    id: str = attrs.field(converter=_method_id)
    #: The name shown to customers.
    name: str = attrs.field(converter=_name)
    #: What a parcel costs.
    calculator: RateCalculator = attrs.field(validator=_calculator)
    #: The carrier (``"DHL"``), or empty.
    carrier: str = attrs.field(default="", converter=_label, kw_only=True)
    #: The carrier's service (``"Paket"``), or empty.
    service: str = attrs.field(default="", converter=_label, kw_only=True)
    #: The zones it ships to (any of them); empty: everywhere.
    zones: tuple[TaxZone, ...] = attrs.field(default=(), converter=_zones, kw_only=True)
    #: The lightest parcel it takes, or ``None``.
    min_weight: Weight | None = attrs.field(default=None, validator=_weight, kw_only=True)
    #: The heaviest parcel it takes, or ``None``.
    max_weight: Weight | None = attrs.field(default=None, validator=_weight, kw_only=True)
    #: The lowest discounted subtotal of the cart, or ``None``.
    min_subtotal: Money | None = attrs.field(default=None, validator=_money, kw_only=True)
    #: The highest discounted subtotal of the cart, or ``None``.
    max_subtotal: Money | None = attrs.field(default=None, validator=_money, kw_only=True)
    #: The most units in a parcel, or ``None``.
    max_quantity: int | None = attrs.field(default=None, converter=_max_quantity, kw_only=True)
    #: SKUs it does not carry.
    excluded_skus: frozenset[str] = attrs.field(factory=frozenset, converter=_skus, kw_only=True)
    #: Product tags it does not carry (``"hazardous"``).
    excluded_tags: frozenset[str] = attrs.field(factory=frozenset, converter=_tags, kw_only=True)
    #: Whether it needs every item's weight even when its calculator does not.
    requires_weights: bool = attrs.field(default=False, kw_only=True)
    #: How long delivery takes, or ``None``.
    estimate: DeliveryEstimate | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.min_weight and self.max_weight and self.min_weight > self.max_weight:
            raise ValidationError(f"method {self.id!r}: min_weight is over max_weight")
        for field, limit in (
            ("min_subtotal", self.min_subtotal),
            ("max_subtotal", self.max_subtotal),
        ):
            if limit is not None:
                same_currency(field, self.currency, limit.currency)
        if self.min_subtotal and self.max_subtotal and self.min_subtotal > self.max_subtotal:
            raise ValidationError(f"method {self.id!r}: min_subtotal is over max_subtotal")

    @property
    def currency(self) -> Currency:
        """The currency of its rates (its calculator's)."""
        return self.calculator.currency

    @property
    def needs_weights(self) -> bool:
        """Whether it needs every item's weight (asked, weighing calculator, weight limits)."""
        limits = self.min_weight is not None or self.max_weight is not None
        return self.requires_weights or self.calculator.needs_weights or limits

    def eligibility(self, request: ShippingRequest) -> Refusal | None:
        """Why the method does not apply to ``request``, or ``None`` when it does."""
        found = self.quote(request)
        return found if isinstance(found, Refusal) else None

    def quote(self, request: ShippingRequest, *, source: str = "") -> ShippingQuote | Refusal:
        """The method's quote for ``request`` (one parcel per shipment, summed), or a refusal.

        A request in another currency than the method's is a
        :class:`~commercekit.errors.CurrencyMismatchError`, not a refusal; a request without
        an item or an :class:`~commercekit.address.Address` is a ``ValidationError``.
        """
        request = _check(request)
        if request.currency != self.currency:
            raise CurrencyMismatchError(
                self.currency.code,
                request.currency.code,
                message=f"method {self.id!r} quotes in {self.currency.code}, the request is in"
                f" {request.currency.code} (convert through ExchangeRates first)",
            )
        refusal = self._cart_refusal(request)
        if refusal is not None:
            return refusal
        total, parcels = 0, []
        for shipment in request.shipments:
            if not shipment.items:
                continue
            found = self._parcel_rate(request, shipment)
            if isinstance(found, Refusal):
                return found
            total += found
            parcel = build_parcel(shipment)
            if parcel is not None:
                parcels.append(parcel)
        return ShippingQuote(
            method=self.id,
            carrier=self.carrier,
            service=self.service,
            amount=from_minor_units(total, self.currency),
            estimate=self.estimate,
            parcels=tuple(parcels),
            source=source,
        )

    def _refuse(self, reason: RefusalReason, message: str, **where: str | None) -> Refusal:
        return Refusal(self.id, reason, f"method {self.id!r}: {message}", **where)

    def _cart_refusal(self, request: ShippingRequest) -> Refusal | None:
        where = request.destination
        if self.zones and not any(zone.matches(where) for zone in self.zones):
            names = ", ".join(repr(zone.id) for zone in self.zones)
            return self._refuse(
                RefusalReason.OUTSIDE_ZONES,
                f"ships to zones {names} only, not to {where.subdivision or where.country}"
                f" {where.postal_code}".rstrip(),
            )
        excluded = self.excluded_skus or self.excluded_tags
        for item in request.items if excluded else ():
            tags = sorted(item.tags & self.excluded_tags)
            if item.sku in self.excluded_skus or tags:
                why = f"tag {tags[0]!r} (excluded_tags)" if tags else "SKU (excluded_skus)"
                return self._refuse(
                    RefusalReason.EXCLUDED_ITEM, f"does not carry {item.sku!r}: {why}", sku=item.sku
                )
        if self.needs_weights:
            for item in (item for shipment in request.shipments for item in shipment.items):
                if item.weight is None:
                    return self._refuse(
                        RefusalReason.MISSING_WEIGHT,
                        f"needs every item's weight, {item.sku!r} has none (ShippableItem.weight)",
                        sku=item.sku,
                    )
        subtotal = request.subtotal_minor
        low, high = self.min_subtotal, self.max_subtotal
        if low is not None and subtotal < to_minor_units(low):
            shown = from_minor_units(subtotal, self.currency)
            return self._refuse(
                RefusalReason.SUBTOTAL_TOO_LOW, f"the subtotal {shown} is under min_subtotal {low}"
            )
        if high is not None and subtotal > to_minor_units(high):
            shown = from_minor_units(subtotal, self.currency)
            return self._refuse(
                RefusalReason.SUBTOTAL_TOO_HIGH, f"the subtotal {shown} is over max_subtotal {high}"
            )
        return None

    def _parcel_rate(self, request: ShippingRequest, shipment: Shipment) -> int | Refusal:
        weight, dimensions = parcel_parts(shipment)
        quantity = parcel_quantity(shipment)
        place = f"the parcel from {shipment.location!r}" if shipment.location else "the parcel"
        at = {"location": shipment.location}
        if weight is not None and self.max_weight is not None and weight > self.max_weight:
            return self._refuse(
                RefusalReason.TOO_HEAVY,
                f"{place} weighs {_show(weight)}, over max_weight {_show(self.max_weight)}",
                **at,
            )
        if weight is not None and self.min_weight is not None and weight < self.min_weight:
            return self._refuse(
                RefusalReason.TOO_LIGHT,
                f"{place} weighs {_show(weight)}, under min_weight {_show(self.min_weight)}",
                **at,
            )
        if self.max_quantity is not None and quantity > self.max_quantity:
            return self._refuse(
                RefusalReason.TOO_MANY_ITEMS,
                f"{place} holds {quantity} units, over max_quantity {self.max_quantity}",
                **at,
            )
        basis = RateBasis(request.currency, request.subtotal_minor, quantity, weight, dimensions)
        found = self.calculator.rate(basis)
        if isinstance(found, NoRate):
            return self._refuse(found.reason, f"{place}: {found.message}", **at)
        return found
