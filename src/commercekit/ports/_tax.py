"""The tax ports: the calculator, the reporter of committed transactions, the VAT id check.

The pure core accepts them, so they are defined beside that core, in :mod:`commercekit.tax`;
they are re-exported here so that :mod:`commercekit.ports` stays the one place to import every
port from.
"""

from commercekit.tax import TaxCalculator, TaxReporter, VatIdValidator

__all__ = ["TaxCalculator", "TaxReporter", "VatIdValidator"]
