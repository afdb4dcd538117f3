"""Currencies from the ISO 4217 table, with their minor units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import iso4217

from commercekit.errors import UnknownCurrencyError, UnsupportedCurrencyError

__all__ = ["Currency", "all_currencies", "get_currency"]


class Currency:
    """An ISO 4217 currency that money can be expressed in.

    Instances are interned: there is exactly one per code, so ``get_currency("USD") is
    get_currency("USD")``. Obtain them with :func:`get_currency`; they are immutable.

    >>> usd = get_currency("USD")
    >>> usd.code, usd.minor_units, usd.numeric
    ('USD', 2, '840')
    >>> get_currency("JPY").minor_units, get_currency("KWD").minor_units
    (0, 3)
    """

    __slots__ = ("code", "minor_units", "name", "numeric", "quantum")

    code: str
    minor_units: int
    name: str
    numeric: str
    quantum: Decimal

    def __init__(self, code: str, numeric: str, minor_units: int, name: str) -> None:
        set_ = object.__setattr__
        set_(self, "code", code)
        set_(self, "numeric", numeric)
        set_(self, "minor_units", minor_units)
        set_(self, "name", name)
        #: One minor unit as a Decimal exponent (``Decimal("0.01")`` for USD), for quantize.
        set_(self, "quantum", Decimal(1).scaleb(-minor_units))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Currency is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Currency is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"Currency({self.code!r})"

    def __str__(self) -> str:
        return self.code

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Currency):
            return self.code == other.code
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.code)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Unpickling goes through the registry so identity (``is``) survives a round trip.
        return (get_currency, (self.code,))


def _load() -> tuple[dict[str, Currency], frozenset[str]]:
    usable: dict[str, Currency] = {}
    without_minor_unit: set[str] = set()
    for entry in iso4217.Currency:
        if entry.exponent is None:
            without_minor_unit.add(entry.code)
            continue
        usable[entry.code] = Currency(
            entry.code, f"{entry.number:03d}", int(entry.exponent), entry.currency_name
        )
    return usable, frozenset(without_minor_unit)


_CURRENCIES, _WITHOUT_MINOR_UNIT = _load()


def get_currency(code: str | Currency | Any) -> Currency:
    """Return the :class:`Currency` for an ISO 4217 code.

    Accepts a code (any case), a :class:`Currency`, or any object with a ``code`` attribute,
    such as py-moneyed's ``Currency``.

    Raises :class:`~commercekit.errors.UnknownCurrencyError` for a code not in ISO 4217 and
    :class:`~commercekit.errors.UnsupportedCurrencyError` for one without a minor unit (XAU,
    XXX, XDR), which money cannot be counted in.
    """
    if type(code) is Currency:
        return code
    if not isinstance(code, str):
        inner = getattr(code, "code", None)
        if not isinstance(inner, str):
            raise UnknownCurrencyError(f"not a currency code: {code!r}", repr(code))
        code_str = inner
    else:
        code_str = code
    found = _CURRENCIES.get(code_str)
    if found is not None:
        return found
    normal = code_str.strip().upper()
    found = _CURRENCIES.get(normal)
    if found is not None:
        return found
    if normal in _WITHOUT_MINOR_UNIT:
        raise UnsupportedCurrencyError(
            f"{normal} has no minor unit in ISO 4217 (a metal, fund or testing code); "
            "money cannot be expressed in it",
            code_str,
        )
    raise UnknownCurrencyError(f"unknown ISO 4217 currency code: {code_str!r}", code_str)


def all_currencies() -> list[Currency]:
    """Every currency money can be expressed in, sorted by code."""
    return [_CURRENCIES[code] for code in sorted(_CURRENCIES)]
