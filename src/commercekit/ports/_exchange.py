"""The ExchangeRates port: rates for prices in a currency without a price of its own."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

__all__ = ["ExchangeRates"]


@runtime_checkable
class ExchangeRates(Protocol):
    """Exchange rates, for prices in a currency that has no price of its own.

    The reference adapter is :class:`commercekit.pricing.StaticExchangeRates`.
    """

    def get_rate(self, source: str, target: str) -> Decimal:
        """Units of ``target`` per unit of ``source`` (ISO codes).

        An unknown pair is a :class:`~commercekit.errors.PriceNotFoundError`.
        """
        ...
