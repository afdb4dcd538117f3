"""Stripe's amounts: which currencies it takes, and how many decimals each has in its API.

Stripe's API takes every amount as an integer count of the currency's smallest unit, but its
idea of that unit is not always ISO 4217's. The table below follows Stripe's "Supported
currencies" page (https://docs.stripe.com/currencies, sections "Presentment currencies",
"Zero-decimal currencies", "Three-decimal currencies" and "Special cases") and Stripe's
support note "Deprecation of fractional ISK charges and refunds"
(https://support.stripe.com/questions/deprecation-of-fractional-isk-charges-and-refunds):

- Most currencies: ISO's minor unit (EUR 10.00 -> ``1000``).
- Zero-decimal currencies (BIF, CLP, DJF, GNF, JPY, KMF, KRW, MGA, PYG, RWF, UGX, VND, VUV,
  XAF, XOF, XPF): whole units (JPY 1000 -> ``1000``). ISO gives MGA two decimals; Stripe none,
  so MGA 12.50 cannot be charged.
- Three-decimal currencies (BHD, JOD, KWD, OMR, TND): thousandths, and Stripe requires the
  last digit to be 0 "to ensure compatibility with Stripe's payments partners" (KWD 1.230 ->
  ``1230``; KWD 1.234 is refused).
- ISK: zero-decimal in ISO and, since 14 April 2023, for the card networks, but Stripe keeps
  two decimals in its API for backwards compatibility: amounts are multiples of 100
  (ISK 5 -> ``500``).
- HUF and TWD: Stripe treats them as zero-decimal for *payouts* only; charges and refunds take
  ISO's two decimals (HUF 10.45 -> ``1045``). This adapter makes no payouts.

Codes on Stripe's list that ISO 4217 has withdrawn (ANG, BGN, HRK, STD) are left out:
commercekit's money cannot express them. Stripe's minimum and maximum charge amounts depend on
the account's settlement currency and are left to Stripe (a refusal is a
:class:`~commercekit.errors.GatewayError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from commercekit.errors import PaymentAmountError, ValidationError
from commercekit.money import Currency, Money, from_minor_units, get_currency, to_minor_units

__all__ = [
    "STRIPE_CURRENCIES",
    "THREE_DECIMAL",
    "ZERO_DECIMAL",
    "StripeCurrency",
    "from_stripe_amount",
    "stripe_currency",
    "to_stripe_amount",
]


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Stripe's presentment currencies with ISO's minor unit (docs.stripe.com/currencies).
_ISO_UNITS: Final = _codes(
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BWP BYN BZD CAD CDF"
    " CHF CNY COP CRC CVE CZK DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP GMD GTQ GYD HKD HNL"
    " HTG HUF IDR ILS INR JMD KES KGS KHR KYD KZT LAK LBP LKR LRD LSL MAD MDL MKD MMK MNT MOP"
    " MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB"
    " SAR SBD SCR SEK SGD SHP SLE SOS SRD SZL THB TJS TOP TRY TTD TWD TZS UAH USD UYU UZS WST"
    " XCD YER ZAR ZMW"
)
#: Stripe's zero-decimal currencies.
ZERO_DECIMAL: Final = _codes("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF")
#: Stripe's three-decimal currencies: amounts end in 0.
THREE_DECIMAL: Final = _codes("BHD JOD KWD OMR TND")


@attrs.frozen
class StripeCurrency:
    """How Stripe's API writes amounts of one currency.

    ``decimals`` is the number of decimal places Stripe's integer amounts carry; ``step`` the
    multiple every amount must be of (10 for three-decimal currencies, 100 for ISK).
    """

    #: The ISO 4217 code (Stripe's API writes it in lower case).
    code: str
    #: The decimal places of Stripe's integer amounts.
    decimals: int
    #: Every amount is a multiple of this many of Stripe's units.
    step: int = 1


def _table() -> dict[str, StripeCurrency]:
    table = {code: StripeCurrency(code, get_currency(code).minor_units) for code in _ISO_UNITS}
    table.update({code: StripeCurrency(code, 0) for code in ZERO_DECIMAL})
    table.update({code: StripeCurrency(code, 3, step=10) for code in THREE_DECIMAL})
    table["ISK"] = StripeCurrency("ISK", 2, step=100)
    return dict(sorted(table.items()))


#: Every currency this adapter charges in, by ISO code.
STRIPE_CURRENCIES: Final[Mapping[str, StripeCurrency]] = MappingProxyType(_table())


def stripe_currency(currency: Currency | str) -> StripeCurrency:
    """Stripe's rule for ``currency``; one Stripe does not take is a PaymentAmountError.

    >>> stripe_currency("kwd")
    StripeCurrency(code='KWD', decimals=3, step=10)
    """
    code = get_currency(currency).code
    found = STRIPE_CURRENCIES.get(code)
    if found is None:
        raise PaymentAmountError(f"Stripe does not take payments in {code}")
    return found


def _scale(units: int, exponent: int) -> tuple[int, int]:
    """``units x 10**exponent`` as (quotient, remainder); a positive exponent leaves none."""
    if exponent >= 0:
        return units * 10**exponent, 0
    quotient, rest = divmod(units, 10**-exponent)
    return quotient, rest


def to_stripe_amount(money: Money) -> int:
    """``money`` as the integer Stripe's API takes, exactly (never through a float).

    Zero, negative, finer than Stripe's unit, off Stripe's step, or in a currency Stripe does
    not take: a :class:`~commercekit.errors.PaymentAmountError`, raised before any call.

    >>> to_stripe_amount(Money("10.00", "EUR")), to_stripe_amount(Money("1000", "JPY"))
    (1000, 1000)
    >>> to_stripe_amount(Money("1.230", "KWD")), to_stripe_amount(Money("5", "ISK"))
    (1230, 500)
    """
    rule = stripe_currency(money.currency)
    if money.amount <= 0:
        raise PaymentAmountError(f"Stripe takes positive amounts only, got {money}")
    try:
        iso_units = to_minor_units(money)
    except ValidationError:
        raise PaymentAmountError(f"{money} is finer than the minor unit of {rule.code}") from None
    units, rest = _scale(iso_units, rule.decimals - money.currency.minor_units)
    if rest:
        raise PaymentAmountError(
            f"Stripe takes {rule.code} in whole units of {rule.decimals} decimals: {money}"
            " cannot be charged"
        )
    if units % rule.step:
        increment = from_stripe_amount(rule.step, money.currency)
        raise PaymentAmountError(
            f"Stripe takes {rule.code} in steps of {increment.amount}: {money} cannot be charged"
        )
    return units


def from_stripe_amount(units: int, currency: Currency | str) -> Money:
    """Stripe's integer ``units`` of ``currency`` as Money.

    Not an int, negative, or finer than ISO's minor unit (ISK ``550``): a ValidationError.

    >>> from_stripe_amount(1230, "KWD"), from_stripe_amount(500, "ISK")
    (Money('1.230', 'KWD'), Money('5', 'ISK'))
    """
    if units.__class__ is not int or units < 0:
        raise ValidationError(f"Stripe's amount is not a whole number >= 0: {units!r}")
    cur = get_currency(currency)
    rule = stripe_currency(cur)
    iso_units, rest = _scale(units, cur.minor_units - rule.decimals)
    if rest:
        raise ValidationError(f"Stripe's amount {units} of {cur.code} is finer than its minor unit")
    return from_minor_units(iso_units, cur)
