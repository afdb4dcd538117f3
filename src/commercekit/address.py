"""Postal addresses: the one value that tax, shipping and billing all import.

A neutral module at the base of the package, so that no area depends on another just to
name where goods go. Country codes are ISO 3166-1 alpha-2, normalized to upper case;
``region`` is the ISO 3166-2 subdivision code without its country prefix (``"CA"`` for
California, ``"BY"`` for Bavaria) when it is one.
"""

from __future__ import annotations

import attrs

from commercekit.errors import ValidationError
from commercekit.rules import check_text

__all__ = ["Address"]


def _country(value: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(
            f"a country is an ISO 3166-1 alpha-2 code such as 'DE', not {value!r}"
        )
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise ValidationError(
            f"a country is an ISO 3166-1 alpha-2 code such as 'DE', not {value!r}"
        )
    return code


def _text(value: object, name: str) -> str:
    if value == "":
        return ""
    text = check_text(value, name=name, required=True)
    assert text is not None
    return text.strip()


def _region(value: str) -> str:
    text = _text(value, "region")
    return text.upper() if text.isascii() else text


def _postal_code(value: str) -> str:
    return _text(value, "postal_code")


def _city(value: str) -> str:
    return _text(value, "city")


def _lines(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValidationError("an address's lines are a sequence of strings, not one string")
    return tuple(_text(line, "address line") for line in value)


@attrs.frozen
class Address:
    """A postal address, as far as pricing, tax and shipping need it.

    >>> Address("us", region="ca", postal_code="94103").subdivision
    'US-CA'
    """

    #: ISO 3166-1 alpha-2 country code, e.g. ``"DE"`` (normalized to upper case).
    country: str = attrs.field(converter=_country)
    #: The region, state or province as its ISO 3166-2 code without the country (``"CA"``), or
    #: empty.
    region: str = attrs.field(default="", converter=_region)
    #: Postal code, or empty.
    postal_code: str = attrs.field(default="", converter=_postal_code)
    #: City, or empty.
    city: str = attrs.field(default="", converter=_city)
    #: Street lines, free text.
    lines: tuple[str, ...] = attrs.field(default=(), converter=_lines)

    @property
    def subdivision(self) -> str:
        """The ISO 3166-2 code (``"US-CA"``), or empty without a region."""
        if not self.region:
            return ""
        if self.region.startswith(self.country + "-"):
            return self.region
        return f"{self.country}-{self.region}"
