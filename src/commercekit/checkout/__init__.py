"""Checkout: :class:`CheckoutService` turns a cart into an order, idempotently and crash-safely.

See the checkout guide for the steps, what each failure undoes, payments awaiting the
customer, recovery after a crash, and idempotency.
"""

from __future__ import annotations

from commercekit.checkout._area import CHECKOUT_AREA
from commercekit.checkout._record import (
    CHECKOUT_KIND,
    Checkout,
    CheckoutResult,
    CheckoutState,
    CheckoutTender,
    PayWith,
    ShippingChoice,
)
from commercekit.checkout._service import CheckoutService

__all__ = [
    "CHECKOUT_AREA",
    "CHECKOUT_KIND",
    "Checkout",
    "CheckoutResult",
    "CheckoutService",
    "CheckoutState",
    "CheckoutTender",
    "PayWith",
    "ShippingChoice",
]
