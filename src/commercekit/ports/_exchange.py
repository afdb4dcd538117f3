"""The ExchangeRates port: rates for prices in a currency without a price of its own.

The pure core accepts it, so it is defined beside that core, in :mod:`commercekit.pricing`;
it is re-exported here so that :mod:`commercekit.ports` stays the one place to import every
port from.
"""

from commercekit.pricing import ExchangeRates

__all__ = ["ExchangeRates"]
