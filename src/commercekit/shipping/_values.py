"""What shipping is asked and answers: items, parcels, requests, quotes, labels, tracking."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import attrs

from commercekit.address import Address
from commercekit.clock import ensure_utc
from commercekit.errors import InvalidAmountError, ValidationError
from commercekit.money import Currency, Money, get_currency
from commercekit.rules import check_identifier
from commercekit.units import Dimensions, Weight, convert_exactly

__all__ = [
    "DeliveryEstimate",
    "Label",
    "Parcel",
    "ShippableItem",
    "Shipment",
    "ShippingQuote",
    "ShippingRequest",
    "TrackingEvent",
    "TrackingStatus",
    "Tracking",
    "dimensional_weight",
]


def _id(value: str) -> str:
    return check_identifier(value, name="identifier")


def _optional_id(value: str | None) -> str | None:
    return None if value is None else check_identifier(value, name="identifier")


def _count(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationError(f"a quantity to ship is a positive whole number, got {value!r}")
    return value


def _minor(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(f"an amount in minor units is a whole number >= 0, got {value!r}")
    return value


def _tags(value: Iterable[str]) -> frozenset[str]:
    return frozenset(check_identifier(tag, name="tag") for tag in value)


@attrs.frozen
class ShippableItem:
    """One cart line as shipping sees it: what, how many, how heavy, and what it costs."""

    #: The SKU.
    sku: str = attrs.field(converter=_id)
    #: How many units.
    quantity: int = attrs.field(converter=_count)
    #: The weight of one unit, or ``None`` when the catalog does not say.
    weight: Weight | None = None
    #: The box of one unit, or ``None``.
    dimensions: Dimensions | None = None
    #: The product's tags (``"hazardous"``, ``"fragile"``).
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_tags)
    #: What the line costs after discounts, in minor units of the request's currency.
    amount_minor: int = attrs.field(default=0, converter=_minor)


def dimensional_weight(dimensions: Dimensions, divisor: Decimal | int, unit: str) -> Weight:
    """The carrier's dimensional weight: volume / ``divisor``, in ``unit``.

    The divisor is per carrier and unit system (139 in3 per lb at UPS and FedEx for most
    services; 5000 cm3 per kg at many European carriers). 12 x 10 x 8 in = 960 in3, / 139 =
    6.9065 lb, rounded up to 6.907.

    >>> dimensional_weight(Dimensions("12", "10", "8", "in"), 139, "lb")
    Weight(value=Decimal('6.907'), unit=<WeightUnit.LB: 'lb'>)
    """
    value = convert_exactly(dimensions.volume, Fraction(1) / Fraction(Decimal(divisor)))
    return Weight(value, unit)


@attrs.frozen
class Parcel:
    """One box leaving one place: its weight (and box), and what is in it."""

    #: The total weight.
    weight: Weight
    #: The box, or ``None`` when unknown.
    dimensions: Dimensions | None = None
    #: The stock location it leaves from, or ``None``.
    location: str | None = attrs.field(default=None, converter=_optional_id)
    #: The SKUs and quantities in it.
    contents: tuple[tuple[str, int], ...] = ()


def _items(value: Iterable[ShippableItem]) -> tuple[ShippableItem, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, ShippableItem):
            raise ValidationError(f"a shipment holds ShippableItems, not {item!r}")
    return items


def _shipments(value: Iterable[Shipment]) -> tuple[Shipment, ...]:
    shipments = tuple(value)
    for shipment in shipments:
        if not isinstance(shipment, Shipment):
            raise ValidationError(f"a shipping request holds Shipments, not {shipment!r}")
    return shipments


@attrs.frozen
class Shipment:
    """The items leaving one location (a cart split across locations has several)."""

    #: The stock location, or ``None`` for a shop with one.
    location: str | None = attrs.field(converter=_optional_id)
    #: Where it leaves from.
    origin: Address | None
    #: What leaves from there.
    items: tuple[ShippableItem, ...] = attrs.field(converter=_items)


def _currency(value: Currency | str) -> Currency:
    return get_currency(value)


@attrs.frozen
class ShippingRequest:
    """Everything a rate provider needs to quote a cart."""

    #: The cart's currency: every quote is in it.
    currency: Currency = attrs.field(converter=_currency)
    #: Where the goods go.
    destination: Address
    #: The shipments, one per origin location.
    shipments: tuple[Shipment, ...] = attrs.field(converter=_shipments)
    #: The cart's subtotal after discounts, in minor units (price bands judge this).
    subtotal_minor: int = attrs.field(default=0, converter=_minor)
    #: When the quote is made.
    at: datetime | None = None

    @property
    def items(self) -> tuple[ShippableItem, ...]:
        """Every item of every shipment."""
        return tuple(item for shipment in self.shipments for item in shipment.items)


@attrs.frozen
class DeliveryEstimate:
    """How long delivery takes, in business days, as the carrier says."""

    #: The fewest days.
    min_days: int
    #: The most days.
    max_days: int

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.min_days <= self.max_days:
            raise ValidationError(
                f"a delivery estimate is 0 <= min <= max days, got {self.min_days}-{self.max_days}"
            )


def _money(_instance: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    if not isinstance(value, Money):
        raise InvalidAmountError(f"{attribute.name} must be Money, got {type(value).__name__}")
    if value.amount < 0:
        raise ValidationError(f"{attribute.name} must not be negative, got {value}")


@attrs.frozen
class ShippingQuote:
    """One way to ship the cart, and what it costs in the cart's currency.

    ``parcels`` lists the boxes per origin (a split cart has several); ``source`` names who
    quoted (``"table"``, ``"easypost"``); ``fallback`` says why another provider's quote is
    not used (it failed, it timed out), or is ``None``.
    """

    #: The method (the shop's id for it).
    method: str = attrs.field(converter=_id)
    #: The carrier (``"USPS"``), or empty.
    carrier: str
    #: The carrier's service (``"Priority"``), or empty.
    service: str
    #: What it costs, in the cart's currency.
    amount: Money = attrs.field(validator=_money)
    #: How long delivery takes, or ``None``.
    estimate: DeliveryEstimate | None = None
    #: The boxes, per origin.
    parcels: tuple[Parcel, ...] = ()
    #: Who quoted.
    source: str = ""
    #: The provider's id of this rate (to buy its label), or ``None``.
    rate_id: str | None = None
    #: Why a quote from elsewhere is not used, or ``None``.
    fallback: str | None = None


@attrs.frozen
class Label:
    """A bought label: the carrier's tracking code, the label to print, and what it cost."""

    #: The provider's id of the shipment.
    shipment_id: str
    #: The carrier's tracking code.
    tracking_code: str
    #: Where to download the label.
    label_url: str
    #: What the label cost.
    cost: Money


class TrackingStatus(enum.StrEnum):
    """Where a shipment stands."""

    UNKNOWN = "unknown"
    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    RETURNED = "returned"
    FAILURE = "failure"


@attrs.frozen
class TrackingEvent:
    """One scan or status change."""

    #: The status after it.
    status: TrackingStatus
    #: What the carrier said.
    message: str
    #: When.
    at: datetime = attrs.field(converter=ensure_utc)
    #: Where, as the carrier says, or empty.
    location: str = ""


@attrs.frozen
class Tracking:
    """A shipment's status and its events, oldest first."""

    #: The carrier's tracking code.
    tracking_code: str
    #: The status now.
    status: TrackingStatus
    #: The events.
    events: tuple[TrackingEvent, ...] = ()
