"""Demo section: money, allocation and rounding."""

from __future__ import annotations

from typing import TextIO

from commercekit.demo._common import section
from commercekit.money import (
    Money,
    Rounding,
    allocate,
    cash_round,
    format_money,
    quantize,
    to_minor_units,
)

__all__ = ["money_tour"]

_BILLS = (
    # (total, locale, diners): three currencies with 2, 0 and 3 decimal places.
    (Money("100.00", "USD"), "en_US", ("Ada", "Grace", "Linus")),
    (Money("10000", "JPY"), "ja_JP", ("Ada", "Grace", "Linus")),
    (Money("25.000", "KWD"), "ar_KW", ("Ada", "Grace", "Linus")),
)


def money_tour(out: TextIO) -> None:
    """Split bills in three currencies and show the named rounding points."""
    section(out, "Money: a bill split three ways, exact to the minor unit")
    for total, locale, diners in _BILLS:
        parts = allocate(total, [1] * len(diners), keys=diners)
        shown = ", ".join(
            f"{name} {format_money(part, locale)}" for name, part in zip(diners, parts, strict=True)
        )
        check = sum(parts, Money.zero(total.currency))
        print(f"{format_money(total, locale):>14} ({locale}): {shown}", file=out)
        print(f"{'':>14}  parts add up: {check == total} ({check})", file=out)

    section(out, "Rounding happens at named points, with a named mode")
    price = Money("2.345", "USD")
    for mode in (Rounding.HALF_UP, Rounding.HALF_EVEN, Rounding.DOWN):
        print(f"  {price} -> {quantize(price, mode)} ({mode.name})", file=out)
    print(
        f"  minor units: USD 10.00 -> {to_minor_units(Money('10.00', 'USD'))}, "
        f"JPY 1000 -> {to_minor_units(Money('1000', 'JPY'))}, "
        f"KWD 1.000 -> {to_minor_units(Money('1.000', 'KWD'))}",
        file=out,
    )
    cash = cash_round(Money("10.03", "CHF"), "0.05")
    print(
        f"  cash rounding CHF 10.03 to 0.05 -> {cash.rounded} "
        f"(difference {cash.difference}, shown as its own line)",
        file=out,
    )
