from __future__ import annotations

import decimal

import pytest
from babel.numbers import get_currency_precision

from commercekit import Money, errors, format_money, get_currency
from commercekit.money import all_currencies


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money("1234.5", "USD"), "en_US", "$1,234.50"),
        (Money("1234", "JPY"), "ja_JP", "￥1,234"),
        (Money("1234.5", "EUR"), "de_DE", "1.234,50\xa0€"),
        (Money("-3.5", "GBP"), "en_GB", "-£3.50"),
    ],
)
def test_format_money(money: Money, locale: str, expected: str) -> None:
    assert format_money(money, locale) == expected


def test_format_shows_own_digits_when_asked() -> None:
    assert format_money(Money("1.005", "USD"), "en_US", currency_digits=False) == "$1.005"


def test_format_is_immune_to_ambient_context() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        assert format_money(Money("1234567.89", "USD"), "en_US") == "$1,234,567.89"


def test_unknown_locale_is_a_validation_error() -> None:
    with pytest.raises(errors.ValidationError):
        format_money(Money(1, "USD"), "xx_NOPE")


def test_iso_minor_units_not_cldr_display_digits() -> None:
    # CLDR shows these with fewer digits; arithmetic must follow ISO 4217.
    iso = {
        "IQD": 3,
        "AFN": 2,
        "ALL": 2,
        "IRR": 2,
        "LAK": 2,
        "LBP": 2,
        "MGA": 2,
        "MMK": 2,
        "RSD": 2,
        "SOS": 2,
        "SYP": 2,
        "YER": 2,
        "JPY": 0,
        "KWD": 3,
        "USD": 2,
        "CLF": 4,
    }
    differ = 0
    for code, digits in iso.items():
        assert get_currency(code).minor_units == digits
        differ += get_currency_precision(code) != digits
    assert differ >= 10  # the table really is not babel's


def test_codes_newer_than_py_moneyed() -> None:
    assert {"XCG", "ZWG", "XAD"} <= {c.code for c in all_currencies()}
    assert get_currency("XCG").minor_units == 2


def test_all_currencies_are_sorted_and_usable() -> None:
    codes = [c.code for c in all_currencies()]
    assert codes == sorted(codes) and len(codes) > 150
    assert "XAU" not in codes and "XXX" not in codes
    for currency in all_currencies():
        assert Money(1, currency).currency is currency
        assert len(currency.numeric) == 3
