"""Tax rates, the TaxCalculator port and the flat, per-category tax table.

The flat table serves until the tax rule tables land; everything tax-related in pricing is
here, so that it can move to its own package in one piece.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from commercekit.errors import ValidationError
from commercekit.money import to_decimal

__all__ = ["Address", "FlatTaxTable", "TaxCalculator", "TaxRate"]


def _rate(value: Decimal | int | str) -> Decimal:
    rate = to_decimal(value)
    if rate < 0 or rate >= 10:
        raise ValidationError(f"a tax rate is a fraction such as 0.2 (20%), got {rate}")
    return rate


@attrs.frozen
class Address:
    """A postal address, as far as pricing, tax and shipping need it."""

    #: ISO 3166-1 alpha-2 country code, e.g. ``"DE"``.
    country: str
    #: Region, state or province code, or empty.
    region: str = ""
    #: Postal code, or empty.
    postal_code: str = ""
    #: City, or empty.
    city: str = ""
    #: Street lines, free text.
    lines: tuple[str, ...] = ()


@attrs.frozen
class TaxRate:
    """One tax applied to an amount: ``rate`` is a fraction (``Decimal("0.2")`` is 20%).

    >>> TaxRate("VAT", "0.19", jurisdiction="DE").rate
    Decimal('0.19')
    """

    #: The tax's name as shown on a receipt (``"VAT"``, ``"State tax"``).
    name: str
    #: The rate as a fraction.
    rate: Decimal = attrs.field(converter=_rate)
    #: Where it is levied (``"DE"``, ``"US-CA"``), or empty.
    jurisdiction: str = ""


@runtime_checkable
class TaxCalculator(Protocol):
    """The tax rates that apply to an item; the pricing pipeline applies them (a port).

    Also importable from :mod:`commercekit.ports`, with every other port. The reference
    adapter is :class:`commercekit.pricing.FlatTaxTable`. A calculator that cannot answer
    raises :class:`~commercekit.errors.GatewayError`; it never means zero tax. The pipeline
    calls it synchronously, so a calculator backed by a remote service should be wrapped in a
    snapshot (a :class:`~commercekit.pricing.FlatTaxTable` of the answers) by the service that
    prepares the pipeline's inputs.
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
    """The reference :class:`~commercekit.ports.TaxCalculator`: fixed rates per tax category.

    A category missing from ``rates`` (or a product without one) gets ``default``. Address
    and time are ignored: the tax issue brings zones and dated rates.

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

    def rates_for(
        self,
        tax_category: str | None,
        *,
        address: Address | None = None,
        at: datetime | None = None,
    ) -> tuple[TaxRate, ...]:
        """The rates that apply to an item of ``tax_category``."""
        del address, at
        if tax_category is None:
            return self.default
        return self.rates.get(tax_category, self.default)
