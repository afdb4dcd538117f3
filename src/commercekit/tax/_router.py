"""TaxByCountry: one calculator per destination country, for a shop that sells into several."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from commercekit.address import Address
from commercekit.errors import TaxAddressError, TaxError, ValidationError
from commercekit.tax._port import TaxCalculator
from commercekit.tax._request import TaxRequest
from commercekit.tax._result import TaxResult

__all__ = ["TaxByCountry"]


def _routes(value: Mapping[str | Iterable[str], TaxCalculator]) -> dict[str, TaxCalculator]:
    routes: dict[str, TaxCalculator] = {}
    for key, calculator in value.items():
        if not isinstance(calculator, TaxCalculator):
            raise ValidationError(f"expected a TaxCalculator for {key!r}, got {calculator!r}")
        countries = [key] if isinstance(key, str) else list(key)
        for country in countries:
            code = Address(country).country
            if code in routes:
                raise ValidationError(f"country {code} is routed twice")
            routes[code] = calculator
    return routes


def _default(value: TaxCalculator | None) -> TaxCalculator | None:
    if value is not None and not isinstance(value, TaxCalculator):
        raise ValidationError(f"expected a TaxCalculator as the default, got {value!r}")
    return value


@attrs.frozen
class TaxByCountry:
    """A :class:`~commercekit.ports.TaxCalculator` that asks the calculator of the destination.

    ``routes`` maps a country code, or a set of them, to a calculator; ``default`` answers for
    every other country. A destination with neither is a :class:`~commercekit.errors.TaxError`:
    a country the shop has no rules for is never silently untaxed.

    >>> from commercekit.tax import FlatTaxTable, TaxRate
    >>> vat = FlatTaxTable(default=TaxRate("VAT", "0.2"))
    >>> sorted(TaxByCountry({("FR", "MC"): vat}).routes)
    ['FR', 'MC']
    """

    #: The calculator per destination country.
    routes: Mapping[str, TaxCalculator] = attrs.field(converter=_routes, hash=False)
    #: The calculator for every other country, or ``None``.
    default: TaxCalculator | None = attrs.field(default=None, converter=_default)

    def calculate(self, request: TaxRequest) -> TaxResult:
        """The answer of the calculator routed to ``request.destination``'s country."""
        destination = request.destination
        if destination is None:
            raise TaxAddressError("tax needs a shipping or billing address to find the country")
        calculator = self.routes.get(destination.country, self.default)
        if calculator is None:
            raise TaxError(f"no tax calculator for destination country {destination.country}")
        return calculator.calculate(request)
