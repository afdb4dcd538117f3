"""Currency conversion where a currency has no price of its own: the ExchangeRates port."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from commercekit.errors import PriceNotFoundError, ValidationError
from commercekit.money import CTX, Currency, Money, Rounding, get_currency, quantize, to_decimal

__all__ = ["ExchangeRates", "StaticExchangeRates", "convert"]


@runtime_checkable
class ExchangeRates(Protocol):
    """Exchange rates, for prices in a currency that has no price of its own (a port).

    Also importable from :mod:`commercekit.ports`, with every other port. The reference
    adapter is :class:`commercekit.pricing.StaticExchangeRates`.
    """

    def get_rate(self, source: str, target: str) -> Decimal:
        """Units of ``target`` per unit of ``source`` (ISO codes).

        An unknown pair is a :class:`~commercekit.errors.PriceNotFoundError`.
        """
        ...


def convert(
    money: Money, target: Currency | str, rate: Decimal, rounding: Rounding = Rounding.HALF_UP
) -> Money:
    """``money`` times ``rate``, in ``target``, rounded to the target's minor unit.

    >>> convert(Money("10.00", "USD"), "JPY", Decimal("151.237"))
    Money('1512', 'JPY')
    >>> convert(Money("10.00", "USD"), "KWD", Decimal("0.30712"))
    Money('3.071', 'KWD')
    """
    currency = get_currency(target)
    return quantize(Money(CTX.multiply(money.amount, rate), currency), rounding)


def _rates(
    value: Mapping[tuple[str, str], Decimal | int | str] | Mapping[str, Decimal | int | str],
) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for pair, raw in value.items():
        if isinstance(pair, str):
            source, _, target = pair.partition("/")
        else:
            source, target = pair
        rate = to_decimal(raw)
        if rate <= 0:
            raise ValidationError(f"exchange rate {source}->{target} must be positive, got {rate}")
        result[f"{get_currency(source).code}/{get_currency(target).code}"] = rate
    return result


@attrs.frozen
class StaticExchangeRates:
    """The reference :class:`~commercekit.ports.ExchangeRates`: a fixed table of rates.

    A pair missing from the table is derived from its inverse when that is present. Being
    plain data, a table is also the snapshot a service hands to the pricing pipeline.

    >>> rates = StaticExchangeRates({("EUR", "USD"): Decimal("1.08")})
    >>> rates.get_rate("EUR", "USD"), rates.get_rate("USD", "USD")
    (Decimal('1.08'), Decimal('1'))
    >>> round(rates.get_rate("USD", "EUR"), 6)
    Decimal('0.925926')
    """

    #: Units of the target currency per unit of the source, keyed ``"SOURCE/TARGET"``
    #: (``("EUR", "USD")`` pairs are accepted too).
    rates: Mapping[str, Decimal] = attrs.field(converter=_rates, hash=False)

    def get_rate(self, source: str, target: str) -> Decimal:
        """Units of ``target`` per unit of ``source``; an unknown pair is a PriceNotFoundError."""
        if source == target:
            return Decimal(1)
        rate = self.rates.get(f"{source}/{target}")
        if rate is not None:
            return rate
        inverse = self.rates.get(f"{target}/{source}")
        if inverse is not None:
            return CTX.divide(Decimal(1), inverse)
        raise PriceNotFoundError(f"no exchange rate from {source} to {target}")
