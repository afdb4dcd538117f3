"""The fallback policy: a tax service that cannot answer never means zero tax.

:class:`FallbackTaxCalculator` asks its primary calculator (a remote service such as
:class:`~commercekit.tax.TaxJar`). When the service is unavailable
(:class:`~commercekit.errors.TaxUnavailableError`: a timeout, a 429 or 5xx after its
retries) it answers from local rules instead, and says so in a ``TaxNote("fallback", ...)``
on the invoice and in the audit trail; without local rules the error propagates and the
checkout stops. A service that *refuses* the request
(:class:`~commercekit.errors.TaxServiceError`: a bad address, a bad token, a garbled
answer) is not unavailable: that error always propagates, since local rules would only
hide a problem someone must fix.
"""

from __future__ import annotations

import logging

import attrs

from commercekit.errors import TaxUnavailableError, ValidationError
from commercekit.tax._port import TaxCalculator
from commercekit.tax._request import TaxRequest
from commercekit.tax._result import TaxNote, TaxResult

__all__ = ["FallbackTaxCalculator"]

_LOG = logging.getLogger("commercekit.tax")


def _calculator(value: TaxCalculator) -> TaxCalculator:
    if not isinstance(value, TaxCalculator):
        raise ValidationError(f"expected a TaxCalculator (with calculate()), got {value!r}")
    return value


def _optional_calculator(value: TaxCalculator | None) -> TaxCalculator | None:
    return None if value is None else _calculator(value)


@attrs.frozen
class FallbackTaxCalculator:
    """A :class:`~commercekit.ports.TaxCalculator` that falls back to local rules.

    ``primary`` answers when it can. On :class:`~commercekit.errors.TaxUnavailableError`
    only, ``fallback`` (a :class:`~commercekit.tax.FlatTaxTable` or a rule table) answers,
    with ``TaxNote("fallback", "<provider> unavailable: tax computed from local rules")``
    added to its notes; with ``fallback=None`` the error propagates.

    >>> from commercekit.tax import FlatTaxTable, TaxRate
    >>> table = FlatTaxTable(default=TaxRate("Sales tax", "0.0725"))
    >>> FallbackTaxCalculator(table).fallback is None
    True
    """

    #: The calculator asked first (usually a remote service).
    primary: TaxCalculator = attrs.field(converter=_calculator)
    #: The local calculator that answers when the primary is unavailable, or ``None``.
    fallback: TaxCalculator | None = attrs.field(default=None, converter=_optional_calculator)

    def calculate(self, request: TaxRequest) -> TaxResult:
        """The primary's answer, or the fallback's when the primary is unavailable."""
        try:
            return self.primary.calculate(request)
        except TaxUnavailableError as exc:
            if self.fallback is None:
                raise
            provider = exc.provider or type(self.primary).__name__
            _LOG.warning(
                "%s unavailable, tax computed from local rules: %s",
                provider,
                exc,
                extra={
                    "area": "tax",
                    "event": "tax_fallback",
                    "provider": provider,
                    "status": exc.status,
                    "code": exc.code,
                },
            )
            result = self.fallback.calculate(request)
            note = TaxNote("fallback", f"{provider} unavailable: tax computed from local rules")
            return TaxResult(result.items, (note, *result.notes))
