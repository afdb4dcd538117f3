"""The payment port: the gateway every payment provider adapter implements.

Defined beside the payment values it speaks, in :mod:`commercekit.payments`; re-exported here so
that :mod:`commercekit.ports` stays the one place to import every port from.
"""

from commercekit.payments import PaymentGateway

__all__ = ["PaymentGateway"]
