"""Codec hooks for tax values: postal-code patterns and the validity bounds of rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import cattrs

from commercekit.errors import ValidationError
from commercekit.tax._zones import PostalPattern, PostalRange

__all__ = ["register_tax_hooks"]


def _structure_pattern(value: Any, _: object) -> PostalPattern:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"low", "high"}:
        return PostalRange(value["low"], value["high"])
    raise ValidationError(f"a postal pattern is text or {{'low': ..., 'high': ...}}, got {value!r}")


def _unstructure_pattern(value: PostalPattern) -> Any:
    if isinstance(value, PostalRange):
        return {"low": value.low, "high": value.high}
    return value


_Validity = date | datetime | None


def _structure_validity(value: Any, _: object) -> date | datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"a validity bound is ISO 8601 text, got {value!r}")
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"a validity bound is ISO 8601 text, got {value!r}") from None


def _unstructure_validity(value: date | datetime | None) -> str | None:
    # A naive datetime is the zone's local time: it stays naive (never moved to UTC).
    return None if value is None else value.isoformat()


def register_tax_hooks(converter: cattrs.Converter) -> None:
    """Teach ``converter`` postal patterns and the validity bounds of tax rules.

    A pattern is text (``"75*"``) or a range (``{"low": "90000", "high": "90299"}``); a
    :class:`~commercekit.tax.TaxRule`'s bounds are ISO dates or datetimes, a naive one kept
    naive (it is the zone's local time). The
    tax area declares it, so every converter from
    :func:`~commercekit.codec.make_json_converter` has it.
    """
    converter.register_structure_hook(_Validity, _structure_validity)
    converter.register_unstructure_hook(_Validity, _unstructure_validity)
    converter.register_structure_hook(PostalPattern, _structure_pattern)
    converter.register_unstructure_hook(PostalPattern, _unstructure_pattern)
