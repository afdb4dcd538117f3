"""The TaxCalculator port: the tax rates that apply to an item.

The pure core accepts it, so it is defined beside that core, in :mod:`commercekit.pricing`;
it is re-exported here so that :mod:`commercekit.ports` stays the one place to import every
port from.
"""

from commercekit.pricing import TaxCalculator

__all__ = ["TaxCalculator"]
