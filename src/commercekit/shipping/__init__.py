"""Shipping: weights and boxes, parcels, zones and methods, rate calculators, the two ports.

Quoting happens before checkout through a :class:`~commercekit.ports.RateProvider` (table
rates, or a carrier's API); labels and tracking after it through a
:class:`~commercekit.ports.ShippingGateway`. Every amount a quote carries is in the cart's
currency; every weight and length carries its unit and converts exactly.
"""

from commercekit.shipping._calculators import (
    Combined,
    FlatRate,
    FreeOver,
    PerItem,
    PriceBands,
)
from commercekit.shipping._from_cart import (
    AllocatedLine,
    RequoteCheck,
    requote_needed,
    shipping_request,
)
from commercekit.shipping._methods import Refusal, ShippingMethod
from commercekit.shipping._parcels import build_parcel
from commercekit.shipping._ports import RateProvider, ShippingGateway
from commercekit.shipping._rate_basis import NoRate, RateBasis, RateCalculator, RefusalReason
from commercekit.shipping._shopping import (
    CHEAPEST,
    FASTEST,
    Choice,
    RateShopper,
    cheapest_first,
    fastest_first,
)
from commercekit.shipping._tables import TableRates
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
from commercekit.shipping._weight_rates import PerStep, WeightBands
from commercekit.units import (
    PLACES,
    Dimensions,
    LengthUnit,
    Weight,
    WeightUnit,
    convert_exactly,
)

__all__ = [
    "CHEAPEST",
    "FASTEST",
    "AllocatedLine",
    "Choice",
    "Combined",
    "FlatRate",
    "FreeOver",
    "NoRate",
    "PerItem",
    "PerStep",
    "PriceBands",
    "RateBasis",
    "RateCalculator",
    "RateShopper",
    "Refusal",
    "RefusalReason",
    "RequoteCheck",
    "ShippingMethod",
    "TableRates",
    "WeightBands",
    "build_parcel",
    "cheapest_first",
    "fastest_first",
    "requote_needed",
    "shipping_request",
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
