"""The shipping ports: rates before checkout, labels and tracking after it.

Defined beside the shipping values they speak, in :mod:`commercekit.shipping`; re-exported here
so that :mod:`commercekit.ports` stays the one place to import every port from.
"""

from commercekit.shipping import RateProvider, ShippingGateway

__all__ = ["RateProvider", "ShippingGateway"]
