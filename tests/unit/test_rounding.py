from __future__ import annotations

import decimal
from decimal import Decimal

import pytest

from commercekit import (
    Money,
    Rounding,
    cash_round,
    errors,
    from_minor_units,
    quantize,
    to_minor_units,
)
from commercekit.money import is_minor_unit_exact


@pytest.mark.parametrize(
    ("amount", "mode", "expected"),
    [
        ("2.345", Rounding.HALF_UP, "2.35"),
        ("-2.345", Rounding.HALF_UP, "-2.35"),  # ties away from zero
        ("2.345", Rounding.HALF_EVEN, "2.34"),
        ("2.355", Rounding.HALF_EVEN, "2.36"),
        ("2.345", Rounding.HALF_DOWN, "2.34"),
        ("2.349", Rounding.DOWN, "2.34"),
        ("-2.349", Rounding.DOWN, "-2.34"),
        ("2.341", Rounding.UP, "2.35"),
        ("-2.341", Rounding.CEILING, "-2.34"),
        ("-2.341", Rounding.FLOOR, "-2.35"),
        ("2.341", Rounding.ZERO_FIVE_UP, "2.34"),
        ("2.351", Rounding.ZERO_FIVE_UP, "2.36"),
    ],
)
def test_quantize_modes(amount: str, mode: Rounding, expected: str) -> None:
    result = quantize(Money(amount, "USD"), mode)
    assert str(result.amount) == expected


def test_quantize_uses_each_currency_minor_unit() -> None:
    assert str(quantize(Money("2.5", "JPY")).amount) == "3"
    assert str(quantize(Money("1.2345", "KWD")).amount) == "1.235"
    assert str(quantize(Money("1.2345", "IQD")).amount) == "1.235"  # ISO 3, CLDR shows 0
    assert str(quantize(Money("7", "USD")).amount) == "7.00"


def test_quantize_accepts_decimal_constants_and_rejects_unknown_modes() -> None:
    assert quantize(Money("2.345", "USD"), decimal.ROUND_HALF_EVEN) == Money("2.34", "USD")
    with pytest.raises(errors.ValidationError):
        quantize(Money("2.345", "USD"), "ROUND_SIDEWAYS")


def test_quantize_ignores_ambient_rounding() -> None:
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_FLOOR
        ctx.prec = 3
        assert quantize(Money("12345.675", "USD")) == Money("12345.68", "USD")


@pytest.mark.parametrize(
    ("amount", "code", "units"),
    [
        ("10.00", "USD", 1000),
        ("1000", "JPY", 1000),
        ("1.000", "KWD", 1000),
        ("1.000", "IQD", 1000),
        ("-0.01", "EUR", -1),
        ("0", "CLF", 0),
        ("1.2345", "CLF", 12345),  # four decimals per ISO
        ("10", "USD", 1000),
    ],
)
def test_minor_units_round_trip(amount: str, code: str, units: int) -> None:
    money = Money(amount, code)
    assert to_minor_units(money) == units
    assert from_minor_units(units, code) == money


def test_to_minor_units_refuses_sub_minor_amounts_unless_told_how_to_round() -> None:
    with pytest.raises(errors.ValidationError, match="finer than the minor unit"):
        to_minor_units(Money("1.005", "USD"))
    assert to_minor_units(Money("1.005", "USD"), Rounding.HALF_UP) == 101
    assert to_minor_units(Money("1.005", "USD"), Rounding.HALF_EVEN) == 100
    assert not is_minor_unit_exact(Money("1.005", "USD"))
    assert is_minor_unit_exact(Money("1.0500", "USD"))


@pytest.mark.parametrize("units", [1.0, True, "100", Decimal(100)])
def test_from_minor_units_needs_an_int(units: object) -> None:
    with pytest.raises(errors.InvalidAmountError):
        from_minor_units(units, "USD")  # type: ignore[arg-type]


def test_from_minor_units_out_of_range() -> None:
    with pytest.raises(errors.MalformedAmountError):
        from_minor_units(10**40, "USD")


@pytest.mark.parametrize(
    ("amount", "increment", "rounded", "difference"),
    [
        ("10.03", "0.05", "10.05", "0.02"),
        ("10.02", "0.05", "10.00", "-0.02"),
        ("10.025", "0.05", "10.05", "0.025"),
        ("-10.03", "0.05", "-10.05", "-0.02"),
        ("10.00", "0.05", "10.00", "0.00"),
        ("99.50", "1", "100.00", "0.50"),
    ],
)
def test_cash_rounding(amount: str, increment: str, rounded: str, difference: str) -> None:
    result = cash_round(Money(amount, "CHF"), increment)
    assert result.rounded == Money(rounded, "CHF")
    assert result.difference == Money(difference, "CHF")
    assert result.rounded - Money(amount, "CHF") == result.difference


def test_cash_rounding_modes_and_bad_increments() -> None:
    assert cash_round(Money("10.03", "CHF"), "0.05", Rounding.DOWN).rounded == Money("10.00", "CHF")
    for bad in ("0", "-0.05", "0.005"):
        with pytest.raises(errors.ValidationError):
            cash_round(Money("10.03", "CHF"), bad)
    with pytest.raises(errors.InvalidAmountError):
        cash_round(Money("10.03", "CHF"), 0.05)  # type: ignore[arg-type]
