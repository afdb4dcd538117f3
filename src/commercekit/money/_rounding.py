"""Rounding at named points: to the minor unit, to and from integer minor units, cash rounding."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from commercekit.errors import InvalidAmountError, MalformedAmountError, ValidationError
from commercekit.money._context import CTX, Rounding
from commercekit.money._currency import Currency, get_currency
from commercekit.money._money import Money, _make, to_decimal

__all__ = [
    "CashRounding",
    "cash_round",
    "div_round",
    "from_minor_units",
    "is_minor_unit_exact",
    "quantize",
    "to_minor_units",
]

_ROUNDINGS = frozenset(mode.value for mode in Rounding)


def _check_rounding(rounding: str) -> str:
    if rounding not in _ROUNDINGS:
        raise ValidationError(f"unknown rounding mode {rounding!r}; use commercekit.Rounding")
    return rounding


def div_round(numerator: int, denominator: int, rounding: Rounding | str = Rounding.HALF_UP) -> int:
    """``numerator / denominator`` rounded to an integer with ``rounding``; both are >= 0.

    Exact integer arithmetic for code that works in minor units (the cart pipeline, the
    promotion engine, tax): no Decimal, no context. ``rounding`` is trusted to be one of the
    :class:`Rounding` modes: validate it once where it enters, not on every division.

    >>> div_round(5, 2), div_round(5, 2, Rounding.HALF_EVEN), div_round(7, 2, Rounding.DOWN)
    (3, 2, 3)
    """
    if rounding == Rounding.HALF_UP:
        return (2 * numerator + denominator) // (2 * denominator)
    quotient, remainder = divmod(numerator, denominator)
    if not remainder:
        return quotient
    if rounding in (Rounding.DOWN, Rounding.FLOOR):
        return quotient
    if rounding in (Rounding.UP, Rounding.CEILING):
        return quotient + 1
    if rounding == Rounding.ZERO_FIVE_UP:
        return quotient + 1 if quotient % 5 == 0 else quotient
    twice = 2 * remainder
    if twice > denominator:
        return quotient + 1
    if twice < denominator:
        return quotient
    if rounding == Rounding.HALF_EVEN:
        return quotient + (quotient & 1)
    if rounding == Rounding.HALF_DOWN:
        return quotient
    raise ValidationError(f"unknown rounding mode {rounding!r}")


def quantize(money: Money, rounding: Rounding | str = Rounding.HALF_UP) -> Money:
    """Round ``money`` to its currency's minor unit with an explicit rounding mode.

    Quantizing is idempotent: a value already in minor units comes back unchanged.

    >>> quantize(Money("2.345", "USD"))
    Money('2.35', 'USD')
    >>> quantize(Money("2.345", "USD"), Rounding.HALF_EVEN)
    Money('2.34', 'USD')
    >>> quantize(Money("-2.5", "JPY"))
    Money('-3', 'JPY')
    """
    mode = _check_rounding(rounding)
    cur = money.currency
    return _make(money.amount.quantize(cur.quantum, rounding=mode, context=CTX), cur)


def is_minor_unit_exact(money: Money) -> bool:
    """Whether ``money`` has no digits finer than its currency's minor unit."""
    return money.amount == money.amount.quantize(money.currency.quantum, context=CTX)


def to_minor_units(money: Money, rounding: Rounding | str | None = None) -> int:
    """The amount as an integer count of ISO 4217 minor units.

    USD 10.00 -> 1000, JPY 1000 -> 1000, KWD 1.000 -> 1000. An amount finer than the minor unit
    is a :class:`~commercekit.errors.ValidationError` unless a ``rounding`` is named: rounding
    happens only where a caller says so. Payment gateways that deviate from ISO (Stripe's
    zero-decimal list) map their own units on top of this.

    >>> to_minor_units(Money("10.00", "USD")), to_minor_units(Money("1.000", "KWD"))
    (1000, 1000)
    """
    cur = money.currency
    if rounding is not None:
        amount = money.amount.quantize(cur.quantum, rounding=_check_rounding(rounding), context=CTX)
    else:
        amount = money.amount
    scaled = amount.scaleb(cur.minor_units, context=CTX)
    integral = scaled.to_integral_value(context=CTX)
    if scaled != integral:
        raise ValidationError(
            f"{money} is finer than the minor unit of {cur.code}; quantize it or pass rounding="
        )
    return int(integral)


def from_minor_units(units: int, currency: str | Currency | Any) -> Money:
    """Money from an integer count of ISO 4217 minor units (1000 USD cents -> USD 10.00).

    >>> from_minor_units(1000, "USD"), from_minor_units(1000, "JPY")
    (Money('10.00', 'USD'), Money('1000', 'JPY'))
    """
    if units.__class__ is not int:
        if isinstance(units, bool) or not isinstance(units, int):
            raise InvalidAmountError(f"minor units must be an int, got {units!r}")
        units = int(units)
    cur = get_currency(currency)
    return _make(to_decimal(Decimal(units).scaleb(-cur.minor_units, context=CTX)), cur)


@attrs.frozen
class CashRounding:
    """The outcome of :func:`cash_round`: the payable amount and the visible difference."""

    #: The amount rounded to the cash increment.
    rounded: Money
    #: ``rounded - original``: positive when the customer pays more, negative when less.
    difference: Money


def cash_round(
    money: Money,
    increment: Decimal | int | str,
    rounding: Rounding | str = Rounding.HALF_UP,
) -> CashRounding:
    """Round ``money`` to a cash increment (CHF 0.05, SEK 1) as its own, visible step.

    The increment must be positive and a whole number of minor units. The difference is
    reported so that a breakdown can show it as its own line.

    >>> result = cash_round(Money("10.03", "CHF"), "0.05")
    >>> result.rounded, result.difference
    (Money('10.05', 'CHF'), Money('0.02', 'CHF'))
    """
    step = to_decimal(increment)
    cur = money.currency
    if step <= 0:
        raise ValidationError(f"cash rounding increment must be positive, got {step}")
    if step.quantize(cur.quantum, context=CTX) != step:
        raise ValidationError(f"increment {step} is not a whole number of {cur.code} minor units")
    mode = _check_rounding(rounding)
    steps = CTX.divide(money.amount, step).quantize(Decimal(1), rounding=mode, context=CTX)
    rounded_amount = CTX.multiply(steps, step).quantize(cur.quantum, context=CTX)
    try:
        rounded = _make(to_decimal(rounded_amount), cur)
    except MalformedAmountError:  # pragma: no cover - only at the very edge of the range
        raise
    return CashRounding(rounded=rounded, difference=rounded - money)
