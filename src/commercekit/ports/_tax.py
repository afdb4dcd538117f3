"""The TaxCalculator port: the tax rates that apply to an item."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from commercekit.pricing._tax import Address, TaxRate

__all__ = ["TaxCalculator"]


@runtime_checkable
class TaxCalculator(Protocol):
    """The tax rates that apply to an item; the pricing pipeline applies them.

    The reference adapter is :class:`commercekit.pricing.FlatTaxTable`. A calculator that
    cannot answer raises :class:`~commercekit.errors.GatewayError`; it never means zero tax.
    The pipeline calls it synchronously, so a calculator backed by a remote service should be
    wrapped in a snapshot (a :class:`~commercekit.pricing.FlatTaxTable` of the answers) by the
    service that prepares the pipeline's inputs.
    """

    def rates_for(
        self,
        tax_category: str | None,
        *,
        address: Address | None = None,
        at: datetime | None = None,
    ) -> tuple[TaxRate, ...]:
        """The rates for an item of ``tax_category`` shipped to ``address`` at time ``at``."""
        ...
