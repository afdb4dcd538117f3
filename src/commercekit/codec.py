"""Serialization: one cattrs converter factory per wire format.

:func:`make_json_converter` builds a converter whose unstructured form is plain JSON data
(``dict``, ``list``, ``str``, ``int``, ``bool``, ``None``): Money as ``{"amount": "19.99",
"currency": "USD"}`` with the amount as exact text, Decimal as text, datetimes as ISO 8601 in
UTC, dates as ``YYYY-MM-DD``, currencies as their ISO code. Every model round-trips:
``converter.structure(converter.unstructure(x), type(x)) == x``.

Each area declares the hooks its types need in its :class:`~commercekit.ports.Area` value;
the factory applies those of every area in :data:`~commercekit.areas.BUILTIN_AREAS` (or of the
areas given), so the converter is the same whatever was imported before it was built.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import cattrs

from commercekit.clock import ensure_utc
from commercekit.errors import InvalidAmountError, ValidationError
from commercekit.money import Currency, Money, get_currency, to_decimal
from commercekit.ports import Area

__all__ = ["make_json_converter"]


def _structure_decimal(value: Any, _: type) -> Decimal:
    # Any finite Decimal round-trips exactly (Decimal(text) does not round); the range limits of
    # money apply where Money is built, not to every decimal (weights, rates, quantities).
    if isinstance(value, float | bool):
        raise InvalidAmountError(f"refusing {type(value).__name__} {value!r} in serialized data")
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str) or "_" in value or not value.isascii():
        raise ValidationError(f"a decimal must be ASCII decimal text, got {value!r}")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValidationError(f"not a decimal number: {value!r}") from None
    if not result.is_finite():
        raise ValidationError(f"a decimal must be finite, got {value!r}")
    return result


def _structure_money(value: Any, _: type) -> Money:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise ValidationError(f"money must be {{'amount': str, 'currency': str}}, got {value!r}")
    return Money(to_decimal(value["amount"]), value["currency"])


def _structure_datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise ValidationError(f"datetime must be ISO 8601 text, got {value!r}")
    return ensure_utc(datetime.fromisoformat(value))


def _structure_date(value: Any, _: type) -> date:
    if not isinstance(value, str):
        raise ValidationError(f"a date must be ISO 8601 text, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"a date must be ISO 8601 text (YYYY-MM-DD), got {value!r}") from None


def make_json_converter(areas: Sequence[Area] | None = None) -> cattrs.Converter:
    """A converter for JSON-compatible data (storage documents, API payloads, breakdowns).

    It knows money, decimals, datetimes and currencies, and the types of every area in
    ``areas`` (default :data:`~commercekit.areas.BUILTIN_AREAS`) through their codec hooks.
    """
    if areas is None:
        from commercekit.areas import BUILTIN_AREAS

        areas = BUILTIN_AREAS
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_unstructure_hook(
        Money, lambda m: {"amount": str(m.amount), "currency": m.currency.code}
    )
    converter.register_structure_hook(Money, _structure_money)
    converter.register_unstructure_hook(Currency, lambda c: c.code)
    converter.register_structure_hook(Currency, lambda v, _: get_currency(v))
    converter.register_unstructure_hook(date, lambda d: d.isoformat())
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(datetime, lambda d: ensure_utc(d).isoformat())
    converter.register_structure_hook(datetime, _structure_datetime)
    for area in areas:
        for hook in area.codec_hooks:
            hook(converter)
    return converter
