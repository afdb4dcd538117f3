"""Split a restaurant bill fairly: parts add up to the cent, whoever is listed first.

Run: ``python examples/split_bill.py``
"""

from __future__ import annotations

from commercekit import Money, allocate, cash_round, format_money


def split(total: Money, diners: list[str], locale: str) -> dict[str, str]:
    """Each diner's share, formatted for ``locale``; the shares sum exactly to ``total``."""
    shares = allocate(total, [1] * len(diners), keys=diners)
    assert sum(shares, Money.zero(total.currency)) == total
    return {name: format_money(share, locale) for name, share in zip(diners, shares, strict=True)}


def main() -> None:
    """Print three bills split three ways, and a Swiss bill rounded to 5 centimes for cash."""
    for total, locale in (
        (Money("100.00", "USD"), "en_US"),
        (Money("10000", "JPY"), "ja_JP"),
        (Money("25.000", "KWD"), "ar_KW"),
    ):
        print(format_money(total, locale), split(total, ["ada", "grace", "linus"], locale))
    cash = cash_round(Money("47.37", "CHF"), "0.05")
    print(f"CHF 47.37 paid in cash: {cash.rounded} (rounding {cash.difference})")


if __name__ == "__main__":
    main()
