"""Stripe's integer amounts: ISO minor units, zero- and three-decimal currencies, ISK, exactly.

Expected values come from Stripe's "Supported currencies" page (docs.stripe.com/currencies):
"to charge 10 USD, provide an amount value of 1000", "to charge ¥500, provide an amount value of
500", "5.124 KWD must be rounded to 5120 or 5130", "to charge 5 ISK, provide an amount value of
500".
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from commercekit.errors import PaymentAmountError, ValidationError
from commercekit.gateways.payments._stripe_currencies import (
    STRIPE_CURRENCIES,
    THREE_DECIMAL,
    ZERO_DECIMAL,
    from_stripe_amount,
    stripe_currency,
    to_stripe_amount,
)
from commercekit.money import Money, get_currency


@pytest.mark.parametrize(
    ("amount", "code", "units"),
    [
        ("1000", "JPY", 1000),
        ("10.00", "EUR", 1000),
        ("10", "USD", 1000),
        ("1.230", "KWD", 1230),
        ("5.120", "KWD", 5120),
        ("5", "ISK", 500),
        ("500", "JPY", 500),
        ("12", "MGA", 12),
        ("10.45", "HUF", 1045),
        ("10.45", "TWD", 1045),
        ("500", "UGX", 500),
        ("1500", "CLP", 1500),
        ("0.50", "GBP", 50),
    ],
)
def test_money_becomes_stripes_integer(amount: str, code: str, units: int) -> None:
    assert to_stripe_amount(Money(amount, code)) == units


def test_no_float_on_the_way() -> None:
    # 0.29 * 100 is 28.999999999999996 in binary floating point: a float conversion loses a cent.
    assert to_stripe_amount(Money("0.29", "USD")) == 29
    assert to_stripe_amount(Money("123456789012.34", "USD")) == 12345678901234


@pytest.mark.parametrize(
    ("amount", "code", "words"),
    [
        ("1.234", "KWD", "steps of 0.010"),
        ("0.005", "BHD", "steps of 0.010"),
        ("12.50", "MGA", "whole units"),
        ("1.005", "USD", "finer than the minor unit"),
        ("0", "EUR", "positive"),
        ("-1.00", "EUR", "positive"),
        ("1.000", "IQD", "does not take payments in IQD"),
    ],
)
def test_amounts_stripe_cannot_take_are_refused(amount: str, code: str, words: str) -> None:
    with pytest.raises(PaymentAmountError, match=words) as caught:
        to_stripe_amount(Money(amount, code))
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("units", "code", "expected"),
    [
        (1230, "KWD", Money("1.230", "KWD")),
        (500, "ISK", Money("5", "ISK")),
        (1000, "JPY", Money("1000", "JPY")),
        (12, "MGA", Money("12.00", "MGA")),
        (1045, "HUF", Money("10.45", "HUF")),
        (0, "EUR", Money("0.00", "EUR")),
    ],
)
def test_stripes_integer_becomes_money(units: int, code: str, expected: Money) -> None:
    result = from_stripe_amount(units, code)
    assert result == expected
    assert result.amount.as_tuple().exponent == -get_currency(code).minor_units


@pytest.mark.parametrize("units", [550, -100, True, 1.0, "500", Decimal(500)])
def test_stripe_amounts_that_are_no_isk_are_refused(units: object) -> None:
    with pytest.raises(ValidationError):
        from_stripe_amount(units, "ISK")  # type: ignore[arg-type]


def test_every_currency_round_trips_at_its_smallest_step() -> None:
    for code, rule in STRIPE_CURRENCIES.items():
        for units in (rule.step, 7 * rule.step, 123456 * rule.step):
            assert to_stripe_amount(from_stripe_amount(units, code)) == units, code


def test_the_table_holds_stripes_lists() -> None:
    assert {code for code, r in STRIPE_CURRENCIES.items() if r.decimals == 0} == ZERO_DECIMAL
    assert {code for code, r in STRIPE_CURRENCIES.items() if r.step == 10} == THREE_DECIMAL
    assert stripe_currency("isk") == STRIPE_CURRENCIES["ISK"]
    assert (STRIPE_CURRENCIES["ISK"].decimals, STRIPE_CURRENCIES["ISK"].step) == (2, 100)
    # Two-decimal currencies keep ISO's unit, and every code is one money can express.
    assert STRIPE_CURRENCIES["USD"].decimals == get_currency("USD").minor_units == 2
    assert all(get_currency(code).code == code for code in STRIPE_CURRENCIES)
    assert len(ZERO_DECIMAL) == 16 and len(THREE_DECIMAL) == 5
    assert len(STRIPE_CURRENCIES) > 130


def test_an_unknown_code_is_a_currency_error() -> None:
    with pytest.raises(ValidationError):
        stripe_currency("ZZZ")
    with pytest.raises(PaymentAmountError):
        stripe_currency("XCG")
