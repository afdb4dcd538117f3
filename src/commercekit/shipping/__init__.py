"""Shipping: weights and boxes, parcels, zones and methods, rate calculators, the two ports.

Quoting happens before checkout through a :class:`~commercekit.ports.RateProvider` (table
rates, or a carrier's API); labels and tracking after it through a
:class:`~commercekit.ports.ShippingGateway`. Every amount a quote carries is in the cart's
currency; every weight and length carries its unit and converts exactly.
"""

from commercekit.shipping._ports import RateProvider, ShippingGateway
from commercekit.shipping._units import (
    PLACES,
    Dimensions,
    LengthUnit,
    Weight,
    WeightUnit,
    convert_exactly,
)
from commercekit.shipping._values import (
    DeliveryEstimate,
    Label,
    Parcel,
    Shipment,
    ShippableItem,
    ShippingQuote,
    ShippingRequest,
    Tracking,
    TrackingEvent,
    TrackingStatus,
    dimensional_weight,
)

__all__ = [
    "PLACES",
    "DeliveryEstimate",
    "Dimensions",
    "Label",
    "LengthUnit",
    "Parcel",
    "RateProvider",
    "ShippableItem",
    "Shipment",
    "ShippingGateway",
    "ShippingQuote",
    "ShippingRequest",
    "Tracking",
    "TrackingEvent",
    "TrackingStatus",
    "Weight",
    "WeightUnit",
    "convert_exactly",
    "dimensional_weight",
]
