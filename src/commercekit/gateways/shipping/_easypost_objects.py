"""EasyPost's objects, both ways: the shipment asked for, and the rates, labels and trackers read.

Parcels go out in ounces and inches (EasyPost's units). A shipment's weight is the exact sum of
its items' weights, converted once and rounded up to 0.001 oz (never under the real weight);
its box is the item's own when it holds one unit, else the shop's default box, else none
(carriers then rate by weight alone). Amounts come back as decimal text (``"7.42"``) and are
read as Decimal, never a float.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Final

import attrs

from commercekit.address import Address
from commercekit.errors import CurrencyError, GatewayError, ValidationError
from commercekit.gateways.shipping._easypost_http import PROVIDER, malformed
from commercekit.money import Money, get_currency, is_minor_unit_exact
from commercekit.shipping import (
    Dimensions,
    Label,
    Parcel,
    Shipment,
    Tracking,
    TrackingEvent,
    TrackingStatus,
    Weight,
    convert_exactly,
)

__all__ = [
    "EasyPostRate",
    "join_rate_ids",
    "parcel_of",
    "read_label",
    "read_rates",
    "read_tracking",
    "shipment_body",
    "split_rate_id",
]

# Grams in one ounce, exactly (1/16 of 453.59237 g).
_OZ_GRAMS: Final = Weight(1, "oz").grams
# EasyPost's tracker statuses -> commercekit's. available_for_pickup: waiting for the customer.
_STATUSES: Final = {
    "unknown": TrackingStatus.UNKNOWN,
    "pre_transit": TrackingStatus.PRE_TRANSIT,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURNED,
    "failure": TrackingStatus.FAILURE,
    "cancelled": TrackingStatus.FAILURE,
    "error": TrackingStatus.UNKNOWN,
}
_ID: Final = re.compile(r"[A-Za-z0-9_]{1,100}")
_AMOUNT: Final = re.compile(r"\d{1,12}(\.\d{1,6})?")


def _address(address: Address) -> dict[str, str]:
    prefix = address.country + "-"
    state = address.region.removeprefix(prefix)
    fields = {
        "street1": address.lines[0] if address.lines else "",
        "street2": ", ".join(address.lines[1:]),
        "city": address.city,
        "state": state,
        "zip": address.postal_code,
        "country": address.country,
    }
    return {key: value for key, value in fields.items() if value}


def parcel_of(shipment: Shipment, default_box: Dimensions | None) -> Parcel:
    """The parcel of ``shipment``, in ounces and inches (see the module docs).

    An item without a weight is a :class:`~commercekit.errors.ValidationError` naming it:
    EasyPost rates by weight.
    """
    where = f"shipment from {shipment.location!r}" if shipment.location else "shipment"
    if not shipment.items:
        raise ValidationError(f"the {where} holds no items: nothing to ship")
    grams = Fraction(0)
    for item in shipment.items:
        if item.weight is None:
            raise ValidationError(
                f"item {item.sku!r} of the {where} has no weight: EasyPost rates by weight"
            )
        grams += item.weight.grams * item.quantity
    # One rounding, up, of the exact sum (convert_exactly(1, r) is r rounded up).
    ounces = Weight(convert_exactly(Decimal(1), grams / _OZ_GRAMS), "oz")
    units = sum(item.quantity for item in shipment.items)
    only = shipment.items[0]
    box = only.dimensions if units == 1 and only.dimensions is not None else default_box
    return Parcel(
        weight=ounces,
        dimensions=None if box is None else box.to("in"),
        location=shipment.location,
        contents=tuple((item.sku, item.quantity) for item in shipment.items),
    )


def shipment_body(
    origin: Address,
    destination: Address,
    parcel: Parcel,
    carrier_accounts: Sequence[str],
) -> dict[str, object]:
    """The body of ``POST /v2/shipments`` for one parcel from ``origin`` to ``destination``."""
    box: dict[str, Decimal] = {"weight": parcel.weight.to("oz").value}
    if parcel.dimensions is not None:
        inches = parcel.dimensions.to("in")
        box.update(length=inches.length, width=inches.width, height=inches.height)
    shipment: dict[str, object] = {
        "to_address": _address(destination),
        "from_address": _address(origin),
        "parcel": box,
    }
    if carrier_accounts:
        shipment["carrier_accounts"] = list(carrier_accounts)
    return {"shipment": shipment}


@attrs.frozen
class EasyPostRate:
    """One rate EasyPost offered for one shipment, its amount exact in EasyPost's currency."""

    #: EasyPost's shipment id (``shp_...``).
    shipment_id: str
    #: EasyPost's rate id (``rate_...``).
    rate_id: str
    #: The carrier (``"USPS"``).
    carrier: str
    #: The carrier's service (``"Priority"``).
    service: str
    #: The price, in the currency EasyPost quoted.
    amount: Money
    #: Business days to deliver as EasyPost says, or ``None``.
    days: int | None


def _text(obj: Mapping[str, Any], key: str, what: str, *, required: bool = True) -> str:
    value = obj.get(key)
    if isinstance(value, str) and value:
        return value
    if value is None and not required:
        return ""
    raise malformed(what, f"{key} is not text: {value!r}")


def _id(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = _text(obj, key, what)
    if not _ID.fullmatch(value):
        raise malformed(what, f"{key} is not an EasyPost id: {value!r}")
    return value


def _money(obj: Mapping[str, Any], amount_key: str, what: str) -> Money:
    value, code = obj.get(amount_key), obj.get("currency")
    text = format(value, "f") if isinstance(value, Decimal) else value
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        raise malformed(what, f"{amount_key} is not a decimal amount: {value!r}")
    try:
        money = Money(Decimal(text), get_currency(code if isinstance(code, str) else ""))
    except (CurrencyError, InvalidOperation):
        raise malformed(what, f"currency is not an ISO 4217 code: {code!r}") from None
    if not is_minor_unit_exact(money):
        raise malformed(what, f"{amount_key} {text} is finer than the minor unit of {code}")
    return money


def _days(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def read_rates(shipment: Mapping[str, Any], what: str) -> tuple[EasyPostRate, ...]:
    """The rates of EasyPost's ``shipment``; none is a ``no_rates`` GatewayError with why."""
    shipment_id = _id(shipment, "id", what)
    rates = shipment.get("rates")
    if not isinstance(rates, list):
        raise malformed(what, "rates is not a list")
    found = []
    for rate in rates:
        if not isinstance(rate, Mapping):
            raise malformed(what, "a rate is not an object")
        found.append(
            EasyPostRate(
                shipment_id=shipment_id,
                rate_id=_id(rate, "id", what),
                carrier=_text(rate, "carrier", what),
                service=_text(rate, "service", what),
                amount=_money(rate, "rate", what),
                days=_days(rate.get("delivery_days")),
            )
        )
    if not found:
        messages = shipment.get("messages")
        said = [
            f"{m.get('carrier', '?')}: {m.get('message', '')}"
            for m in (messages if isinstance(messages, list) else [])
            if isinstance(m, Mapping)
        ]
        raise GatewayError(
            f"EasyPost found no rates for shipment {shipment_id}"
            + (f" ({'; '.join(said)[:300]})" if said else ""),
            provider=PROVIDER,
            code="no_rates",
            retryable=False,
        )
    return tuple(found)


def join_rate_ids(pairs: Sequence[tuple[str, str]]) -> str:
    """The quote's ``rate_id``: ``shp_1:rate_1`` (``+`` between the shipments of a split cart).

    >>> join_rate_ids([("shp_1", "rate_a"), ("shp_2", "rate_b")])
    'shp_1:rate_a+shp_2:rate_b'
    """
    return "+".join(f"{shipment}:{rate}" for shipment, rate in pairs)


def split_rate_id(rate_id: object) -> tuple[tuple[str, str], ...]:
    """(shipment id, rate id) pairs of a quote's ``rate_id``; anything else is refused.

    >>> split_rate_id("shp_1:rate_a+shp_2:rate_b")
    (('shp_1', 'rate_a'), ('shp_2', 'rate_b'))
    """
    pairs = []
    for part in rate_id.split("+") if isinstance(rate_id, str) else [""]:
        shipment, _, rate = part.partition(":")
        if not (_ID.fullmatch(shipment) and _ID.fullmatch(rate)):
            raise ValidationError(
                f"rate_id {rate_id!r} is not an EasyPost quote's: quote with EasyPost first"
            )
        pairs.append((shipment, rate))
    return tuple(pairs)


def read_label(shipment: Mapping[str, Any], rate_id: str, what: str) -> Label | None:
    """The label EasyPost's ``shipment`` holds for ``rate_id``, or ``None`` when it has none.

    A label bought for another rate is a GatewayError (``already_bought``): one shipment has
    one label, so that rate cannot be bought.
    """
    postage = shipment.get("postage_label")
    if postage is None:
        return None
    shipment_id = _id(shipment, "id", what)
    selected = shipment.get("selected_rate")
    if not isinstance(postage, Mapping) or not isinstance(selected, Mapping):
        raise malformed(what, "a bought shipment without postage_label and selected_rate")
    if _id(selected, "id", what) != rate_id:
        raise GatewayError(
            f"EasyPost shipment {shipment_id} already has a label, bought at rate"
            f" {selected.get('id')}, not {rate_id}",
            provider=PROVIDER,
            code="already_bought",
            retryable=False,
        )
    return Label(
        shipment_id=shipment_id,
        tracking_code=_text(shipment, "tracking_code", what),
        label_url=_text(postage, "label_url", what),
        cost=_money(selected, "rate", what),
    )


def _moment(value: object, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise malformed(what, f"datetime is not an ISO 8601 time with its zone: {value!r}")
    return moment


def _place(value: object) -> str:
    if not isinstance(value, Mapping):
        return ""
    parts = (value.get(key) for key in ("city", "state", "country"))
    return ", ".join(part for part in parts if isinstance(part, str) and part)


def read_tracking(tracker: Mapping[str, Any], what: str) -> Tracking:
    """EasyPost's ``tracker`` as a Tracking: its status and events, oldest first.

    A status EasyPost adds later reads as ``UNKNOWN`` rather than failing.
    """
    details = tracker.get("tracking_details") or []
    if not isinstance(details, list):
        raise malformed(what, "tracking_details is not a list")
    events = []
    for detail in details:
        if not isinstance(detail, Mapping):
            raise malformed(what, "a tracking detail is not an object")
        events.append(
            TrackingEvent(
                status=_STATUSES.get(str(detail.get("status")), TrackingStatus.UNKNOWN),
                message=_text(detail, "message", what, required=False),
                at=_moment(detail.get("datetime"), what),
                location=_place(detail.get("tracking_location")),
            )
        )
    return Tracking(
        tracking_code=_text(tracker, "tracking_code", what),
        status=_STATUSES.get(str(tracker.get("status")), TrackingStatus.UNKNOWN),
        events=tuple(sorted(events, key=lambda event: event.at)),
    )
