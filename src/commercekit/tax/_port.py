"""The TaxCalculator port: computes the tax of a cart, not only its rates."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from commercekit.tax._request import TaxRequest
from commercekit.tax._result import TaxResult

__all__ = ["TaxCalculator"]


@runtime_checkable
class TaxCalculator(Protocol):
    """Computes the taxes of a cart from a :class:`~commercekit.tax.TaxRequest` (a port).

    Also importable from :mod:`commercekit.ports`. The pricing pipeline runs up to the
    taxable (discounted) amounts, asks the calculator once, and assembles the breakdown from
    its :class:`~commercekit.tax.TaxResult`. Local calculators answer from memory
    (:class:`~commercekit.tax.FlatTaxTable`, the one-line fake;
    :class:`~commercekit.tax.TaxRuleTable`; :class:`~commercekit.tax.EuVat`;
    :class:`~commercekit.tax.UsSalesTax`); a remote one (:class:`~commercekit.tax.TaxJar`) is
    called by a service between the two pure halves (:meth:`commercekit.cart.CartService.quote`
    does). A calculator that cannot answer raises
    :class:`~commercekit.errors.TaxUnavailableError` or another
    :class:`~commercekit.errors.GatewayError`: it never answers zero tax for a failure.
    """

    def calculate(self, request: TaxRequest) -> TaxResult:
        """The taxes of every item of ``request``."""
        ...
