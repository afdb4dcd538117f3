"""FlatTaxTable: fixed rates per product tax category, whatever the address and time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from commercekit.errors import ValidationError
from commercekit.tax._engine import ItemRates, compute_tax
from commercekit.tax._rates import TaxCategory, TaxRate, zero_rated
from commercekit.tax._request import TaxableItem, TaxRequest
from commercekit.tax._result import TaxResult

__all__ = ["FlatTaxTable"]


def _rate_tuple(value: TaxRate | Iterable[TaxRate]) -> tuple[TaxRate, ...]:
    rates = (value,) if isinstance(value, TaxRate) else tuple(value)
    for rate in rates:
        if not isinstance(rate, TaxRate):
            raise ValidationError(f"expected TaxRate, got {rate!r}")
    return rates


def _rate_map(
    value: Mapping[str, TaxRate | Iterable[TaxRate]],
) -> dict[str, tuple[TaxRate, ...]]:
    return {category: _rate_tuple(rates) for category, rates in value.items()}


@attrs.frozen
class FlatTaxTable:
    """The one-line fake :class:`~commercekit.ports.TaxCalculator`: fixed rates per category.

    A category missing from ``rates`` (or a product without one) gets ``default``. Address,
    seller and time are ignored; :class:`~commercekit.tax.TaxRuleTable` has zones and dates.

    >>> table = FlatTaxTable({"books": TaxRate("VAT", "0.07")}, default=TaxRate("VAT", "0.19"))
    >>> [r.rate for r in table.rates_for("books")], [r.rate for r in table.rates_for(None)]
    ([Decimal('0.07')], [Decimal('0.19')])
    """

    #: Rates per tax category.
    rates: Mapping[str, tuple[TaxRate, ...]] = attrs.field(
        factory=dict, converter=_rate_map, hash=False
    )
    #: Rates for products without a category, or with one not in ``rates``.
    default: tuple[TaxRate, ...] = attrs.field(default=(), converter=_rate_tuple)
    #: The source recorded on every tax line.
    source: str = "flat"

    def rates_for(self, tax_category: str | None) -> tuple[TaxRate, ...]:
        """The rates that apply to an item of ``tax_category``.

        A category in ``rates`` gets its own; otherwise ``"exempt"`` gets none, ``"zero"`` the
        default taxes at 0%, and any other category the default.
        """
        if tax_category is None:
            return self.default
        found = self.rates.get(tax_category)
        if found is not None:
            return found
        if tax_category == TaxCategory.EXEMPT:
            return ()
        if tax_category == TaxCategory.ZERO:
            return zero_rated(self.default)
        return self.default

    def calculate(self, request: TaxRequest) -> TaxResult:
        """Tax every item at its category's rates (see :mod:`commercekit.tax` for rounding)."""
        found: dict[str | None, ItemRates] = {}

        def rates_for(item: TaxableItem) -> ItemRates:
            category = item.tax_category
            rates = found.get(category)
            if rates is None:
                rates = found[category] = ItemRates(self.rates_for(category))
            return rates

        return compute_tax(request, rates_for, source=self.source)
