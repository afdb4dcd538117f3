"""Tax zones: where a rule table's rules apply (a country, some subdivisions, postal codes).

A :class:`TaxZone` is checked when it is built: its country against ISO 3166-1 and its
subdivisions against ISO 3166-2 (both from pycountry), its time zone against the IANA database
(:mod:`zoneinfo`), and its postal-code patterns for form. A zone that cannot match anything
real is a :class:`~commercekit.errors.TaxTableError` at configuration time, never a surprise
at checkout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import pycountry

from commercekit.address import Address
from commercekit.errors import TaxTableError
from commercekit.rules import check_identifier

__all__ = ["PostalPattern", "PostalRange", "TaxZone", "normalize_postal_code"]

# Letters, digits and inner hyphens once spaces are gone: "75008", "SW1A1AA", "94103-1234".
_CODE = re.compile(r"[0-9A-Z]+(?:-[0-9A-Z]+)*")


def normalize_postal_code(value: str) -> str:
    """A postal code as zones compare it: upper case, spaces removed.

    >>> normalize_postal_code(" sw1a 1aa ")
    'SW1A1AA'
    """
    return "".join(value.split()).upper()


def _code(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TaxTableError(f"a {what} is a string such as '75008', got {value!r}")
    code = normalize_postal_code(value)
    if not _CODE.fullmatch(code):
        raise TaxTableError(f"malformed {what} {value!r}: letters, digits and inner hyphens only")
    return code


def _range_end(value: object) -> str:
    return _code(value, "postal range end")


def _zone_id(value: object) -> str:
    return check_identifier(value, name="zone id")


def _country_of(subdivision: str) -> str | None:
    """The country of an ISO 3166-2 code, or ``None`` when pycountry does not know it."""
    found = pycountry.subdivisions.get(code=subdivision)  # type: ignore[no-untyped-call]
    return None if found is None else str(found.country_code)


def _numeric_head(code: str, width: int) -> int | None:
    """The code as a number when it is ``width`` digits, or ``width`` digits, "-", more."""
    head = code[:width]
    if (
        len(head) == width
        and head.isascii()
        and head.isdigit()
        and (len(code) == width or code[width] == "-")
    ):
        return int(head)
    return None


@attrs.frozen
class PostalRange:
    """An inclusive range of postal codes, ``low`` to ``high``.

    Both ends are normalized (upper case, spaces removed). When both are digits of the same
    length the range is numeric: a code matches when its first that-many characters are
    digits within the range and it ends there or goes on after a hyphen (so a US ZIP+4
    ``"94103-1234"`` is in ``PostalRange("94000", "94199")``; ``"9410"`` is not). Otherwise
    codes compare as text, character by character. ``low > high`` is a
    :class:`~commercekit.errors.TaxTableError`.

    >>> "94103-1234" in PostalRange("94000", "94199")
    True
    """

    #: The lowest code in the range (normalized).
    low: str = attrs.field(converter=_range_end)
    #: The highest code in the range (normalized).
    high: str = attrs.field(converter=_range_end)

    def __attrs_post_init__(self) -> None:
        low, high = self.low, self.high
        if self.numeric:
            if int(low) > int(high):
                raise TaxTableError(f"postal range {low}..{high} has low > high")
        elif low > high:
            raise TaxTableError(f"postal range {low}..{high} has low > high")

    @property
    def numeric(self) -> bool:
        """Whether both ends are digits of the same length (compared as numbers)."""
        return self.low.isdigit() and self.high.isdigit() and len(self.low) == len(self.high)

    def __contains__(self, code: object) -> bool:
        """Whether the postal code ``code`` (normalized or not) is in the range."""
        if not isinstance(code, str):
            return False
        code = normalize_postal_code(code)
        if not code:
            return False
        if self.numeric:
            number = _numeric_head(code, len(self.low))
            return number is not None and int(self.low) <= number <= int(self.high)
        return self.low <= code <= self.high


#: A postal-code pattern as given to a zone: ``"75*"`` (a prefix), ``"75008"`` (exact), or
#: a :class:`PostalRange`.
PostalPattern = str | PostalRange


def _pattern(value: object) -> PostalPattern:
    if isinstance(value, PostalRange):
        return value
    if isinstance(value, str) and normalize_postal_code(value).endswith("*"):
        prefix = normalize_postal_code(value)[:-1]
        if not prefix:
            raise TaxTableError(
                f"malformed postal pattern {value!r}: a prefix needs at least one character"
                " before '*' (a zone without postal codes covers the whole country)"
            )
        return _code(prefix, "postal pattern") + "*"
    return _code(value, "postal pattern")


def _patterns(value: Iterable[PostalPattern]) -> tuple[PostalPattern, ...]:
    if isinstance(value, str | PostalRange):
        raise TaxTableError("postal_codes is a sequence of patterns, such as ['75*', '92100']")
    return tuple(_pattern(item) for item in value)


def _pattern_matches(pattern: PostalPattern, code: str) -> bool:
    if isinstance(pattern, PostalRange):
        return code in pattern
    if pattern.endswith("*"):
        return code.startswith(pattern[:-1])
    return code == pattern


def _country(value: object) -> str:
    if not isinstance(value, str):
        raise TaxTableError(f"a zone's country is an ISO 3166-1 alpha-2 code, got {value!r}")
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise TaxTableError(f"unknown country code {value!r} (ISO 3166-1 alpha-2, e.g. 'DE')")
    return code


def _timezone(value: object) -> str:
    if not isinstance(value, str):
        raise TaxTableError(
            f"a zone's timezone is an IANA name such as 'Europe/Paris', got {value!r}"
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise TaxTableError(
            f"unknown time zone {value!r}: an IANA name such as 'Europe/Paris'"
        ) from exc
    return value


def _priority(value: object) -> int:
    if value.__class__ is not int:
        raise TaxTableError(f"a zone's priority is an integer, got {value!r}")
    assert isinstance(value, int)
    return value


def _subdivisions(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise TaxTableError("subdivisions is a set of codes such as {'US-CA', 'US-NV'}")
    codes = []
    for item in value:
        if not isinstance(item, str):
            raise TaxTableError(
                f"a subdivision is an ISO 3166-2 code such as 'US-CA', got {item!r}"
            )
        codes.append(item.strip().upper())
    return frozenset(codes)


@attrs.frozen
class TaxZone:
    """Where rules apply: a country, optionally narrowed to subdivisions and postal codes.

    ``subdivisions`` are ISO 3166-2 codes, given as ``"US-CA"`` or ``"CA"`` and kept as
    ``"US-CA"``; each must be one of the country's (pycountry). ``postal_codes`` are
    patterns: ``"75*"`` (a prefix), ``"75008"`` (exact) or :class:`PostalRange`, compared on
    normalized codes (upper case, spaces removed). An address is in the zone when its country
    is the zone's, its subdivision is one of the zone's (if any are given), and its postal code
    matches one of the patterns (if any are given); an address without a region or a postal
    code is not in a zone that asks for one.

    ``timezone`` is the IANA zone in which the dates of the zone's rules are read (a rate
    change happens at local midnight). ``priority`` breaks ties between zones of the same
    :attr:`specificity` (see :class:`~commercekit.tax.TaxRuleTable`).

    >>> zone = TaxZone("paris", "fr", postal_codes=["75*"], timezone="Europe/Paris")
    >>> zone.matches(Address("FR", postal_code="75008")), zone.specificity
    (True, 3)
    >>> TaxZone("ca", "US", subdivisions=["ca"]).subdivisions
    frozenset({'US-CA'})
    """

    #: The zone's identifier, named by rules.
    id: str = attrs.field(converter=_zone_id)
    #: ISO 3166-1 alpha-2 country code (upper case).
    country: str = attrs.field(converter=_country)
    #: ISO 3166-2 subdivision codes (``"US-CA"``); empty: the whole country.
    subdivisions: frozenset[str] = attrs.field(factory=frozenset, converter=_subdivisions)
    #: Postal-code patterns; empty: any postal code.
    postal_codes: tuple[PostalPattern, ...] = attrs.field(default=(), converter=_patterns)
    #: The IANA time zone in which the zone's rule dates are read.
    timezone: str = attrs.field(default="UTC", converter=_timezone)
    #: Breaks ties between equally specific zones: the higher wins.
    priority: int = attrs.field(default=0, converter=_priority)

    def __attrs_post_init__(self) -> None:
        prefix = self.country + "-"
        codes = set()
        for code in self.subdivisions:
            full = code if code.startswith(prefix) else prefix + code
            if _country_of(full) != self.country:
                raise TaxTableError(
                    f"unknown subdivision {code!r} of {self.country} in zone {self.id!r}"
                    " (ISO 3166-2, e.g. 'US-CA')"
                )
            codes.add(full)
        object.__setattr__(self, "subdivisions", frozenset(codes))

    @property
    def tzinfo(self) -> tzinfo:
        """The zone's time zone as a :class:`~zoneinfo.ZoneInfo` (cached by zoneinfo)."""
        return ZoneInfo(self.timezone)

    @property
    def specificity(self) -> int:
        """How narrow the zone is: 3 with postal codes, 2 with subdivisions, else 1."""
        if self.postal_codes:
            return 3
        if self.subdivisions:
            return 2
        return 1

    def matches(self, address: Address) -> bool:
        """Whether ``address`` is in the zone (see the class docs)."""
        if address.country != self.country:
            return False
        if self.subdivisions and address.subdivision.upper() not in self.subdivisions:
            return False
        if self.postal_codes:
            code = normalize_postal_code(address.postal_code)
            return bool(code) and any(_pattern_matches(p, code) for p in self.postal_codes)
        return True
