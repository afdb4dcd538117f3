"""The two shipping ports: quoting rates before checkout, labels and tracking after it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from commercekit.shipping._values import Label, ShippingQuote, ShippingRequest, Tracking

__all__ = ["RateProvider", "ShippingGateway"]


@runtime_checkable
class RateProvider(Protocol):
    """Quotes the ways to ship a cart (a port; also in :mod:`commercekit.ports`).

    Every quote is in the request's currency (a provider quoting another converts through
    :class:`~commercekit.ports.ExchangeRates`). Table rates are one adapter; a carrier's API
    another. A provider that cannot answer raises
    :class:`~commercekit.errors.GatewayUnavailableError` (or another
    :class:`~commercekit.errors.GatewayError`); it never answers "no way to ship" for a
    failure.
    """

    @property
    def name(self) -> str:
        """The provider's name, recorded as each quote's ``source``."""
        ...

    def quote(self, request: ShippingRequest) -> tuple[ShippingQuote, ...]:
        """The ways to ship ``request``, cheapest first."""
        ...


@runtime_checkable
class ShippingGateway(Protocol):
    """Buys labels and tracks shipments after checkout (a port; also in the ports module).

    Buying is idempotent on ``idempotency_key``: after a timeout the adapter reads the
    shipment back before buying again, so a retry never buys two labels.
    """

    @property
    def name(self) -> str:
        """The provider's name."""
        ...

    def buy_label(self, quote: ShippingQuote, *, idempotency_key: str) -> Label:
        """Buy the label of ``quote`` (one of this provider's quotes, with its ``rate_id``)."""
        ...

    def track(self, tracking_code: str) -> Tracking:
        """The shipment's status and events."""
        ...
