"""Locale-aware display of money through babel; never used inside calculations."""

from __future__ import annotations

import decimal

from babel.core import UnknownLocaleError
from babel.numbers import format_currency

from commercekit.errors import ValidationError
from commercekit.money._context import CTX
from commercekit.money._money import Money

__all__ = ["format_money"]


def format_money(
    money: Money,
    locale: str = "en_US",
    *,
    format: str | None = None,
    currency_digits: bool = True,
) -> str:
    """Format ``money`` for people in ``locale`` (``"de_CH"``, ``"ja_JP"``, ``"ar_KW"``).

    Display follows CLDR conventions (symbol, grouping, and by default CLDR's number of
    digits, which differs from ISO 4217 for about a dozen currencies). Pass
    ``currency_digits=False`` to show the amount's own digits.

    >>> format_money(Money("1234.5", "EUR"), "en_IE")
    '€1,234.50'
    >>> format_money(Money("1234", "JPY"), "ja_JP")
    '￥1,234'
    """
    try:
        # babel quantizes with the ambient context; pin ours so the host's cannot leak in.
        with decimal.localcontext(CTX):
            return format_currency(
                money.amount,
                money.currency.code,
                format=format,
                locale=locale,
                currency_digits=currency_digits,
                decimal_quantization=currency_digits,
            )
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValidationError(f"cannot format {money} for locale {locale!r}: {exc}") from exc
